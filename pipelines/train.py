"""DVC stage `train`: fit the interpretable candidates, write each as a readable model file."""

import hashlib
import shutil
from pathlib import Path

from backclf.core.features import default_encoding, encode
from backclf.core.model import write_model
from backclf.pipeline.params import params_or_exit
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


def main() -> None:
    params = params_or_exit()
    config, assess = params.train, params.assess
    train_path, val_path = Path("data/train.parquet"), Path("data/validation.parquet")
    columns, y, _ = read_labelled(train_path)
    val_columns, y_val, val_table = read_labelled(val_path)
    features = default_encoding()
    x, x_val = encode(columns, features), encode(val_columns, features)
    training = {
        "data": str(train_path),
        "data_sha256": hashlib.sha256(train_path.read_bytes()).hexdigest(),
        "n": int(len(y)),
        "seed": config.seed,
    }
    interview = interview_policy(columns, y, features, params.interview)
    logistic = fit_logistic(x, y, features, config, assess, training, interview)
    logistic = calibrate(logistic, x_val, y_val)
    tree = fit_tree(x, y, features, config, assess, training, interview)
    candidates = {
        "logistic": logistic,
        "points": calibrate(points_from_logistic(logistic, config), x_val, y_val),
        "tree": calibrate(tree, x_val, y_val),
    }
    # How unlike the article's causes a case is: from the generator, calibrated on validation.
    added = val_table["red_flag_added"].to_numpy()
    typicality = typicality_section(val_columns, added, params.typicality.plain_share)
    candidates = {kind: with_typicality(file, typicality) for kind, file in candidates.items()}
    for kind, file in candidates.items():
        print(f"wrote {write_model(file, MODELS / f'{kind}.json')}")
    shutil.copyfile(MODELS / f"{config.model}.json", MODELS / "champion.json")
    print(f"champion: {config.model}")


if __name__ == "__main__":
    main()
