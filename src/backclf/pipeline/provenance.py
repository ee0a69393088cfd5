"""Where a pipeline run comes from: code, knowledge, data and model as hashes, and the git and
DVC context it ran in. These become the tags of its MLflow run.

A run's *identity* is the hash of what decides the registered model's behaviour: the model
file, the data it was trained and tested on, the knowledge files (red-flag rules, advice) and
the package's code, which the registered model bundles. Two runs with one identity would
register the same model twice, so the registration step logs a run only for a new identity.
The git commit and a flag for code that differs from it (and the DVC experiment name, which
:func:`backclf.pipeline.tracking.dvc_experiment` reads) tell runs apart for people, but are
not part of the identity: the same code and data at two commits is the same model.

What else a run records of its making: its parameters as they took effect
(:func:`run_params`) and the generated sets as MLflow inputs with their digests
(:func:`log_inputs`).
"""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import backclf
from backclf.pipeline.metrics import flatten

PACKAGE = Path(backclf.__file__).resolve().parent
KNOWLEDGE = PACKAGE / "knowledge"
NOT_CODE = ("published", "__pycache__")  # the packaged champion is an output, not code
#: What "the commit's code" is, as git pathspecs: the package (less the packaged champion,
#: which ``publish`` writes), the stages, their parameters and the locked environment.
#: Not ``reports/``, ``models/`` or ``data/``: outputs the pipeline writes.
CODE_PATHS = (
    "src",
    ":(exclude)src/backclf/published",
    "pipelines",
    "params.yaml",
    "dvc.yaml",
    "pyproject.toml",
    "uv.lock",
)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def knowledge_hashes() -> dict[str, str]:
    """sha256 of each knowledge file (YAML and the article), by file name."""
    return {
        p.name: sha256_file(p)
        for p in sorted(KNOWLEDGE.iterdir())
        if p.suffix in (".yaml", ".txt") and p.is_file()
    }


