"""The knowledge files (YAML beside this module), loaded into typed, validated objects.

- ``article.yaml``: the article's causes, advice, medicines and warnings, in its own words.
- ``findings.yaml``: the bins of the numeric findings.
- ``generator.yaml``: the generative model of synthetic vignettes, every number sourced.
- ``red_flags.yaml``: the rules that override the model.
- ``narrative.yaml``: phrases for the narrative text of generated vignettes.
- ``lexicon.yaml``: words to findings for the free-text reader (loaded by ``backclf.text``).
- ``guidance.yaml``: notes after the article's advice, and why advice is sometimes withheld.
- ``questions.yaml``: how each finding is asked (next questions, the interview).

Each loader reads its file once per process.
"""

# Long on purpose (a module over 400 lines): one short section per YAML file, its typed
# schema and its loader, and every user imports them together. Split, `backclf predict` would
# import six modules on every start instead of one, and each module would share its name with
# the loader it defines (`article()`, `guidance()`: the package's API).

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TriageLevel = Literal[
    "self_care", "consultation", "consultation_24", "emergency", "emergency_ambulance"
]
#: Least to most urgent; the index is the level's rank.
TRIAGE_LEVELS: tuple[str, ...] = (
    "self_care",
    "consultation",
    "consultation_24",
    "emergency",
    "emergency_ambulance",
)
CAUSE_IDS: tuple[str, ...] = (
    "sudden_postural_change",
    "excessive_loading",
    "lumbar_muscle_strain",
    "facet_joint_dysfunction",
    "pyelonephritis",
)


class _Strict(BaseModel):
    # Built on first use: a `backclf predict` process never validates most of these.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def read_yaml(name: str) -> Any:
    """Parse one knowledge file shipped inside the package (from its JSON snapshot while that
    is current: a one-case `backclf predict` then imports no YAML parser; see
    :mod:`backclf.knowledge.files`)."""
    from backclf.knowledge import files

    return files.read_yaml(name)


# -- article.yaml ----------------------------------------------------------------------------


class Medicine(_Strict):
    name: str
    condition: Literal["under medical guidance", "under medical supervision"]


class Cause(_Strict):
    id: str
    number: int
    name: str
    mechanism: str
    advice: list[str]
    medicines: list[Medicine]
    medication: str | None
    surgery: str | None = None
    default_triage: TriageLevel


class ArticleSource(_Strict):
    title: str
    file: str
    sha256: str


class Article(_Strict):
    version: int
    source: ArticleSource
    summary: str
    seek_care: str
    daily_life: list[str]
    infection_rule: str
    disclaimer: str
    causes: list[Cause]

    @field_validator("causes")
    @classmethod
    def _five_causes_in_contract_order(cls, causes: list[Cause]) -> list[Cause]:
        if tuple(c.id for c in causes) != CAUSE_IDS:
            raise ValueError(f"causes must be {CAUSE_IDS} in that order")
        return causes

    def cause(self, cause_id: str) -> Cause:
        return self.causes[CAUSE_IDS.index(cause_id)]


@cache
def article() -> Article:
    return Article.model_validate(read_yaml("article.yaml"))


# -- findings.yaml ---------------------------------------------------------------------------


class Bins(_Strict):
    edges: list[float]
    labels: list[str]
    step: float
    sample_max: float | None = None

    @model_validator(mode="after")
    def _shape(self) -> Bins:
        if len(self.edges) != len(self.labels) + 1 or self.edges != sorted(self.edges):
            raise ValueError("bins need sorted edges, one more than labels")
        return self


class FindingsInfo(_Strict):
    version: int
    bins: dict[str, Bins]


@cache
def findings_info() -> FindingsInfo:
    return FindingsInfo.model_validate(read_yaml("findings.yaml"))


# -- generator.yaml --------------------------------------------------------------------------


def _value_key(key: Any) -> str:
    """YAML reads ``true:`` as a boolean key; the tables use the strings true/false/unknown."""
    return str(key).lower() if isinstance(key, bool) else str(key)


class Row(_Strict):
    """P(value | condition) for every value of one finding, with where the numbers come from."""

    p: dict[str, float]
    source: str = Field(min_length=8)

    @field_validator("p", mode="before")
    @classmethod
    def _keys(cls, p: dict[Any, float]) -> dict[str, float]:
        return {_value_key(k): v for k, v in p.items()}

    @field_validator("p")
    @classmethod
    def _distribution(cls, p: dict[str, float]) -> dict[str, float]:
        if any(v < 0 for v in p.values()) or abs(sum(p.values()) - 1) > 1e-9:
            raise ValueError(f"probabilities must be >= 0 and sum to 1, got {p}")
        return p


