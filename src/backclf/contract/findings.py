"""The findings contract (``shared/contract.md``): one validated case, and its field table.

``Case`` is the strict pydantic model of the input contract. Absent (or ``null``) means
"not asked / unknown", which is not the same as ``false``. Use :func:`parse_case` at every
boundary: it reports every problem of a case at once (unknown names with a suggestion,
wrong types, out-of-range values, contradictions) as one :class:`CaseError`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

FEVER_THRESHOLD_C = 38.0  # contract: "38.0 or more counts as fever"


def _reject_non_numbers(value: Any) -> Any:
    """Numbers must be JSON numbers: ``true`` or ``"40"`` for an age is a mistake, not 1 or 40."""
    if value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _integral(value: Any) -> Any:
    """Accept 40 and 40.0 for an integer field, but not 40.5."""
    value = _reject_non_numbers(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return value


Flag = bool | None
Age = Annotated[int, Field(ge=1, le=120), BeforeValidator(_integral)]
Severity = Annotated[int, Field(ge=0, le=10), BeforeValidator(_integral)]
Days = Annotated[float, Field(ge=0, le=36500), BeforeValidator(_reject_non_numbers)]
Celsius = Annotated[float, Field(ge=30, le=45), BeforeValidator(_reject_non_numbers)]

Sex = Literal["female", "male"]
Onset = Literal["sudden", "gradual"]
Trigger = Literal[
    "bending_or_twisting", "lifting_heavy_object", "prolonged_posture", "minor_fall_or_bump", "none"
]
PainSide = Literal["central", "one_side", "both_sides"]
LegPain = Literal["none", "one_leg", "both_legs"]


class Case(BaseModel):
    """One person's findings. Every field is optional; ``None`` means unknown."""

    model_config = ConfigDict(extra="forbid", strict=True, title="Findings")

    age: Age | None = Field(None, description="years")
    sex: Sex | None = None
    pregnant: Flag = None
    onset: Onset | None = Field(None, description="how this episode began")
    days_since_onset: Days | None = Field(None, description="days since this episode began")
    trigger: Trigger | None = Field(None, description="what set this episode off")
    major_trauma: Flag = Field(None, description="car crash, fall from height, heavy blow")
    pain_side: PainSide | None = None
    pain_severity: Severity | None = Field(None, description="0 (none) to 10 (worst)")
    spasm: Flag = Field(None, description="cramping, spasmodic pain or felt muscle spasm")
    restricted_movement: Flag = Field(
        None, description="cannot bend or turn freely; back feels locked or stuck"
    )
    worse_on_extension_or_twisting: Flag = Field(
        None, description="leaning back or turning makes it worse"
    )
    eased_by_rest: Flag = Field(None, description="lying down or resting eases it")
    constant_night_pain: Flag = Field(
        None, description="pain at night that changing position does not ease"
    )
    radiating_leg_pain: LegPain | None = None
    chronic_strain_history: Flag = Field(
        None, description="long-standing back strain or ache (work, posture) before this episode"
    )
    previous_episodes: Flag = Field(None, description="similar episodes before")
    fever: Flag = None
    temperature_c: Celsius | None = Field(None, description="38.0 or more counts as fever")
    chills: Flag = Field(None, description="chills, shivering, rigors")
    frequent_urination: Flag = None
    painful_urination: Flag = None
    blood_in_urine: Flag = None
    nausea_or_vomiting: Flag = None
    flank_tenderness: Flag = Field(None, description="pain when the area over a kidney is tapped")
    confusion: Flag = Field(None, description="new confusion or drowsiness")
    unable_to_keep_fluids_down: Flag = None
    saddle_numbness: Flag = Field(
        None, description="numbness around the genitals, buttocks or inner thighs"
    )
    bladder_or_bowel_control_loss: Flag = Field(
        None, description="new trouble passing urine, or loss of bladder or bowel control"
    )
    leg_weakness: Flag = Field(
        None, description="new or worsening weakness of a leg or foot (e.g. foot drop)"
    )
    history_of_cancer: Flag = None
    unexplained_weight_loss: Flag = None
    osteoporosis_or_steroid_use: Flag = Field(
        None, description="osteoporosis, or long-term steroid tablets"
    )
    iv_drug_use: Flag = None
    immunosuppressed: Flag = Field(
        None, description="chemotherapy, transplant drugs, HIV, other immune suppression"
    )
    fainting_or_collapse: Flag = None
    pulsating_abdominal_mass: Flag = None

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        problems = contradictions(self.fever, self.temperature_c, self.pregnant, self.sex)
        if problems:
            raise ValueError("; ".join(problems))
        if self.temperature_c is not None and self.temperature_c >= FEVER_THRESHOLD_C:
            self.fever = True  # contract: 38.0 or more counts as fever
        return self

    def known(self) -> dict[str, Any]:
        """The findings that were given, in contract order."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def contradictions(
    fever: bool | None, temperature_c: float | None, pregnant: bool | None, sex: str | None
) -> list[str]:
    """Problems that no single field shows: each message names both fields."""
    problems = []
    if fever is False and temperature_c is not None and temperature_c >= FEVER_THRESHOLD_C:
        problems.append(
            f"fever is false but temperature_c is {temperature_c:g} "
            f"({FEVER_THRESHOLD_C:g} or more counts as fever)"
        )
    if pregnant is True and sex == "male":
        problems.append("pregnant is true but sex is male")
    return problems


# --------------------------------------------------------------------------------------------
# The field table, read off the model so that there is one source of truth.


@dataclass(frozen=True)
class FieldSpec:
    """What one finding can be: ``bool``, ``enum`` (with ``values``), ``int`` or ``float``."""

    name: str
    kind: Literal["bool", "enum", "int", "float"]
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


def _spec(name: str, info: FieldInfo) -> FieldSpec:
    """Read one field's kind, values and range off its annotation (no JSON Schema needed)."""
    typed = next(a for a in get_args(info.annotation) if a is not type(None))
    metadata: list[Any] = []
    while get_origin(typed) is Annotated:
        typed, *extra = get_args(typed)
        for item in extra:
            metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    description = info.description or ""
    if get_origin(typed) is Literal:
        return FieldSpec(name, "enum", get_args(typed), description=description)
    bounds = {type(m).__name__: m for m in metadata}
    return FieldSpec(
        name,
        {bool: "bool", int: "int", float: "float"}[typed],
        minimum=bounds["Ge"].ge if "Ge" in bounds else None,
        maximum=bounds["Le"].le if "Le" in bounds else None,
        description=description,
    )


