"""The dozen figures a person compares between runs: `reports/headline.json`, the pipeline's
only DVC metric (so `dvc exp show` and `dvc metrics diff` fit a terminal) and the parent MLflow
run's headline metrics. Every other report is a plain output, read in detail when needed.

Whether a run was promoted is not here: promotion depends on the MLflow registry's state, which
a fresh clone does not have, so a metric built on it could not be reproduced from the commit.
The run's `promotion` tag and note in MLflow say it.
"""

from __future__ import annotations

from typing import Any

#: name -> what it measures; the order is the order of `dvc exp show`'s columns.
HEADLINE: dict[str, str] = {
    "accuracy": "cause named first, synthetic test set (share)",
    "gap_to_ceiling_points": "exact Bayes ceiling minus accuracy (percentage points)",
    "ece": "expected calibration error, test set",
    "log_loss": "test set log loss (nats)",
    "over_triage": "share of plain cases sent above the level their cause needs",
    "pyelo_under_triage": "share of kidney-infection cases below consultation within 24 h",
    "red_flag_at_self_care": "cases with a red flag that end at self-care (must be 0)",
    "dangerous_below_min": "dangerous presentations (hand-written and blind) below their minimum",
    "written_red_flags_below_min": "written messages with a red flag below their minimum",
    "interview_gap_points": "interview accuracy gap to the full form, no emergency (points)",
    "dev_cause_first": "development vignettes with the right cause first (share)",
}


def headline_figures(
    metrics: dict[str, Any], text: dict[str, Any], interview: dict[str, Any]
) -> dict[str, float]:
    """The headline figures from `reports/metrics.json`, `text_metrics.json` and
    `interview_metrics.json`, in the order of `HEADLINE`."""
    champion = metrics["champion"]
    triage = champion["triage"]
    audits = ("dangerous_presentations", "blind_presentations")
    written = text["written_sets"].values()
    gap = interview["headline"]["age_and_sex"]["gap_without_an_emergency_red_flag_points"]
    figures = {
        "accuracy": champion["test_accuracy"],
        "gap_to_ceiling_points": champion["gap_to_bayes_points"],
        "ece": champion["ece"],
        "log_loss": champion["log_loss"],
        "over_triage": triage["over_triage_rate"],
        "pyelo_under_triage": triage["pyelonephritis_under_triage_rate"],
        "red_flag_at_self_care": triage["red_flag_cases_at_self_care"],
        "dangerous_below_min": sum(champion[name]["below_minimum"] for name in audits),
        "written_red_flags_below_min": sum(
            len(s["red_flag_cases_reaching_triage_min"]["under"]) for s in written
        ),
        "interview_gap_points": gap,
        "dev_cause_first": champion["dev_cause_first_rate"],
    }
    assert list(figures) == list(HEADLINE)
    return figures
