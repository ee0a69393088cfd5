"""DVC stages `train_logistic`, `train_tree` and `train_points`: fit one interpretable
candidate and write it as a readable model file, `models/<kind>.json`.

Each candidate is its own stage (`python pipelines/train.py <kind>`), so a change to one
candidate's parameters refits that candidate alone, and choosing the pipeline's model
(`train.model`, the `choose` stage) refits nothing. The points scorecard is derived from the
calibrated logistic model file.
"""

import hashlib
from pathlib import Path
from typing import Literal

import typer

from backclf.core.features import default_encoding, encode
from backclf.core.model import load_model, write_model
from backclf.pipeline.params import Params, params_or_exit
from backclf.pipeline.train import (
    calibrate,
    fit_logistic,
    fit_tree,
    interview_policy,
    points_from_logistic,
)
from backclf.pipeline.typicality import typicality_section, with_typicality
from backclf.synth.sampler import read_labelled

MODELS = Path("models")
TRAIN, VALIDATION = Path("data/train.parquet"), Path("data/validation.parquet")


def fitted(kind: str, params: Params):
    """A calibrated logistic model or tree, with its question policy and typicality."""
    config, assess = params.train, params.assess
    columns, y, _ = read_labelled(TRAIN)
    val_columns, y_val, val_table = read_labelled(VALIDATION)
    features = default_encoding()
    x, x_val = encode(columns, features), encode(val_columns, features)
    training = {
        "data": str(TRAIN),
        "data_sha256": hashlib.sha256(TRAIN.read_bytes()).hexdigest(),
        "n": int(len(y)),
        "seed": config.seed,
    }
    interview = interview_policy(columns, y, features, params.interview)
    fit = fit_logistic if kind == "logistic" else fit_tree
    file = calibrate(fit(x, y, features, config, assess, training, interview), x_val, y_val)
    # How unlike the article's causes a case is: from the generator, calibrated on validation.
    added = val_table["red_flag_added"].to_numpy()
    section = typicality_section(val_columns, added, params.typicality.plain_share)
    return with_typicality(file, section)


def scorecard(params: Params):
    """The points scorecard, from the logistic model file, calibrated on validation."""
    logistic = load_model(MODELS / "logistic.json").file
    val_columns, y_val, _ = read_labelled(VALIDATION)
    x_val = encode(val_columns, default_encoding())
    return calibrate(points_from_logistic(logistic, params.train), x_val, y_val)


def main(kind: Literal["logistic", "tree", "points"]) -> None:
    params = params_or_exit()
    file = scorecard(params) if kind == "points" else fitted(kind, params)
    path = write_model(file, MODELS / f"{kind}.json")
    print(f"train: {kind} -> {path}")


if __name__ == "__main__":
    typer.run(main)
