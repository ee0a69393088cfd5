"""The text of ``reports/sensitivity.md``, generated from the study's two files
(:mod:`backclf.study.files`)."""

from __future__ import annotations

from typing import Any

from backclf.study.files import (
    COMMAND,
    DESCRIPTION,
    DIRECTIONS,
    FIGURES,
    REFERENCE,
    TESTED_THERE,
    TRAINED_THERE,
)
from backclf.study.summary import (
    family_statements,
    pct,
    points,
    row_name,
    size_statements,
    span,
    summarise,
)

MOVES = {
    "assumption_shift": "assumption rows",
    "sourced_shift": "sourced rows",
    "prior_shift": "class priors",
    "missing_raise": "missing rate",
}


def _family_moves(family: dict[str, float], band: float) -> str:
    parts = []
    for key, words in MOVES.items():
        per_unit = family.get(key, 0.0)
        if not per_unit:
            continue
        if key == "missing_raise":
            parts.append(f"missing rate +{per_unit:g} x size")
        elif key == "sourced_shift":
            parts.append(
                f"{words} {per_unit:g} x size log-odds, at most {band:g} (sizes from "
                f"{band / per_unit:g} up give one world)"
            )
        else:
            parts.append(f"{words} {per_unit:g} x size log-odds")
    return "; ".join(parts)


def _world_table(report: dict[str, Any], direction: str) -> list[str]:
    reference = report[REFERENCE][direction]
    lines = [
        "| family | size | accuracy | change (points) | Bayes ceiling | gap (points) | ECE "
        "| red flags at self-care | pyelonephritis under-triage |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| default world | 0 | {reference['accuracy']:.4f} | | "
        f"{reference['bayes_ceiling']:.4f} | {reference['gap_points']:.2f} | "
        f"{reference['ece']:.4f} | {reference['red_flag_cases_at_self_care']} | "
        f"{pct(reference['pyelonephritis_under_triage_rate'])} |",
    ]
    for family, sizes in summarise(report).items():
        for size, entry in sizes.items():
            e = entry[direction]
            acc, ceiling, gap = e["accuracy"], e["bayes_ceiling"], e["gap_points"]
            change = (100 * (acc["min"] - acc["reference"]), 100 * (acc["max"] - acc["reference"]))
            under = e["pyelonephritis_under_triage_rate"]
            lines.append(
                f"| {family} | {size} | {span(acc['min'], acc['max'], lambda v: f'{v:.4f}')} "
                f"| {span(*change, points)} "
                f"| {span(ceiling['min'], ceiling['max'], lambda v: f'{v:.4f}')} "
                f"| {span(gap['min'], gap['max'], lambda v: f'{v:.2f}')} "
                f"| {span(e['ece']['min'], e['ece']['max'], lambda v: f'{v:.4f}')} "
                f"| {e['red_flag_cases_at_self_care']} "
                f"| {span(under['min'], under['max'], pct)} |"
            )
    return lines


def _row_numbers(row: dict[str, Any]) -> str:
    return ", ".join(f"{v} {row['p'][v]:g}" for v in row["moves"])


