"""An app's install: only the core dependencies, and `backclf predict` still works (slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _uv() -> list[str]:
    """The uv the README's set-up uses: the one running these tests (`uv run` names itself
    in $UV), else `uv` on PATH, else `python3 -m uv` (what the Quick start and .ci/run fall
    back to when pip puts uv off PATH). Never a skip: without uv this test fails."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return [found]
    for python in ("python3", sys.executable):
        module = [python, "-m", "uv"]
        try:
            probe = subprocess.run([*module, "--version"], capture_output=True, check=False)
        except OSError:
            continue
        if probe.returncode == 0:
            return module
    pytest.fail("uv not found (not in $UV, not on PATH, not `python3 -m uv`): see Quick start")


def test_without_uv_on_path_the_readmes_python3_m_uv_is_used(monkeypatch, tmp_path):
    """The Quick start installs uv with pip; where pip puts it off PATH, `python3 -m uv`."""
    real_uv = shutil.which("uv")
    if real_uv:
        # uv is a stand-alone binary on this machine, so `python3 -m uv` may not exist here:
        # put first on PATH a python3 whose `-m uv` is that binary, as pip's uv module would be.
        shim = tmp_path / "python3"
        shim.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = "-m" ] && [ "$2" = "uv" ]; then shift 2; exec "{real_uv}" "$@"; fi\n'
            f'exec "{sys.executable}" "$@"\n'
        )
        shim.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    uv = _uv()
    assert uv[1:] == ["-m", "uv"]
    version = subprocess.run([*uv, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("uv ")


def test_core_install_predicts_with_the_packaged_champion(tmp_path, root):
    uv = _uv()
    venv = tmp_path / "venv"
    subprocess.run([*uv, "venv", "-q", "--python", "3.11", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [*uv, "pip", "install", "-q", "--python", str(python), str(root)], check=True, timeout=600
    )
    listed = subprocess.run(
        [*uv, "pip", "list", "--python", str(python)], capture_output=True, text=True, check=True
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
