"""The sensitivity study's files and report.

The study is stored in two files: ``reports/sensitivity.json``, the figures (DVC metrics: the
default world and one entry per world, numbers only, so ``dvc metrics diff`` compares them
world by world), and ``reports/sensitivity_study.json``, what they are of (the champion, the
generator, the grid, each world's moves) and the one-at-a-time ranking. ``sensitivity.md``
and its plot are generated from them; nothing in them is written by hand. Light on purpose:
the model card (stage ``evaluate``) renders its "Robustness" section with this module.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

#: The keys of ``reports/sensitivity.json``: each world's two directions, and the default world.
TESTED_THERE = "tested_in_world"
TRAINED_THERE = "trained_in_world"
REFERENCE = "reference"
DIRECTIONS = {
    TESTED_THERE: "trained in the default world, tested in the perturbed world",
    TRAINED_THERE: "trained in the perturbed world, tested in the default world",
}
MOVES = {
    "assumption_shift": "assumption rows",
    "sourced_shift": "sourced rows",
    "prior_shift": "class priors",
    "missing_raise": "missing rate",
}


COMMAND = "dvc repro studies/dvc.yaml"
FIGURES = "sensitivity.json"
DESCRIPTION = "sensitivity_study.json"
#: The figures summarised per family and size.
SUMMARISED = (
    "accuracy",
    "bayes_ceiling",
    "gap_points",
    "ece",
    "pyelonephritis_under_triage_rate",
)


def split_report(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The study as its two files: (figures, description)."""
    directions = (TESTED_THERE, TRAINED_THERE)
    figures = {
        REFERENCE: report[REFERENCE],
        "worlds": {
            name: {d: world[d] for d in directions} for name, world in report["worlds"].items()
        },
    }
    description = {
        "study": report["study"],
        "worlds": {
            name: {k: v for k, v in world.items() if k not in directions}
            for name, world in report["worlds"].items()
        },
        "ranking": report["ranking"],
    }
    return figures, description


def join_report(figures: dict[str, Any], description: dict[str, Any]) -> dict[str, Any]:
    """The study from its two files."""
    return {
        "study": description["study"],
        REFERENCE: figures[REFERENCE],
        "worlds": {
            name: {**world, **figures["worlds"][name]}
            for name, world in description["worlds"].items()
        },
        "ranking": description["ranking"],
    }


def read_report(reports: Path) -> dict[str, Any] | None:
    """The study stored under ``reports``, or None when it has not been run."""
    paths = (reports / FIGURES, reports / DESCRIPTION)
    if not all(p.exists() for p in paths):
        return None
    return join_report(*(json.loads(p.read_text()) for p in paths))


def write_report(report: dict[str, Any], reports: Path) -> list[Path]:
    """Write the study's two files; returns their paths."""
    paths = [reports / FIGURES, reports / DESCRIPTION]
    for path, content in zip(paths, split_report(report), strict=True):
        path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    return paths


