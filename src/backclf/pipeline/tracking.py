"""Where MLflow runs go, and what of the environment they record. Needs the ``pipeline`` extra.

The tracking URI defaults to ``sqlite:///<repo>/mlflow.db`` (absolute); the environment
variable ``MLFLOW_TRACKING_URI`` overrides it. Artifacts go to ``<repo>/mlartifacts``.
This is the one pipeline module that reads the environment (``tests/test_safety.py``): the
store's address, the DVC experiment a run belongs to, and one MLflow switch. Nothing here
decides anything about a case.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def tracking_uri(root: Path) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root.resolve() / 'mlflow.db'}"


def dvc_experiment() -> dict[str, str]:
    """The DVC experiment a run belongs to, for its tags: ``dvc exp run`` sets
    ``DVC_EXP_NAME`` and ``DVC_EXP_BASELINE_REV`` for its stages; ``dvc repro`` sets neither."""
    return {
        "dvc_experiment": os.environ.get("DVC_EXP_NAME", ""),
        "dvc_baseline_rev": os.environ.get("DVC_EXP_BASELINE_REV", ""),
    }


@contextmanager
def without_uv_project_files() -> Iterator[None]:
    """MLflow 3 copies a uv project's uv.lock and pyproject.toml from the working directory
    into a logged model and then prefers them to its requirements; ours describe the
    development environment (an editable install of the source), not the model's wheel. This
    turns that off (``MLFLOW_LOG_UV_FILES``) while a model is logged."""
    saved = os.environ.get("MLFLOW_LOG_UV_FILES")
    os.environ["MLFLOW_LOG_UV_FILES"] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_LOG_UV_FILES", None)
        else:
            os.environ["MLFLOW_LOG_UV_FILES"] = saved
