"""The assumption-sensitivity study: how far the champion's accuracy and safety move when the
generator's numbers are wrong.

Worlds (:mod:`backclf.study.worlds`) come in families (which parts move: assumption rows,
sourced rows, priors, missingness, or all) and sizes; each family and size has
``replicates`` worlds moving in their own random directions (a replicate keeps its
directions across sizes, so its figures trace one line as the size grows). In each world:

- *tested there*: the champion (trained in the default world) is scored on a set drawn from
  the world: accuracy, the world's exact Bayes ceiling, the gap to it, ECE, and the safety
  audit (red-flag cases ending at self-care, which must be 0; pyelonephritis under-triage);
- *trained there*: the champion's recipe (same kind and hyperparameters) is trained in the
  world and scored on the default world's test set, the reverse question.

Every test set is drawn with one seed (common random numbers): two worlds' sets differ only
in the cases a perturbation changes, so differences between worlds carry little sampling
noise. The one-at-a-time ranking moves each assumption row alone by ``±unit_shift`` and
reports the change in accuracy, in pyelonephritis under-triage and in the Bayes ceiling, per
unit shift (the mean absolute change over the two directions, Morris's mu*).

Each metric is the one of :mod:`backclf.pipeline.metrics`; the ceiling is
:func:`backclf.synth.posterior.bayes_accuracy` in the test world.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backclf.core.model import ReadableModel
from backclf.knowledge import CAUSE_IDS
from backclf.pipeline.metrics import DIGITS
from backclf.pipeline.params import Params
from backclf.study.files import REFERENCE, TESTED_THERE, TRAINED_THERE, generator_sha256
from backclf.study.grid import study_worlds
from backclf.study.scoring import draw, score, train_in
from backclf.study.worlds import (
    Perturbation,
    TableRow,
    World,
    default_world,
    one_row_world,
    perturb,
    table_rows,
)
from backclf.synth.config import GenerationConfig
from backclf.synth.sampler import Sample

#: The top rows are re-measured on the set of seed + this (independent of the first).
CHECK_SEED_OFFSET = 5000
DIRECTION_TASKS = (("tested", TESTED_THERE), ("trained", TRAINED_THERE))


# -- the study -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """What a (possibly forked) worker needs: the champion, the params, the default world."""

    champion: ReadableModel
    params: Params
    base: World
    default_test: Sample


_JOB: _Job | None = None  # set in the parent before the workers fork


def _tested_there(perturbation: Perturbation) -> dict[str, Any]:
    job = _JOB
    world = perturb(job.base.config, perturbation)
    n, seed = job.params.sensitivity.n_test, job.params.sensitivity.seed
    return score(job.champion, draw(world, n, seed), world, job.params)


def _trained_there(perturbation: Perturbation) -> dict[str, Any]:
    job = _JOB
    model = train_in(perturb(job.base.config, perturbation), job.champion, job.params)
    return score(model, job.default_test, job.base, job.params)


def _one_row(task: tuple[str | None, float, int]) -> dict[str, Any]:
    """The champion in the default world with one row moved (``None``: none), on a set of the
    ranking's size from ``seed``; the directions are the study's."""
    job = _JOB
    key, shift, seed = task
    world = job.base
    if key is not None:
        world = one_row_world(job.base.config, key, shift, job.params.sensitivity.seed)
    sample = draw(world, job.params.sensitivity.ranking.n, seed)
    return score(job.champion, sample, world, job.params)


def _row_tasks(rows: list[TableRow], unit: float, seed: int) -> list[tuple[str, Any]]:
    """The reference set, then each row moved up and down, all from ``seed``."""
    tasks: list[tuple[str, Any]] = [("row", (None, 0.0, seed))]
    return tasks + [("row", (r.key, sign * unit, seed)) for r in rows for sign in (1, -1)]


def _run(task: tuple[str, Any]) -> dict[str, Any]:
    what, arg = task
    return {"tested": _tested_there, "trained": _trained_there, "row": _one_row}[what](arg)


def _map(tasks: list[tuple[str, Any]], workers: int) -> list[dict[str, Any]]:
    """Run tasks in order, in ``workers`` forked processes when there are several."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_run(t) for t in tasks]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_run, tasks, chunksize=1)


