"""Lean records (`backclf predict --lean`, issue 27 item 1): the full record with each
question's fixed wording left out, and that wording served once by `backclf questions`. Each
test rebuilds the full question from the lean one and the served wording by the rules
docs/contract.md states ("Lean records"), written out here by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backclf.core.model import load_model
from backclf.core.questions import question_wording
from backclf.core.screen import screen
from backclf.io.parse import Item
from backclf.io.score import assess_items

_NO = {f: False for f in screen().checklist if f != "radiating_leg_pain"} | {
    "radiating_leg_pain": "none"
}
CASES = {
    "checklist": {"age": 30, "trigger": "lifting_heavy_object", "fever": False},
    "empty": {},
    "follow-ups": dict(_NO),
    "settling the cause": dict(
        _NO, age=30, sex="male", onset="sudden", pain_severity=5, days_since_onset=2,
        trigger="none", pain_side="central",
    ),
    "red flag": {"saddle_numbness": True, "age": 50},
}


def _rebuilt(lean: dict, wording: dict) -> dict:
    """A full question from a lean one and the served wording (docs/contract.md)."""
    if lean["kind"] == "checklist":
        checklist, findings = wording["checklist"], lean["findings"]
        full = {
            "kind": "checklist",
            "question": checklist["question"],
            "findings": findings,
            "items": [checklist["items"][f] for f in findings],
            "options": checklist["options"],
            "why": checklist["why"],
            "expected_gain": None,
            "groups": [
                {"title": g["title"], "findings": [f for f in g["findings"] if f in findings]}
                for g in checklist["groups"]
                if set(g["findings"]) & set(findings)
            ],
        }
        own = {f: checklist["item_options"][f] for f in findings if f in checklist["item_options"]}
        if own:
            full["item_options"] = own
        return full
    why = wording["why"]["follow_up" if lean["expected_gain"] is None else "discriminate"]
    return {
        **wording["questions"][lean["finding"]],
        "finding": lean["finding"],
        "why": why,
        "expected_gain": lean["expected_gain"],
    }


@pytest.mark.parametrize("name", CASES)
def test_a_lean_record_is_the_full_record_without_the_wording(name):
    model = load_model()
    item = [Item(1, {"id": name, **CASES[name]})]
    (full,) = assess_items(item, model)
    (lean,) = assess_items(item, model, lean=True)
    assert {k: v for k, v in lean.items() if k != "next_questions"} == {
        k: v for k, v in full.items() if k != "next_questions"
    }
    assert len(lean["next_questions"]) == len(full["next_questions"])
    wording = json.loads(json.dumps(question_wording()))  # as served: JSON
    for short, long in zip(lean["next_questions"], full["next_questions"], strict=True):
        assert set(short) <= {"kind", "finding", "findings", "expected_gain"}
        assert _rebuilt(short, wording) == long


def test_the_cases_cover_every_kind_of_question():
    model = load_model()
    kinds = set()
    for case in CASES.values():
        (record,) = assess_items([Item(1, case)], model)
        for q in record["next_questions"]:
            kinds.add((q["kind"] == "checklist", q["expected_gain"] is None))
    assert kinds == {(True, True), (False, True), (False, False)}


def _backclf(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backclf", *args], input=stdin, capture_output=True, text=True
    )


def test_predict_lean_writes_lean_lines_and_questions_serves_the_wording():
    lines = "".join(json.dumps(c) + "\n" for c in CASES.values())
    lean = _backclf("predict", "--format", "json", "--lean", stdin=lines)
    full = _backclf("predict", "--format", "json", stdin=lines)
    assert lean.returncode == full.returncode == 0
    served = json.loads(_backclf("questions", "--format", "json").stdout)
    for short, long in zip(lean.stdout.splitlines(), full.stdout.splitlines(), strict=True):
        short_q, long_q = json.loads(short)["next_questions"], json.loads(long)["next_questions"]
        assert [_rebuilt(q, served) for q in short_q] == long_q
    assert len(lean.stdout) < len(full.stdout)


def test_lean_is_refused_where_it_does_not_apply(tmp_path):
    pretty = _backclf("predict", "--age", "40", "--format", "pretty", "--lean")
    assert pretty.returncode == 2 and "--lean" in pretty.stderr
    table = tmp_path / "cases.csv"
    table.write_text("age\n40\n")
    from_table = _backclf("predict", "-i", str(table), "--lean")
    assert from_table.returncode == 2 and "--lean" in from_table.stderr
