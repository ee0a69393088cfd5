"""The development vignettes (``data/vignettes/dev.jsonl``): cases written by people, scored,
never trained on. One loader and one definition of each score, for the structured findings
and for the same cases' own words (free text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from backclf.contract.columns import from_values
from backclf.contract.expectation import Expectation
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS


class DevCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str
    findings: dict[str, Any]
    expect: Expectation


def load_dev(path: Path) -> list[DevCase]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [DevCase.model_validate(json.loads(line)) for line in lines if line.strip()]


def dev_scores(
    cases: list[DevCase], levels: list[str], first: list[str], abstained: list[bool]
) -> dict[str, Any]:
    """Cause named first (of the cases that expect one), triage within [min, max], and the
    ids of the cases under or over their range; ``levels``, ``first`` (the most probable
    cause) and ``abstained`` are the assessments' own, case by case."""
    named = [i for i, c in enumerate(cases) if c.expect.cause is not None]
    flagged = [i for i, c in enumerate(cases) if c.expect.cause is None]
    right = {i for i in named if first[i] == cases[i].expect.cause}
    answered = [i for i in named if not abstained[i]]
    rank = [TRIAGE_LEVELS.index(level) for level in levels]
    low = [c.expect.triage_range[0] for c in cases]
    high = [c.expect.triage_range[1] for c in cases]

    def rate(hits: int, total: int) -> float:
        return round(hits / total, 4) if total else 0.0

    return {
        "n": len(cases),
        "cause_named_cases": len(named),
        "cause_first_rate": rate(len(right), len(named)),
        "accuracy_when_answering": rate(len(right & set(answered)), len(answered)),
        "abstention_rate": rate(len(named) - len(answered), len(named)),
        "triage_within_range_rate": rate(
            sum(lo <= r <= hi for r, lo, hi in zip(rank, low, high, strict=True)), len(cases)
        ),
        "red_flag_cases_reaching_triage_min": rate(
            sum(rank[i] >= low[i] for i in flagged), len(flagged)
        )
        if flagged
        else 1.0,
        "under_triaged": [c.id for c, r, lo in zip(cases, rank, low, strict=True) if r < lo],
        "over_triaged": [c.id for c, r, hi in zip(cases, rank, high, strict=True) if r > hi],
        "misses": [cases[i].id for i in named if i not in right],
    }


def structured_scores(cases: list[DevCase], model: ReadableModel) -> dict[str, Any]:
    """The scores of the cases' structured findings."""
    decisions = assess_batch(from_values([c.findings for c in cases]), model)
    return dev_scores(
        cases,
        [TRIAGE_LEVELS[r] for r in decisions.level.tolist()],
        [CAUSE_IDS[k] for k in decisions.chosen.tolist()],
        decisions.abstained.tolist(),
    )


def text_scores(cases: list[DevCase], model: ReadableModel) -> dict[str, Any]:
    """The scores of the cases' own words, read by the free-text reader (the text extra)."""
    from backclf.io.parse import Item
    from backclf.io.score import assess_items
    from backclf.text.extract import extract_findings

    items = [Item(i + 1, {"id": c.id, "text": c.text}) for i, c in enumerate(cases)]
    results = assess_items(items, model, extract_findings)
    return dev_scores(
        cases,
        [r["triage"]["level"] for r in results],
        [r["differential"][0]["id"] for r in results],
        [r["abstained"] for r in results],
    )
