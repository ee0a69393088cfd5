"""Simulated interviews (the evaluate_interview stage's machinery) on generated patients."""

from __future__ import annotations

import numpy as np
import pytest

from backclf.contract.fields import FIELD_NAMES
from backclf.core.screen import unknown
from backclf.interview_study.evaluation import red_flag_screen, stopped
from backclf.interview_study.simulation import Interviews, start_from, step
from backclf.synth.config import GenerationConfig
from backclf.synth.sampler import sample_rows


@pytest.fixture(scope="module")
def flagged():
    """Patients of whom half carry a red-flag scenario, some with findings unknown."""
    sample = sample_rows(GenerationConfig(seed=21, red_flag_rate=0.5, missing_rate=0.2), 0, 3000)
    return sample.columns, sample.label


def test_every_red_flag_reaches_its_level_after_the_screen(model, flagged):
    truth, _ = flagged
    report = red_flag_screen(model, truth, start_from(truth, ("age", "sex")))
    assert report["vignettes_with_a_red_flag"] > 1000
    assert report["missed"] == 0


def test_patients_answer_from_their_vignettes(model, flagged):
    truth, _ = flagged
    state = Interviews(truth, start_from(truth, ("age", "sex")))
    step(model, state, "policy", stopping=True)  # the checklist, for everyone
    fever = truth["fever"]
    assert np.array_equal(state.known["fever"][fever >= 0], fever[fever >= 0])
    assert state.asked["fever"][fever < 0].all()  # unknown in the vignette: "don't know"
    assert not state.asked["fever"][fever >= 0].any()
    assert (state.questions == 1).all()


def test_the_fixed_order_is_the_forms(model, flagged):
    truth, _ = flagged
    state = Interviews(truth, start_from(truth, ("age", "sex")))
    while len(step(model, state, "screen", stopping=True)):
        pass  # the checklist and its follow-ups
    state.finished[:] = False
    step(model, state, "fixed", stopping=False)
    step(model, state, "fixed", stopping=False)
    form = [f for f in FIELD_NAMES if f not in ("age", "sex", "pregnant")][:2]
    assert form == ["onset", "days_since_onset"]
    told_age_and_sex = ~unknown(truth, "age") & ~unknown(truth, "sex")  # else those come first
    for finding in form:
        answered = ~unknown(state.known, finding) | state.asked[finding]
        assert answered[told_age_and_sex].all(), finding


def test_stopping_asks_fewer_questions_than_the_full_form(model, flagged):
    truth, label = flagged
    result = stopped(model, truth, label, start_from(truth, ("age", "sex")), "policy")
    assert 1 <= result["questions_median"] < 10
    assert result["accuracy"] > 0.5
