"""The model card's "Robustness" section: the study's figures when they are of this champion
and these generator tables; otherwise what to run. The one module of the study the pipeline
imports (:mod:`backclf.pipeline.model_card`): it needs the standard library and the study's
light modules only (tests/test_architecture.py)."""

from __future__ import annotations

from typing import Any

from backclf.study.files import COMMAND, DIRECTIONS, generator_sha256
from backclf.study.summary import family_statements, row_name, size_statements


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
        + "; ".join(row_name(r) for r in ranking)
        + ".",
    ]
