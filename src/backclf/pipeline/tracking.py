"""Where MLflow runs go, and what of the environment they record. Needs the ``pipeline`` extra.

The tracking URI defaults to ``sqlite:///<repo>/mlflow.db`` (absolute); the environment
variable ``MLFLOW_TRACKING_URI`` overrides it. Artifacts go to ``<repo>/mlartifacts``.
This is the one pipeline module that reads the environment (``tests/test_safety.py``): the
store's address, the DVC experiment a run belongs to, and MLflow's switches (quiet logs, no
uv files in a logged model). Nothing here decides anything about a case.

**Moving the checkout.** MLflow stores every artifact location as an absolute path: a
relative artifact root is resolved against the working directory when the experiment is
created (mlflow/mlflow#7670, for issue #5110), and each run, logged model and model version
copies its absolute location. So a store moved with its checkout points at the old place.
:func:`relocate` rewrites those paths; run it from the new checkout::

    python -m backclf.pipeline.tracking --moved-from /old/path/of/the/checkout

:func:`experiment` notices a moved store (its artifact directory is gone and ours is not
where the store says) and stops with that command.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: What the MLflow 3 UI reads to open an experiment on its training runs ("Machine
#: learning") rather than on traces ("GenAI apps & agents"). The value is the UI's
#: ``ExperimentKind.CUSTOM_MODEL_DEVELOPMENT`` (mlflow/server/js, experiment-tracking
#: constants; also mlflow/assistant/skills/mlflow-onboarding/SKILL.md in the wheel).
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
#: The MLflow 3 runs table shows no metric column by default (its default columns are the
#: Source, Models and Dataset attributes). A view shared through an experiment tag
#: ``mlflow.sharedViewState.<key>`` (plain JSON of the table's state, the UI's own share
#: format, columns keyed ``metrics.`name```) opens it with chosen metrics:
#: ``#/experiments/<id>/runs?viewStateShareKey=headline``.
HEADLINE_VIEW = "headline"
VIEW_ATTRIBUTES = ("Source", "Models", "Dataset")
#: MLflow's own switches for a quiet pipeline (mlflow/environment_variables.py): WARNING and
#: above only (``MLFLOW_LOGGING_LEVEL`` must be set before mlflow is imported), and no
#: progress bars on artifact uploads and downloads. Set only where the user has not.
QUIET = {"MLFLOW_LOGGING_LEVEL": "WARNING", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
#: Loggers that speak at INFO while MLflow creates or migrates a store.
CHATTY_LOGGERS = ("mlflow", "alembic")
#: One warning that says nothing about the model: where pip is not installed (a uv
#: environment) MLflow cannot read its version for the model's conda.yaml, and writes ``pip``
#: unpinned there; the model's requirements (``registry.requirements``) are explicit.
UNPINNED_PIP = "Failed to resolve installed pip version"


class _WithoutUnpinnedPip(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(UNPINNED_PIP)


def tracking_uri(root: Path) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root.resolve() / 'mlflow.db'}"


def artifact_root(root: Path) -> str:
    return (root.resolve() / "mlartifacts").as_uri()


def quiet_mlflow() -> None:
    """MLflow's INFO lines and progress bars off (unless the environment asks for them).
    Works before or after mlflow is imported: the logger levels are set too."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    level = os.environ["MLFLOW_LOGGING_LEVEL"].upper()
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    environment = logging.getLogger("mlflow.utils.environment")
    if not any(isinstance(f, _WithoutUnpinnedPip) for f in environment.filters):
        environment.addFilter(_WithoutUnpinnedPip())


class StoreMoved(RuntimeError):
    """The store's artifact directory is gone, and ours is elsewhere: a moved checkout."""


def experiment(client: MlflowClient, name: str, root: Path) -> str:
    """The experiment's id, created on first use with its artifacts under ``root`` and the
    experiment kind the UI reads (set on an older experiment that lacks it)."""
    found = client.get_experiment_by_name(name)
    if found is None:
        return client.create_experiment(
            name, artifact_location=artifact_root(root), tags=EXPERIMENT_KIND
        )
    for key, value in EXPERIMENT_KIND.items():
        if found.tags.get(key) != value:
            client.set_experiment_tag(found.experiment_id, key, value)
    _stop_if_moved(found.artifact_location, root)
    return found.experiment_id


def share_view(client: MlflowClient, experiment_id: str, key: str, metrics: list[str]) -> None:
    """Share a runs-table view with these metric columns under ``key`` (if it differs)."""
    columns = [f"attributes.`{a}`" for a in VIEW_ATTRIBUTES] + [f"metrics.`{m}`" for m in metrics]
    tag, view = f"mlflow.sharedViewState.{key}", json.dumps({"selectedColumns": columns})
    if client.get_experiment(experiment_id).tags.get(tag) != view:
        client.set_experiment_tag(experiment_id, tag, view)


def _stop_if_moved(location: str, root: Path) -> None:
    ours = artifact_root(root)
    if location == ours or not location.startswith("file://"):
        return
    stored = Path(unquote(urlparse(location).path))
    if stored.exists() or stored.name != "mlartifacts":
        return  # a store kept elsewhere on purpose
    raise StoreMoved(
        f"the MLflow store keeps its artifacts in {stored}, which no longer exists; if this "
        f"checkout was moved from {stored.parent}, run: python -m backclf.pipeline.tracking "
        f"--moved-from {stored.parent}"
    )


def relocate(db: Path, old_root: Path, new_root: Path) -> dict[str, int]:
    """Rewrite every stored path under ``old_root`` (plain or ``file://``) to ``new_root``,
    in every text column of the SQLite store; returns the rows changed per ``table.column``.
    Only a value that starts with the old root and a slash changes."""
    old, new = Path(old_root).absolute(), Path(new_root).resolve()
    prefixes = [(old.as_uri() + "/", new.as_uri() + "/"), (f"{old}/", f"{new}/")]
    changed: dict[str, int] = {}
    with sqlite3.connect(db) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            columns = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
            for column in (c[1] for c in columns if _is_text(c[2])):
                for before, after in prefixes:
                    cursor = connection.execute(
                        f'UPDATE "{table}" SET "{column}" = ? || substr("{column}", ?) '
                        f'WHERE substr("{column}", 1, ?) = ?',
                        (after, len(before) + 1, len(before), before),
                    )
                    if cursor.rowcount:
                        key = f"{table}.{column}"
                        changed[key] = changed.get(key, 0) + cursor.rowcount
    return changed


def _is_text(declared: str) -> bool:
    kind = declared.upper()
    return any(word in kind for word in ("CHAR", "TEXT", "CLOB")) or kind == ""


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m backclf.pipeline.tracking",
        description="Point this checkout's MLflow store (mlflow.db) at where it now lies.",
    )
    parser.add_argument("--moved-from", type=Path, required=True, help="the old checkout")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout now")
    args = parser.parse_args(argv)
    db = args.root / "mlflow.db"
    if not db.exists():
        parser.error(f"no MLflow store at {db}")
    changed = relocate(db, args.moved_from, args.root)
    total = sum(changed.values())
    where = ", ".join(f"{k} {v}" for k, v in sorted(changed.items())) or "nothing to change"
    print(f"{db}: {total} stored paths now under {args.root.resolve()} ({where})")


if __name__ == "__main__":
    main()
