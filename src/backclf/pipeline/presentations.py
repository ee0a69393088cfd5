"""The dangerous-presentation audit: hand-written presentations from the clinical literature,
each with the least urgent level it may end at (and "must not escalate" controls with the
most urgent), run through the served decision path.

The synthetic safety audit can only see the red flags the generator adds; this one sees what
has no rule at all. Written from the literature before the rules (docs/clinical-review.md),
kept in ``tests/data/dangerous_presentations.jsonl``, and reported in the model card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from backclf.contract.columns import from_values
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.core.red_flags import rule_set
from backclf.knowledge import TRIAGE_LEVELS, TriageLevel


class Presentation(BaseModel):
    """A dangerous presentation (``triage_min`` is the least it may end at) or a control
    that must not escalate (``triage_max`` is the most)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Literal["dangerous", "control"]
    description: str
    findings: dict[str, Any]
    triage_min: TriageLevel
    triage_max: TriageLevel | None
    condition: str
    source: str = Field(min_length=8)

    @model_validator(mode="after")
    def _bounds(self) -> Presentation:
        if (self.kind == "control") != (self.triage_max is not None):
            raise ValueError(f"{self.id}: controls, and only controls, have a triage_max")
        return self


def load_presentations(path: Path) -> list[Presentation]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Presentation.model_validate(json.loads(line)) for line in lines if line.strip()]


def presentation_audit(presentations: list[Presentation], model: ReadableModel) -> dict[str, Any]:
    """How many dangerous presentations end below their minimum (must be 0), how many
    controls are over-triaged, and each case's level and fired rules."""
    decisions = assess_batch(from_values([p.findings for p in presentations]), model)
    rules = rule_set().rules
    rows, below, over = [], [], []
    for i, p in enumerate(presentations):
        rank = int(decisions.level[i])
        fired = [rules[j].id for j in np.flatnonzero(decisions.fired[i])]
        if rank < TRIAGE_LEVELS.index(p.triage_min):
            below.append(p.id)
        if p.triage_max is not None and rank > TRIAGE_LEVELS.index(p.triage_max):
            over.append(p.id)
        rows.append(
            {
                "id": p.id,
                "kind": p.kind,
                "condition": p.condition,
                "triage_min": p.triage_min,
                "triage_max": p.triage_max,
                "level": TRIAGE_LEVELS[rank],
                "red_flags": fired,
            }
        )
    dangerous = sum(p.kind == "dangerous" for p in presentations)
    return {
        "dangerous": dangerous,
        "controls": len(presentations) - dangerous,
        "below_minimum": below,
        "controls_over_triaged": over,
        "cases": rows,
    }