def _ranking_table(ranking: list[dict[str, Any]], top: int) -> list[str]:
    lines = [
        "| rank | assumption row | its numbers (answered values) | accuracy, points per unit "
        "| pyelonephritis under-triage, points per unit | Bayes ceiling, points per unit "
        "| accuracy change at +1 / -1 unit | re-measured (accuracy per unit) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in ranking[:top]:
        per_unit, change = row["per_unit_points"], row["change_points"]["accuracy"]
        check = row.get("check_per_unit_points")
        checked = f"{check['accuracy']:.2f}" if check else ""
        lines.append(
            f"| {row['rank']} | {row_name(row)} | {_row_numbers(row)} "
            f"| {per_unit['accuracy']:.2f} | {per_unit['pyelonephritis_under_triage']:.2f} "
            f"| {per_unit['bayes_ceiling']:.2f} | {points(change['up'])} / "
            f"{points(change['down'])} | {checked} |"
        )
    return lines


def _ranking_noise(ranking: list[dict[str, Any]], top: int) -> list[str]:
    """How far the re-measurement moved the top rows, and whether the cut after the top rows
    is wider than that."""
    checked = [r for r in ranking if "check_per_unit_points" in r]
    if not checked or len(ranking) <= top:
        return []
    spread = max(
        abs(r["check_per_unit_points"]["accuracy"] - r["per_unit_points"]["accuracy"])
        for r in checked
    )
    last, first_out = ranking[top - 1]["influence"], ranking[top]["influence"]
    cut = (
        "wider than that, so the top rows are a stable set"
        if last - first_out > spread
        else "narrower than that, so the last places of the top rows could change places with "
        "the next rows on another set"
    )
    return [
        f"On another set the top rows' accuracy figures move by up to {spread:.2f} points per "
        f"unit: rows closer than that are not reliably ordered. The cut after rank {top} "
        f"({last:.2f} against {first_out:.2f}) is {cut}.",
        "",
    ]


def render_report(report: dict[str, Any], plot: str | None = "plots/sensitivity.png") -> str:
    """The text of ``reports/sensitivity.md``."""
    lines = [*_in_short(report), *_what_was_done(report["study"]), *_world_tables(report)]
    if plot:
        lines += [f"![accuracy, gap and under-triage against perturbation size]({plot})", ""]
    lines += _which_rows_matter(report)
    return "\n".join(lines)


def _in_short(report: dict[str, Any]) -> list[str]:
    """The title, what the figures are of, and the findings in sentences."""
    study = report["study"]
    reference = report[REFERENCE][TESTED_THERE]
    ranking = report["ranking"]
    top = study["ranking"]["top"]
    n_worlds = len(report["worlds"])
    at_self_care = sum(
        w[d]["red_flag_cases_at_self_care"] for w in report["worlds"].values() for d in DIRECTIONS
    ) + sum(report[REFERENCE][d]["red_flag_cases_at_self_care"] for d in DIRECTIONS)
    return [
        "# Assumption sensitivity: how far the champion moves when the generator is wrong",
        "",
        f"Generated by `{COMMAND}` (stage `sensitivity`) from `reports/{FIGURES}` and "
        f"`reports/{DESCRIPTION}`; do not edit by hand.",
        "",
        f"Champion: **{study['champion']}** (`models/champion.json`, sha256 "
        f"`{study['champion_sha256'][:12]}`); generator `generator.yaml` sha256 "
        f"`{study['generator_sha256'][:12]}`.",
        "",
        "## In short",
        f"In the default world the champion's accuracy is {reference['accuracy']:.4f} against a "
        f"Bayes ceiling of {reference['bayes_ceiling']:.4f}, and "
        f"{pct(reference['pyelonephritis_under_triage_rate'])} of pyelonephritis cases are not "
        f"sent to a doctor within 24 hours. Trained in the default world and tested in "
        f"{n_worlds} perturbed worlds:",
        "",
        *size_statements(report),
        "",
        "What moves it, family by family at the largest size:",
        "",
        *family_statements(report),
        "",
        f"Red-flag cases ending at self-care, over every world and both directions: "
        f"**{at_self_care}** (must be 0)"
        + (
            "; the red-flag override holds whatever the tables say."
            if at_self_care == 0
            else ". **The override failed: this is a bug.**"
        ),
        "",
        f"The {min(top, len(ranking))} assumption rows that move accuracy or pyelonephritis "
        "under-triage most, one at a time (check these against the literature first): "
        + "; ".join(row_name(r) for r in ranking[:top])
        + ".",
        "",
    ]


def _what_was_done(study: dict[str, Any]) -> list[str]:
    """How a world moves, the families, the grid and the sets."""
    return [
        "## What was done",
        "A *world* is the generator with some of its numbers moved "
        "(`src/backclf/study/worlds.py`); every world passes the checks of `generator.yaml`. "
        "A row moves in log-odds: its unknown share and its declared uninformative values keep "
        "their probability, and the answered values move so that the root-mean-square change "
        "in log-odds between two of them is the shift (for a yes/no finding, the log-odds of "
        "yes against no move by exactly the shift; 1 unit multiplies or divides the odds by "
        "e = 2.7, so 30% becomes 54% or 14%). Rows that state the same numbers from the same "
        "source (one assumption written once for several causes) move together.",
        "",
        "| family | what a world of size s moves |",
        "|---|---|",
        *[
            f"| {name} | {_family_moves(family, study['sourced_band'])} |"
            for name, family in study["families"].items()
        ],
        "",
        f"Sizes {', '.join(f'{s:g}' for s in study['sizes'])}; {study['replicates']} worlds per "
        f"family and size, each moving in its own random directions (a replicate keeps its "
        f"directions as the size grows). Every test set has {study['n_test']:,} vignettes from "
        f"seed {study['seed']} (common random numbers: two worlds' sets differ only in the "
        f"cases the perturbation changes). A model trained in a world sees "
        f"{study['n_train']:,} vignettes (temperature on {study['n_validation']:,} more) with "
        "the champion's kind and hyperparameters. Accuracy, ECE and the safety audit are the "
        "evaluate stage's own metrics; the Bayes ceiling is the exact posterior of the test "
        "world.",
        "",
    ]


def _world_tables(report: dict[str, Any]) -> list[str]:
    """The two directions, each as a table over families and sizes."""
    study = report["study"]
    return [
        "## Trained in the default world, tested in perturbed worlds",
        "Ranges are over the replicates; change is against the default world on the same "
        "vignettes' seed.",
        "",
        *_world_table(report, TESTED_THERE),
        "",
        "## Trained in perturbed worlds, tested in the default world",
        "The reverse question: had the tables been written as the perturbed world, how would "
        "a model trained on them fare in the default world? The reference row is the same "
        f"recipe trained on {study['n_train']:,} default vignettes.",
        "",
        *size_statements(report, TRAINED_THERE),
        "",
        *_world_table(report, TRAINED_THERE),
        "",
    ]


def _which_rows_matter(report: dict[str, Any]) -> list[str]:
    """The one-at-a-time ranking of the assumption rows."""
    study = report["study"]
    ranking = report["ranking"]
    top = study["ranking"]["top"]
    unit = study["ranking"]["unit_shift"]
    silent = [r for r in ranking if r["per_unit_points"]["accuracy"] == 0]
    most_triage = max(
        ranking, key=lambda r: (r["per_unit_points"]["pyelonephritis_under_triage"], -r["rank"])
    )
    return [
        "## Which assumption rows matter (one at a time)",
        f"Each of the {len(ranking)} movable assumption rows is moved alone by +{unit:g} and "
        f"-{unit:g} unit of log-odds ({study['ranking']['n']:,} vignettes, the same seed as its "
        "reference); a row's influence is the mean absolute change over the two directions, "
        "per unit (Morris's mu*), in percentage points, of accuracy and of pyelonephritis "
        "under-triage, ranked by the larger of the two. +1 moves a yes/no row towards yes; a "
        "row with more values moves along a random direction drawn from the seed. The last "
        "column re-measures the top rows on an independent set (another seed).",
        "",
        *_ranking_table(ranking, top),
        "",
        *_ranking_noise(ranking, top),
        f"The largest change in pyelonephritis under-triage from one assumption row is "
        f"{most_triage['per_unit_points']['pyelonephritis_under_triage']:.2f} points per unit "
        f"({row_name(most_triage)}).",
        "",
        f"{len(silent)} of the {len(ranking)} rows leave the champion's accuracy unchanged: "
        "findings the model does not read (set independent of the cause, they drive only the "
        "red-flag rules), or rows whose moves flip no prediction on this set. The full ranking "
        f"is in `reports/{DESCRIPTION}`.",
        "",
    ]
