"""The figures a pipeline run logs on MLflow's runs table: the headline figures of its
reports under readable names, for the parent run and each candidate's nested run. Every other
figure stays in the reports (logged as JSON artifacts by :mod:`backclf.pipeline.registry`).
The parent run's figures and `reports/headline.json` (the DVC metric) are one definition,
:data:`backclf.pipeline.headline.FIGURES`.
"""

from __future__ import annotations

from typing import Any

from backclf.pipeline.headline import named_figures

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


def headline_metrics(reports: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The parent run's metrics: the headline figures of the reports this run has, under their
    readable names (:data:`backclf.pipeline.headline.FIGURES`, the one definition
    `reports/headline.json` is written from)."""
    return named_figures(reports)
