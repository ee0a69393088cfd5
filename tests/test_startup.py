"""What keeps a fresh `backclf predict` light, without timing anything (timings live in
benchmarks/bench_predict.py): the modules it imports and the commands it builds."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from backclf.cli.app import app

#: Every command of the program, in the order `backclf --help` lists them. A new command
#: belongs here too.
COMMANDS = ["causes", "redflags", "schema", "explain", "generate", "predict"]
ONE_CASE = ["predict", "--age", "40", "--trigger", "lifting_heavy_object", "--no-fever"]


def imported_modules(args: list[str]) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules a fresh `python -m backclf ARGS` imports (from ``-X importtime``)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "backclf", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", result.stderr, re.M)
    return set(names), result


def test_one_case_imports_no_heavy_library():
    modules, result = imported_modules([*ONE_CASE, "--format", "json"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["cause"]["id"] == "excessive_loading"
    tops = {name.split(".")[0] for name in modules}
    assert not tops & {"sklearn", "pandas", "mlflow", "spacy", "scipy", "matplotlib"}


def test_one_case_builds_only_the_predict_command():
    modules, result = imported_modules([*ONE_CASE, "--format", "json"])
    assert result.returncode == 0
    # The other commands' modules are imported inside them, so none of these appear.
    assert not modules & {"backclf.cli.generate", "backclf.core.explain", "backclf.synth"}


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "backclf", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    listed = re.findall(r"^│ (\w+) {2,}", result.stdout, re.M)
    assert [name for name in listed if name not in ("help", "version")] == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_builds_and_shows_its_help(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"backclf {command}" in result.output


def test_a_mistyped_command_is_refused_with_a_suggestion():
    result = CliRunner().invoke(app, ["predic", "--age", "40"])
    assert result.exit_code == 2
    assert "No such command 'predic'" in result.output
    assert "Did you mean 'predict'?" in result.output