def package_hash(package: Path = PACKAGE) -> str:
    """sha256 over the package's source files (paths and bytes), the packaged model and
    compiled bytecode excluded."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if not path.is_file() or relative.parts[0] in NOT_CODE or "__pycache__" in relative.parts:
            continue
        if path.suffix == ".pyc":
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def data_hashes(paths: Iterable[Path]) -> dict[str, str]:
    return {p.stem: sha256_file(p) for p in sorted(paths)}


def identity(
    model_sha256: str, data: dict[str, str], knowledge: dict[str, str], package: str
) -> str:
    """One hash for everything that decides the registered model's behaviour."""
    parts = [f"model={model_sha256}", f"package={package}"]
    parts += [f"data/{k}={v}" for k, v in sorted(data.items())]
    parts += [f"knowledge/{k}={v}" for k, v in sorted(knowledge.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def git_commit(root: Path) -> str:
    out = _git(root, "rev-parse", "HEAD")
    return out.strip() if out else "unknown"


def git_dirty(root: Path) -> str:
    """``true`` when the code differs from the commit: a file of :data:`CODE_PATHS` changed,
    or a new one not ignored (``data/``, ``mlflow.db`` and ``__pycache__`` are); ``unknown``
    outside git. Outputs do not count: the stages before ``publish`` rewrite the tracked
    reports, and a promotion the packaged champion, on every run."""
    out = _git(root, "status", "--porcelain", "--", *CODE_PATHS)
    if out is None:
        return "unknown"
    return "true" if out.strip() else "false"


def run_tags(root: Path, model_file: Path, data_files: Iterable[Path]) -> dict[str, str]:
    """Every provenance tag of a run, ``identity`` included."""
    model_sha = sha256_file(model_file)
    data = data_hashes(data_files)
    knowledge = knowledge_hashes()
    package = package_hash()
    return {
        "identity": identity(model_sha, data, knowledge, package),
        "model_sha256": model_sha,
        "package_sha256": package,
        "backclf_version": backclf.__version__,
        "git_commit": git_commit(root),
        "git_dirty": git_dirty(root),
        **{f"data_sha256/{k}": v for k, v in data.items()},
        **{f"knowledge_sha256/{k}": v for k, v in knowledge.items()},
    }


#: Where each generated set was used, as the context of its logged input.
DATA_CONTEXTS = {
    "train": "train",
    "validation": "validation",
    "test": "test",
    "shifted": "test",
    "text_heldout": "test",
    "reference": "reference",
}
CANDIDATE_DATA = ("train", "validation", "test", "shifted")
#: Sections of params.yaml a pipeline run does not use: the study logs its own runs.
OTHER_PIPELINES = ("sensitivity",)


def run_params(params: dict[str, Any]) -> dict[str, str]:
    """The run's parameters as they took effect, never ``None``: a generated set's unset knob
    is the shared one (``generate.knobs``), unset priors are ``generator.yaml``'s (the
    article's), an unset text family means the set has no text column; the sections of other
    pipelines are left out."""
    own = {k: v for k, v in params.items() if k not in OTHER_PIPELINES}
    generate = own.get("generate", {})
    knobs = generate.get("knobs", {})
    sets = {}
    for name, section in generate.items():
        if name == "knobs" or not isinstance(section, dict):
            sets[name] = section
            continue
        effective = {k: knobs[k] if v is None and k in knobs else v for k, v in section.items()}
        if effective.get("priors", "") is None:
            effective["priors"] = "generator.yaml"
        if effective.get("family", "") is None:
            effective["family"] = "none (no text column)"
        sets[name] = effective
    flat = flatten({**own, "generate": sets} if generate else own, sep=".")
    missing = [k for k, v in flat.items() if v is None]
    if missing:
        raise ValueError(f"params without a value: {', '.join(missing)} (say what None means)")
    return {k: str(v) for k, v in flat.items()}


def data_sets(data_files: Iterable[Path], tags: dict[str, str]) -> dict[str, Any]:
    """The generated sets as MLflow data sets, by name: read with pandas, the label as target,
    the source a path relative to the checkout, and as digest the first 32 hex digits of the
    file's sha256 (MLflow keeps 36 characters; the whole hash is the run's
    ``data_sha256/<set>`` tag). Each set's schema is inferred from :func:`schema_rows` (MLflow
    would otherwise test every value of every column: ~9 s of the first publish for six sets)."""
    import mlflow
    import pandas as pd
    from mlflow.types.utils import _infer_schema

    sets = {}
    for path in data_files:
        frame = pd.read_parquet(path)
        with warnings.catch_warnings():
            # a local path matches two of MLflow's artifact sources; both are the same file
            warnings.filterwarnings("ignore", "The specified dataset source can be interpreted")
            warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer")
            data_set = mlflow.data.from_pandas(
                frame,
                source=path.as_posix(),
                name=path.stem,
                targets="label",
                digest=tags[f"data_sha256/{path.stem}"][:32],
            )
            # ``schema`` is a functools.cached_property: its value lives in the instance dict
            data_set.__dict__["schema"] = _infer_schema(schema_rows(frame))
        sets[path.stem] = data_set
    return sets


def schema_rows(frame: Any) -> Any:
    """The rows of ``frame`` that decide the schema MLflow infers from it: per column, the first
    row of each distinct value of a column of Python objects (its type is inferred from its
    values) and the first missing value of any column (a column with one is not required).
    Other columns' types come from their dtypes. A test checks the schema equals MLflow's
    inference from every row on the generated sets."""
    keep = set()
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "O":
            keep.update(column.drop_duplicates().index)
        missing = column.isna().to_numpy().nonzero()[0]
        if len(missing):
            keep.add(frame.index[missing[0]])
    if not keep and len(frame):
        keep.add(frame.index[0])
    return frame.loc[sorted(keep)]


def log_inputs(sets: dict[str, Any], names: Iterable[str]) -> None:
    """The sets among ``names`` as the active run's inputs, each with its context."""
    import mlflow

    for name in names:
        if name in sets:
            with warnings.catch_warnings():
                # MLflow's hint on integer columns is for model signatures (a model fed
                # missing values), not for a logged data set's description
                warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer")
                mlflow.log_input(sets[name], context=DATA_CONTEXTS[name])
