"""An app's install: only the core dependencies, and `backclf predict` still works (slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


def _uv() -> list[str]:
    """The uv running these tests (`uv run` names itself in $UV), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("uv not found: run the tests with `uv run pytest`, as .ci/run does")
    return [found]


def test_core_install_predicts_with_the_packaged_champion(tmp_path, root):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")  # .ci/run and the Quick start install it
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", "3.11", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), str(root)], check=True, timeout=600
    )
    listed = subprocess.run(
        [uv, "pip", "list", "--python", str(python)], capture_output=True, text=True, check=True
    ).stdout.lower()
    for heavy in ("scikit-learn", "pandas", "mlflow", "spacy", "dvc", "fastapi", "uvicorn",
                  "pyspark"):
        assert f"\n{heavy} " not in listed, heavy
    result = subprocess.run(
        [
            str(venv / "bin" / "backclf"),
            "predict",
            "--trigger",
            "lifting_heavy_object",
            "--no-fever",
            "--age",
            "40",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cause"]["id"] == "excessive_loading"
    text = subprocess.run(
        [str(venv / "bin" / "backclf"), "predict", "--text", "fever", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert text.returncode == 65 and "backclf[text]" in text.stdout
    serve = subprocess.run(
        [str(venv / "bin" / "backclf"), "serve"], capture_output=True, text=True, timeout=120
    )
    assert serve.returncode == 69 and "backclf[serve]" in serve.stderr
