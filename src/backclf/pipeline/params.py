"""``params.yaml``, the pipeline's parameters, as a typed schema checked before any work.

Every stage reads its section through :func:`load_params`, which checks the whole file: an
unknown key is an error with a suggestion (``-S train.trian.n=1`` is not silently ignored),
every value has a range, and every problem is reported at once, one line each.
There are no defaults here: ``params.yaml`` is the one place where the values live.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from backclf.contract.fields import FIELDS
from backclf.contract.rules import quote, suggest
from backclf.knowledge import CAUSE_IDS, TriageLevel
from backclf.synth.config import MAX_MISSING_RATE, GenerationConfig

PARAMS = Path("params.yaml")

Rate = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
Size = Annotated[int, Field(ge=1, le=10_000_000)]
Seed = Annotated[int, Field(ge=0, lt=2**63)]


class ParamsError(ValueError):
    """A params.yaml that the pipeline cannot run with; one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Knobs(_Section):
    """The generator's knobs shared by the in-distribution sets."""

    missing_rate: Rate
    atypical_rate: Rate
    red_flag_rate: Rate
    # Beyond a half, most labels are noise: the set would teach nothing about its causes.
    label_noise: Annotated[float, Field(ge=0, le=0.5)]


class GeneratedSet(_Section):
    n: Size
    seed: Seed
    missing_rate: Rate | None = None
    atypical_rate: Rate | None = None
    red_flag_rate: Rate | None = None
    label_noise: Annotated[float, Field(ge=0, le=0.5)] | None = None
    priors: dict[Literal[CAUSE_IDS], Annotated[float, Field(ge=0, le=1)]] | None = None
    family: Literal["train", "heldout"] | None = None

    @field_validator("priors")
    @classmethod
    def _a_distribution(cls, priors: dict[str, float] | None) -> dict[str, float] | None:
        if priors is not None and not math.isclose(sum(priors.values()), 1, abs_tol=1e-6):
            raise ValueError(f"priors must sum to 1, got {sum(priors.values()):g}")
        return priors


class GenerateParams(_Section):
    knobs: Knobs
    train: GeneratedSet
    validation: GeneratedSet
    test: GeneratedSet
    shifted: GeneratedSet
    text_heldout: GeneratedSet
    #: The promotion gate's common ground: the default world's test split, with every knob
    #: written out so that an experiment changing ``generate.knobs`` does not move it.
    reference: GeneratedSet

    @field_validator("reference")
    @classmethod
    def _reference_fixes_every_knob(cls, reference: GeneratedSet) -> GeneratedSet:
        loose = [k for k in Knobs.model_fields if getattr(reference, k) is None]
        if loose:
            raise ValueError(
                f"reference must set {', '.join(loose)} itself (it is the default world, "
                "whatever generate.knobs an experiment sets)"
            )
        return reference


class TrainParams(_Section):
    model: Literal["logistic", "points", "tree"]
    seed: Seed
    cv_folds: Annotated[int, Field(ge=2, le=20)]
    c_grid: Annotated[list[Annotated[float, Field(gt=0, le=1e6)]], Field(min_length=1)]
    tree_max_depth: Annotated[int, Field(ge=1, le=16)]
    tree_min_samples_leaf: Annotated[int, Field(ge=1)]
    points_max: Annotated[int, Field(ge=1, le=100)]


class AssessParams(_Section):
    # A cause is named only when its probability reaches abstain_below: at 0.9 or more the
    # model would abstain on nearly every case.
    abstain_below: Annotated[float, Field(ge=0, le=0.9)]
    # A cause this likely adds its triage level (a likely infection that is not the top cause
    # still sends the person to a doctor): above a half it could never apply beside the top.
    consider_above: Annotated[float, Field(gt=0, le=0.5)]


class TypicalityParams(_Section):
    """How the train stage calibrates "this doesn't look like the article's causes"."""

    # The share of the validation set's plain cases (no red flag added) whose score reaches
    # the threshold: what the floor costs on cases the article does explain.
    plain_share: Annotated[float, Field(gt=0, le=0.2)]


class InterviewParams(_Section):
    """The question policy, written into every model file by ``train``."""

    # Pseudo-cases per answer when estimating P(answer | cause) from the training data.
    smoothing: Annotated[float, Field(gt=0, le=1000)]
    # The weight of an answer's information about the cause beside its effect on the decision.
    information_weight: Annotated[float, Field(ge=0, le=1000)]
    # Stop asking when the named cause is at least this likely ...
    stop_confidence: Annotated[float, Field(gt=0.2, le=1)]
    # ... or all unanswered findings together could tell less than this (nats) ...
    min_information: Annotated[float, Field(ge=0, le=10)]
    # ... or this many of the findings the model reads are answered.
    max_answered: Annotated[int, Field(ge=0, le=len(FIELDS))]
    listed: Annotated[int, Field(ge=1, le=20)]  # questions listed in each assessment
    urgent_stop: TriageLevel  # a red flag at this level or above ends the questions: go now


class EvaluateInterviewParams(_Section):
    """The simulated interviews of ``evaluate_interview``."""

    max_questions: Annotated[int, Field(ge=1, le=len(FIELDS))]  # the curves' k = 0..this
    seed: Seed  # the random order's
    text_cases: Annotated[int, Field(ge=0, le=1_000_000)]  # narratives read (0: none)


