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
ROUNDS = ("round1", "round2", "round3")

_RULE_19 = "the reading is right; needs issue 19's red-flag rule (not on main yet): "
_SEXUAL = (
    "new sexual dysfunction alone: no rule of main fires; issue 19's rule gives 24 hours, the "
    "set expects an emergency (BASS 2018 counts it as a cauda equina sign): a decision"
)
#: Cases that do not pass today: why, and the triage level they reach today (a floor).
KNOWN_MISSES: dict[str, tuple[str, str]] = {
    "r1-018": (
        "the model names excessive_loading first (abstained: True); excessive_loading expected",
        "self_care",
    ),
    "r1-057": (_RULE_19 + "systemic_infection_in_pregnancy", "consultation_24"),
    "r1-065": (
        "the model names pyelonephritis first (abstained: True); pyelonephritis expected",
        "consultation_24",
    ),
    "r1-076": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r1-077": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r1-078": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r1-079": (_SEXUAL, "self_care"),
    "r1-084": (_RULE_19 + "fever_with_leg_weakness", "consultation_24"),
    "r1-094": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r1-095": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r1-097": (_RULE_19 + "pain_after_spinal_procedure", "consultation"),
    "r1-098": (_RULE_19 + "pain_after_spinal_procedure", "self_care"),
    "r1-108": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r1-109": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r1-110": (_RULE_19 + "osteoporotic_fracture_severe", "self_care"),
    "r1-112": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r1-114": (_RULE_19 + "older_sudden_severe_pain", "self_care"),
    "r1-115": (_RULE_19 + "older_sudden_severe_pain", "self_care"),
    "r1-116": (_RULE_19 + "child", "self_care"),
    "r1-117": (_RULE_19 + "child", "self_care"),
    "r1-118": (_RULE_19 + "not_improving_after_50", "self_care"),
    "r1-119": (_RULE_19 + "not_improving_after_50", "self_care"),
    "r2-004": (
        "the model names excessive_loading first; sudden_postural_change expected",
        "self_care",
    ),
    "r2-057": (
        _RULE_19 + "kidney_infection_in_pregnancy, systemic_infection_in_pregnancy",
        "consultation_24",
    ),
    "r2-062": (
        "the model names facet_joint_dysfunction first (abstained: True); pyelonephritis expected",
        "consultation_24",
    ),
    "r2-066": (
        "the model names pyelonephritis first (abstained: True); pyelonephritis expected",
        "consultation_24",
    ),
    "r2-078": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r2-079": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r2-080": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r2-081": (_SEXUAL, "self_care"),
    "r2-086": (_RULE_19 + "fever_with_leg_weakness", "consultation_24"),
    "r2-096": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r2-097": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r2-099": (_RULE_19 + "pain_after_spinal_procedure", "consultation"),
    "r2-100": (_RULE_19 + "pain_after_spinal_procedure", "self_care"),
    "r2-110": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r2-111": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r2-112": (_RULE_19 + "osteoporotic_fracture_severe", "self_care"),
    "r2-114": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r2-116": (_RULE_19 + "older_sudden_severe_pain", "self_care"),
    "r2-117": (_RULE_19 + "older_sudden_severe_pain, osteoporotic_fracture_severe", "self_care"),
    "r2-118": (_RULE_19 + "child", "self_care"),
    "r2-119": (_RULE_19 + "child", "self_care"),
    "r2-120": (_RULE_19 + "not_improving_after_50", "self_care"),
    "r2-121": (_RULE_19 + "not_improving_after_50", "self_care"),
    "r3-055": (_RULE_19 + "systemic_infection_in_pregnancy", "consultation_24"),
    "r3-062": (
        "the model names excessive_loading first (abstained: True); pyelonephritis expected",
        "consultation_24",
    ),
    "r3-077": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r3-078": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r3-079": (_RULE_19 + "bilateral_leg_weakness", "consultation_24"),
    "r3-080": (_SEXUAL, "self_care"),
    "r3-081": (_SEXUAL, "self_care"),
    "r3-085": (_RULE_19 + "fever_with_leg_weakness", "consultation_24"),
    "r3-095": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r3-096": (_RULE_19 + "spinal_infection", "consultation_24"),
    "r3-098": (_RULE_19 + "pain_after_spinal_procedure", "consultation"),
    "r3-099": (_RULE_19 + "pain_after_spinal_procedure", "self_care"),
    "r3-109": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r3-110": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r3-111": (_RULE_19 + "osteoporotic_fracture_severe", "self_care"),
    "r3-113": (_RULE_19 + "osteoporotic_fracture", "self_care"),
    "r3-114": (_RULE_19 + "osteoporotic_fracture_severe", "self_care"),
    "r3-115": (_RULE_19 + "older_sudden_severe_pain, osteoporotic_fracture_severe", "self_care"),
    "r3-116": (_RULE_19 + "older_sudden_severe_pain", "self_care"),
    "r3-117": (_RULE_19 + "child", "self_care"),
    "r3-118": (_RULE_19 + "child, young_child", "self_care"),
    "r3-119": (_RULE_19 + "not_improving_after_50", "self_care"),
    "r3-120": (_RULE_19 + "not_improving_after_50", "self_care"),
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
MICRO_F1_FLOOR = {"round1": 0.97, "round2": 0.95, "round3": 0.96}


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
