"""The schema of a model file: what training writes and what serving, explanation and the
model card read.

A model file is JSON a clinician can read: the feature encoding, the classes, a calibration
temperature, the decision thresholds, where it was trained, and one of three bodies:

- ``logistic``: per-cause weights (log-odds) for each feature, and an intercept;
- ``points``: the same as small integers (``points_per_logit`` points make one logit);
- ``tree``: the nodes of a shallow decision tree, each with its cause probabilities.

An optional ``interview`` section (:class:`InterviewPolicy`) drives the questions asked
next: per finding, how often each answer ("don't know" included) comes with each cause in
the training data, and when to stop asking. Files without it still load; they ask only the
safety screen.

Everything is checked when a file is loaded, with limits, so a damaged or hostile file is
refused with one clear line instead of crashing or hanging the command that loads it.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from backclf.contract.fields import FIELDS
from backclf.knowledge import CAUSE_IDS, TriageLevel

FORMAT = "backclf-model"
FORMAT_VERSION = 1
MAX_FEATURES = 10_000
MAX_TREE_NODES = 100_000
MAX_TREE_DEPTH = 64
#: Weights, intercepts and points beyond this are not a model a person could read.
MAX_MAGNITUDE = 1e6

CauseId = Literal[CAUSE_IDS]
# Numbers are strict: a weight written as a string ("0.4") or a boolean is a damaged file.
Finite = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)
]
Points = Annotated[int, Field(strict=True, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
Probability = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EncodedFeature(_Part):
    """One 0/1 feature: ``finding`` equals ``code``, or lies in ``[low, high)``."""

    name: str = Field(min_length=1, max_length=200)
    finding: str
    code: int | None = Field(None, ge=0, le=100)
    low: Finite | None = None
    high: Finite | None = None

    @model_validator(mode="after")
    def _fits_the_contract(self) -> EncodedFeature:
        spec = FIELDS.get(self.finding)
        if spec is None:
            raise ValueError(f"feature {self.name!r} reads unknown finding {self.finding!r}")
        if spec.numeric:
            if self.code is not None or self.low is None or self.high is None:
                raise ValueError(f"feature {self.name!r}: a number is read by a bin (low, high)")
            if not self.low < self.high:
                raise ValueError(f"feature {self.name!r}: low must be below high")
        else:
            size = 2 if spec.kind == "bool" else len(spec.values)
            if self.code is None or self.code >= size or self.low is not None:
                raise ValueError(f"feature {self.name!r}: {self.finding} has codes 0..{size - 1}")
        return self


class Calibration(_Part):
    temperature: float = Field(allow_inf_nan=False, gt=0.01, le=100)
    fitted_on: str = ""


class DecisionThresholds(_Part):
    abstain_below: float = Field(ge=0, le=1)
    consider_above: float = Field(gt=0, le=1)


class CSelection(_Part):
    """How C was chosen: the rule, and each candidate's cross-validated figures (keys are the
    candidate Cs as written in params.yaml)."""

    rule: str = Field(min_length=1, max_length=200)
    chosen: float = Field(allow_inf_nan=False, gt=0)
    best: float = Field(allow_inf_nan=False, gt=0)
    mean_loss: dict[str, float]
    excess_over_best: dict[str, float]
    standard_error: dict[str, float]


class Training(_Part):
    data: str
    data_sha256: str
    n: int = Field(ge=0)
    seed: int
    C: float | None = Field(None, allow_inf_nan=False, gt=0)
    c_selection: CSelection | None = None


UNKNOWN_ANSWER = "unknown"


class AnswerRate(_Part):
    """One answer to a finding's question: the model feature it sets (none for "unknown", or
    for a value the model does not read) and P(answer | cause) in the training data."""

    answer: str = Field(min_length=1, max_length=100)
    feature: str | None = None
    p: dict[CauseId, Probability]

    @model_validator(mode="after")
    def _every_cause(self) -> AnswerRate:
        if set(self.p) != set(CAUSE_IDS):
            raise ValueError(f"answer {self.answer!r}: a probability for every cause is needed")
        return self


class FindingAnswers(_Part):
    finding: str
    answers: list[AnswerRate] = Field(min_length=2, max_length=102)

    @model_validator(mode="after")
    def _a_distribution(self) -> FindingAnswers:
        if self.finding not in FIELDS:
            raise ValueError(f"answers for unknown finding {self.finding!r}")
        names = [a.answer for a in self.answers]
        if len(set(names)) != len(names) or names.count(UNKNOWN_ANSWER) != 1:
            raise ValueError(f"{self.finding}: answers must be unique, with one {UNKNOWN_ANSWER!r}")
        unknown = self.answers[names.index(UNKNOWN_ANSWER)]
        if unknown.feature is not None:
            raise ValueError(f"{self.finding}: the answer {UNKNOWN_ANSWER!r} sets no feature")
        for cause in CAUSE_IDS:
            total = sum(a.p[cause] for a in self.answers)
            if not math.isclose(total, 1, abs_tol=1e-4):
                raise ValueError(
                    f"{self.finding}: P(answer | {cause}) must sum to 1, got {total:g}"
                )
        return self


class Stopping(_Part):
    """When to stop asking: the named cause is at least ``confidence`` likely; or all
    unanswered findings together could tell less than ``min_information`` nats about the
    cause; or ``max_answered`` of the findings the model reads are answered (or "don't
    know")."""

    confidence: float = Field(gt=0.2, le=1)
    min_information: float = Field(ge=0, le=10)
    max_answered: int = Field(ge=0, le=len(FIELDS))


class InterviewPolicy(_Part):
    """What the question policy needs (:mod:`backclf.core.policy`): the causes' shares and
    the answer rates in the training data (with ``smoothing`` pseudo-cases per answer), the
    weight of information beside the decision, when to stop, how many questions an
    assessment lists, and the triage level at which no more questions are asked (the person
    should go now)."""

    smoothing: float = Field(gt=0, le=MAX_MAGNITUDE, allow_inf_nan=False)
    prior: dict[CauseId, Probability]
    information_weight: float = Field(ge=0, le=1000, allow_inf_nan=False)
    stop: Stopping
    listed: int = Field(ge=1, le=20)
    urgent_stop: TriageLevel
    answers: list[FindingAnswers] = Field(max_length=len(FIELDS))

    @model_validator(mode="after")
    def _a_prior(self) -> InterviewPolicy:
        if set(self.prior) != set(CAUSE_IDS) or not math.isclose(
            sum(self.prior.values()), 1, abs_tol=1e-4
        ):
            raise ValueError("interview.prior: a probability for every cause, summing to 1")
        return self


class TypicalAnswer(_Part):
    """One answer to a finding and what it costs each cause: ``cost[c]`` = log(P(the most
    likely answer | c) / P(this answer | c)) under the generator's exact tables, in nats
    (0 for the most likely answer). A number is read by its bin ``[low, high)``, a yes/no or
    a choice by its ``code``."""

    answer: str = Field(min_length=1, max_length=100)
    code: int | None = Field(None, ge=0, le=100)
    low: Finite | None = None
    high: Finite | None = None
    cost: dict[CauseId, Annotated[float, Field(strict=True, ge=0, le=1000)]]

    @model_validator(mode="after")
    def _every_cause(self) -> TypicalAnswer:
        if set(self.cost) != set(CAUSE_IDS):
            raise ValueError(f"answer {self.answer!r}: a cost for every cause is needed")
        if (self.code is None) == (self.low is None or self.high is None):
            raise ValueError(f"answer {self.answer!r}: a code, or a bin (low, high)")
        return self


class TypicalFinding(_Part):
    finding: str
    answers: list[TypicalAnswer] = Field(min_length=1, max_length=101)

    @model_validator(mode="after")
    def _fits_the_contract(self) -> TypicalFinding:
        spec = FIELDS.get(self.finding)
        if spec is None:
            raise ValueError(f"typicality for unknown finding {self.finding!r}")
        for answer in self.answers:
            if spec.numeric != (answer.code is None):
                raise ValueError(f"{self.finding}: a number is read by a bin, others by a code")
        return self


class Typicality(_Part):
    """How unlike the article's causes a presentation is (:mod:`backclf.core.typicality`):
    per finding and answer, its cost under each cause; a case whose least total cost over the
    causes reaches ``threshold`` names no cause and gets a triage floor."""

    threshold: float = Field(gt=0, le=10_000, allow_inf_nan=False)
    fitted_on: str = Field(max_length=500)
    findings: list[TypicalFinding] = Field(max_length=len(FIELDS))


class _ModelFileBase(_Part):
    format: Literal["backclf-model"]
    format_version: Literal[1]
    version: str
    classes: tuple[CauseId, ...]
    encoding: list[EncodedFeature] = Field(min_length=1, max_length=MAX_FEATURES)
    calibration: Calibration
    decision: DecisionThresholds
    training: Training
    interview: InterviewPolicy | None = None
    typicality: Typicality | None = None

    @field_validator("classes")
    @classmethod
    def _the_five_causes(cls, classes: tuple[str, ...]) -> tuple[str, ...]:
        if classes != CAUSE_IDS:
            raise ValueError(f"classes must be {list(CAUSE_IDS)} in that order")
        return classes

    @field_validator("encoding")
    @classmethod
    def _unique_names(cls, encoding: list[EncodedFeature]) -> list[EncodedFeature]:
        names = [f.name for f in encoding]
        if len(set(names)) != len(names):
            raise ValueError("feature names must be unique")
        return encoding

    @model_validator(mode="after")
    def _answers_set_this_models_features(self) -> _ModelFileBase:
        if self.interview is None:
            return self
        reads = {f.name: f.finding for f in self.encoding}
        findings = [a.finding for a in self.interview.answers]
        if len(set(findings)) != len(findings):
            raise ValueError("interview.answers: one entry per finding")
        for entry in self.interview.answers:
            features = [a.feature for a in entry.answers if a.feature is not None]
            if len(set(features)) != len(features):
                raise ValueError(f"interview.answers.{entry.finding}: a feature set twice")
            for feature in features:
                if reads.get(feature) != entry.finding:
                    raise ValueError(
                        f"interview.answers.{entry.finding}: {feature!r} is not a feature "
                        f"of {entry.finding} in this model"
                    )
        return self

    def feature_names(self) -> set[str]:
        return {f.name for f in self.encoding}

    def _check_causes(self, causes: list, scores: str) -> None:
        if tuple(c.id for c in causes) != CAUSE_IDS:
            raise ValueError(f"causes must be {list(CAUSE_IDS)} in that order")
        known = self.feature_names()
        for cause in causes:
            unknown = set(getattr(cause, scores)) - known
            if unknown:
                raise ValueError(f"{cause.id}: {scores} for unknown features {sorted(unknown)[:3]}")


class LinearCause(_Part):
    id: CauseId
    intercept: Finite
    weights: dict[str, Finite]


class LogisticModelFile(_ModelFileBase):
    """Multinomial logistic regression: ``logit_c = intercept_c + Σ_f weights_c[f] x_f``."""

    kind: Literal["logistic"]
    causes: list[LinearCause]

    @model_validator(mode="after")
    def _causes(self) -> LogisticModelFile:
        self._check_causes(self.causes, "weights")
        return self


class PointsCause(_Part):
    id: CauseId
    base_points: Points
    points: dict[str, Points]


class PointsModelFile(_ModelFileBase):
    """A scorecard: add the points of each finding present; the highest total wins.
    ``points_per_logit`` points make one logit (for the probabilities)."""

    kind: Literal["points"]
    points_per_logit: float = Field(allow_inf_nan=False, gt=0, le=MAX_MAGNITUDE)
    causes: list[PointsCause]

    @model_validator(mode="after")
    def _causes(self) -> PointsModelFile:
        self._check_causes(self.causes, "points")
        return self


class TreeNode(_Part):
    node: int = Field(ge=0)
    depth: int = Field(ge=0, lt=MAX_TREE_DEPTH)
    samples: int = Field(ge=0)
    probabilities: dict[CauseId, Probability]
    feature: str | None = None
    if_absent: int | None = None
    if_present: int | None = None

    @model_validator(mode="after")
    def _leaf_or_split(self) -> TreeNode:
        if set(self.probabilities) != set(CAUSE_IDS):
            raise ValueError(f"node {self.node}: probabilities for every cause are needed")
        if not math.isclose(sum(self.probabilities.values()), 1, abs_tol=1e-4):
            raise ValueError(f"node {self.node}: probabilities must sum to 1")
        split = (self.feature, self.if_absent, self.if_present)
        if any(part is None for part in split) and any(part is not None for part in split):
            raise ValueError(f"node {self.node}: a split needs feature, if_absent and if_present")
        return self


class TreeModelFile(_ModelFileBase):
    """A shallow decision tree: from node 0, follow ``if_present`` or ``if_absent`` on the
    node's feature until a leaf; the leaf's probabilities are the answer."""

    kind: Literal["tree"]
    tree: list[TreeNode] = Field(min_length=1, max_length=MAX_TREE_NODES)

    @model_validator(mode="after")
    def _a_tree(self) -> TreeModelFile:
        known = self.feature_names()
        for i, node in enumerate(self.tree):
            if node.node != i:
                raise ValueError(f"tree nodes must be numbered 0..{len(self.tree) - 1} in order")
            if node.feature is None:
                continue
            if node.feature not in known:
                raise ValueError(f"node {i}: unknown feature {node.feature!r}")
            for child in (node.if_absent, node.if_present):
                # Children come after their parent: no cycles, every path ends.
                if not i < child < len(self.tree):
                    raise ValueError(f"node {i}: child {child} is not a later node")
                if self.tree[child].depth != node.depth + 1:
                    raise ValueError(f"node {child}: depth must be its parent's plus one")
        if self.tree[0].depth != 0:
            raise ValueError("node 0 is the root, at depth 0")
        return self

    def depth(self) -> int:
        """Splits on the longest path (the number of steps from the root to a leaf)."""
        return max(node.depth for node in self.tree)


ModelFile = Annotated[
    LogisticModelFile | PointsModelFile | TreeModelFile, Field(discriminator="kind")
]
