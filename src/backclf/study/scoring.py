"""A model scored on a set drawn from a world (with the world's exact Bayes ceiling), and the
champion's recipe trained in a world."""

from __future__ import annotations

import hashlib
from typing import Any

from backclf.core.features import encode
from backclf.core.model import ReadableModel, model_from_file
from backclf.pipeline.metrics import DIGITS, model_figures
from backclf.pipeline.params import Params
from backclf.pipeline.train import fit_candidate
from backclf.study.worlds import World
from backclf.synth.posterior import bayes_accuracy
from backclf.synth.sampler import Sample, sample_rows


def draw(world: World, n: int, seed: int) -> Sample:
    """``n`` vignettes of ``world`` from ``seed``."""
    w = world.with_set(n, seed)
    return sample_rows(w.config, 0, n, w.tables)


def score(model: ReadableModel, sample: Sample, world: World, params: Params) -> dict[str, Any]:
    """The champion's figures on a set drawn from ``world`` (:func:`model_figures`, the one
    definition every report uses), with the world's exact Bayes ceiling."""
    figures = model_figures(model, sample, params.evaluate.ece_bins)
    ceiling = bayes_accuracy(sample.columns, sample.label, world.config, world.tables)
    ceiling = round(ceiling, DIGITS)
    return {
        "accuracy": figures["accuracy"],
        "bayes_ceiling": ceiling,
        "gap_points": round(100 * (ceiling - figures["accuracy"]), 2),
        "ece": figures["ece"],
        "log_loss": figures["log_loss"],
        "red_flag_cases": figures["red_flag_cases"],
        "red_flag_cases_at_self_care": figures["red_flag_cases_at_self_care"],
        "pyelonephritis_under_triage_rate": figures["pyelonephritis_under_triage_rate"],
        "over_triage_rate": figures["over_triage_rate"],
    }


def train_in(world: World, champion: ReadableModel, params: Params) -> ReadableModel:
    """The champion's recipe (kind, C, tree settings) trained and calibrated in ``world``."""
    study = params.sensitivity
    features = list(champion.features)
    train = draw(world, study.n_train, study.seed + 1001)
    validation = draw(world, study.n_validation, study.seed + 1002)
    data = (
        encode(train.columns, features),
        train.label,
        encode(validation.columns, features),
        validation.label,
    )
    config = params.train
    if champion.file.training.C is not None:
        config = config.model_copy(update={"c_grid": [champion.file.training.C]})
    digest = hashlib.sha256(data[0].tobytes() + data[1].tobytes()).hexdigest()
    training = {
        "data": "a perturbed world of the sensitivity study",
        "data_sha256": digest,
        "n": study.n_train,
        "seed": config.seed,
    }
    file = fit_candidate(champion.kind, data, features, config, params.assess, training)
    return model_from_file(file)
