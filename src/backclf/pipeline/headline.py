"""The dozen figures a person compares between runs, defined once (:data:`FIGURES`): each is
read from leaves of one report, written to `reports/headline.json` under a short key (the
pipeline's only DVC metric, so `dvc exp show` and `dvc metrics diff` fit a terminal) and logged
on the parent MLflow run under a readable name (:mod:`backclf.pipeline.run_figures`). Both come
from :func:`figures`, so the DVC metric and the MLflow run cannot disagree. Every other report
is a plain output, read in detail when needed.

The keys are short because `dvc exp show` gives each a column: with the README's command, an
experiment's row (24 characters for DVC's generated names) and ten figures of at most six
characters fit 120 columns (tests/test_experiments_view.py renders it). The README's
"Reading experiments" paragraph says what each key means.

Whether a run was promoted is not here: promotion depends on the MLflow registry's state, which
a fresh clone does not have, so a metric built on it could not be reproduced from the commit.
The run's `promotion` tag and note in MLflow say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One headline figure: its DVC key and MLflow name, and where it is read. ``leaves`` are
    paths ``a/b/c`` in ``reports/<report>.json``; ``*`` is every key at its level; the figure
    is the sum of the leaves, a list counting its items."""

    key: str
    name: str
    report: str
    leaves: tuple[str, ...]
    meaning: str


#: The order is the order of `dvc exp show`'s columns and of the MLflow run's metrics.
FIGURES: tuple[Figure, ...] = (
    Figure("acc", "test accuracy", "metrics", ("champion/test_accuracy",),
           "cause named first, synthetic test set (share)"),
    Figure("gap", "gap to Bayes ceiling points", "metrics", ("champion/gap_to_bayes_points",),
           "exact Bayes ceiling minus accuracy (percentage points)"),
    Figure("ece", "ECE", "metrics", ("champion/ece",), "expected calibration error, test set"),
    Figure("loss", "log loss", "metrics", ("champion/log_loss",), "test set log loss (nats)"),
    Figure("over", "over-triage rate", "metrics", ("champion/triage/over_triage_rate",),
           "share of plain cases sent above the level their cause needs"),
    Figure("pyelo", "pyelonephritis under-triage rate", "metrics",
           ("champion/triage/pyelonephritis_under_triage_rate",),
           "share of kidney-infection cases below consultation within 24 h"),
    Figure("rf_sc", "red-flag cases at self-care", "metrics",
           ("champion/triage/red_flag_cases_at_self_care",),
           "cases with a red flag that end at self-care (must be 0)"),
    Figure("danger", "dangerous presentations below minimum", "metrics",
           ("champion/dangerous_presentations/below_minimum",
            "champion/blind_presentations/below_minimum"),
           "dangerous presentations (hand-written and blind) below their minimum"),
    Figure("texts", "written-text red flags below minimum", "text_metrics",
           ("written_sets/*/red_flag_cases_reaching_triage_min/under",),
           "written messages with a red flag below their minimum, every round"),
    Figure("iv_gap", "interview gap points", "interview_metrics",
           ("headline/age_and_sex/gap_without_an_emergency_red_flag_points",),
           "interview accuracy gap to the full form, patients not sent to an emergency (points)"),
    Figure("dev", "dev cause first rate", "metrics", ("champion/dev_cause_first_rate",),
           "development vignettes with the right cause first (share)"),
)  # fmt: skip
#: key -> what it measures.
HEADLINE: dict[str, str] = {f.key: f.meaning for f in FIGURES}
#: The reports the figures are read from (`reports/<name>.json`).
REPORTS: tuple[str, ...] = tuple(dict.fromkeys(f.report for f in FIGURES))


def _leaves(node: Any, parts: list[str], report: str, path: str) -> list[float | int]:
    """The leaves at ``parts`` below ``node``, a list as its number of items."""
    if not parts:
        return [len(node)] if isinstance(node, list) else [node]
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict) and head == "*":
        return [v for child in node.values() for v in _leaves(child, rest, report, path)]
    if not isinstance(node, dict) or head not in node:
        raise KeyError(f"reports/{report}.json has no {path} (pipeline/headline.py reads it)")
    return _leaves(node[head], rest, report, path)


def value(figure: Figure, report: dict[str, Any]) -> float | int:
    """One figure from its report: the sum of its leaves."""
    return sum(
        v for path in figure.leaves for v in _leaves(report, path.split("/"), figure.report, path)
    )


def figures(reports: dict[str, dict[str, Any]]) -> dict[str, float | int]:
    """The figures of the reports given (by name, ``metrics`` for `reports/metrics.json`),
    by key, in the order of :data:`FIGURES`; a figure whose report is not given is left out."""
    return {f.key: value(f, reports[f.report]) for f in FIGURES if f.report in reports}


def headline_figures(reports: dict[str, dict[str, Any]]) -> dict[str, float | int]:
    """`reports/headline.json`: every figure, from every report in :data:`REPORTS`."""
    missing = [name for name in REPORTS if name not in reports]
    if missing:
        raise KeyError(f"the headline needs reports/{missing[0]}.json")
    return figures(reports)


def named_figures(reports: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The figures of the reports given under their MLflow names. With `headline.json` among
    them (``headline``), it must hold the same figures: a stale file is an error, not a
    second opinion."""
    found = figures(reports)
    stored = reports.get("headline")
    if stored is not None and {k: stored.get(k) for k in found} != found:
        differ = sorted(k for k in found if stored.get(k) != found[k])
        raise ValueError(
            f"reports/headline.json disagrees with the reports on {', '.join(differ)}: "
            "run `dvc repro`"
        )
    names = {f.key: f.name for f in FIGURES}
    return {names[key]: float(v) for key, v in found.items()}
