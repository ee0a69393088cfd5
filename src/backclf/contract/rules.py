"""The contract's validation rules and error messages, each written once.

Every way in applies these same functions: a JSON record (:func:`check_record`), the
pydantic model (:mod:`backclf.contract.findings`), and tables (:mod:`backclf.contract.arrow`,
which runs :func:`check_value` once per distinct value of a column and
:func:`cross_field_problems` on whole columns). So the same bad value gets the same answer
and the same message whatever shape it came in.

Values are checked strictly: ``true`` is not a number and ``"40"`` is not an age. A value
becomes its column code (see :mod:`backclf.contract.columns`): 1/0 for yes/no, the index of
an enum value, the number itself; ``None`` (unknown) becomes the unknown code.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from backclf.contract.fields import FEVER_THRESHOLD_C, FIELD_NAMES, FIELDS, FieldSpec

UNKNOWN = -1
#: Error messages quote at most this many characters of a bad value.
QUOTE_LIMIT = 40


class CaseError(ValueError):
    """A case that breaks the contract. ``problems`` lists each one, naming its field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# -- names -----------------------------------------------------------------------------------


def suggest(name: str, choices: tuple[str, ...] = FIELD_NAMES) -> str | None:
    """The nearest valid name (of a field, or of an enum value) to a misspelt or shortened
    one, if any is close: ``fevr`` -> ``fever``, ``lifting`` -> ``lifting_heavy_object``.
    A name far longer than any choice is like none of them (and difflib's time and memory grow
    with its length: a 200 MB key must not cost gigabytes)."""
    if len(name) > 2 * max(map(len, choices), default=0) + 8:
        return None
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = name.strip().lower().replace("-", "_").replace(" ", "_")
    if lowered in choices:
        return lowered
    starting = [c for c in choices if lowered and c.startswith(lowered)]
    return starting[0] if len(starting) == 1 else None


def quote(value: Any) -> str:
    """A short, escaped rendering of an input value for an error message: never more than
    ``QUOTE_LIMIT`` characters, so a huge or private value is not echoed whole."""
    if isinstance(value, str):
        value = value[:QUOTE_LIMIT]  # repr() of a 200 MB string would copy it all
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "a number with more than 38 digits"
    elif isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    text = repr(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 3] + "..."


def unknown_field(name: str) -> str:
    hint = suggest(str(name))
    tail = f"; did you mean '{hint}'?" if hint else ""
    return f"unknown finding {quote(str(name))}{tail}"


# -- one value -------------------------------------------------------------------------------


def kind_words(spec: FieldSpec) -> str:
    """What a finding must be, in words."""
    if spec.kind == "bool":
        return "true or false"
    if spec.kind == "enum":
        return "one of " + ", ".join(spec.values)
    return "a whole number" if spec.kind == "int" else "a number"


def _wrong_kind(spec: FieldSpec, value: Any) -> str:
    message = f"{spec.name}: must be {kind_words(spec)}, got {quote(value)}"
    if spec.kind == "enum" and isinstance(value, str):
        hint = suggest(value, spec.values)
        if hint:
            message += f"; did you mean '{hint}'?"
    return message


