"""What keeps a fresh `backclf predict` light, without timing anything (timings live in
benchmarks/bench_predict.py): the modules it imports, the commands it builds, and the JSON
snapshots it reads instead of the knowledge YAML."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.knowledge import files

#: Every command of the program, in the order `backclf --help` lists them. A new command
#: belongs here too.
COMMANDS = [
    "causes", "redflags", "questions", "schema", "explain", "generate", "predict", "interview",
    "serve",
]
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


def test_one_case_imports_no_heavy_library_and_no_yaml_parser():
    modules, result = imported_modules([*ONE_CASE, "--format", "json"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["cause"]["id"] == "excessive_loading"
    tops = {name.split(".")[0] for name in modules}
    assert not tops & {"sklearn", "pandas", "mlflow", "spacy", "scipy", "matplotlib"}
    # The knowledge it reads comes from current JSON snapshots (see test below).
    assert "yaml" not in tops


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


# -- knowledge snapshots ---------------------------------------------------------------------


@pytest.mark.parametrize("name", files.SNAPSHOTS)
def test_snapshots_are_current(name):
    text = files.read_text(name)
    assert files.read_snapshot(name, text) is not files.MISSING, (
        f"the snapshot of {name} is missing or stale: run `python -m backclf.knowledge.files`"
    )
    # Exactly the YAML's data, types included (1 and 1.0 and True differ here).
    assert repr(files.read_snapshot(name, text)) == repr(files.parse_yaml(text))


def test_a_stale_snapshot_is_not_used():
    edited = files.read_text("red_flags.yaml") + "\n# an edit\n"
    assert files.read_snapshot("red_flags.yaml", edited) is files.MISSING


def test_only_the_listed_files_have_snapshots():
    assert files.read_snapshot("generator.yaml", files.read_text("generator.yaml")) is (
        files.MISSING
    )


def test_data_json_cannot_hold_exactly_gets_no_snapshot():
    with pytest.raises(ValueError, match="does not survive JSON"):
        files.dumps_snapshot("x.yaml", "table:\n  true: 0.5\n  false: 0.5\n")