FIELDS: dict[str, FieldSpec] = {name: _spec(name, f) for name, f in Case.model_fields.items()}
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS)


# --------------------------------------------------------------------------------------------
# Parsing with every problem reported at once.


class CaseError(ValueError):
    """A case that breaks the contract. ``problems`` lists each one, naming its field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def suggest(name: str, choices: tuple[str, ...] = FIELD_NAMES) -> str | None:
    """The nearest valid name (of a field, or of an enum value) to a misspelt or shortened
    one, if any is close: ``fevr`` -> ``fever``, ``Lifting`` -> ``lifting_heavy_object``."""
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = name.strip().lower().replace("-", "_").replace(" ", "_")
    if lowered in choices:
        return lowered
    starting = [c for c in choices if lowered and c.startswith(lowered)]
    return starting[0] if len(starting) == 1 else None


def unknown_field_problem(name: str) -> str:
    hint = suggest(str(name))
    tail = f"; did you mean '{hint}'?" if hint else ""
    return f"unknown finding '{name}'{tail}"


def _format_error(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error" and location in FIELDS:
        values = FIELDS[location].values
        message = f"must be one of {', '.join(values)}"
        given = error.get("input")
        hint = suggest(given, values) if isinstance(given, str) else None
        if hint:
            message += f"; did you mean '{hint}'?"
    elif error["type"].endswith("_type") and location in FIELDS:
        given = error.get("input")
        message = f"must be {_kind_words(FIELDS[location])}, got {given!r}"
    return f"{location}: {message}" if location else message


def _kind_words(spec: FieldSpec) -> str:
    if spec.kind == "bool":
        return "true or false"
    if spec.kind == "enum":
        return "one of " + ", ".join(spec.values)
    return "a whole number" if spec.kind == "int" else "a number"


def parse_case(data: Any) -> Case:
    """Validate one case given as a mapping; raise :class:`CaseError` listing every problem."""
    if not isinstance(data, Mapping):
        raise CaseError([f"a case must be a JSON object of findings, got {type(data).__name__}"])
    if data.keys() <= FIELDS.keys() and None not in data.values():
        problems, known = [], data  # the common case: nothing to drop
    else:
        problems = [unknown_field_problem(k) for k in data if k not in FIELDS]
        known = {k: v for k, v in data.items() if k in FIELDS and v is not None}
    try:
        case = Case.model_validate(known)
    except ValidationError as exc:
        problems.extend(_format_error(e) for e in exc.errors(include_url=False))
        case = None
    if problems:
        raise CaseError(problems)
    assert case is not None
    return case
