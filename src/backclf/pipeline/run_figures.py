"""The figures a pipeline run logs on MLflow's runs table: the headline figures of its
reports under readable names, for the parent run and each candidate's nested run. Every other
figure stays in the reports (logged as JSON artifacts by :mod:`backclf.pipeline.registry`).
"""

from __future__ import annotations

from typing import Any

#: The parent run's metrics: the headline figures, each under a readable name, from one leaf
#: of one report (``report``, ``a/b/c``). A report the run does not have is skipped; a leaf
#: missing from a report it has is an error (the table and the report must agree).
HEADLINE = {
    "test accuracy": ("metrics", "champion/test_accuracy"),
    "Bayes ceiling": ("metrics", "champion/bayes_ceiling"),
    "gap to Bayes ceiling points": ("metrics", "champion/gap_to_bayes_points"),
    "ECE": ("metrics", "champion/ece"),
    "log loss": ("metrics", "champion/log_loss"),
    "shifted accuracy": ("metrics", "champion/shifted_accuracy"),
    "over-triage rate": ("metrics", "champion/triage/over_triage_rate"),
    "pyelonephritis under-triage rate": (
        "metrics",
        "champion/triage/pyelonephritis_under_triage_rate",
    ),
    "red-flag cases at self-care": ("metrics", "champion/triage/red_flag_cases_at_self_care"),
    "dangerous presentations below minimum": (
        "metrics",
        "champion/dangerous_presentations/below_minimum",
    ),
    "blind presentations below minimum": ("metrics", "champion/blind_presentations/below_minimum"),
    "dev cause first rate": ("metrics", "champion/dev_cause_first_rate"),
    "interview gap points": ("interview_metrics", "headline/age_and_sex/gap_to_full_form_points"),
    "interview gap from narrative points": (
        "interview_metrics",
        "headline/narrative/gap_to_full_form_points",
    ),
}
WRITTEN_BELOW_MINIMUM = "written-text red flags below minimum"
#: 1 if the gate promoted the model when it was registered. A later promotion (after
#: ``dvc exp apply``) moves the alias and tags the version, and logs nothing on the run.
PROMOTED = "promoted when registered"
#: A candidate's nested run: its figures under the parent's names, from evaluation.json.
CANDIDATE_HEADLINE = {
    "test accuracy": ("test", "accuracy"),
    "ECE": ("test", "ece"),
    "log loss": ("test", "log_loss"),
    "shifted accuracy": ("shifted", "accuracy"),
    "dev cause first rate": ("dev", "cause_first_rate"),
}


def _leaf(tree: dict[str, Any], report: str, path: str) -> float:
    node: Any = tree
    for part in path.split("/"):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"reports/{report}.json has no {path} (run_figures.HEADLINE names it)")
        node = node[part]
    return float(node)


def headline_metrics(reports: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The headline figures of the reports this run has, under their readable names; the
    written texts' red-flag cases below their minimum are summed over the rounds."""
    out = {
        name: _leaf(reports[report], report, path)
        for name, (report, path) in HEADLINE.items()
        if report in reports
    }
    if "text_metrics" in reports:
        rounds = reports["text_metrics"]["written_sets"].values()
        reaching = [r["red_flag_cases_reaching_triage_min"] for r in rounds]
        out[WRITTEN_BELOW_MINIMUM] = float(sum(r["cases"] - r["reached"] for r in reaching))
    return out