class FindingTable(_Strict):
    """One finding's distribution: per cause, the same for all causes, or given another finding."""

    by_cause: dict[str, Row] | None = None
    all_causes: Row | None = None
    given: str | None = None
    table: dict[str, Row] | None = None
    adult_age: tuple[int, int] | None = None
    uninformative_values: list[str] = []

    @model_validator(mode="after")
    def _one_form(self) -> FindingTable:
        forms = [self.by_cause is not None, self.all_causes is not None, self.given is not None]
        if sum(forms) != 1 or (self.given is None) != (self.table is None):
            raise ValueError("a finding has exactly one of by_cause, all_causes, given+table")
        if self.by_cause is not None and tuple(self.by_cause) != CAUSE_IDS:
            raise ValueError(f"by_cause must list {CAUSE_IDS} in order")
        return self

    @property
    def informative(self) -> bool:
        """Whether the finding's distribution depends on the cause."""
        return self.by_cause is not None


class RedFlagScenario(_Strict):
    set: dict[str, Any]
    source: str


class GeneratorSpec(_Strict):
    version: int
    sources: list[str]
    priors: Row
    masking_groups: list[list[str]]
    findings: dict[str, FindingTable]
    red_flag_scenarios: list[RedFlagScenario]

    @field_validator("priors")
    @classmethod
    def _prior_causes(cls, priors: Row) -> Row:
        if tuple(priors.p) != CAUSE_IDS:
            raise ValueError(f"priors must list {CAUSE_IDS} in order")
        return priors


@cache
def generator_spec() -> GeneratorSpec:
    return GeneratorSpec.model_validate(read_yaml("generator.yaml"))


# -- narrative.yaml --------------------------------------------------------------------------

Style = Literal["lay", "clinical"]
Family = Literal["train", "heldout"]


class PhraseFamilies(_Strict):
    """Phrases of one style, in the two disjoint families (``heldout`` is never trained on)."""

    train: list[str] = Field(min_length=1)
    heldout: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _disjoint(self) -> PhraseFamilies:
        shared = set(self.train) & set(self.heldout)
        if shared:
            raise ValueError(f"phrases in both families: {sorted(shared)}")
        return self


class StyledPhrases(_Strict):
    lay: PhraseFamilies
    clinical: PhraseFamilies


class Intros(_Strict):
    """Opening sentences, by what is known of the person."""

    both: list[str] = Field(min_length=1)
    age: list[str] = Field(min_length=1)
    sex: list[str] = Field(min_length=1)
    none: list[str] = Field(min_length=1)


class Narrative(_Strict):
    version: int
    intro: dict[Style, dict[Family, Intros]]
    sex_words: dict[Style, dict[str, str]]
    #: finding -> value ("true"/"false", an enum value, or "value" for numbers) -> phrases
    phrases: dict[str, dict[str, StyledPhrases]]

    @field_validator("phrases", mode="before")
    @classmethod
    def _value_keys(cls, phrases: dict[str, dict[Any, Any]]) -> dict[str, dict[str, Any]]:
        return {f: {_value_key(k): v for k, v in values.items()} for f, values in phrases.items()}


@cache
def narrative() -> Narrative:
    return Narrative.model_validate(read_yaml("narrative.yaml"))


# -- red_flags.yaml --------------------------------------------------------------------------


class RedFlagRule(_Strict):
    id: str
    level: TriageLevel
    suspect: str
    when: dict[str, Any]
    message: str
    source: str = Field(min_length=3)


class WeakFlag(_Strict):
    """A flag that is weak on its own (a condition in the rules' language)."""

    id: str
    when: dict[str, Any]
    source: str = Field(min_length=3)


class WeakFlagRule(_Strict):
    """A rule that fires when at least ``at_least`` of the weak flags hold."""

    id: str
    at_least: int = Field(ge=2)
    level: TriageLevel
    suspect: str
    message: str
    source: str = Field(min_length=3)


class WeakFlags(_Strict):
    flags: list[WeakFlag] = Field(min_length=2)
    combine: list[WeakFlagRule]

    def condition(self, at_least: int) -> dict[str, Any]:
        """ "At least ``at_least`` of the flags", written as ordinary ``any`` of ``all``."""
        from itertools import combinations

        if at_least > len(self.flags):
            raise ValueError(f"at_least {at_least} of only {len(self.flags)} weak flags")
        return {
            "any": [
                {"all": [flag.when for flag in chosen]}
                for chosen in combinations(self.flags, at_least)
            ]
        }

    def rules(self) -> list[dict[str, Any]]:
        return [
            {
                "id": rule.id,
                "level": rule.level,
                "suspect": rule.suspect,
                "when": self.condition(rule.at_least),
                "message": rule.message,
                "source": rule.source,
            }
            for rule in self.combine
        ]


