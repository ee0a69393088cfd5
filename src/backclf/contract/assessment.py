"""The assessment contract (output of ``backclf predict``), as pydantic models.

``shared/contract.md`` names the required keys; additions here are ``abstained``, ``id``,
``model`` and ``advice.urgent``. The JSON Schema (``backclf schema``) is generated from
these classes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backclf.knowledge import TriageLevel


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Triage(_Out):
    level: TriageLevel
    overridden: bool = Field(description="true when a red-flag rule, not the model, set the level")


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


class Advice(_Out):
    urgent: list[str] = Field(
        description="red-flag messages, most urgent first; shown before anything else"
    )
    cause: str | None = Field(
        description="the article's advice for the likely cause (null when abstaining)"
    )
    medication: str | None
    general: list[str]
    disclaimer: str


class ModelInfo(_Out):
    kind: str
    version: str
    sha256: str


class ExtractedFinding(_Out):
    finding: str
    value: Any
    span: str
    start: int
    end: int
    uncertain: bool = False


class Assessment(_Out):
    schema_version: Literal["1"]
    id: str | int | None = None
    triage: Triage
    red_flags: list[RedFlag]
    cause: CauseProbability | None = Field(description="null when the model abstains")
    abstained: bool
    differential: list[CauseProbability] = Field(min_length=5, max_length=5)
    explanation: list[Explanation]
    advice: Advice
    model: ModelInfo
    extracted: list[ExtractedFinding] | None = None
    notes: list[str] = []


class ErrorRecord(_Out):
    """In place of an assessment when a case could not be read."""

    id: str | int | None = None
    line: int
    error: str