def check_value(spec: FieldSpec, value: Any) -> tuple[float | int, str | None]:
    """The column code of one value, or the problem with it (then the code is unknown)."""
    if value is None:
        return (math.nan if spec.numeric else UNKNOWN), None
    if spec.kind == "bool":
        if value is True or value is False:
            return int(value), None
        return UNKNOWN, _wrong_kind(spec, value)
    if spec.kind == "enum":
        if isinstance(value, str) and value in spec.values:
            return spec.values.index(value), None
        return UNKNOWN, _wrong_kind(spec, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan, _wrong_kind(spec, value)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf if value > 0 else -math.inf
    if math.isnan(number):
        return math.nan, f"{spec.name}: must be a finite number, got {quote(value)}"
    if spec.kind == "int" and math.isfinite(number) and not number.is_integer():
        return math.nan, _wrong_kind(spec, value)
    if not spec.minimum <= number <= spec.maximum:
        return math.nan, (
            f"{spec.name}: must be between {spec.minimum:g} and {spec.maximum:g}, "
            f"got {quote(value)}"
        )
    return number, None


def decode(spec: FieldSpec, code: float | int) -> Any:
    """The contract value of one column code (``None`` for unknown)."""
    if spec.numeric:
        if code != code:  # NaN
            return None
        return int(code) if spec.kind == "int" else float(code)
    if code == UNKNOWN:
        return None
    return bool(code) if spec.kind == "bool" else spec.values[int(code)]


# -- across fields ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossFieldRule:
    """A problem no single field shows. ``holds`` takes the fields' codes (scalars or whole
    columns alike) and says where the problem is; ``message`` takes their values."""

    fields: tuple[str, ...]
    holds: Callable[..., Any]
    message: Callable[..., str]


_MALE = FIELDS["sex"].values.index("male")

CROSS_FIELD_RULES = (
    CrossFieldRule(
        ("fever", "temperature_c"),
        lambda fever, temperature: (fever == 0) & (temperature >= FEVER_THRESHOLD_C),
        lambda fever, temperature: (
            f"fever is false but temperature_c is {temperature:g} "
            f"({FEVER_THRESHOLD_C:g} or more counts as fever)"
        ),
    ),
    CrossFieldRule(
        ("leg_weakness", "bilateral_leg_weakness"),
        lambda one, both: (one == 0) & (both == 1),
        lambda one, both: "leg_weakness is false but bilateral_leg_weakness is true",
    ),
    CrossFieldRule(
        ("pregnant", "sex"),
        lambda pregnant, sex: (pregnant == 1) & (sex == _MALE),
        lambda pregnant, sex: "pregnant is true but sex is male",
    ),
)


def cross_field_problems_of(codes: Mapping[str, float | int]) -> list[str]:
    """The cross-field problems of one case given as ``{finding: code}`` (known ones only)."""
    problems = []
    for rule in CROSS_FIELD_RULES:
        if all(f in codes for f in rule.fields):
            args = [codes[f] for f in rule.fields]
            if rule.holds(*args):
                problems.append(rule.message(*(decode(FIELDS[f], codes[f]) for f in rule.fields)))
    return problems


def cross_field_problems(columns: Mapping[str, np.ndarray]) -> dict[int, list[str]]:
    """The cross-field problems of every row of a batch of columns: ``{row: [problem]}``."""
    problems: dict[int, list[str]] = {}
    for rule in CROSS_FIELD_RULES:
        cols = [columns[f] for f in rule.fields]
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(rule.holds(*cols))
        for i in rows.tolist():
            values = (decode(FIELDS[f], col[i]) for f, col in zip(rule.fields, cols, strict=True))
            problems.setdefault(i, []).append(rule.message(*values))
    return problems


@dataclass(frozen=True)
class Derivation:
    """A finding that others imply: where ``finding`` is unknown and ``implied`` holds for
    the codes of ``sources`` (scalars or columns alike), it is true."""

    finding: str
    sources: tuple[str, ...]
    implied: Callable[..., Any]


DERIVATIONS = (
    # Contract: "38.0 or more counts as fever".
    Derivation("fever", ("temperature_c",), lambda t: t >= FEVER_THRESHOLD_C),
    # Weakness of both legs is weakness of a leg.
    Derivation("leg_weakness", ("bilateral_leg_weakness",), lambda both: both == 1),
)


def derive_codes(codes: dict[str, float | int]) -> dict[str, float | int]:
    """One case's codes (known findings only) with the findings they imply."""
    derived = dict(codes)
    for rule in DERIVATIONS:
        known = rule.finding not in derived and all(s in derived for s in rule.sources)
        if known and rule.implied(*(derived[s] for s in rule.sources)):
            derived[rule.finding] = 1
    return derived


def derive_columns(columns: dict[str, np.ndarray]) -> None:
    """Every case's implied findings, in place (columns of codes)."""
    for rule in DERIVATIONS:
        target = columns[rule.finding]
        with np.errstate(invalid="ignore"):
            implied = rule.implied(*(columns[s] for s in rule.sources))
        columns[rule.finding] = np.where((target == UNKNOWN) & implied, 1, target).astype(
            target.dtype
        )


# -- one record ------------------------------------------------------------------------------


def check_record(data: Mapping[str, Any]) -> dict[str, float | int]:
    """The codes of a case's known findings, given as ``{finding: value}``; raises
    :class:`CaseError` listing every problem (unknown names first, then each field in contract
    order, then problems across fields)."""
    problems = [unknown_field(k) for k in data if k not in FIELDS]
    codes: dict[str, float | int] = {}
    for name in _in_contract_order(data):
        value = data[name]
        if value is None:
            continue
        code, problem = check_value(FIELDS[name], value)
        if problem is None:
            codes[name] = code
        else:
            problems.append(problem)
    problems.extend(cross_field_problems_of(codes))
    if problems:
        raise CaseError(problems)
    return codes


def _in_contract_order(names: Iterable[str]) -> list[str]:
    known = [n for n in names if n in FIELDS]
    if len(known) > 1:
        known.sort(key=_POSITION.__getitem__)
    return known


_POSITION = {name: i for i, name in enumerate(FIELD_NAMES)}
