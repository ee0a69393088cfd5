"""How backclf asks: the question bank (questions.yaml) and the safety screen derived from
the red-flag rules."""

from __future__ import annotations

import numpy as np
import pytest

from backclf import knowledge
from backclf.contract.columns import from_values
from backclf.contract.fields import FIELDS
from backclf.contract.rules import check_value
from backclf.core import screen as screen_module
from backclf.core.red_flags import RuleSet, compile_condition, rule_set
from backclf.core.screen import build_screen, condition_terms, screen
from backclf.knowledge import TRIAGE_LEVELS, RedFlagRule


def test_every_finding_has_a_question_in_plain_words():
    bank = knowledge.question_bank().questions
    assert set(bank) == set(FIELDS)
    for finding, question in bank.items():
        assert question.question.endswith("?"), finding
        assert "_" not in question.question and "_" not in (question.item or ""), finding


def test_every_option_is_a_valid_value_of_its_finding():
    bank = knowledge.question_bank().questions
    for finding, question in bank.items():
        spec = FIELDS[finding]
        if spec.kind == "bool":
            assert not question.options, f"{finding}: yes/no findings take yes and no"
        if spec.kind == "enum":
            assert {o.value for o in question.options} == set(spec.values), finding
        for option in question.options:
            assert check_value(spec, option.value)[1] is None, (finding, option)


def test_number_ranges_send_a_value_inside_each_bin():
    """A range option sends a value the model reads as that range (its bin)."""
    bins = knowledge.findings_info().bins
    for finding in ("days_since_onset", "pain_severity"):
        values = [o.value for o in knowledge.question_bank().questions[finding].options]
        edges = bins[finding].edges
        assert [np.searchsorted(edges, v, side="right") - 1 for v in values] == list(
            range(len(values))
        ), finding


def test_every_skip_condition_compiles():
    for finding, question in knowledge.question_bank().questions.items():
        if question.skip_when is not None:
            compile_condition(question.skip_when, finding)


# -- the screen, from the rules ------------------------------------------------------------


def test_terms_of_a_condition():
    condition = {"all": [{"any": [{"fever": True}, {"chills": True}]}, {"confusion": True}]}
    assert condition_terms(condition) == [
        [{"fever": True}, {"confusion": True}],
        [{"chills": True}, {"confusion": True}],
    ]


def test_the_checklist_holds_every_yes_no_finding_the_rules_test():
    tested = set()

    def walk(condition):
        ((key, arg),) = condition.items()
        if key in ("all", "any"):
            for part in arg:
                walk(part)
        else:
            tested.add(key)

    for rule in knowledge.red_flag_rules().rules:
        walk(rule.when)
    s = screen()
    yes_no = {f for f in tested if FIELDS[f].kind == "bool"}
    assert yes_no <= set(s.checklist)
    assert set(s.checklist) | set(s.follow_up) == tested
    # A choice that fires a rule on its own is on the checklist; a number never is.
    assert "radiating_leg_pain" in s.checklist
    assert {"age", "pain_severity", "trigger"} <= set(s.follow_up)
    # The most urgent first.
    assert s.checklist[0] == "fainting_or_collapse"


def _rules_with(extra: RedFlagRule) -> RuleSet:
    rules = (*rule_set().rules, extra)
    checks = tuple(compile_condition(r.when, r.id) for r in rules)
    ranks = np.array([TRIAGE_LEVELS.index(r.level) for r in rules])
    return RuleSet(rules, checks, ranks)


def test_a_new_rule_is_screened_without_any_other_change():
    new = RedFlagRule(
        id="after_spinal_procedure",
        level="emergency",
        suspect="spinal infection",
        # A measured temperature is tested by no packaged rule (fever is), so it is a
        # follow-up only because of this rule.
        when={"all": [{"recent_spinal_procedure": True}, {"temperature_c": {">=": 37.5}}]},
        message="test",
        source="a test",
    )
    assert "temperature_c" not in screen().follow_up
    s = build_screen(_rules_with(new))
    assert "recent_spinal_procedure" in s.checklist
    assert "temperature_c" in s.follow_up
    assert s.checklist[0] == "fainting_or_collapse"  # the ambulance rule still leads
    columns = from_values([{"recent_spinal_procedure": True}, {"recent_spinal_procedure": False}])
    _, follow = s.pending(columns, {}, {})
    asked = follow[:, s.follow_up.index("temperature_c")]
    assert asked.tolist() == [True, False]  # only once the rest of its rule holds


