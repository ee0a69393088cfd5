"""The question policy: answer rates in the model file, beliefs, gains, stopping, and
``next_questions`` in every assessment."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backclf.contract.assessment import Assessment
from backclf.contract.columns import from_values
from backclf.core.decide import assess, assess_batch, assess_many
from backclf.core.features import Feature
from backclf.core.model import ModelFileError, dumps_model, model_from_file, parse_model
from backclf.core.policy import answer_table, beliefs, decision_gain, information
from backclf.core.screen import screen
from backclf.io.parse import Item
from backclf.io.score import assess_items
from backclf.knowledge import CAUSE_IDS

START = {"age": 34, "sex": "male"}


def _screen_answers(value: bool | None = False) -> dict:
    """Every checklist question answered the same way (no red flag by default), and every
    follow-up answered "don't know"."""
    answers = {}
    for finding in screen().checklist:
        if finding == "radiating_leg_pain":
            answers[finding] = "none" if value is False else value
        elif finding != "pregnant":
            answers[finding] = value
    for finding in screen().follow_up:
        if finding not in START:
            answers[finding] = None
    return answers


# -- the model file --------------------------------------------------------------------------


def test_answer_rates_are_the_smoothed_shares_of_each_cause():
    from backclf.pipeline.train import answer_rates

    columns = from_values([{"fever": True}, {"fever": False}, {}, {"fever": True}])
    y = np.array([0, 0, 1, 1])
    features = [Feature("fever=yes", "fever", code=1), Feature("fever=no", "fever", code=0)]
    (fever,) = answer_rates(columns, y, features, smoothing=1.0)
    rates = {a["answer"]: a["p"] for a in fever["answers"]}
    assert [a.get("feature") for a in fever["answers"]] == ["fever=yes", "fever=no", None]
    # Cause 0: yes 1, no 1, unknown 0 of 2 cases; cause 1: yes 1, unknown 1; others none.
    assert rates["yes"][CAUSE_IDS[0]] == pytest.approx(2 / 5)
    assert rates["unknown"][CAUSE_IDS[0]] == pytest.approx(1 / 5)
    assert rates["no"][CAUSE_IDS[1]] == pytest.approx(1 / 5)
    assert rates["unknown"][CAUSE_IDS[1]] == pytest.approx(2 / 5)
    assert rates["yes"][CAUSE_IDS[4]] == pytest.approx(1 / 3)


def test_the_packaged_model_carries_the_policy(model):
    policy = model.file.interview
    assert policy is not None
    assert {a.finding for a in policy.answers} == {f.finding for f in model.features}


def test_a_model_file_without_the_policy_still_loads_and_asks_the_screen_only(model):
    data = json.loads(dumps_model(model.file))
    del data["interview"]
    old = parse_model(json.dumps(data).encode(), "old.json")
    (record,) = [r for r in assess_many([START], old)]
    assert [q.kind for q in record.next_questions] == ["checklist"]
    assert not assess_many([{**START, **_screen_answers()}], old)[0].next_questions


def _broken(model, change) -> bytes:
    data = json.loads(dumps_model(model.file))
    change(data["interview"])
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["answers"][0]["answers"][0]["p"].update(pyelonephritis=0.9), "sum to 1"),
        (lambda p: p["answers"][0]["answers"].pop(), "one 'unknown'"),
        (lambda p: p["answers"].append(p["answers"][0]), "one entry per finding"),
        (lambda p: p["answers"][0]["answers"][0].update(feature="fever=yes"), "not a feature"),
        (lambda p: p["answers"][0].update(finding="fevr"), "unknown finding"),
        (lambda p: p["prior"].pop("pyelonephritis"), "every cause"),
        (lambda p: p["stop"].update(confidence=7), "stop.confidence"),
        (lambda p: p.update(urgent_stop="soon"), "urgent_stop"),
    ],
)
def test_a_damaged_policy_is_refused_with_one_line(model, change, message):
    with pytest.raises(ModelFileError, match=message):
        parse_model(_broken(model, change), "broken.json")


# -- beliefs and gains, against hand computation ---------------------------------------------


def test_beliefs_are_the_prior_times_the_rates_of_the_answers_given(model):
    table = answer_table(model)
    policy = model.file.interview
    case = {"fever": True, "trigger": "lifting_heavy_object"}
    decisions = assess_batch(from_values([case]), model, {"spasm": np.array([True])})
    b = beliefs(table, decisions.x, decisions.columns, decisions.asked)[0]
    rate = {
        (a.finding, r.answer): r.p for a in policy.answers for r in a.answers
    }  # by hand: prior x P(yes | c) x P(lifting | c) x P(unknown spasm | c)
    expected = np.array(
        [
            policy.prior[c]
            * rate[("fever", "yes")][c]
            * rate[("trigger", "lifting_heavy_object")][c]
            * rate[("spasm", "unknown")][c]
            for c in CAUSE_IDS
        ]
    )
    np.testing.assert_allclose(b, expected / expected.sum())


def test_gains_match_answering_each_question_in_turn(model):
    """The vectorised gains against a brute force: each possible answer assessed."""
    table = answer_table(model)
    policy = model.file.interview
    case = {**START, "fever": False, "frequent_urination": False, "spasm": True}
    decisions = assess_batch(from_values([case]), model)
    b = beliefs(table, decisions.x, decisions.columns, {})
    gain = decision_gain(model, decisions.x, decisions.proba, b, table)[0]
    informs = information(b, table)[0]
    b = b[0]
    for g, entry in enumerate(policy.answers):
        if entry.finding in case:
            continue
        right_after, mutual = 0.0, 0.0
        for answer in entry.answers:
            r = np.array([answer.p[c] for c in CAUSE_IDS])
            chance = float(b @ r)
            after_b = b * r / chance
            told = dict(case)
            if answer.answer != "unknown":
                told[entry.finding] = _value_of(entry.finding, answer.answer)
            named = assess_batch(from_values([told]), model).chosen[0]
            if answer.answer == "unknown" or answer.feature is None:
                named = decisions.chosen[0]  # "don't know" changes nothing the model reads
            right_after += chance * after_b[named]
            mutual += chance * float(np.sum(after_b * np.log(after_b / b)))
        assert gain[g] == pytest.approx(right_after - b[decisions.chosen[0]], abs=1e-9)
        assert informs[g] == pytest.approx(mutual, abs=1e-9)


def _value_of(finding: str, answer: str):
    from backclf import knowledge
    from backclf.contract.fields import FIELDS

    spec = FIELDS[finding]
    if spec.kind == "bool":
        return answer == "yes"
    if spec.kind == "enum":
        return answer
    bins = knowledge.findings_info().bins[finding]
    return bins.edges[bins.labels.index(answer)]


# -- next_questions ------------------------------------------------------------------------


def test_the_safety_checklist_comes_first_and_alone(model):
    record = assess(START, model)
    assert [q.kind for q in record.next_questions] == ["checklist"]
    checklist = record.next_questions[0]
    # Written by hand: every red-flag finding in its group (questions.yaml), the groups and
    # the lines most urgent first, except pregnancy, which cannot matter for a man of 34.
    groups = [
        ("Signs that need help at once", [
            "fainting_or_collapse", "pulsating_abdominal_mass", "confusion", "major_trauma"]),
        ("Nerves, bladder and bowel", [
            "saddle_numbness", "bladder_or_bowel_control_loss", "leg_weakness",
            "bilateral_leg_weakness", "radiating_leg_pain", "new_sexual_dysfunction"]),
        ("Signs of infection or a kidney problem", [
            "fever", "chills", "unable_to_keep_fluids_down", "nausea_or_vomiting",
            "frequent_urination", "painful_urination", "blood_in_urine", "flank_tenderness"]),
        ("Your health", [
            "history_of_cancer", "immunosuppressed", "iv_drug_use", "recent_spinal_procedure",
            "osteoporosis_or_steroid_use"]),
        ("The pain itself", ["constant_night_pain", "unexplained_weight_loss"]),
    ]  # fmt: skip
    assert [(g.title, g.findings) for g in checklist.groups] == groups
    assert checklist.findings == [f for _, members in groups for f in members]
    assert set(screen().checklist) - set(checklist.findings) == {"pregnant"}
    assert len(checklist.items) == len(checklist.findings)
    assert [o.value for o in checklist.options] == [True, False, None]
    assert [o.value for o in checklist.item_options["radiating_leg_pain"]][-1] is None
    assert checklist.expected_gain is None


def test_after_the_screen_the_questions_are_ranked_by_their_gain(model):
    record = assess({**START, **_screen_answers()}, model)
    questions = record.next_questions
    assert 1 <= len(questions) <= model.file.interview.listed
    assert all(q.kind in ("choice", "number") and q.finding for q in questions)
    gains = [q.expected_gain for q in questions]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    asked = {q.finding for q in questions}
    assert not asked & set({**START, **_screen_answers()})
    for question in questions:
        assert question.options[-1].value is None  # "don't know" is always offered


def test_dont_know_is_never_asked_again_and_changes_no_probability(model):
    first = assess({**START, **_screen_answers()}, model)
    top = first.next_questions[0].finding
    again = assess({**START, **_screen_answers(), top: None}, model)
    assert top not in {q.finding for q in again.next_questions}
    assert again.differential == first.differential  # null is "unknown" to the model


def test_a_checklist_answered_dont_know_is_not_asked_again(model):
    record = assess({**START, **_screen_answers(None)}, model)
    assert all(q.kind != "checklist" for q in record.next_questions)


def test_dont_know_never_overrides_what_the_text_says(model):
    def reader(text):
        return {"fever": True}, [], [], []  # findings, words, notes, red flags not addressed

    (record,) = assess_items([Item(1, {**START, "text": "hot", "fever": None})], model, reader)
    assert record["red_flags"][0]["id"] == "fever_or_frequent_urination"
    assert "fever" not in record["next_questions"][0]["findings"]


def test_a_red_flag_the_text_reader_read_as_absent_is_asked_again(model):
    def reader(text):  # e.g. a negation read too widely
        return {"saddle_numbness": False, "fever": False, "spasm": True}, [], [], []

    (record,) = assess_items([Item(1, {**START, "text": "..."})], model, reader)
    checklist = record["next_questions"][0]
    assert {"saddle_numbness", "fever"} <= set(checklist["findings"])
    confirmed = {**START, "text": "...", "saddle_numbness": False, "fever": False}
    (record,) = assess_items([Item(1, confirmed)], model, reader)
    assert not {"saddle_numbness", "fever"} & set(record["next_questions"][0]["findings"])
    assert "spasm" not in {q.get("finding") for q in record["next_questions"]}


def test_an_emergency_ends_the_questions_but_those_that_call_an_ambulance(model):
    """Go now: no question but the safety questions of rules above emergency (fainting, a
    pulsating lump with severe pain), which still decide between going and an ambulance."""
    record = assess({**START, "saddle_numbness": True}, model)
    assert record.triage.level == "emergency" and not record.triage.screened
    (checklist,) = record.next_questions
    assert checklist.findings == ["fainting_or_collapse", "pulsating_abdominal_mass"]
    told = {**START, "saddle_numbness": True, "fainting_or_collapse": False}
    record = assess({**told, "pulsating_abdominal_mass": True}, model)
    assert [q.finding for q in record.next_questions] == ["pain_severity"]
    record = assess({**told, "pulsating_abdominal_mass": False}, model)
    assert record.next_questions == [] and record.triage.screened


def test_a_complete_case_has_nothing_left_to_ask(model):
    case = {
        **START,
        **_screen_answers(),
        "onset": "sudden",
        "days_since_onset": 0,
        "trigger": "lifting_heavy_object",
        "pain_side": "central",
        "pain_severity": 5,
        "spasm": False,
        "restricted_movement": False,
        "worse_on_extension_or_twisting": False,
        "eased_by_rest": True,
        "chronic_strain_history": False,
        "previous_episodes": False,
        "nausea_or_vomiting": False,
    }
    assert assess(case, model).next_questions == []


def test_every_way_in_gives_the_same_questions(model):
    case = {**START, **_screen_answers(), "spasm": None}
    python = assess(case, model).next_questions
    (stream,) = assess_items([Item(1, {"id": 1, **case})], model)
    assert Assessment.model_validate(stream).next_questions == python
    assert python and all(q.finding != "spasm" for q in python)


def test_a_woman_of_child_bearing_age_is_asked_about_pregnancy_a_man_is_not(model):
    woman = assess({"age": 30, "sex": "female"}, model).next_questions[0]
    older = assess({"age": 70, "sex": "female"}, model).next_questions[0]
    assert "pregnant" in woman.findings and "pregnant" not in older.findings


def test_model_without_a_policy_is_the_same_model(model):
    """The policy changes nothing the model decides."""
    data = json.loads(dumps_model(model.file))
    del data["interview"]
    old = model_from_file(parse_model(json.dumps(data).encode(), "old").file)
    case = {**START, "spasm": True}
    assert assess(case, old).differential == assess(case, model).differential
