"""The headline figures: a dozen numbers, the pipeline's only DVC metric, read from the
reports by hand-written paths (a report reshaped without updating the headline fails here)."""

from __future__ import annotations

import json

import yaml

from backclf.pipeline.headline import HEADLINE, headline_figures

METRICS = {
    "champion": {
        "test_accuracy": 0.69,
        "gap_to_bayes_points": 0.09,
        "ece": 0.0189,
        "log_loss": 0.8356,
        "dev_cause_first_rate": 1.0,
        "triage": {
            "over_triage_rate": 0.1996,
            "pyelonephritis_under_triage_rate": 0.0579,
            "red_flag_cases_at_self_care": 0,
        },
        "dangerous_presentations": {"below_minimum": 2},
        "blind_presentations": {"below_minimum": 1},
    }
}
TEXT = {
    "written_sets": {
        "round1": {"red_flag_cases_reaching_triage_min": {"under": ["r1-004"]}},
        "round2": {"red_flag_cases_reaching_triage_min": {"under": []}},
        "round3": {"red_flag_cases_reaching_triage_min": {"under": ["r3-001", "r3-009"]}},
    }
}
INTERVIEW = {"headline": {"age_and_sex": {"gap_without_an_emergency_red_flag_points": 0.84}}}


def test_the_headline_reads_each_figure_from_its_report():
    assert headline_figures(METRICS, TEXT, INTERVIEW) == {
        "accuracy": 0.69,
        "gap_to_ceiling_points": 0.09,
        "ece": 0.0189,
        "log_loss": 0.8356,
        "over_triage": 0.1996,
        "pyelo_under_triage": 0.0579,
        "red_flag_at_self_care": 0,
        "dangerous_below_min": 3,
        "written_red_flags_below_min": 3,
        "interview_gap_points": 0.84,
        "dev_cause_first": 1.0,
    }


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
    assert list(figures) == list(HEADLINE)
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in figures.values())
    assert figures["red_flag_at_self_care"] == 0