def test_a_finding_no_rule_could_still_use_is_not_asked():
    s = screen()
    # Tenderness over a kidney is a red flag only with another sign: painful urination or
    # blood in the urine (infection_without_fever, urinary_symptoms_with_kidney_signs), in
    # pregnancy, or with confusion or fluids not kept down (sepsis_signs).
    ruled_out = {
        "painful_urination": False,
        "blood_in_urine": False,
        "pregnant": False,
        "confusion": False,
        "unable_to_keep_fluids_down": False,
    }
    columns = from_values(
        [ruled_out, {}, {**ruled_out, "pregnant": True}, {**ruled_out, "confusion": True}]
    )
    checklist, _ = s.pending(columns, {}, {})
    flank = checklist[:, s.checklist.index("flank_tenderness")]
    assert flank.tolist() == [False, True, True, True]


def test_dont_know_is_never_asked_again_and_silence_is_not_no():
    s = screen()
    columns = from_values([{}, {}])
    asked = {"saddle_numbness": np.array([True, False])}
    checklist, _ = s.pending(columns, asked, {})
    assert checklist[:, s.checklist.index("saddle_numbness")].tolist() == [False, True]


def test_follow_ups_wait_for_their_rule():
    # One rule alone (packaged rules such as sudden_worst_pain ask the pain's severity of
    # everyone): its follow-up waits for its checklist leaves.
    (rule,) = [r for r in rule_set().rules if r.id == "osteoporotic_fracture_severe"]
    s = build_screen(RuleSet((rule,), (compile_condition(rule.when),), np.array([2])))
    columns = from_values(
        [
            {"age": 40, "osteoporosis_or_steroid_use": False},
            {"age": 40},  # osteoporosis not answered yet: the checklist asks it first
            {"age": 40, "osteoporosis_or_steroid_use": True},
            {"age": 75},
        ]
    )
    _, follow = s.pending(columns, {}, {})
    severity = follow[:, s.follow_up.index("pain_severity")]
    # Severe pain with fragile bones or at 70 or over (osteoporotic_fracture_severe).
    assert severity.tolist() == [False, False, True, True]


def test_the_screen_is_rebuilt_from_the_packaged_rules_once():
    assert screen() is screen()
    assert screen_module.screen.cache_info().hits >= 1


@pytest.mark.parametrize("rule", rule_set().rules, ids=lambda r: r.id)
def test_each_rule_fires_after_its_screen_answers(rule):
    """Answering yes to the screen (checklist, then follow-ups) of any one way a rule can
    fire makes it fire: nothing a rule needs is left unasked."""
    s = screen()
    for term in condition_terms(rule.when):
        wanted = {}
        for leaf in term:
            ((finding, arg),) = leaf.items()
            if isinstance(arg, dict):
                ((op, bound),) = arg.items()
                if op.startswith("unknown or"):
                    continue  # holds while unknown: answered "don't know" below
                arg = bound + (1 if op == ">" else -1 if op == "<" else 0)
            wanted[finding] = arg
        told: dict = {}
        dont_know: dict = {}  # everything else is answered "don't know"
        for _ in range(len(FIELDS)):
            checklist, follow = s.pending(from_values([told]), dont_know, {})
            asked = [f for j, f in enumerate(s.checklist) if checklist[0, j]]
            asked = asked or [f for j, f in enumerate(s.follow_up) if follow[0, j]][:1]
            if not asked:
                break
            for finding in asked:
                if finding in wanted:
                    told[finding] = wanted[finding]
                else:
                    dont_know[finding] = np.array([True])
        assert rule_set().fired(from_values([told]))[0, rule_set().rules.index(rule)], term
