"""The headline figures: a dozen numbers, defined once, written as the pipeline's only DVC
metric under short keys and logged on the MLflow parent run under readable names, read from
the reports by hand-written paths (a report reshaped without updating the headline fails
here)."""

from __future__ import annotations

import json

import pytest
import yaml

from backclf.pipeline.headline import FIGURES, HEADLINE, headline_figures
from backclf.pipeline.registry import headline_metrics

#: Reports as the stages write them, cut to what the headline reads, plus a figure of each
#: report the headline does not read (figures made up).
METRICS = {
    "champion": {
        "test_accuracy": 0.69,
        "bayes_ceiling": 0.6909,
        "gap_to_bayes_points": 0.09,
        "ece": 0.0189,
        "log_loss": 0.8356,
        "shifted_accuracy": 0.6313,
        "dev_cause_first_rate": 1.0,
        "triage": {
            "over_triage_rate": 0.1996,
            "pyelonephritis_under_triage_rate": 0.0579,
            "red_flag_cases_at_self_care": 0,
            "overridden_rate": 0.3596,
        },
        "dangerous_presentations": {"below_minimum": 2, "dangerous": 84},
        "blind_presentations": {"below_minimum": 1, "dangerous": 40},
    },
    "candidates": {"tree": {"test_accuracy": 0.64}},
}
TEXT = {
    "written_sets": {
        "round1": {"red_flag_cases_reaching_triage_min": {"cases": 78, "under": ["r1-004"]}},
        "round2": {"red_flag_cases_reaching_triage_min": {"cases": 76, "under": []}},
        "round3": {
            "red_flag_cases_reaching_triage_min": {"cases": 76, "under": ["r3-001", "r3-009"]}
        },
    },
    "heldout_narratives": {"micro": {"f1": 0.98}},
}
INTERVIEW = {
    "headline": {
        "age_and_sex": {
            "gap_to_full_form_points": 2.44,
            "gap_without_an_emergency_red_flag_points": 0.84,
            "questions_median": 7.0,
        },
        "narrative": {"gap_to_full_form_points": 1.65},
    }
}
REPORTS = {"metrics": METRICS, "text_metrics": TEXT, "interview_metrics": INTERVIEW}
#: reports/headline.json for REPORTS, worked out by hand.
EXPECTED = {
    "acc": 0.69,
    "gap": 0.09,
    "ece": 0.0189,
    "loss": 0.8356,
    "over": 0.1996,
    "pyelo": 0.0579,
    "rf_sc": 0,
    "danger": 3,  # 2 hand-written + 1 blind
    "texts": 3,  # 1 in round 1, 0 in round 2, 2 in round 3
    "iv_gap": 0.84,  # without an emergency, not the 2.44 over everyone
    "dev": 1.0,
}


def test_the_headline_reads_each_figure_from_its_report():
    assert headline_figures(REPORTS) == EXPECTED


def test_the_mlflow_run_logs_the_same_figures_under_readable_names():
    assert headline_metrics(REPORTS) == {
        "test accuracy": 0.69,
        "gap to Bayes ceiling points": 0.09,
        "ECE": 0.0189,
        "log loss": 0.8356,
        "over-triage rate": 0.1996,
        "pyelonephritis under-triage rate": 0.0579,
        "red-flag cases at self-care": 0.0,
        "dangerous presentations below minimum": 3.0,
        "written-text red flags below minimum": 3.0,
        "interview gap points": 0.84,
        "dev cause first rate": 1.0,
    }
    # with headline.json among the reports, as in `publish`: the same figures
    assert headline_metrics({**REPORTS, "headline": EXPECTED}) == headline_metrics(REPORTS)


def test_a_stale_headline_file_is_an_error_not_a_second_opinion():
    stale = {**EXPECTED, "acc": 0.7, "ece": 0.02}
    with pytest.raises(ValueError, match=r"headline\.json disagrees .* on acc, ece: run `dvc"):
        headline_metrics({**REPORTS, "headline": stale})


def test_a_report_the_run_lacks_is_left_out_but_a_missing_figure_is_an_error():
    only = headline_metrics({"metrics": METRICS})
    assert "interview gap points" not in only and "written-text red flags below minimum" not in only
    assert only["test accuracy"] == 0.69
    with pytest.raises(KeyError, match=r"needs reports/text_metrics\.json"):
        headline_figures({"metrics": METRICS})
    broken = {"metrics": {"champion": {"test_accuracy": 0.7}}}
    with pytest.raises(
        KeyError, match=r"reports/metrics\.json has no champion/gap_to_bayes_points"
    ):
        headline_metrics(broken)


def test_each_figure_has_one_short_key_and_one_readable_name():
    keys = [f.key for f in FIGURES]
    names = [f.name for f in FIGURES]
    assert len(set(keys)) == len(keys) == len(set(names)) <= 12
    # a column of `dvc exp show` no wider than its six-character figures (0.6471)
    assert all(len(key) <= 6 for key in keys), keys
    assert all(" " in name or name.isupper() for name in names), names


def test_the_headline_is_the_only_dvc_metric(root):
    """`dvc exp show` and `dvc metrics diff` show metrics files' every leaf as a column: one
    small file keeps them readable; the detailed reports are outputs."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    metrics = [
        next(iter(m)) if isinstance(m, dict) else m
        for stage in stages.values()
        for m in stage.get("metrics", [])
    ]
    assert metrics == ["reports/headline.json"]
    assert len(HEADLINE) <= 12


def test_the_committed_headline_is_a_dozen_numbers(root):
    figures = json.loads((root / "reports/headline.json").read_text())
    assert list(figures) == list(EXPECTED)
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in figures.values())
    assert figures["rf_sc"] == 0