def run_study(
    params: Params,
    champion: ReadableModel,
    workers: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every world of the grid, both directions, and the one-at-a-time ranking."""
    from threadpoolctl import threadpool_limits

    # Small matrices, many of them: BLAS threads buy nothing and, on a busy machine, spin
    # against each other (a 10k-case logistic fit took 58 s instead of 1.6 s under load).
    with threadpool_limits(limits=1):
        return _run_study(params, champion, workers, progress)


def _run_study(
    params: Params, champion: ReadableModel, workers: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    global _JOB
    study = params.sensitivity
    base = default_world(GenerationConfig(**params.generate.knobs.model_dump()))
    default_test = draw(base, study.n_test, study.seed)
    _JOB = _Job(champion, params, base, default_test)
    try:
        worlds = study_worlds(params)
        # Worlds the grid names twice (sourced rows capped by the band) are scored once.
        distinct = list(dict.fromkeys([Perturbation(), *(w.perturbation for w in worlds)]))
        progress(f"{len(worlds)} worlds ({len(distinct) - 1} distinct), tested and trained there")
        tasks = [(what, p) for what in ("tested", "trained") for p in distinct]
        rows = [r for r in table_rows().values() if r.kind == "assumption" and r.movable]
        unit = study.ranking.unit_shift
        progress(f"{len(rows)} assumption rows, each moved by +-{unit:g}")
        results = _map([*tasks, *_row_tasks(rows, unit, study.seed)], workers)
        scored = dict(zip(tasks, results[: len(tasks)], strict=True))
        ranking = rank_rows(rows, results[len(tasks)], results[len(tasks) + 1 :], unit)
        check_seed = study.seed + CHECK_SEED_OFFSET
        top = [r for r in rows if r.key in {e["row"] for e in ranking[: study.ranking.top]}]
        progress(f"the top {len(top)} rows re-measured on another set (seed {check_seed})")
        check = _map(_row_tasks(top, unit, check_seed), workers)
        checked = {e["row"]: e for e in rank_rows(top, check[0], check[1:], unit)}
        for entry in ranking:
            if entry["row"] in checked:
                entry["check_per_unit_points"] = checked[entry["row"]]["per_unit_points"]
    finally:
        _JOB = None
    reference = {d: scored[(what, Perturbation())] for what, d in DIRECTION_TASKS}
    figures = [{d: scored[(what, w.perturbation)] for what, d in DIRECTION_TASKS} for w in worlds]
    built = [perturb(base.config, w.perturbation) for w in worlds]
    return {
        "study": study_description(params, champion),
        REFERENCE: reference,
        "worlds": {
            w.name: {
                "family": w.family,
                "size": w.size,
                "replicate": w.replicate,
                "moves": _moves(w.perturbation, world),
                **f,
            }
            for w, world, f in zip(worlds, built, figures, strict=True)
        },
        "ranking": ranking,
    }


def _moves(p: Perturbation, world: World) -> dict[str, Any]:
    """How far the world is from the default, and the priors and missing rate it ends with."""
    priors = world.config.prior_vector(world.spec.priors.p)
    return {
        "assumption_shift": round(p.assumption_shift, 6),
        "sourced_shift": round(p.sourced_shift, 6),
        "prior_shift": round(p.prior_shift, 6),
        "missing_rate": round(world.config.missing_rate, 6),
        "priors": {c: round(float(v), DIGITS) for c, v in zip(CAUSE_IDS, priors, strict=True)},
    }


def rank_rows(
    rows: list[TableRow], reference: dict[str, Any], moved: list[dict[str, Any]], unit: float
) -> list[dict[str, Any]]:
    """Assumption rows by influence: the larger of the mean absolute change in accuracy and
    in pyelonephritis under-triage, in points per unit of log-odds shift."""
    ranked = []
    for i, row in enumerate(rows):
        up, down = moved[2 * i], moved[2 * i + 1]
        changes = {
            name: {
                "up": round(100 * (up[metric] - reference[metric]), 2),
                "down": round(100 * (down[metric] - reference[metric]), 2),
            }
            for name, metric in (
                ("accuracy", "accuracy"),
                ("pyelonephritis_under_triage", "pyelonephritis_under_triage_rate"),
                ("bayes_ceiling", "bayes_ceiling"),
            )
        }
        per_unit = {
            name: round((abs(c["up"]) + abs(c["down"])) / (2 * unit), 2)
            for name, c in changes.items()
        }
        ranked.append(
            {
                "row": row.key,
                "finding": row.finding,
                "conditions": list(row.conditions),
                "source": row.row.source,
                "p": row.row.p,
                "moves": list(row.moving()),
                "change_points": changes,
                "per_unit_points": per_unit,
                "influence": max(per_unit["accuracy"], per_unit["pyelonephritis_under_triage"]),
                "red_flag_cases_at_self_care": max(
                    up["red_flag_cases_at_self_care"], down["red_flag_cases_at_self_care"]
                ),
            }
        )
    ranked.sort(key=lambda r: (-r["influence"], -r["per_unit_points"]["accuracy"], r["row"]))
    return [{"rank": i + 1, **r} for i, r in enumerate(ranked)]


def study_description(params: Params, champion: ReadableModel) -> dict[str, Any]:
    """What the figures are of: the champion, the generator, the grid (for the staleness
    check of the model card)."""
    return {
        "champion": champion.kind,
        "champion_sha256": champion.sha256,
        "generator_sha256": generator_sha256(),
        **params.sensitivity.model_dump(exclude={"experiment"}),
    }


def red_flags_at_self_care(report: dict[str, Any]) -> dict[str, int]:
    """Every world (and direction) where a red-flag case ended at self-care: must be empty."""
    entries = {REFERENCE: report[REFERENCE], **report["worlds"]}
    return {
        f"{name} ({direction})": entry[direction]["red_flag_cases_at_self_care"]
        for name, entry in entries.items()
        for direction in (TESTED_THERE, TRAINED_THERE)
        if entry[direction]["red_flag_cases_at_self_care"]
    } | {
        f"ranking: {row['row']}": row["red_flag_cases_at_self_care"]
        for row in report["ranking"]
        if row["red_flag_cases_at_self_care"]
    }


def default_workers() -> int:
    """Two worker processes on a machine with two cores or more; one otherwise."""
    return min(2, os.cpu_count() or 1)
