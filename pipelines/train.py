"""DVC stage `train`: fit the interpretable candidates, write each as a readable model file."""

import hashlib
import shutil
from pathlib import Path

from backclf.core.features import default_encoding, encode
from backclf.core.model import write_model
from backclf.pipeline.params import load_params
from backclf.pipeline.train import (
    TrainConfig,
    calibrate,
    fit_logistic,
    fit_tree,
    points_from_logistic,
)
from backclf.synth.sampler import read_labelled

MODELS = Path("models")


def main() -> None:
    params = load_params()
    section = params["train"]
    config = TrainConfig(
        seed=section["seed"],
        cv_folds=section["cv_folds"],
        c_grid=tuple(section["c_grid"]),
        tree_max_depth=section["tree_max_depth"],
        tree_min_samples_leaf=section["tree_min_samples_leaf"],
        points_max=section["points_max"],
        **params["assess"],
    )
    train_path, val_path = Path("data/train.parquet"), Path("data/validation.parquet")
    columns, y, _ = read_labelled(train_path)
    val_columns, y_val, _ = read_labelled(val_path)
    features = default_encoding()
    x, x_val = encode(columns, features), encode(val_columns, features)
    training = {
        "data": str(train_path),
        "data_sha256": hashlib.sha256(train_path.read_bytes()).hexdigest(),
        "n": int(len(y)),
        "seed": config.seed,
    }
    logistic = calibrate(fit_logistic(x, y, features, config, training), x_val, y_val)
    candidates = {
        "logistic": logistic,
        "points": calibrate(points_from_logistic(logistic, config), x_val, y_val),
        "tree": calibrate(fit_tree(x, y, features, config, training), x_val, y_val),
    }
    for kind, data in candidates.items():
        print(f"wrote {write_model(data, MODELS / f'{kind}.json')}")
    champion = section["model"]
    if champion not in candidates:
        raise SystemExit(f"train.model must be one of {sorted(candidates)}, got {champion!r}")
    shutil.copyfile(MODELS / f"{champion}.json", MODELS / "champion.json")
    print(f"champion: {champion}")


if __name__ == "__main__":
    main()