class RedFlagRules(_Strict):
    """The rules of red_flags.yaml; ``rules`` ends with the ones ``weak_flags`` combines."""

    version: int
    pyelonephritis_picture: dict[str, Any]
    rules: list[RedFlagRule]
    weak_flags: WeakFlags | None = None

    @model_validator(mode="before")
    @classmethod
    def _combined_weak_flags(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("weak_flags") is not None:
            weak = WeakFlags.model_validate(data["weak_flags"])
            data = {**data, "rules": [*data.get("rules", []), *weak.rules()]}
        return data


@cache
def red_flag_rules() -> RedFlagRules:
    return RedFlagRules.model_validate(read_yaml("red_flags.yaml"))


# -- guidance.yaml ---------------------------------------------------------------------------


class AdviceNote(_Strict):
    """A sourced note shown after the article's advice for some causes (with
    ``with_medicines``, only when that cause's medicines are shown too)."""

    id: str
    after_causes: list[str]
    text: str
    source: str = Field(min_length=3)
    with_medicines: bool = False

    @field_validator("after_causes")
    @classmethod
    def _known_causes(cls, causes: list[str]) -> list[str]:
        unknown = set(causes) - set(CAUSE_IDS)
        if unknown:
            raise ValueError(f"unknown causes {sorted(unknown)}")
        return causes


class Caution(_Strict):
    text: str
    source: str = Field(min_length=3)
    ages: tuple[int, int]


class WithheldReason(_Strict):
    """Why part of the article's advice is not shown."""

    withholds: list[Literal["cause", "medication"]]
    text: str
    source: str = Field(min_length=3)


class Withheld(_Strict):
    red_flag: WithheldReason
    pregnant: WithheldReason
    kidney_infection: WithheldReason
    no_infection_sign: WithheldReason
    under_18: WithheldReason


class Note(_Strict):
    text: str
    source: str = Field(min_length=3)


class ModelLevel(_Strict):
    """The urgent message when the model's likely kidney infection sets the triage."""

    pyelonephritis: str
    source: str = Field(min_length=3)


class UnusualNote(_Strict):
    urgent: str
    source: str = Field(min_length=3)


class Guidance(_Strict):
    version: int
    notes: list[AdviceNote]
    safety_net: Note
    travel: Note
    model_level: ModelLevel
    unusual: UnusualNote
    may_be_pregnant: Caution
    nsaids: list[str]
    nsaids_source: str = Field(min_length=3)
    older_nsaids: Caution
    withheld: Withheld


@cache
def guidance() -> Guidance:
    return Guidance.model_validate(read_yaml("guidance.yaml"))


# -- questions.yaml --------------------------------------------------------------------------


class AnswerOption(_Strict):
    """One answer offered to a question: the words shown and the contract value sent back."""

    label: str = Field(min_length=1)
    value: Any


class Question(_Strict):
    """How one finding is asked: on its own (``question``), as a line of the safety checklist
    (``item``), with its answers (``options``; yes/no findings have none here), and when it
    does not apply (``skip_when``, a condition in the red-flag rules' language)."""

    question: str = Field(min_length=1)
    item: str | None = None
    options: list[AnswerOption] = []
    skip_when: dict[str, Any] | None = None


class AnswerWords(_Strict):
    yes: str
    no: str
    dont_know: str

    @model_validator(mode="before")
    @classmethod
    def _yaml_keys(cls, data: Any) -> Any:
        # YAML 1.1 reads a bare yes/no key as a boolean; the file quotes them, but be safe.
        if isinstance(data, dict):
            return {{True: "yes", False: "no"}.get(k, k): v for k, v in data.items()}
        return data


class Reasons(_Strict):
    screen: str
    follow_up: str
    discriminate: str


class ChecklistGroup(_Strict):
    """A heading of the checklist and its lines' findings, most urgent first."""

    title: str = Field(min_length=1)
    findings: list[str] = Field(min_length=1)


class QuestionBank(_Strict):
    version: int
    checklist: str
    checklist_groups: list[ChecklistGroup] = []
    answers: AnswerWords
    why: Reasons
    questions: dict[str, Question]


@cache
def question_bank() -> QuestionBank:
    return QuestionBank.model_validate(read_yaml("questions.yaml"))
