"""`backclf predict` read off the command line without Typer in its common forms (issue 27
item 6): the same arguments Typer passes, hand-written here; anything else left to Typer; and
the program's output the same either way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.cli.quick import quick_predict

NOTHING = {"input_path": None, "output": None, "fmt": None, "text": None, "model_path": None,
           "lean": False}


def test_finding_flags_are_read_as_typer_reads_them():
    argv = ["predict", "--no-fever", "--trigger", "lifting_heavy_object", "--age", "40",
            "--temperature-c", "37.5", "--saddle-numbness", "--format", "json"]
    assert quick_predict(argv) == {
        **NOTHING,
        "fmt": "json",
        # in the contract's order, as Typer passes its keyword arguments
        "flags": {"age": 40, "trigger": "lifting_heavy_object", "temperature_c": 37.5,
                  "saddle_numbness": True, "fever": False},
    }


def test_files_text_model_and_lean_are_read():
    argv = ["predict", "-i", "cases.jsonl", "-o", "out.jsonl", "--model", "m.json", "--lean"]
    assert quick_predict(argv) == {
        **NOTHING, "input_path": "cases.jsonl", "output": Path("out.jsonl"),
        "model_path": Path("m.json"), "lean": True, "flags": {},
    }
    assert quick_predict(["predict", "--text", "my back hurts"]) == {
        **NOTHING, "text": "my back hurts", "flags": {}
    }
    assert quick_predict(["predict"]) == {**NOTHING, "flags": {}}


@pytest.mark.parametrize(
    "argv",
    [
        ["causes"],
        ["predict", "--help"],
        ["predict", "--age=40"],  # one word
        ["predict", "--age", "40.5"],  # Typer refuses it
        ["predict", "--age", "040"],  # not a plain decimal
        ["predict", "--age", "-3"],  # a value that looks like an option
        ["predict", "--age", "1e2"],
        ["predict", "--temperature-c", "38."],
        ["predict", "--age"],  # no value
        ["predict", "--age", "40", "--age", "41"],  # twice
        ["predict", "--fever", "--no-fever"],  # twice
        ["predict", "--format", "xml"],
        ["predict", "-i", "-"],
        ["predict", "--text", ""],
        ["predict", "--fevr"],  # unknown: Typer suggests
        ["predict", "40"],
    ],
)
def test_anything_else_is_left_to_typer(argv):
    assert quick_predict(argv) is None


@pytest.mark.parametrize(
    "args",
    [
        ["--age", "40", "--trigger", "lifting_heavy_object", "--no-fever", "--format", "json"],
        ["--age", "70", "--saddle-numbness", "--format", "json", "--lean"],
        ["--age", "200", "--format", "json"],  # outside the contract: an error record, 65
        ["--trigger", "lifting", "--format", "json"],  # not one of the values: 65
        ["--temperature-c", "38.5", "--no-fever", "--format", "json"],  # a conflict
    ],
)
def test_the_program_answers_as_typer_does(args):
    quick = subprocess.run(
        [sys.executable, "-m", "backclf", "predict", *args], capture_output=True, timeout=120
    )
    typer_run = CliRunner().invoke(app, ["predict", *args])
    assert quick.returncode == typer_run.exit_code
    assert quick.stdout.decode() == typer_run.stdout
