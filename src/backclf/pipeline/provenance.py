"""Where a pipeline run comes from: code, knowledge, data and model as hashes, and the git and
DVC context it ran in. These become the tags of its MLflow run.

A run's *identity* is the hash of what decides the registered model's behaviour: the model
file, the data it was trained and tested on, the knowledge files (red-flag rules, advice) and
the package's code, which the registered model bundles. Two runs with one identity would
register the same model twice, so the registration step logs a run only for a new identity.
The git commit and a dirty-tree flag (and the DVC experiment name, which
:func:`backclf.pipeline.tracking.dvc_experiment` reads) tell runs apart for people, but are
not part of the identity: the same code and data at two commits is the same model.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path

import backclf

PACKAGE = Path(backclf.__file__).resolve().parent
KNOWLEDGE = PACKAGE / "knowledge"
NOT_CODE = ("published", "__pycache__")  # the packaged champion is an output, not code


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
    """``true`` when tracked files differ from the commit or untracked files are present
    (ignored ones, such as data/ and mlflow.db, do not count); ``unknown`` outside git."""
    out = _git(root, "status", "--porcelain")
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