class EvaluateParams(_Section):
    ece_bins: Annotated[int, Field(ge=2, le=100)]
    dev_vignettes: str
    dangerous_presentations: str
    # An independent reader's presentations (issue 25): the development half, reported beside
    # the others; the holdout half stays unseen.
    blind_presentations: str
    before_review: str


class GateParams(_Section):
    """The promotion gate's tolerances (:mod:`backclf.pipeline.promotion`): how much worse
    than the champion a new model may be and still replace it. No red-flag case at self-care
    is always required, so it is not here."""

    accuracy_drop: Annotated[float, Field(ge=0, le=1)]
    ece_rise: Annotated[float, Field(ge=0, le=1)]
    pyelonephritis_under_triage_rise: Annotated[float, Field(ge=0, le=1)]
    dev_cause_first_drop: Annotated[int, Field(ge=0)]
    dangerous_presentations_rise: Annotated[int, Field(ge=0)]


class PublishParams(_Section):
    experiment: str = Field(min_length=1)
    registered_model: str = Field(min_length=1)
    gate: GateParams


Shift = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]


class WorldFamily(_Section):
    """What a perturbed world of size ``s`` moves, per unit of ``s``."""

    assumption_shift: Shift = 0.0  # log-odds, rows whose source is an assumption
    sourced_shift: Shift = 0.0  # log-odds, rows that cite a source (capped by sourced_band)
    prior_shift: Shift = 0.0  # log-odds, the class priors
    missing_raise: Annotated[float, Field(ge=0, le=0.5)] = 0.0  # added to the missing rate


class RankingParams(_Section):
    unit_shift: Annotated[float, Field(gt=0, le=5)]  # each assumption row moved by +- this
    n: Size  # vignettes per one-row world
    top: Annotated[int, Field(ge=1, le=100)]


class SensitivityParams(_Section):
    seed: Seed
    n_test: Size
    n_train: Size
    n_validation: Size
    sizes: Annotated[list[Annotated[float, Field(gt=0, le=10)]], Field(min_length=1)]
    replicates: Annotated[int, Field(ge=1, le=20)]
    sourced_band: Shift
    families: Annotated[
        dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], WorldFamily], Field(min_length=1)
    ]
    ranking: RankingParams
    experiment: str = Field(min_length=1)

    @field_validator("sizes")
    @classmethod
    def _increasing(cls, sizes: list[float]) -> list[float]:
        if sizes != sorted(set(sizes)):
            raise ValueError("sizes must be increasing, without repeats")
        return sizes


class Params(_Section):
    generate: GenerateParams
    train: TrainParams
    assess: AssessParams
    typicality: TypicalityParams
    interview: InterviewParams
    evaluate: EvaluateParams
    evaluate_interview: EvaluateInterviewParams
    publish: PublishParams
    sensitivity: SensitivityParams

    @model_validator(mode="after")
    def _worlds_keep_answers(self) -> Params:
        top = max(self.sensitivity.sizes)
        for name, family in self.sensitivity.families.items():
            rate = self.generate.knobs.missing_rate + top * family.missing_raise
            if rate >= MAX_MISSING_RATE:
                raise ValueError(
                    f"sensitivity.families.{name}: at size {top:g} the missing rate would be "
                    f"{rate:g} (must stay under {MAX_MISSING_RATE:g})"
                )
        return self

    def generation_config(self, split: str) -> GenerationConfig:
        """The generator config of one split: the shared knobs, overridden by the split's own."""
        own = getattr(self.generate, split)
        merged = {**self.generate.knobs.model_dump(), **own.model_dump(exclude_none=True)}
        merged.pop("family", None)
        return GenerationConfig(**merged)


def load_params(path: Path = PARAMS) -> Params:
    """The checked parameters; raises :class:`ParamsError` listing every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParamsError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:  # its own message spans lines: one line here
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ParamsError([f"{path} is not valid YAML: {problem}{where}"]) from None
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError([_problem(e) for e in exc.errors(include_url=False)]) from None


def _problem(error: dict[str, Any]) -> str:
    where = _printable(".".join(str(part) for part in error["loc"]))
    if error["type"] == "extra_forbidden":
        *parent, key = (str(part) for part in error["loc"])
        section = _section_at(parent)
        hint = suggest(key, tuple(section.model_fields)) if section else None
        tail = f"; did you mean '{'.'.join([*parent, hint])}'?" if hint else ""
        return f"params.yaml: unknown key '{where}'{tail}"
    if error["type"] == "missing":
        return f"params.yaml: '{where}' is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"params.yaml: '{where}': {message} (got {quote(error.get('input'))})"


def _printable(text: str) -> str:
    """A key as written, with characters that would break the line or the terminal escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _section_at(path: list[str]) -> type[BaseModel] | None:
    model: Any = Params
    for part in path:
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:
            return None
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
    return model


def params_or_exit(path: Path = PARAMS) -> Params:
    """For a stage script: the parameters, or exit with every problem on stderr."""
    try:
        return load_params(path)
    except ParamsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
