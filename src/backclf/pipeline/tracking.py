"""MLflow tracking and registry for pipeline runs. Needs the ``pipeline`` extra.

The tracking URI defaults to ``sqlite:///<repo>/mlflow.db`` (absolute); the environment
variable ``MLFLOW_TRACKING_URI`` overrides it. Artifacts go to ``<repo>/mlartifacts``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from backclf.contract.fields import FIELDS
from backclf.pipeline.metrics import flatten, numeric_metrics

MODEL_CODE = Path(__file__).with_name("mlflow_model.py")


def tracking_uri(root: Path) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root.resolve() / 'mlflow.db'}"


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def signature_and_example():
    """Optional columns, one per finding; an example with a red flag.

    MLflow casts JSON input to the signature's dtypes with ``astype``: a missing value in a
    ``boolean`` column would become ``True`` and one in a ``long`` column would fail. So
    yes/no findings are declared ``AnyType`` (backclf validates them itself, strictly) and
    whole numbers ``double`` (40.0 is read as 40; 40.5 is an error).
    """
    import pandas as pd
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema
    from mlflow.types.schema import AnyType

    kinds = {"bool": AnyType(), "enum": "string", "int": "double", "float": "double"}
    inputs = Schema(
        [ColSpec("string", "id", required=False)]
        + [ColSpec(kinds[s.kind], name, required=False) for name, s in FIELDS.items()]
    )
    outputs = Schema(
        [
            ColSpec("string", "triage_level"),
            ColSpec("boolean", "overridden"),
            ColSpec("string", "cause", required=False),
            ColSpec("double", "probability", required=False),
            ColSpec("string", "red_flags", required=False),
            ColSpec("string", "assessment", required=False),
            ColSpec("string", "error", required=False),
        ]
    )
    example = pd.DataFrame(
        [
            {"id": "lifting", "age": 40.0, "trigger": "lifting_heavy_object", "fever": False},
            {
                "id": "infection",
                "age": 30.0,
                "sex": "female",
                "fever": True,
                "frequent_urination": True,
            },
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs), example


def _description(kind: str, metrics: dict[str, Any], n_train: int, previous: dict | None) -> str:
    champ = metrics["champion"]
    text = (
        f"{kind} model trained on {n_train:,} synthetic vignettes. Test accuracy "
        f"{champ['test_accuracy']:.4f} (Bayes ceiling {champ['bayes_ceiling']:.4f}), "
        f"ECE {champ['ece']:.4f}, dev cause-first {champ['dev_cause_first_rate']:.0%}."
    )
    if previous is None:
        return text + " First registered champion."
    delta = 100 * (champ["test_accuracy"] - previous.get("champion/test_accuracy", float("nan")))
    return text + (
        f" Against the previous champion (run {previous['run_id'][:8]}): "
        f"test accuracy {delta:+.2f} points."
    )


def log_pipeline_run(
    root: Path,
    params: dict[str, Any],
    metrics: dict[str, Any],
    champion_file: Path,
    model_card: Path,
    plots: list[Path],
    data_hashes: dict[str, str],
    candidate_files: dict[str, Path] | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """One run per publish: params, metrics.json (flattened), plots, model file and card;
    the pyfunc model registered as ``backclf@champion``; one nested run per candidate with
    its own metrics and model file, for comparison in the UI. Returns the run id."""
    import json

    import mlflow
    from mlflow import MlflowClient

    section = params["publish"]
    mlflow.set_tracking_uri(tracking_uri(root))
    client = MlflowClient()
    experiment = client.get_experiment_by_name(section["experiment"])
    if experiment is None:
        artifacts = (root.resolve() / "mlartifacts").as_uri()
        experiment_id = client.create_experiment(section["experiment"], artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)  # nested runs go here too
    previous = _current_champion(client, section["registered_model"], section["alias"])

    model_data = json.loads(champion_file.read_text())
    kind = model_data["kind"]
    flat = numeric_metrics(metrics)
    signature, example = signature_and_example()
    description = _description(kind, metrics, model_data["training"]["n"], previous)
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"{kind} champion", description=description
    ) as run:
        mlflow.set_tags(
            {
                "git_commit": git_commit(root),
                "model_kind": kind,
                "mlflow.note.content": description,
                **{f"data_sha256/{k}": v for k, v in data_hashes.items()},
            }
        )
        mlflow.log_params({k: str(v) for k, v in flatten(params, sep=".").items()})
        mlflow.log_metrics(flat)
        mlflow.log_artifact(str(champion_file), artifact_path="model_file")
        mlflow.log_artifact(str(model_card))
        for plot in plots:
            mlflow.log_artifact(str(plot), artifact_path="plots")
        info = mlflow.pyfunc.log_model(
            name="backclf",
            python_model=str(MODEL_CODE),
            artifacts={"model_file": str(champion_file)},
            signature=signature,
            input_example=example,
            registered_model_name=section["registered_model"],
        )
        version = info.registered_model_version
        client.set_registered_model_alias(section["registered_model"], section["alias"], version)
        client.update_model_version(section["registered_model"], version, description=description)
        for candidate, path in (candidate_files or {}).items():
            _log_candidate(candidate, path, details or metrics, kind, data_hashes)
        return run.info.run_id


def _log_candidate(
    candidate: str, path: Path, metrics: dict[str, Any], champion: str, data_hashes: dict[str, str]
) -> None:
    """A nested run with one candidate's own metrics on every evaluation set."""
    import mlflow

    own = {
        split: metrics[split][candidate]
        for split in ("test", "shifted", "dev")
        if candidate in metrics.get(split, {})
    }
    test = own.get("test", {})
    role = "the champion" if candidate == champion else f"a candidate beside {champion}"
    description = (
        f"{candidate} model, {role}: test accuracy {test.get('accuracy', 0):.4f}, "
        f"log loss {test.get('log_loss', 0):.4f}, ECE {test.get('ece', 0):.4f}."
    )
    with mlflow.start_run(run_name=f"{candidate} candidate", nested=True, description=description):
        mlflow.set_tags(
            {
                "model_kind": candidate,
                "role": "candidate",
                **{f"data_sha256/{k}": v for k, v in data_hashes.items()},
            }
        )
        mlflow.log_metrics(numeric_metrics(own))
        mlflow.log_artifact(str(path), artifact_path="model_file")


def _current_champion(client, name: str, alias: str) -> dict | None:
    try:
        version = client.get_model_version_by_alias(name, alias)
    except Exception:  # no registered model or alias yet
        return None
    run = client.get_run(version.run_id)
    return {"run_id": version.run_id, **run.data.metrics}
