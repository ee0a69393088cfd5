"""The sensitivity study in MLflow: a parent run with one nested run per world.

Same store as the pipeline's runs (:func:`backclf.pipeline.tracking.tracking_uri`), in an
experiment of its own. Idempotent: the parent run is tagged with the sha256 of the study's
figures, and a study whose figures the store already holds is not logged again (a forced
``dvc repro`` or a rerun with the same inputs adds nothing).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from backclf.pipeline.metrics import flatten, numeric_metrics
from backclf.pipeline.tracking import tracking_uri
from backclf.study.files import REFERENCE, TESTED_THERE, TRAINED_THERE
from backclf.study.summary import summarise

STUDY_TAG = "sensitivity_study_sha256"


def study_digest(report: dict[str, Any]) -> str:
    """The sha256 of the study's figures, as canonical JSON."""
    return hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()


def log_study(
    root: Path, experiment: str, report: dict[str, Any], artifacts: list[Path]
) -> tuple[str, bool]:
    """Log the study unless the store already holds it; returns (run id, newly logged)."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri(root))
    client = MlflowClient()
    experiment_id = _experiment_id(client, experiment, root)
    digest = study_digest(report)
    existing = client.search_runs(
        [experiment_id], filter_string=f"tags.{STUDY_TAG} = '{digest}'", max_results=1
    )
    if existing:
        return existing[0].info.run_id, False

    study = report["study"]
    reference = report[REFERENCE]
    description = (
        f"Assumption sensitivity of the {study['champion']} champion: "
        f"{len(report['worlds'])} perturbed worlds, sizes "
        f"{', '.join(f'{s:g}' for s in study['sizes'])}; default-world accuracy "
        f"{reference[TESTED_THERE]['accuracy']:.4f}. See sensitivity.md."
    )
    with mlflow.start_run(
        experiment_id=experiment_id, run_name="sensitivity study", description=description
    ) as run:
        mlflow.set_tags(
            {
                STUDY_TAG: digest,
                "champion_sha256": study["champion_sha256"],
                "generator_sha256": study["generator_sha256"],
                "mlflow.note.content": description,
            }
        )
        params = {k: v for k, v in study.items() if not k.endswith("sha256")}
        mlflow.log_params({k: str(v) for k, v in flatten(params, sep=".").items()})
        metrics = numeric_metrics({REFERENCE: reference, "by_size": summarise(report)})
        metrics.update(
            {
                f"ranking/{entry['row']}/influence_points_per_unit": entry["influence"]
                for entry in report["ranking"][: study["ranking"]["top"]]
            }
        )
        mlflow.log_metrics(_mlflow_names(metrics))
        for path in artifacts:
            mlflow.log_artifact(str(path))
        for name, world in report["worlds"].items():
            _log_world(name, world, experiment_id)
        return run.info.run_id, True


def _experiment_id(client, experiment: str, root: Path) -> str:
    """The study's experiment, created (artifacts under ``root/mlartifacts``) if new."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        location = (root.resolve() / "mlartifacts").as_uri()
        return client.create_experiment(experiment, artifact_location=location)
    return found.experiment_id


def _log_world(name: str, world: dict[str, Any], experiment_id: str) -> None:
    """One world as a run nested in the study's run: its moves and its figures."""
    import mlflow

    with mlflow.start_run(run_name=name, nested=True, experiment_id=experiment_id):
        mlflow.set_tags({"family": world["family"], "role": "perturbed world"})
        moves = {k: v for k, v in world["moves"].items() if k != "priors"}
        mlflow.log_params(
            {
                "family": world["family"],
                "size": world["size"],
                "replicate": world["replicate"],
                **moves,
                **{f"priors.{c}": p for c, p in world["moves"]["priors"].items()},
            }
        )
        figures = {d: world[d] for d in (TESTED_THERE, TRAINED_THERE)}
        mlflow.log_metrics(_mlflow_names(numeric_metrics(figures)))


def _mlflow_names(metrics: dict[str, float]) -> dict[str, float]:
    """MLflow names allow letters, digits, ``_ - . /`` and spaces: ``|``, ``+`` and ``=``
    in row names become ``/``, ``.`` and ``-``."""
    table = str.maketrans({"|": "/", "+": ".", "=": "-"})
    return {k.translate(table): v for k, v in metrics.items()}
