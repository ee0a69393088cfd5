"""The blind-written text sets as regression tests (tests/data/written_texts).

Each set was written by a helper who never saw the code or the lexicon, from the article and
the red-flag table alone, with each text's findings, the least and most urgent triage a
reader of the article would give, and the cause expected first. Each round was scored before
the fixes it prompted (before.json), then fixed against; the next round was read only after.

A case passes when `backclf predict --text` (the one decision path) triages it within its
range and, where a cause is expected, names that cause first without abstaining. A case
that does not pass today is listed in KNOWN_MISSES with why and the level it reaches today,
which is asserted as a floor; its main test is a strict xfail, so fixing it turns the suite
red until it leaves the list.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from backclf.core.model import load_model
from backclf.io.parse import Item
from backclf.io.score import assess_items
from backclf.knowledge import TRIAGE_LEVELS
from backclf.text.evaluation import load_written, written_set_scores
from backclf.text.extract import extract_findings

WRITTEN = Path(__file__).parent / "data" / "written_texts"
ROUNDS = ("round1", "round2", "round3", "round4")

#: Under the reviewed generator tables (docs/clinical-review.md, section 3: pyelonephritis
#: prior 5%, fever in 80% of answered pyelonephritis so "no fever" weighs 0.21 against it,
#: frequent urination 46% against 10% of answered in causes 1-4) an afebrile urinary picture
#: no longer names pyelonephritis first; the article's rule still sends each to a doctor
#: within 24 hours (the floor). "exact" is the generator's exact posterior of the findings read.
_AFEBRILE = "the reading is right; afebrile urinary picture under the reviewed tables: "
_RULE = "the reading is right; the minimum needs a red-flag rule that is not there: "
#: Cases that do not pass today: why, and the triage level they reach today (a floor).
KNOWN_MISSES: dict[str, tuple[str, str]] = {
    "r1-018": (
        "the reader misses the patient's lifting ('me and his neighbour doing the heavy end' is "
        "read as the neighbour's); without the trigger the model names lumbar_muscle_strain "
        "(0.37, abstains)",
        "self_care",
    ),
    "r1-053": (
        _AFEBRILE + "model facet 0.26, pyelonephritis 0.20; exact facet 0.27, pyelo 0.24",
        "consultation_24",
    ),
    "r1-054": (
        _AFEBRILE + "model facet 0.32, pyelonephritis 0.19; exact facet 0.41, pyelo 0.18",
        "consultation_24",
    ),
    "r1-056": (
        _AFEBRILE + "model facet 0.27, pyelonephritis 0.26, abstains (exact pyelo 0.37)",
        "consultation_24",
    ),
    "r1-063": (
        _AFEBRILE + "model strain 0.30, pyelonephritis 0.19; exact strain 0.31, pyelo 0.18",
        "consultation_24",
    ),
    "r1-065": (
        _AFEBRILE + "37.9 C; model facet 0.34, pyelonephritis 0.12; exact facet 0.40",
        "consultation_24",
    ),
    "r2-004": (
        "the reader takes 'pick up the pencil from under the table' for lifting (the near-pattern "
        "'pick up' ... 'table'), which outranks the twist: excessive_loading 0.73",
        "self_care",
    ),
    "r2-052": (
        _AFEBRILE + "model facet 0.34, pyelonephritis 0.12; exact facet 0.38, pyelo 0.10",
        "consultation_24",
    ),
    "r2-056": (
        _AFEBRILE + "pregnant; model facet 0.38, pyelonephritis 0.08; exact facet 0.41",
        "consultation_24",
    ),
    "r2-058": (
        "the reading is right; confusion with a fever: the rules send it to an emergency "
        "department; the model (C 0.1 by the one-standard-error rule, issue 24) names "
        "pyelonephritis at 0.395, under abstain_below 0.40, and abstains (exact posterior: "
        "pyelonephritis 0.60)",
        "emergency",
    ),
    "r2-062": (
        _AFEBRILE + "72 M, T 37.2; model facet 0.43, pyelonephritis 0.07; exact facet 0.49",
        "consultation_24",
    ),
    "r2-063": (
        _AFEBRILE + "model strain 0.30, pyelonephritis 0.19; exact strain 0.31, pyelo 0.18",
        "consultation_24",
    ),
    "r2-066": (
        _AFEBRILE + "model facet 0.39, pyelonephritis 0.06; exact facet 0.43",
        "consultation_24",
    ),
    "r3-048": (
        "the reading is right; facet signs compressed by the review (docs/clinical-review.md, "
        "section 3): the model names sudden_postural_change 0.474 before facet 0.467 (exact "
        "posterior: facet 0.50 before 0.45)",
        "self_care",
    ),
    "r3-051": (
        _AFEBRILE + "model names pyelonephritis at 0.33 and abstains (exact 0.59)",
        "consultation_24",
    ),
    "r3-052": (
        _AFEBRILE + "model facet 0.29, pyelonephritis 0.17; exact facet 0.37, pyelo 0.15",
        "consultation_24",
    ),
    "r3-056": (
        _AFEBRILE + "model facet 0.27, pyelonephritis 0.26, abstains (exact pyelo 0.37)",
        "consultation_24",
    ),
    "r3-062": (
        _AFEBRILE + "model strain 0.35, pyelonephritis 0.05; exact strain 0.37",
        "consultation_24",
    ),
    "r3-066": (
        _AFEBRILE + "76 F, 37.8 C; model facet 0.33, pyelonephritis 0.31, where the exact "
        "posterior names pyelonephritis at 0.64: the model's error",
        "consultation_24",
    ),
    # Round 4 (issue 26): each reading below is the label's; the minimum needs a rule that
    # red_flags.yaml does not have (the clinical helper's area this wave), or is the label's.
    "r4-033": (
        _RULE + "renal_colic_picture_over_60 asks for trigger none, which the note does not say",
        "consultation_24",
    ),
    "r4-016": (
        "a reading miss: 'worse when I lean back or turn to check my blind spot' gives the "
        "blind-spot check as a trigger, and 'fine-ish lying down' is not read as eased by rest; "
        "the model then names sudden_postural_change 0.46 before facet 0.43",
        "self_care",
    ),
}


@cache
def cases() -> list:
    return [c for name in ROUNDS for c in load_written(WRITTEN / f"{name}.jsonl")]


@cache
def assessed() -> dict[str, dict]:
    items = [Item(i + 1, {"id": c.id, "text": c.text}) for i, c in enumerate(cases())]
    records = assess_items(items, load_model(), extract_findings)
    return {c.id: r for c, r in zip(cases(), records, strict=True)}


def _problems(case) -> list[str]:
    record = assessed()[case.id]
    level = TRIAGE_LEVELS.index(record["triage"]["level"])
    problems = []
    if level < TRIAGE_LEVELS.index(case.expect.triage_min):
        problems.append(f"triage {record['triage']['level']} < {case.expect.triage_min}")
    if level > TRIAGE_LEVELS.index(case.expect.triage_max):
        problems.append(f"triage {record['triage']['level']} > {case.expect.triage_max}")
    if case.expect.cause is not None:
        first = record["differential"][0]["id"]
        if record["abstained"] or first != case.expect.cause:
            problems.append(f"cause {first} (abstained: {record['abstained']})")
    return problems


def _params():
    out = []
    for case in cases():
        marks = []
        if case.id in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(reason=KNOWN_MISSES[case.id][0], strict=True))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_written_case(case):
    assert not _problems(case), (case.text, assessed()[case.id]["extracted"])


@pytest.mark.parametrize("case_id", sorted(KNOWN_MISSES))
def test_known_miss_holds_its_floor(case_id):
    floor = KNOWN_MISSES[case_id][1]
    level = assessed()[case_id]["triage"]["level"]
    assert TRIAGE_LEVELS.index(level) >= TRIAGE_LEVELS.index(floor)


@cache
def scores(name: str) -> dict:
    return written_set_scores(load_written(WRITTEN / f"{name}.jsonl"), load_model())


#: Today's extraction micro-F1 on each set (after its fixes): a floor, not a target.
MICRO_F1_FLOOR = {"round1": 0.97, "round2": 0.95, "round3": 0.96, "round4": 0.90}


@pytest.mark.parametrize("name", ROUNDS)
def test_extraction_holds_its_floor(name):
    assert scores(name)["extraction"]["micro"]["f1"] >= MICRO_F1_FLOOR[name]


@pytest.mark.parametrize("name", ROUNDS)
def test_negation_at_least_as_good_as_stock_negspacy(name):
    side = scores(name)["negation_vs_stock_negspacy"]
    assert side["findings"] > 100
    assert side["reader_right"] >= side["stock_negspacy_right"]
    assert side["reader_right_on_negated"] >= side["stock_negspacy_right_on_negated"]


@pytest.mark.parametrize("name", ROUNDS)
def test_no_plain_case_is_sent_too_high(name):
    assert scores(name)["over_triage_plain"]["over"] == 0
