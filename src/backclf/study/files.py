"""The sensitivity study's two files, and what they are of.

The study is stored in two files: ``reports/sensitivity.json``, the figures (DVC metrics: the
default world and one entry per world, numbers only, so ``dvc metrics diff`` compares them
world by world), and ``reports/sensitivity_study.json``, what they are of (the champion, the
generator, the grid, each world's moves) and the one-at-a-time ranking. ``sensitivity.md``
and its plot are generated from them; nothing in them is written by hand. Light on purpose
(the standard library only): the model card (stage ``evaluate``) reads the study through it.
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

COMMAND = "dvc repro studies/dvc.yaml"
FIGURES = "sensitivity.json"
DESCRIPTION = "sensitivity_study.json"


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


def generator_sha256() -> str:
    """The sha256 of the packaged ``generator.yaml``: which tables a study was run on."""
    data = resources.files("backclf.knowledge").joinpath("generator.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()
