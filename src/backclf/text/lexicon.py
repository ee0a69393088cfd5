"""The free-text reader's knowledge, typed: ``lexicon.yaml`` (words to findings) and
``context.yaml`` (ConText modifiers), checked against the findings contract when loaded.

Which findings are red flags is not written in either file: it is read off ``red_flags.yaml``
(the yes/no findings its rules test), so a new rule makes its finding a red flag for the
reader too.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from backclf import knowledge
from backclf.contract.fields import FIELDS

Category = Literal[
    "negated", "uncertain", "historical", "hypothetical", "resolved", "other", "inability"
]
Direction = Literal["forward", "backward", "both", "after"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Near(_Strict):
    """Any of ``words`` (lemmas) or ``exact`` (words as written, lower-cased: "years" but not
    "this year") within ``window`` tokens of any of ``near``, in one sentence."""

    words: list[str] = []
    exact: list[str] = []
    near: list[str] = []
    near_exact: list[str] = []
    window: int = Field(ge=1, le=20)

    @model_validator(mode="after")
    def _some_words(self) -> Near:
        if not (self.words or self.exact) or not (self.near or self.near_exact):
            raise ValueError("a near-pattern needs words (or exact) and near (or near_exact)")
        return self


class NearValue(Near):
    value: str
    source: str | None = None  # a key of the lexicon's ``sources``


class Sourced(_Strict):
    """Phrases for one value, taken from a source outside the team (a key of ``sources``)."""

    source: str
    value: str
    phrases: list[str] = Field(min_length=1)


class Elsewhere(_Strict):
    """Places that make a vague mention be about somewhere else ("numbness in my foot"):
    within ``window`` tokens, with only ``between`` words in between."""

    near: list[str] = Field(min_length=1)
    window: int = Field(ge=1, le=20)
    between: list[str] = []
    values: list[str] = ["uncertain"]


class Aggravation(_Strict):
    """What tells an event ("I bent down") from what makes the pain worse ("bending hurts")."""

    verbs: list[str]
    openers: list[str]
    symptoms: list[str]


class Habit(_Strict):
    """An event told as a habit ("bent over walls for 25 years", "every day many hours I
    make beds and bend") is a sustained posture, not what set this episode off: a mention of
    one of ``of`` with any of ``markers`` (as written, lower-cased) within ``window`` tokens
    in its sentence reads as ``value``."""

    of: list[str] = Field(min_length=1)
    value: str
    markers: list[str] = Field(min_length=1)
    window: int = Field(ge=1, le=20)


class FindingWords(_Strict):
    """How one finding is read: see the header of ``lexicon.yaml``."""

    values: dict[str, list[str]] = {}
    sourced: list[Sourced] = []
    text_values: dict[str, list[str]] = {}
    weak_values: dict[str, list[str]] = {}
    lasting: list[str] = []
    ability: list[str] = []
    ability_not_after: list[str] = []
    near: list[NearValue] = []
    time: Literal["current", "history"] = "current"
    negated: str | None = None
    prefer: list[str] = []
    explained_by: list[str] = []
    unchanged_by: list[str] = []
    habit: Habit | None = None
    elsewhere: Elsewhere | None = None
    event: bool = False
    match: Literal["lemma", "text"] = "lemma"

    def phrases(self) -> dict[str, list[str]]:
        """The phrases of each value: ``values`` and the ``sourced`` ones."""
        merged = {value: list(phrases) for value, phrases in self.values.items()}
        for group in self.sourced:
            merged.setdefault(group.value, []).extend(group.phrases)
        return merged


_NO_WORDS = FindingWords()


class People(_Strict):
    female: list[str]
    male: list[str]
    patient: list[str]
    any: list[str]


class Pronouns(_Strict):
    female: list[str]
    male: list[str]
    first_person: list[str]


class Normalise(_Strict):
    respell: dict[str, str]
    keep: list[str]
    spelling_targets: list[str]


class Lexicon(_Strict):
    version: int
    sources: dict[str, str]
    findings: dict[str, FindingWords]
    safety_net: dict[str, list[Near]]
    not_findings: list[str]
    people: People
    pronouns: Pronouns
    back_words: list[str]
    pain_words: list[str]
    aggravation: Aggravation
    normalise: Normalise

    @model_validator(mode="after")
    def _fits_the_contract(self) -> Lexicon:
        for name, words in self.findings.items():
            _check_finding(name, words)
            cited = [g.source for g in words.sourced] + [n.source for n in words.near if n.source]
            for source in cited:
                if source not in self.sources:
                    raise ValueError(f"lexicon: {name} cites an unknown source {source!r}")
        for name in self.safety_net:
            if name not in FIELDS or FIELDS[name].kind != "bool":
                raise ValueError(f"safety_net: {name!r} is not a yes/no finding of the contract")
        return self

    def values_of(self, finding: str) -> dict[str, list[str]]:
        return self.findings[finding].values if finding in self.findings else {}

    def rules_for(self, finding: str) -> FindingWords:
        return self.findings.get(finding) or _NO_WORDS


def _check_finding(name: str, words: FindingWords) -> None:
    if name not in FIELDS:
        raise ValueError(f"lexicon: unknown finding {name!r}")
    spec = FIELDS[name]
    allowed = {"true", "false", "uncertain"} if spec.kind == "bool" else {*spec.values, "uncertain"}
    if spec.numeric:  # a score said in words ("severe"): whole numbers of a short scale only
        small = spec.kind == "int" and spec.maximum is not None and spec.maximum <= 20
        allowed = (
            {str(v) for v in range(int(spec.minimum), int(spec.maximum) + 1)} if small else set()
        )
    named = [*words.values, *words.text_values, *words.weak_values, *(n.value for n in words.near)]
    named += [g.value for g in words.sourced]
    for value in named:
        if value not in allowed:
            raise ValueError(f"lexicon: {name} has no value {value!r} (allowed: {sorted(allowed)})")
    habit = [words.habit.value, *words.habit.of] if words.habit else []
    for value in [*words.prefer, *([words.negated] if words.negated else []), *habit]:
        if value not in spec.values:
            raise ValueError(f"lexicon: {name} has no value {value!r}")
    if (words.ability or words.lasting) and spec.kind != "bool":
        raise ValueError(f"lexicon: {name}: ability and lasting phrases are for yes/no findings")


class Directions(_Strict):
    forward: list[str] = []
    backward: list[str] = []
    both: list[str] = []
    after: list[str] = []  # backward, over the one thing just before it (no list)


class Lists(_Strict):
    boundaries: list[str]
    always_continue: list[str]
    item_max_tokens: int = Field(ge=1, le=10)
    clause_words: list[str]


class Answers(_Strict):
    negative: list[str]
    unsure: list[str]
    ability_questions: list[str]
    markers: list[str]


class Corrections(_Strict):
    """A correction that takes back a "no" (see ``context.yaml``)."""

    cues: list[str]
    affirm: list[str]
    window: int = Field(ge=1, le=20)


class ContextRules(_Strict):
    version: int
    negspacy_termset: str
    negspacy_moved: dict[Category, list[str]]
    negspacy_dropped: list[str] = []
    query_prefix: str
    modifiers: dict[Category, Directions]
    pseudo: list[str]
    terminate: list[str]
    lists: Lists
    answers: Answers
    corrections: Corrections
    reporting_verbs: list[str]

    @field_validator("modifiers")
    @classmethod
    def _every_category(cls, modifiers: dict[str, Directions]) -> dict[str, Directions]:
        missing = set(CATEGORIES) - set(modifiers)
        if missing:
            raise ValueError(f"context.yaml: no modifiers for {sorted(missing)}")
        return modifiers


@cache
def lexicon() -> Lexicon:
    return Lexicon.model_validate(knowledge.read_yaml("lexicon.yaml"))


@cache
def context_rules() -> ContextRules:
    return ContextRules.model_validate(knowledge.read_yaml("context.yaml"))


@cache
def modifier_phrases() -> tuple[tuple[str, str, str], ...]:
    """Every modifier as ``(phrase, category, direction)``: negspacy's termset (with the
    moves ``context.yaml`` makes) and ``context.yaml``'s own phrases; and the pseudo and
    terminating phrases as categories ``pseudo`` and ``terminate``."""
    from negspacy.termsets import termset

    rules = context_rules()
    base = termset(rules.negspacy_termset).get_patterns()
    moved = {p: c for c, phrases in rules.negspacy_moved.items() for p in phrases}
    out: dict[tuple[str, str], str] = {}

    def add(phrase: str, category: str, direction: str) -> None:
        phrase = phrase.lower()
        other = "backward" if direction == "forward" else "forward"
        if out.get((phrase, other)) == category:  # both ways: "none" ("Temp? None", "none now")
            del out[(phrase, other)]
            direction = "both"
        out.setdefault((phrase, direction), category)

    for category, directions in rules.modifiers.items():
        for direction in ("forward", "backward", "both", "after"):
            for phrase in getattr(directions, direction):
                add(phrase, category, direction)
    for phrase in base["preceding_negations"]:
        add(phrase, moved.get(phrase, "negated"), "forward")
    for phrase in base["following_negations"]:
        add(phrase, moved.get(phrase, "negated"), "backward")
    for phrase in [*rules.pseudo, *base["pseudo_negations"]]:
        add(phrase, "pseudo", "both")
    for phrase in [*rules.terminate, *base["termination"]]:
        add(phrase, "terminate", "both")
    return tuple(
        (phrase, category, direction)
        for (phrase, direction), category in out.items()
        if phrase not in rules.negspacy_dropped
    )


def _condition_findings(condition: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(condition, dict):
        for key, arg in condition.items():
            if key in ("all", "any"):
                for part in arg:
                    found |= _condition_findings(part)
            elif key in FIELDS:
                found.add(key)
    return found


@cache
def red_flag_findings() -> tuple[str, ...]:
    """The yes/no findings some red-flag rule tests, in contract order: the red-flag screens
    (``not_mentioned`` lists those a text leaves open) and the findings that count as present
    when mentioned uncertainly."""
    tested: set[str] = set()
    for rule in knowledge.red_flag_rules().rules:
        tested |= _condition_findings(rule.when)
    return tuple(name for name, spec in FIELDS.items() if name in tested and spec.kind == "bool")
