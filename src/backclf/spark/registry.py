"""The registered model, fetched on the driver: the model file the pipeline logged, checked
against the hash the registry keeps for it.

The pipeline registers each model version with its model file among the pyfunc model's
artifacts and tags the version with the file's SHA-256 (``model_sha256``). Spark scores with
that same file: fetched here once, its hash checked against the tag, and handed to the
executors with the hash (they check it again before they parse it). MLflow is needed here
only, on the driver.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from backclf.core.model import parse_model
from backclf.spark.scoring import ModelBytes

#: ``models:/<name>@<alias>`` or ``models:/<name>/<version>``.
MODEL_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?")
HASH_TAG = "model_sha256"


class RegistryError(ValueError):
    """The model URI does not name a registered backclf model whose file can be trusted."""


def fetch_model(model_uri: str, tracking_uri: str | None = None) -> ModelBytes:
    """The model file of a registered version (by alias or number), hash checked.
    ``tracking_uri``: the MLflow store (default: MLflow's, e.g. ``MLFLOW_TRACKING_URI``)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    match = MODEL_URI.fullmatch(model_uri)
    if match is None:
        raise RegistryError(
            f"model: expected models:/<name>@<alias> or models:/<name>/<version>, got {model_uri!r}"
        )
    name, alias, number = match["name"], match["alias"], match["version"]
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    try:
        version = (
            client.get_model_version_by_alias(name, alias)
            if alias
            else client.get_model_version(name, number)
        )
    except MlflowException as exc:
        raise RegistryError(f"model {model_uri}: not in the registry ({exc.message})") from None
    expected = (version.tags or {}).get(HASH_TAG)
    if not expected:
        raise RegistryError(
            f"model {name} version {version.version} has no {HASH_TAG} tag (the pipeline sets "
            "it when it registers a model): its file cannot be checked"
        )
    root = client.get_model_version_download_uri(name, version.version)  # where its files are
    with tempfile.TemporaryDirectory() as tmp:
        mlmodel = _download(f"{root}/MLmodel", tmp, tracking_uri)
        local = _download(f"{root}/{_model_file_path(mlmodel, model_uri)}", tmp, tracking_uri)
        content = local.read_bytes()
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise RegistryError(
            f"model {name} version {version.version}: its file's SHA-256 is {actual}, the "
            f"registry's {HASH_TAG} tag says {expected}"
        )
    parse_model(content, f"model {name} version {version.version}")  # a backclf model
    return ModelBytes(content, actual, name, str(version.version))


def _download(artifact_uri: str, directory: str, tracking_uri: str | None) -> Path:
    import mlflow

    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri, dst_path=directory, tracking_uri=tracking_uri
    )
    return Path(local)


def _model_file_path(mlmodel: Path, model_uri: str) -> str:
    """Where a pyfunc model keeps its ``model_file`` artifact (named in its MLmodel file)."""
    import yaml

    try:
        flavor = yaml.safe_load(mlmodel.read_text())["flavors"]["python_function"]
        return str(flavor["artifacts"]["model_file"]["path"])
    except (KeyError, TypeError):
        raise RegistryError(f"model {model_uri}: not a backclf model (no model_file)") from None
