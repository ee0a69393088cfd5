"""Regression tests for the input attacks of issue 29 (items 2, 3 and 6) and issue 24 (item 5).

Each failed on the code before its fix (a red flag lost in an error record, a stream that
held an answer back, a traceback, a silent misreading); the expectations are written by hand.
Answers that disagree (item 1) are in tests/test_conflicts.py; the cross-mode table (item 2)
in tests/test_contract_parity.py.
"""

from __future__ import annotations

import gzip
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backclf.io.encodings import encoding_problem

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "src" / "backclf" / "published" / "champion.json"
EMERGENCY = b'{"saddle_numbness": true}'


def run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backclf", *args], input=stdin, capture_output=True, timeout=180
    )


def records(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def levels(stdout: bytes) -> list[str | None]:
    return [(r.get("triage") or {}).get("level") for r in records(stdout)]


# -- issue 24, item 5: every complete line is answered as soon as it is read -------------------


class OpenPipe:
    """`backclf predict --format json` kept open, as an app keeps it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backclf", "predict", "--format", "json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.pending = b""

    def write(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def answers(self, count: int, within: float) -> list[dict]:
        """The next ``count`` answers, each arriving within ``within`` seconds of the last."""
        fd = self.process.stdout.fileno()
        got: list[dict] = []
        deadline = time.monotonic() + within
        while len(got) < count:
            while b"\n" in self.pending and len(got) < count:
                line, self.pending = self.pending.split(b"\n", 1)
                got.append(json.loads(line))
                deadline = time.monotonic() + within
            if len(got) == count:
                break
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"{len(got)} of {count} answers, then none within {within} s: {got}"
            chunk = os.read(fd, 1 << 20)
            assert chunk, "the process closed its output"
            self.pending += chunk
        return got

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=60)


@pytest.fixture
def pipe():
    opened = OpenPipe()
    opened.write(b'{"id": "warm"}\n')
    opened.answers(1, within=120)  # start-up (model load) is not what is measured
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "before",
    [
        b"{bad\n",  # the burst: malformed
        b"\n   \n\t\n",  # blank
        b'{"zzz": 1}\n',  # unknown keys
        b'{"text": "' + b"x" * 200_000 + b'"}\n',  # oversized (longer than a pipe's read)
        b'{"age": 40,\n',  # cut short: it opens a value that goes on
        b"[\n",  # opens an array that never comes
        b'{"age": 40}\r',  # a CR-only line end
    ],
    ids=["malformed", "blank", "unknown", "oversized", "cut-short", "open-bracket", "cr"],
)
def test_a_burst_is_answered_line_by_line_while_the_pipe_stays_open(pipe, before):
    """`printf '{bad\\n{"saddle_numbness": true}\\n'` into an open pipe got the emergency
    answer only when a third line or EOF arrived."""
    pipe.write(before + EMERGENCY + b"\n")
    expected = 0 if not before.strip() else 1
    answers = pipe.answers(expected + 1, within=1.0)
    assert answers[-1]["triage"]["level"] == "emergency", answers


def test_the_burst_in_the_first_write_too():
    opened = OpenPipe()
    try:
        opened.write(b'{"age": 40,\n' + EMERGENCY + b"\n")
        first = opened.answers(1, within=120)  # start-up
        assert "error" in first[0]
        (second,) = opened.answers(1, within=1.0)
        assert second["triage"]["level"] == "emergency"
    finally:
        opened.close()


def test_a_pretty_printed_array_is_answered_element_by_element():
    opened = OpenPipe()
    try:
        opened.write(b"[\n")
        opened.write(b'  {"id": 1, "age": 40},\n')
        (first,) = opened.answers(1, within=120)
        assert first["id"] == 1
        opened.write(b'  {"id": 2,\n   "saddle_numbness": true},\n')
        (second,) = opened.answers(1, within=1.0)
        assert second["id"] == 2 and second["triage"]["level"] == "emergency"
        opened.write(b"  {bad}\n")
        (third,) = opened.answers(1, within=1.0)
        assert third["line"] == 3 and "line 5, column 4" in third["error"]
    finally:
        opened.close()


# -- issue 29, item 3: partial recovery where it is safe ---------------------------------------


@pytest.mark.parametrize("way", ["file", "stdin"])
def test_an_array_with_a_syntax_error_keeps_the_cases_before_it(tmp_path, way):
    """One error record for the whole document; every case in it lost."""
    text = b'[\n  {"id": 1, "age": 40},\n  {"id": 2, "saddle_numbness": true},\n  {"id": 3,,}\n]'
    if way == "file":
        path = tmp_path / "cases.json"
        path.write_bytes(text.replace(b"\n", b""))  # one line, as the was
        result = run(["predict", "-i", str(path), "--format", "json"], b"")
        where = "line 1, column 73"
    else:
        result = run(["predict", "--format", "json"], text)
        where = "line 4, column 12"
    out = records(result.stdout)
    assert result.returncode == 65
    assert [r.get("id") for r in out[:2]] == [1, 2]
    assert out[1]["triage"]["level"] == "emergency"
    assert out[2] == {
        "id": None,
        "line": 3,
        "error": f"malformed JSON at {where}: expected a name in double quotes; "
        "the rest of the document was not read",
    }
    assert len(out) == 3


def test_cr_only_line_ends_are_line_ends():
    """Two cases became one error."""
    result = run(["predict", "--format", "json"], b'{"id": 1, "age": 40}\r' + EMERGENCY + b"\r")
    assert levels(result.stdout) == ["self_care", "emergency"]
    mixed = run(["predict", "--format", "json"], b'{"id": 1}\r\n\r\n' + EMERGENCY + b"\r\n")
    assert [r.get("line") for r in records(mixed.stdout)] == [None, None]
    assert levels(mixed.stdout)[1] == "emergency"


def test_a_bom_at_the_start_of_a_later_line_is_not_part_of_its_case():
    """Files joined end to end: 'malformed JSON' without saying why."""
    bom = b"\xef\xbb\xbf"
    result = run(["predict", "--format", "json"], bom + b'{"age": 40}\n' + bom + EMERGENCY + b"\n")
    assert result.returncode == 0
    assert levels(result.stdout) == ["self_care", "emergency"]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ('{"saddle_numbness": true}\n'.encode("utf-16"), "UTF-16 text (little-endian byte order"),
        ('{"saddle_numbness": true}\n'.encode("utf-16-le"), "UTF-16 text (little-endian)"),
        ('{"saddle_numbness": true}\n'.encode("utf-16-be"), "UTF-16 text (big-endian)"),
        (gzip.compress(EMERGENCY), "gzip-compressed"),
    ],
)
def test_another_encoding_is_named_in_one_line(data, named):
    """UTF-16 bodies: "malformed JSON" without saying why."""
    result = run(["predict", "--format", "json"], data)
    assert result.returncode == 66
    assert result.stdout == b""
    (line,) = result.stderr.decode().splitlines()
    assert line.startswith("backclf: error: cannot read stdin: the input is " + named), line
    assert encoding_problem(data).startswith("the input is " + named)  # the server's check


def test_encoding_problem_leaves_utf8_alone():
    for text in ("", "{}", '{"age": 40}', "[\n", "0\x00\xc2\x80", "é" * 10):
        assert encoding_problem(text.encode("utf-8")) is None


def test_bytes_that_are_not_utf8_are_an_error_in_their_line_not_read_silently():
    data = b'{"id": 1, "text": "caf\xe9"}\n' + EMERGENCY + b"\n"
    result = run(["predict", "--format", "json"], data)
    first, second = records(result.stdout)
    assert first["error"] == (
        "not UTF-8 text: the byte 0xe9 at column 23 is not UTF-8 (save the input as UTF-8)"
    )
    assert second["triage"]["level"] == "emergency"


def test_bytes_that_are_not_utf8_in_a_document_keep_the_cases_before_them(tmp_path):
    path = tmp_path / "cases.json"
    path.write_bytes(b'[\n {"id": 1, "saddle_numbness": true},\n {"id": "\xff"}\n]\n')
    result = run(["predict", "-i", str(path), "--format", "json"], b"")
    first, second = records(result.stdout)
    assert first["triage"]["level"] == "emergency"
    assert second["line"] == 2 and second["error"].startswith(
        "line 3: not UTF-8 text: the byte 0xff at column 10"
    )


# -- issue 29, item 6: messages in JSON's words ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "abc', "malformed JSON at column 10: a string is not closed"),
        ('{"age": 40, "fever": tru', "malformed JSON at column 22: expected a value"),
        ("[1, 2]", "a case must be a JSON object of findings, got a JSON array"),
        ("null", "a case must be a JSON object of findings, got null"),
        ('{"fever": null, "spasm": "x", "sex": [1]}', None),
        ('{"id": [1]}', "id: must be a string or a whole number, got a JSON array"),
        ('{"findings": 3}', "findings: must be a JSON object, got a number"),
        ('{"text": null, "findings": null, "age": true}', "age: must be a whole number, got true"),
    ],
)
def test_messages_use_jsons_names_and_no_at_at(line, message):
    result = run(["predict", "--format", "json"], line.encode() + b"\n")
    (record,) = records(result.stdout)
    for python_word in ("NoneType", "list", "dict", "True", "None", "Decimal", "at at"):
        assert python_word not in record["error"], record["error"]
    if message is not None:
        assert record["error"] == message


# -- issue 29, item 2: the MLflow model never raises for a user's input ------------------------


@pytest.fixture(scope="module")
def pyfunc():
    from backclf.pipeline.mlflow_model import BackclfModel

    class Context:
        def __init__(self) -> None:
            self.artifacts = {"model_file": str(PACKAGED)}

    model = BackclfModel()
    model.load_context(Context())
    return model


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [(r["row"], r["error"], r["triage_level"]) for r in frame.to_dict("records")]


@pytest.mark.parametrize("output", ["all", "table"])
def test_pyfunc_repeated_column_names_are_the_tables_error(pyfunc, output):
    """Was: AttributeError: 'DataFrame' object has no attribute 'dtype'."""
    frame = pd.DataFrame([[True, 40, False]], columns=["saddle_numbness", "age", "saddle_numbness"])
    assert rows(pyfunc.predict(None, frame, {"output": output})) == [
        (1, "column 'saddle_numbness' appears more than once", None)
    ]


@pytest.mark.parametrize("output", ["all", "table"])
def test_pyfunc_a_dict_of_columns_is_a_table_and_keeps_its_red_flag(pyfunc, output):
    """Was read as one case with a list id: its red flag lost."""
    columns = {"id": np.array(["a", "b"]), "saddle_numbness": [None, True]}
    out = pyfunc.predict(None, columns, {"output": output})
    assert rows(out) == [(1, None, "self_care"), (2, None, "emergency")]
    assert list(out["id"]) == ["a", "b"]


@pytest.mark.parametrize("output", ["all", "table"])
def test_pyfunc_a_string_is_read_as_json_text(pyfunc, output):
    """Was: AttributeError: 'str' object has no attribute 'items'."""
    text = '{"id": 1, "age": 40}\n{"id": 2, "saddle_numbness": true}\n'
    out = pyfunc.predict(None, text, {"output": output})
    assert rows(out) == [(1, None, "self_care"), (2, None, "emergency")]
    assert rows(pyfunc.predict(None, text.encode("utf-16"))) == [
        (
            1,
            "the input is UTF-16 text (little-endian byte order mark), not UTF-8 text: "
            "convert it to UTF-8",
            None,
        )
    ]


@pytest.mark.parametrize("output", ["all", "table"])
def test_pyfunc_a_numpy_array_without_names_is_an_error_per_row(pyfunc, output):
    """Was: AttributeError: 'numpy.ndarray' object has no attribute 'items'."""
    out = pyfunc.predict(None, np.array([[1, 0], [0, 1]]), {"output": output})
    message = "a case must be a JSON object of findings, got a JSON array"
    assert rows(out) == [(1, message, None), (2, message, None)]
    records_array = np.array([{"saddle_numbness": True}], dtype=object)
    assert rows(pyfunc.predict(None, records_array)) == [(1, None, "emergency")]


@pytest.mark.parametrize("output", ["all", "table"])
def test_pyfunc_a_list_column_costs_its_rows_only(pyfunc, output):
    """Spark: an array<boolean> column crashed the whole job (Arrow cannot dictionary-encode
    lists)."""
    frame = pd.DataFrame({"fever": [[True], None], "saddle_numbness": [None, True]})
    assert rows(pyfunc.predict(None, frame, {"output": output})) == [
        (1, "fever: must be true or false, got a JSON array", None),
        (2, None, "emergency"),
    ]


def test_pyfunc_envelope_rows_and_flat_rows_mix_as_json_lines_do(pyfunc):
    """Spark read JSON Lines of envelopes and flat records: a flat row (its findings null)
    was an error where the CLI answers emergency_ambulance."""
    frame = pd.DataFrame(
        [
            {"id": 1, "findings": {"saddle_numbness": True}},
            {"id": 2, "findings": None, "fainting_or_collapse": True},
        ]
    )
    out = pyfunc.predict(None, frame)
    assert rows(out) == [(1, None, "emergency"), (2, None, "emergency_ambulance")]


def test_pyfunc_a_double_id_is_refused_as_the_cli_refuses_it(pyfunc):
    frame = pd.DataFrame({"id": [1.5, 2.0], "saddle_numbness": [True, True]})
    out = pyfunc.predict(None, frame, {"output": "table"})
    assert rows(out) == [
        (1, "id: must be a string or a whole number, got 1.5", None),
        (2, None, "emergency"),
    ]
    assert list(out["id"]) == [1.5, 2.0] or list(out["id"])[1] == 2
