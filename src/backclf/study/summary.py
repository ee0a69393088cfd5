"""The study in sentences: per family and size over replicates, and one plain sentence per
size and per family (shared by ``sensitivity.md`` and the model card's section)."""

from __future__ import annotations

from typing import Any

from backclf.study.files import DIRECTIONS, REFERENCE, TESTED_THERE

#: The figures summarised per family and size.
SUMMARISED = (
    "accuracy",
    "bayes_ceiling",
    "gap_points",
    "ece",
    "pyelonephritis_under_triage_rate",
)


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


def pct(value: float) -> str:
    """A rate as a percentage, one decimal."""
    return f"{100 * value:.1f}%"


def points(value: float) -> str:
    """A change in percentage points, signed, two decimals."""
    return f"{value:+.2f}"


def span(low: float, high: float, fmt) -> str:
    """``low to high`` in ``fmt``, or one value when they are equal."""
    return fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"


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
        f"{span(min(accuracy), max(accuracy), lambda v: f'{v:.4f}')} "
        f"({span(min(change), max(change), points)} points{where}); gap to the test world's "
        f"Bayes ceiling up to {gap:.2f} points; red-flag cases ending at self-care: "
        f"**{at_self_care}**; pyelonephritis under-triage "
        f"{span(min(under), max(under), pct)} (default world "
        f"{pct(reference['pyelonephritis_under_triage_rate'])})."
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


def row_name(row: dict[str, Any]) -> str:
    """An assumption row of the ranking in words: its finding, given which causes."""
    conditions = row["conditions"]
    if conditions == ["all_causes"]:
        where = "every cause"
    else:
        where = ", ".join(c.replace("=", " = ") for c in conditions)
    return f"`{row['finding']}` given {where}"
