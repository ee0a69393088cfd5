"""The assessment contract (output of ``backclf predict``): the pydantic models, and the flat
row that tables and the MLflow model give.

``docs/contract.md`` describes every key for people (the additions to the first contract
among them: ``abstained``, ``id``, ``model``, ``advice.urgent``, ``advice.also_consider``,
``advice.withheld``, ``advice.notes``, ``extracted``, ``not_mentioned``, ``notes``,
``conflicts`` and ``next_questions``); the JSON Schema (``backclf schema``), generated from
these classes, is its machine-readable form, and a test keeps the two in step. Records are
built as plain dicts in :mod:`backclf.core.records` (fast) and the tests validate them
against these models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backclf.knowledge import CAUSE_IDS, TriageLevel


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Triage(_Out):
    level: TriageLevel
    overridden: bool = Field(
        description="true when a red-flag rule fired at the final level (also when the "
        "model's level is the same); docs/contract.md has examples"
    )
    screened: bool = Field(
        True,
        description="false while a safety question is still open (the checklist or a "
        "follow-up, the first of next_questions): `level` is then what the answers so far "
        "give, not a level to reassure anyone with; true when every safety question that "
        'could still raise the level is answered ("don\'t know" included)',
    )


class RedFlag(_Out):
    id: str
    level: TriageLevel
    message: str
    source: str
    suspect: str


class CauseProbability(_Out):
    id: str
    name: str
    probability: float = Field(ge=0, le=1)


class Explanation(_Out):
    finding: str
    value: Any
    feature: str
    effect: float = Field(
        description="signed push on the chosen cause (log-odds, or probability for trees)"
    )


class OtherCauseAdvice(_Out):
    cause: Literal[CAUSE_IDS]
    name: str
    advice: str | None
    medication: str | None


class WithheldAdvice(_Out):
    id: Literal["red_flag", "pregnant", "under_18", "kidney_infection", "no_infection_sign"]
    withholds: list[Literal["cause", "medication"]]
    reason: str
    source: str


class AdviceNote(_Out):
    id: str
    text: str
    source: str


class Advice(_Out):
    urgent: list[str] = Field(
        description="what to do now, shown before anything else: the messages of the rules "
        "at the triage level (and why the level was set, when the model's likely kidney "
        "infection or an unusual presentation set it)"
    )
    also_tell: list[str] = Field(
        default=[],
        description="the other fired rules' messages without their instruction (which a "
        "lower level's would contradict): what to tell the doctor",
    )
    cause: str | None = Field(
        description="the article's advice for the likely cause, in its own words (null when "
        "abstaining, or withheld: see withheld)"
    )
    medication: str | None = Field(
        description="the article's medicines for the likely cause (null when it names none, "
        "or withheld: see withheld)"
    )
    also_consider: list[OtherCauseAdvice] = Field(
        default=[],
        description="the article's advice for another cause the model considers likely enough "
        "to raise the triage (pyelonephritis when it is not the likely cause)",
    )
    withheld: list[WithheldAdvice] = Field(
        default=[],
        description="why some of the article's advice is not shown: a red flag at "
        "consultation_24 or above (home care and medicines), pregnancy or age under 18 "
        "(medicines), a possible kidney infection (anti-inflammatory painkillers), no sign "
        "of infection (the article's kidney-infection advice)",
    )
    notes: list[AdviceNote] = Field(
        default=[],
        description="sourced notes that follow the article's advice (current guidance on "
        "staying active, cautions on medicines, the signs that mean get help now); never the "
        "article's words",
    )
    general: list[str] = Field(
        description="the article's general advice (only its care-seeking sentences when a red "
        "flag at consultation_24 or above applies)"
    )
    disclaimer: str


class ModelInfo(_Out):
    kind: str
    version: str
    sha256: str


class ExtractedFinding(_Out):
    finding: str
    value: Any
    span: str = Field(description="the words the finding was read from")
    start: int
    end: int
    uncertain: bool = Field(
        False, description="mentioned without a clear yes or no: a red flag counts as present"
    )
    cue: str | None = Field(
        None, description="the words around it that set its value (e.g. 'denies', 'not sure')"
    )
    via: Literal["phrase", "near", "number", "safety_net"] = Field(
        "phrase",
        description="a phrase of the lexicon, words near each other, a number with its unit, "
        "or the red-flag safety net",
    )


class Conflict(_Out):
    """Answers that disagreed, and how the case was read: never an error that drops the case
    (``docs/contract.md``, "Answers that disagree")."""

    finding: str = Field(description="the finding whose answer was not used as given")
    given: Any = Field(description="the value given (or read from the text)")
    used: Any = Field(description="the value the assessment used")
    why: str = Field(description="what it disagreed with, and why this value was used")


class AnswerOption(_Out):
    label: str
    value: bool | int | float | str | None = Field(
        description="the value to send for the finding; null means 'asked, does not know'"
    )


class ChecklistGroup(_Out):
    title: str = Field(description="a heading people read (questions.yaml)")
    findings: list[str] = Field(description="its lines' findings, in the checklist's order")


class NextQuestion(_Out):
    """A question to ask next. An app sends the case again with the answer set (the finding
    to the option's value; null for "don't know") and gets the updated assessment."""

    kind: Literal["checklist", "choice", "number"]
    question: str
    finding: str | None = Field(None, description="the finding the answer sets (choice, number)")
    findings: list[str] | None = Field(None, description="the findings a checklist sets")
    items: list[str] | None = Field(
        None, description="a checklist's lines, in the order of its findings"
    )
    item_options: dict[str, list[AnswerOption]] | None = Field(
        None, description="a checklist's findings answered otherwise than with its options"
    )
    groups: list[ChecklistGroup] | None = Field(
        None,
        description="a checklist's lines in groups, most urgent first (every finding of "
        "`findings` in exactly one)",
    )
    options: list[AnswerOption]
    minimum: float | None = Field(None, description="a number's least value")
    maximum: float | None = Field(None, description="a number's greatest value")
    why: str
    expected_gain: float | None = Field(
        description="the question's expected gain (null for safety questions, asked first)"
    )


class Assessment(_Out):
    schema_version: Literal["1"]
    id: str | int | None = None
    triage: Triage
    red_flags: list[RedFlag]
    cause: CauseProbability | None = Field(description="null when the model abstains")
    abstained: bool
    unusual: bool = Field(
        False,
        description="true when the answers fit none of the article's causes well (no cause "
        "is named; the triage is at least consultation)",
    )
    differential: list[CauseProbability] = Field(min_length=5, max_length=5)
    explanation: list[Explanation]
    advice: Advice
    model: ModelInfo
    extracted: list[ExtractedFinding] | None = None
    not_mentioned: list[str] | None = Field(
        None,
        description="with text: the red-flag findings the text did not address (ask about them)",
    )
    notes: list[str] = []
    conflicts: list[Conflict] = Field(
        default=[],
        description="answers that disagreed, each resolved towards the more urgent triage "
        "(absent when none did)",
    )
    next_questions: list[NextQuestion] = Field(
        description="what to ask next, most important first; empty when nothing more is needed"
    )


class ErrorRecord(_Out):
    """In place of an assessment when a case could not be read."""

    id: str | int | None = None
    line: int
    error: str


# -- the assessment as one flat row (tables, MLflow) -----------------------------------------


@dataclass(frozen=True)
class TableColumn:
    """One column of the flat form of an assessment: its name, Arrow-like type, meaning, and
    how it is read off an assessment record."""

    name: str
    type: Literal["int64", "string", "bool", "float64", "list<string>"]
    description: str
    read: Callable[[dict[str, Any]], Any]


def _probability_of(cause: str) -> Callable[[dict[str, Any]], float]:
    return lambda r: next(d["probability"] for d in r["differential"] if d["id"] == cause)


#: The columns of table output (CSV, Parquet) and of the MLflow model, after any columns
#: carried through from the input (``id`` and the like). ``row`` and ``error`` are set for
#: every input row; the others are null where the row has an error.
TABLE_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("row", "int64", "the case's row in the input, from 1", lambda r: r.get("line")),
    TableColumn("error", "string", "why the case could not be assessed", lambda r: r.get("error")),
    TableColumn(
        "triage_level", "string", "what to do, most urgent first", lambda r: r["triage"]["level"]
    ),
    TableColumn(
        "triage_overridden",
        "bool",
        "a red-flag rule fired at the final level (as `triage.overridden`)",
        lambda r: r["triage"]["overridden"],
    ),
    TableColumn(
        "red_flags",
        "list<string>",
        "the ids of the red-flag rules that fired, most urgent first",
        lambda r: [f["id"] for f in r["red_flags"]],
    ),
    TableColumn(
        "cause",
        "string",
        "the likely cause (null when the model abstains)",
        lambda r: (r["cause"] or {}).get("id"),
    ),
    TableColumn(
        "cause_probability",
        "float64",
        "the probability of the most probable cause",
        lambda r: r["differential"][0]["probability"],
    ),
    *(
        TableColumn(f"p_{cause}", "float64", f"the probability of {cause}", _probability_of(cause))
        for cause in CAUSE_IDS
    ),
)


#: The MLflow model's output column that holds each row's :data:`TABLE_COLUMNS` again, as one
#: object. Engines that convert whole columns lose nulls in them (Spark through MLflow's
#: ``spark_udf`` writes a null text as ``"None"`` and a null yes/no as ``false``); the values of
#: an object are converted one by one, nulls kept: read this column through ``spark_udf``
#: (:mod:`backclf.spark` scores with the model file itself and needs neither).
TABLE_ROW = "table_row"


def flat_row(record: dict[str, Any], row: int) -> dict[str, Any]:
    """An assessment or error record as one row of :data:`TABLE_COLUMNS`."""
    if "error" in record:
        return {c.name: None for c in TABLE_COLUMNS} | {"row": row, "error": record["error"]}
    return {c.name: c.read(record) for c in TABLE_COLUMNS} | {"row": row}
