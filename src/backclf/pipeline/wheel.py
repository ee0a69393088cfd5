"""The package as a wheel, built from the source tree, for the MLflow model to install.

A registered model must say what it needs to import ``backclf`` wherever it is served: the
wheel goes into the model's artifacts and its requirements name it by a path inside the
model directory, so ``mlflow models serve --env-manager virtualenv`` (or ``uv``) installs
this exact code, and its dependencies from the package index. Hatchling builds reproducible
wheels (fixed timestamps), so the same source gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import backclf


def project_root() -> Path:
    """The source checkout this package is imported from (``src/backclf`` -> the root)."""
    root = Path(backclf.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise RuntimeError(
            f"backclf is not imported from a source checkout ({root}): the pipeline builds the "
            "MLflow model's wheel from the source, so run it from a clone (uv sync)"
        )
    return root


def build_wheel(out_dir: Path) -> Path:
    """Build the package's wheel into ``out_dir``; its path."""
    from hatchling.builders.wheel import WheelBuilder

    out_dir.mkdir(parents=True, exist_ok=True)
    builder = WheelBuilder(str(project_root()))
    return Path(next(iter(builder.build(directory=str(out_dir), versions=["standard"]))))
