"""Dangerous presentations from the clinical literature (tests/data/dangerous_presentations.jsonl):
each reaches at least its level through the served decision path, and the controls that must
not escalate stay at or under theirs. The model card reports the same audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backclf.contract.findings import parse_case
from backclf.core.decide import assess
from backclf.knowledge import TRIAGE_LEVELS
from backclf.pipeline.presentations import Presentation, load_presentations, presentation_audit

PATH = Path(__file__).parent / "data" / "dangerous_presentations.jsonl"
ROWS = [json.loads(line) for line in PATH.read_text(encoding="utf-8").splitlines() if line]
#: An independent reader's presentations, written without seeing the rules (issue 25): the
#: development half; the holdout half stays unseen and is scored at the end.
BLIND = Path(__file__).parent / "data" / "blind_presentations_dev.jsonl"
BLIND_ROWS = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line]
RANK = {level: i for i, level in enumerate(TRIAGE_LEVELS)}


def test_the_set_is_large_sourced_and_has_controls():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    dangerous = [r for r in ROWS if r["kind"] == "dangerous"]
    controls = [r for r in ROWS if r["kind"] == "control"]
    assert len(dangerous) >= 30 and len(controls) >= 10
    for row in ROWS:
        assert row["source"] and row["condition"] and row["description"], row["id"]
        parse_case(row["findings"])  # every case is valid under the contract
    # The probe table of issue 19, every row.
    assert {f"probe-{i}" for i in range(1, 9)} <= set(ids)


@pytest.mark.parametrize(
    "row", ROWS + BLIND_ROWS, ids=[r["id"] for r in ROWS] + [r["id"] for r in BLIND_ROWS]
)
def test_each_presentation_reaches_its_level(row):
    result = assess(parse_case(row["findings"]))
    level = RANK[result.triage.level]
    assert level >= RANK[row["triage_min"]], (row["description"], result.triage.level)
    if row["triage_max"] is not None:
        assert level <= RANK[row["triage_max"]], (row["description"], result.triage.level)


def test_the_emergency_probe_carries_no_home_care_advice():
    (probe,) = [r for r in ROWS if r["id"] == "probe-8"]  # saddle numbness
    result = assess(parse_case({**probe["findings"], "trigger": "lifting_heavy_object"}))
    assert result.triage.level == "emergency"
    assert result.advice.cause is None and result.advice.medication is None


def test_the_audit_counts_what_falls_short(model):
    audit = presentation_audit(load_presentations(PATH), model)
    assert audit["dangerous"] == sum(r["kind"] == "dangerous" for r in ROWS)
    assert audit["below_minimum"] == [] and audit["controls_over_triaged"] == []
    # A presentation no rule catches, and a control that is over-triaged, are both seen.
    missed = Presentation(
        id="x-missed",
        kind="dangerous",
        description="nothing known",
        findings={},
        triage_min="emergency",
        triage_max=None,
        condition="test",
        source="hand-written for this test",
    )
    over = missed.model_copy(
        update={"id": "x-over", "kind": "control", "findings": {"fever": True}}
    ).model_copy(update={"triage_min": "self_care", "triage_max": "self_care"})
    audit = presentation_audit([missed, over], model)
    assert audit["below_minimum"] == ["x-missed"]
    assert audit["controls_over_triaged"] == ["x-over"]
    assert audit["cases"][1]["red_flags"] == ["fever_or_frequent_urination"]


def test_issue_25s_categories_each_have_rows_on_both_sides():
    """Every new rule category has an audit row (r25-*), and the weak flags have combinations
    that must escalate (wf-*) and pairs that must not (wc-*)."""
    ids = {r["id"] for r in ROWS}
    assert {f"r25-{i:02d}" for i in range(1, 17)} <= ids
    assert {"wf-01", "wf-02", "wf-03"} <= ids and {"wc-01", "wc-02", "wc-03", "wc-04"} <= ids
    assert len(BLIND_ROWS) == 55 and sum(r["kind"] == "control" for r in BLIND_ROWS) == 15


def test_an_emergency_names_no_home_care_and_says_do_not_drive():
    result = assess(
        parse_case({"age": 71, "onset": "sudden", "trigger": "none", "pain_severity": 9})
    )
    assert result.triage.level == "emergency"
    assert "travel" in [n.id for n in result.advice.notes]
    assert result.advice.cause is None and result.advice.medication is None