def summarise(report: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per family and size, over replicates, in each direction: each figure's lowest, mean and
    highest value beside the default world's, and the red-flag cases at self-care (most)."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for world in report["worlds"].values():
        groups.setdefault(world["family"], {}).setdefault(f"{world['size']:g}", []).append(world)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for family, sizes in groups.items():
        for size, worlds in sizes.items():
            entry = {}
            for direction in DIRECTIONS:
                reference = report[REFERENCE][direction]
                values = {name: [w[direction][name] for w in worlds] for name in SUMMARISED}
                entry[direction] = {
                    name: {
                        "min": min(v),
                        "mean": round(sum(v) / len(v), 4),
                        "max": max(v),
                        "reference": reference[name],
                    }
                    for name, v in values.items()
                }
                entry[direction]["red_flag_cases_at_self_care"] = max(
                    w[direction]["red_flag_cases_at_self_care"] for w in worlds
                )
            out.setdefault(family, {})[size] = entry
    return out


def generator_sha256() -> str:
    """The sha256 of the packaged ``generator.yaml``: which tables a study was run on."""
    data = resources.files("backclf.knowledge").joinpath("generator.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _points(value: float) -> str:
    return f"{value:+.2f}"


def _span(low: float, high: float, fmt) -> str:
    return fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"


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


def _statement(head: str, worlds: list[tuple[str, dict[str, Any]]], reference: dict) -> str:
    """How far accuracy, the gap and safety move over ``worlds``, against ``reference``."""
    accuracy = [w["accuracy"] for _, w in worlds]
    change = [100 * (a - reference["accuracy"]) for a in accuracy]
    lowest = min(worlds, key=lambda item: item[1]["accuracy"])[0]
    where = f"; lowest in `{lowest}`" if len(worlds) > 1 else ""
    gap = max(w["gap_points"] for _, w in worlds)
    at_self_care = sum(w["red_flag_cases_at_self_care"] for _, w in worlds)
    under = [w["pyelonephritis_under_triage_rate"] for _, w in worlds]
    return (
        f"- **{head}** ({len(worlds)} worlds): accuracy "
        f"{_span(min(accuracy), max(accuracy), lambda v: f'{v:.4f}')} "
        f"({_span(min(change), max(change), _points)} points{where}); gap to the test world's "
        f"Bayes ceiling up to {gap:.2f} points; red-flag cases ending at self-care: "
        f"**{at_self_care}**; pyelonephritis under-triage "
        f"{_span(min(under), max(under), _pct)} (default world "
        f"{_pct(reference['pyelonephritis_under_triage_rate'])})."
    )


def size_statements(report: dict[str, Any], direction: str = TESTED_THERE) -> list[str]:
    """One plain sentence per size: how far accuracy, the gap and safety move, over every
    world of that size."""
    by_size: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, world in report["worlds"].items():
        by_size.setdefault(f"{world['size']:g}", []).append((name, world[direction]))
    reference = report[REFERENCE][direction]
    return [_statement(f"Size {size}", worlds, reference) for size, worlds in by_size.items()]


def family_statements(report: dict[str, Any], direction: str = TESTED_THERE) -> list[str]:
    """One sentence per family at the largest size: what drives the change."""
    largest = max(world["size"] for world in report["worlds"].values())
    by_family: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, world in report["worlds"].items():
        if world["size"] == largest:
            by_family.setdefault(world["family"], []).append((name, world[direction]))
    reference = report[REFERENCE][direction]
    return [
        _statement(f"{family}, size {largest:g}", worlds, reference)
        for family, worlds in by_family.items()
    ]


def _world_table(report: dict[str, Any], direction: str) -> list[str]:
    reference = report[REFERENCE][direction]
    lines = [
        "| family | size | accuracy | change (points) | Bayes ceiling | gap (points) | ECE "
        "| red flags at self-care | pyelonephritis under-triage |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| default world | 0 | {reference['accuracy']:.4f} | | "
        f"{reference['bayes_ceiling']:.4f} | {reference['gap_points']:.2f} | "
        f"{reference['ece']:.4f} | {reference['red_flag_cases_at_self_care']} | "
        f"{_pct(reference['pyelonephritis_under_triage_rate'])} |",
    ]
    for family, sizes in summarise(report).items():
        for size, entry in sizes.items():
            e = entry[direction]
            acc, ceiling, gap = e["accuracy"], e["bayes_ceiling"], e["gap_points"]
            change = (100 * (acc["min"] - acc["reference"]), 100 * (acc["max"] - acc["reference"]))
            under = e["pyelonephritis_under_triage_rate"]
            lines.append(
                f"| {family} | {size} | {_span(acc['min'], acc['max'], lambda v: f'{v:.4f}')} "
                f"| {_span(*change, _points)} "
                f"| {_span(ceiling['min'], ceiling['max'], lambda v: f'{v:.4f}')} "
                f"| {_span(gap['min'], gap['max'], lambda v: f'{v:.2f}')} "
                f"| {_span(e['ece']['min'], e['ece']['max'], lambda v: f'{v:.4f}')} "
                f"| {e['red_flag_cases_at_self_care']} "
                f"| {_span(under['min'], under['max'], _pct)} |"
            )
    return lines


def _row_name(row: dict[str, Any]) -> str:
    conditions = row["conditions"]
    if conditions == ["all_causes"]:
        where = "every cause"
    else:
        where = ", ".join(c.replace("=", " = ") for c in conditions)
    return f"`{row['finding']}` given {where}"


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
            f"| {row['rank']} | {_row_name(row)} | {_row_numbers(row)} "
            f"| {per_unit['accuracy']:.2f} | {per_unit['pyelonephritis_under_triage']:.2f} "
            f"| {per_unit['bayes_ceiling']:.2f} | {_points(change['up'])} / "
            f"{_points(change['down'])} | {checked} |"
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
    study = report["study"]
    reference = report[REFERENCE][TESTED_THERE]
    ranking = report["ranking"]
    top = study["ranking"]["top"]
    unit = study["ranking"]["unit_shift"]
    n_worlds = len(report["worlds"])
    at_self_care = sum(
        w[d]["red_flag_cases_at_self_care"] for w in report["worlds"].values() for d in DIRECTIONS
    ) + sum(report[REFERENCE][d]["red_flag_cases_at_self_care"] for d in DIRECTIONS)
    silent = [r for r in ranking if r["per_unit_points"]["accuracy"] == 0]
    most_triage = max(
        ranking, key=lambda r: (r["per_unit_points"]["pyelonephritis_under_triage"], -r["rank"])
    )
    lines = [
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
        f"{_pct(reference['pyelonephritis_under_triage_rate'])} of pyelonephritis cases are not "
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
        + "; ".join(_row_name(r) for r in ranking[:top])
        + ".",
        "",
        "## What was done",
        "A *world* is the generator with some of its numbers moved "
        "(`src/backclf/synth/perturb.py`); every world passes the checks of `generator.yaml`. "
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
    if plot:
        lines += [f"![accuracy, gap and under-triage against perturbation size]({plot})", ""]
    lines += [
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
        f"({_row_name(most_triage)}).",
        "",
        f"{len(silent)} of the {len(ranking)} rows leave the champion's accuracy unchanged: "
        "findings the model does not read (set independent of the cause, they drive only the "
        "red-flag rules), or rows whose moves flip no prediction on this set. The full ranking "
        f"is in `reports/{DESCRIPTION}`.",
        "",
    ]
    return "\n".join(lines)


def robustness_section(report: dict[str, Any] | None, champion_sha256: str) -> list[str]:
    """The model card's "Robustness" section (no trailing blank line): the study's figures if
    they are of this champion and these generator tables; otherwise what to run."""
    lines = ["## Robustness (assumption sensitivity)"]
    if report is None:
        return [*lines, f"No sensitivity study on file: run `{COMMAND}`."]
    study = report["study"]
    other = [
        what
        for what, ours, theirs in (
            ("another champion", champion_sha256, study["champion_sha256"]),
            ("other generator tables", generator_sha256(), study["generator_sha256"]),
        )
        if ours != theirs
    ]
    if other:
        return [
            *lines,
            f"The study on file (`reports/sensitivity.md`) was run for {' and '.join(other)}: "
            f"its figures do not describe this model. Run `{COMMAND}`, then "
            "`dvc repro -s -f evaluate` to refresh this card.",
        ]
    ranking = report["ranking"][: min(5, study["ranking"]["top"])]
    at_self_care = sum(
        w[d]["red_flag_cases_at_self_care"] for w in report["worlds"].values() for d in DIRECTIONS
    )
    raise_per_unit = max(f.get("missing_raise", 0.0) for f in study["families"].values())
    return [
        *lines,
        f"From `reports/sensitivity.md` (`{COMMAND}`): this champion tested in "
        f"{len(report['worlds'])} perturbed worlds of the generator, where assumption rows, "
        f"sourced rows (at most {study['sourced_band']:g}) and class priors move by the size "
        f"in log-odds and the missing rate rises by up to {raise_per_unit:g} x size:",
        "",
        *size_statements(report),
        "",
        "By what moves, at the largest size:",
        "",
        *family_statements(report),
        "",
        f"- Red-flag cases ending at self-care over every world, both directions: "
        f"**{at_self_care}** (must be 0).",
        "- Assumption rows that move the champion most, one at a time: "
        + "; ".join(_row_name(r) for r in ranking)
        + ".",
    ]


def save_plot(report: dict[str, Any], path: Path) -> Path:
    """Accuracy (with the ceiling), gap and pyelonephritis under-triage against size, one line
    per family (mean over replicates, bars from lowest to highest), both directions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("accuracy", "accuracy (dashed: Bayes ceiling)", 1.0),
        ("gap_points", "gap to the Bayes ceiling (points)", 1.0),
        ("pyelonephritis_under_triage_rate", "pyelonephritis under-triage (%)", 100.0),
    )
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    for r, direction in enumerate(DIRECTIONS):
        reference = report[REFERENCE][direction]
        for c, (metric, title, scale) in enumerate(panels):
            ax = axes[r][c]
            for i, (family, sizes) in enumerate(summarise(report).items()):
                color = f"C{i}"
                xs = [0.0] + [float(s) for s in sizes]
                entries = [sizes[s][direction][metric] for s in sizes]
                mean = [reference[metric] * scale] + [e["mean"] * scale for e in entries]
                low = [0.0] + [(e["mean"] - e["min"]) * scale for e in entries]
                high = [0.0] + [(e["max"] - e["mean"]) * scale for e in entries]
                ax.errorbar(
                    xs,
                    mean,
                    yerr=[low, high],
                    marker="o",
                    color=color,
                    label=family,
                    capsize=3,
                    linewidth=1.2,
                    markersize=4,
                )
                if metric == "accuracy":
                    ceiling = [reference["bayes_ceiling"]] + [
                        sizes[s][direction]["bayes_ceiling"]["mean"] for s in sizes
                    ]
                    ax.plot(xs, ceiling, linestyle="--", color=color, linewidth=0.8)
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=8)
            if r == 1:
                ax.set_xlabel("perturbation size", fontsize=8)
        axes[r][0].set_ylabel(DIRECTIONS[direction].replace(", ", ",\n"), fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Champion in perturbed worlds (mean over replicates; bars: lowest to highest)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
    return path
