"""What a labelled case expects of its assessment: the cause, and the range the triage must
fall in. Used by the development vignettes and the blind-written texts alike."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS, TriageLevel


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: Literal[CAUSE_IDS] | None
    triage_min: TriageLevel
    triage_max: TriageLevel

    @property
    def triage_range(self) -> tuple[int, int]:
        """The lowest and highest acceptable triage, as ranks of ``TRIAGE_LEVELS``."""
        return TRIAGE_LEVELS.index(self.triage_min), TRIAGE_LEVELS.index(self.triage_max)
