"""Regression tests for the attacks of issue 13, one (or a few) per numbered item.

Each test names its item. Each failed on the code before its fix (a red flag lost, data
lost, a traceback, a hang or a blow-up); the expectations are written out by hand.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.findings import Case
from backclf.core.decide import assess, assess_many
from backclf.io import json_lines, tables

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
EMERGENCY = {"id": "e", "saddle_numbness": True}
MILD = {"id": "m", "age": 40, "trigger": "lifting_heavy_object", "fever": False}
TOO_MANY_DIGITS = "malformed JSON: a whole number with more than 4,300 digits"


def invoke(args: list[str], stdin: str | bytes | None = None):
    return runner.invoke(app, args, input=stdin)


def records(output: str | bytes) -> list[dict]:
    if isinstance(output, bytes):
        output = output.decode("utf-8")
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "backclf", *args], timeout=180, **kwargs)


def no_traceback(result) -> None:
    text = result.output if hasattr(result, "output") else result.stderr.decode()
    assert "Traceback" not in text, text
    if hasattr(result, "exception") and result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception


def jsonl(cases: list[dict]) -> str:
    return "".join(json.dumps(c) + "\n" for c in cases)


# -- 1. An explicit null never erases a red flag read from the text ----------------------------


def test_item_1_explicit_null_keeps_the_red_flag_read_from_the_text():
    """Item 1: `null` means unknown, and unknown never overrides something known."""
    line = '{"text": "I wet myself", "bladder_or_bowel_control_loss": null}'
    result = invoke(["predict", "--format", "json"], line)
    [record] = records(result.stdout)
    assert record["triage"]["level"] == "emergency"
    assert "cauda_equina" in [flag["id"] for flag in record["red_flags"]]
    assert {"finding": "bladder_or_bowel_control_loss", "value": True}.items() <= next(
        e for e in record["extracted"] if e["finding"] == "bladder_or_bowel_control_loss"
    ).items()


# -- 2. Repeated keys and repeated columns are errors ------------------------------------------


def test_item_2_a_repeated_key_is_an_error_record_in_its_place():
    """Item 2: the last key used to win silently (saddle_numbness true, then false: self care)."""
    stdin = "\n".join(
        [
            json.dumps(MILD),
            '{"saddle_numbness": true, "saddle_numbness": false}',
            '{"id": 3, "findings": {"fever": true, "fever": false}}',
            json.dumps(EMERGENCY),
        ]
    )
    result = invoke(["predict", "--format", "json"], stdin)
    out = records(result.stdout)
    assert result.exit_code == 65
    assert [r.get("id") for r in out] == ["m", None, None, "e"]
    assert out[1] == {
        "id": None,
        "line": 2,
        "error": "malformed JSON: key 'saddle_numbness' appears more than once",
    }
    assert out[2]["error"] == "malformed JSON: key 'fever' appears more than once"
    assert out[3]["triage"]["level"] == "emergency"


def test_item_2_a_repeated_key_in_a_json_document_spoils_only_its_case(tmp_path):
    """Item 2, JSON document form."""
    path = tmp_path / "cases.json"
    path.write_text(
        '[{"id": 1, "age": 40},\n {"id": 2, "saddle_numbness": true, "saddle_numbness": false},'
        '\n {"id": 3, "saddle_numbness": true}]'
    )
    result = invoke(["predict", "-i", str(path), "--format", "json"])
    out = records(result.stdout)
    assert result.exit_code == 65
    assert [("error" in r) for r in out] == [False, True, False]
    assert out[1]["error"] == "malformed JSON: key 'saddle_numbness' appears more than once"
    assert out[2]["triage"]["level"] == "emergency"


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("saddle_numbness,saddle_numbness", "true,false", "column 'saddle_numbness'"),
        ("text,text", "I wet myself,nothing", "column 'text'"),
        ("id,id,age", "1,2,40", "column 'id'"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_item_2_repeated_table_columns_make_every_row_an_error(
    tmp_path, kind, header, row, message
):
    """Item 2, tables: a repeated column used to be a KeyError traceback (two `text` or two
    `id` columns), or a silent choice."""
    names = header.split(",")
    path = tmp_path / f"cases.{kind}"
    if kind == "csv":
        path.write_text(f"{header}\n{row}\n{row}\n")
    else:
        cells = row.split(",")
        arrays = [pa.array([cell, cell]) for cell in cells]
        pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    as_json = invoke(["predict", "-i", str(path), "--format", "json"])
    no_traceback(as_json)
    assert as_json.exit_code == 65
    out = records(as_json.stdout)
    assert [r["line"] for r in out] == [1, 2]
    assert all(message + " appears more than once" in r["error"] for r in out)
    table_out = tmp_path / "out.parquet"
    as_table = invoke(["predict", "-i", str(path), "-o", str(table_out)])
    no_traceback(as_table)
    assert as_table.exit_code == 65
    assert pq.read_table(table_out).column("error").null_count == 0


# -- 3. The output is never the input ----------------------------------------------------------


def _same_file_setups(tmp_path: Path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(jsonl([MILD, EMERGENCY]))
    hard = tmp_path / "hard.jsonl"
    os.link(cases, hard)
    soft = tmp_path / "soft.jsonl"
    soft.symlink_to(cases)
    table = tmp_path / "cases.csv"
    table.write_text("id,age\n1,40\n")
    parquet = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"id": [1], "age": [40]}), parquet)
    return {
        "same path": (cases, ["-i", str(cases), "-o", str(cases)], {}),
        "another spelling": (cases, ["-i", str(cases), "-o", f"{tmp_path}/./cases.jsonl"], {}),
        "hard link": (cases, ["-i", str(cases), "-o", str(hard)], {}),
        "symbolic link": (cases, ["-i", str(soft), "-o", str(cases)], {}),
        "stdin redirected": (cases, ["-o", str(cases), "--format", "json"], {"stdin": cases}),
        "stdout appends to it": (cases, ["-i", str(cases), "--format", "json"], {"stdout": cases}),
        "csv": (table, ["-i", str(table), "-o", str(table)], {}),
        "parquet": (parquet, ["-i", str(parquet), "-o", str(parquet)], {}),
    }


@pytest.mark.parametrize(
    "setup",
    [
        "same path",
        "another spelling",
        "hard link",
        "symbolic link",
        "stdin redirected",
        "stdout appends to it",
        "csv",
        "parquet",
    ],
)
def test_item_3_refuses_to_write_over_its_input(tmp_path, setup):
    """Item 3: `-i x.jsonl -o x.jsonl` used to truncate the input to 0 bytes."""
    source, args, redirect = _same_file_setups(tmp_path)[setup]
    before = source.read_bytes()
    streams = {}
    if "stdin" in redirect:
        streams["stdin"] = redirect["stdin"].open("rb")
    if "stdout" in redirect:
        streams["stdout"] = redirect["stdout"].open("ab")
    try:
        if streams:  # a real redirection: a subprocess
            result = run(["predict", *args], **streams)
            code, stderr = result.returncode, result.stderr.decode()
        else:
            result = invoke(["predict", *args])
            code, stderr = result.exit_code, result.stderr
    finally:
        for stream in streams.values():
            stream.close()
    assert code == 73, stderr
    assert "it is the input file" in stderr
    assert source.read_bytes() == before


# -- 4. A bad cell anywhere in a table is one error row -----------------------------------------


@pytest.mark.parametrize("out_kind", ["parquet", "jsonl"])
def test_item_4_a_bad_cell_after_the_first_read_block_is_one_error_row(
    tmp_path, monkeypatch, out_kind
):
    """Item 4: a bad cell after the first CSV read block used to stop the run (exit 66) with
    a valid-looking output missing every later row. Here the block is shrunk to 1 KiB."""
    monkeypatch.setattr(tables, "CSV_BLOCK_BYTES", 1024)
    n, bad = 3000, 2500
    rows = ["id,saddle_numbness"] + [f"{i},{'maybe' if i == bad else 'true'}" for i in range(n)]
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / f"out.{out_kind}"
    result = invoke(["predict", "-i", str(path), "-o", str(out)])
    assert result.exit_code == 65, result.output
    if out_kind == "parquet":
        table = pq.read_table(out).to_pydict()
        levels, errors, ids = table["triage_level"], table["error"], table["id"]
    else:
        got = records(out.read_text())
        levels = [r.get("triage", {}).get("level") for r in got]
        errors, ids = [r.get("error") for r in got], [r["id"] for r in got]
    assert ids == list(range(n))
    assert [i for i, e in enumerate(errors) if e] == [bad]
    assert errors[bad] == "saddle_numbness: must be true or false, got 'maybe'"
    assert levels[:bad] == ["emergency"] * bad and levels[bad + 1 :] == ["emergency"] * (
        n - bad - 1
    )


def test_item_4_a_small_table_with_one_bad_cell_is_not_rejected_whole(tmp_path):
    """Item 4: a smaller file with one bad cell used to be rejected whole (exit 66)."""
    path = tmp_path / "cases.csv"
    path.write_text("id,age,fever\n1,40,true\n2,forty,false\n3,50,no\n")
    result = invoke(["predict", "-i", str(path), "--format", "json"])
    out = records(result.stdout)
    assert result.exit_code == 65
    assert [r["id"] for r in out] == [1, 2, 3]
    assert out[1]["error"] == "age: must be a whole number, got 'forty'"
    assert "error" not in out[0] and "error" not in out[2]


# -- 5. Output files complete or absent; stdout whole lines ------------------------------------


def _big_jsonl(path: Path, n: int) -> list[str]:
    ids = [f"c{i}" for i in range(n)]
    path.write_text("".join(json.dumps({**MILD, "id": i}) + "\n" for i in ids))
    return ids


def _part_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(".part")]


def test_item_5_an_interrupted_run_leaves_the_old_output_file_untouched(tmp_path):
    """Item 5: SIGINT used to leave a truncated output file."""
    source = tmp_path / "cases.jsonl"
    _big_jsonl(source, 100_000)
    out = tmp_path / "out.jsonl"
    out.write_text("the previous results\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "backclf", "predict", "-i", str(source), "-o", str(out)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not _part_files(tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # some chunks written to the temporary file
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert out.read_text() == "the previous results\n"
    assert _part_files(tmp_path) == []


@pytest.mark.parametrize("lines", [100, 20_000], ids=["one process", "forked workers"])
def test_item_5_an_interrupted_run_ends_stdout_after_a_whole_line(tmp_path, lines):
    """Item 5: on stdout, never a partial line, whether one process or the workers write."""
    source = tmp_path / "cases.jsonl"
    ids = _big_jsonl(source, lines)
    command = [sys.executable, "-m", "backclf", "predict", "--format", "json"]
    if lines > 1000:
        command += ["-i", str(source)]
        stdin = subprocess.DEVNULL
    else:
        stdin = subprocess.PIPE
    process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is subprocess.PIPE:  # an app streaming cases one at a time
        for line in source.read_text().splitlines()[:3]:
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
            assert json.loads(process.stdout.readline())["id"]
    else:
        first = process.stdout.readline()
        assert json.loads(first)["id"] == ids[0]
    process.send_signal(signal.SIGINT)
    if process.stdin:
        process.stdin.close()
    rest = process.stdout.read()  # through the reader's buffer (communicate() would skip it)
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 130, stderr
    assert rest == b"" or rest.endswith(b"\n")
    got = [json.loads(line)["id"] for line in rest.splitlines()]
    offset = 3 if stdin is subprocess.PIPE else 1
    assert got == ids[offset : offset + len(got)]
    assert b"Traceback" not in stderr


def test_item_5_sigint_during_a_write_waits_for_the_write_to_end():
    """Item 5: the guard itself: a SIGINT inside a write takes effect after it."""
    from backclf.cli import interrupts

    done = []
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        with interrupts.writing():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler has run by now
            done.append("the whole line")
        done.append("never")
    assert done == ["the whole line"]
    assert signal.getsignal(signal.SIGINT) is before  # the handler it found is back


def test_item_5_two_runs_writing_one_file_leave_one_whole_output(tmp_path):
    """Item 5: two processes writing the same -o used to interleave into corrupt lines. The
    two runs have different inputs, so a mixture of the two outputs is visible."""
    out = tmp_path / "out.jsonl"
    expected, processes = [], []
    for name, n in (("a", 6_000), ("b", 4_000)):
        source = tmp_path / f"{name}.jsonl"
        source.write_text(
            "".join(json.dumps({**MILD, "id": f"{name}{i}"}) + "\n" for i in range(n))
        )
        expected.append([f"{name}{i}" for i in range(n)])
        command = [sys.executable, "-m", "backclf", "predict", "-i", str(source), "-o", str(out)]
        processes.append(subprocess.Popen(command))
    assert [p.wait(timeout=180) for p in processes] == [0, 0]
    assert [r["id"] for r in records(out.read_text())] in expected
    assert _part_files(tmp_path) == []


def test_item_5_a_table_that_breaks_halfway_leaves_no_output_file(tmp_path, monkeypatch):
    """Item 5: a table unreadable past its first batch used to leave a valid-looking file
    holding the rows before it."""
    monkeypatch.setattr(tables, "CSV_BLOCK_BYTES", 1024)
    lines = ["id,age"] + [f"{i},40" for i in range(2000)] + ["2000,40,an extra cell"]
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.parquet"
    result = invoke(["predict", "-i", str(path), "-o", str(out)])
    assert result.exit_code == 66
    assert not out.exists() and _part_files(tmp_path) == []


def test_item_5_an_output_file_gets_the_mode_open_would_give_it(tmp_path):
    """Item 5: the temporary file is private; the result is not (0o666 less the umask, or
    the mode of the file it replaces)."""
    fresh, kept = tmp_path / "fresh.jsonl", tmp_path / "kept.jsonl"
    kept.write_text("old\n")
    kept.chmod(0o604)
    mask = os.umask(0o027)
    try:
        for out in (fresh, kept):
            assert invoke(["predict", "--age", "40", "-o", str(out)]).exit_code == 0
    finally:
        os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o640 and kept.stat().st_mode & 0o777 == 0o604
    assert records(kept.read_text())[0]["schema_version"] == "1"


# -- 6. Every row invalid; nothing to assess ----------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_item_6_a_table_whose_every_row_is_invalid_gives_error_rows(tmp_path, kind):
    """Item 6: used to be `ValueError: cannot reshape array of size 0`."""
    path = tmp_path / f"cases.{kind}"
    if kind == "csv":
        path.write_text("id,age\n1,200\n")
    else:
        pq.write_table(pa.table({"id": [1], "age": [200]}), path)
    for args in (["--format", "json"], ["-o", str(tmp_path / "out.parquet")]):
        result = invoke(["predict", "-i", str(path), *args])
        no_traceback(result)
        assert result.exit_code == 65
    assert records(invoke(["predict", "-i", str(path), "--format", "json"]).stdout) == [
        {"id": 1, "line": 1, "error": "age: must be between 1 and 120, got 200"}
    ]
    assert pq.read_table(tmp_path / "out.parquet").column("error").to_pylist() == [
        "age: must be between 1 and 120, got 200"
    ]


def test_item_6_assessing_no_cases_gives_no_assessments():
    """Item 6: `assess_many([])` used to raise."""
    assert assess_many([]) == []


# -- 7. Integers beyond Python's digit limit ----------------------------------------------------


def test_item_7_a_huge_integer_is_an_error_record_in_a_large_file(tmp_path):
    """Item 7: in a 20k-line file, 8,192 lines were written and then a traceback (the forked
    workers' path; here 6,000 lines, three chunks)."""
    n, bad = 6_000, 5_000
    lines = [json.dumps({**MILD, "id": i}) for i in range(n)]
    lines[bad] = f'{{"id": {bad}, "age": {"9" * 5000}}}'
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(["predict", "-i", str(path), "--format", "json"])
    out = records(result.stdout)
    assert result.returncode == 65, result.stderr[-500:]
    assert len(out) == n and [r["line"] for r in out if "error" in r] == [bad + 1]
    assert out[bad]["error"] == TOO_MANY_DIGITS
    assert [r["id"] for r in out if "error" not in r] == [i for i in range(n) if i != bad]
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "line",
    [
        '{"age": %s}' % ("9" * 5000),
        '{"id": %s, "age": 40}' % ("1" * 4301),
        '{"findings": {"temperature_c": -%s}}' % ("3" * 6000),
        "[%s, 1]" % ("7" * 9999),
    ],
)
def test_item_7_a_huge_integer_anywhere_in_a_line_is_an_error_in_place(line):
    """Item 7: first line (where the input's form is decided) and nested values."""
    result = invoke(["predict", "--format", "json"], "\n".join([line, json.dumps(EMERGENCY)]))
    out = records(result.stdout)
    no_traceback(result)
    assert result.exit_code == 65
    assert out[0] == {"id": None, "line": 1, "error": TOO_MANY_DIGITS}
    assert out[1]["triage"]["level"] == "emergency"


def test_item_7_a_huge_integer_in_a_json_document_spoils_only_its_case(tmp_path):
    """Item 7, JSON document form."""
    path = tmp_path / "cases.json"
    path.write_text(
        '[\n {"id": 1, "age": %s},\n {"id": 2, "saddle_numbness": true}\n]' % ("8" * 5000)
    )
    result = invoke(["predict", "-i", str(path), "--format", "json"])
    out = records(result.stdout)
    assert result.exit_code == 65
    assert out[0]["error"] == TOO_MANY_DIGITS
    assert out[1]["triage"]["level"] == "emergency"


# -- 8. The readable view shows input as text ---------------------------------------------------


def test_item_8_pretty_view_shows_markup_and_escapes_from_input_as_text():
    """Item 8: `{"id": "[/]"}` used to raise rich's MarkupError, and the next case's
    emergency banner was never shown; markup and escape sequences reached the terminal."""
    stdin = "\n".join(
        [
            json.dumps({"id": "[/]", "age": 40}),
            json.dumps({"id": "[link=https://evil.example]x[/link]", "saddle_numbness": True}),
            json.dumps({"id": "\x1b]0;owned\x07\x1b[2J", "fever": True}),
            json.dumps({"[bold red]fevr\x1b[5m": True}),
        ]
    )
    result = invoke(["predict", "--format", "pretty"], stdin)
    no_traceback(result)
    assert result.exit_code == 65
    text = result.stdout
    assert "backclf [/]" in text
    assert "[link=https://evil.example]x[/link]" in text
    assert "GO TO AN EMERGENCY DEPARTMENT NOW" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;owned\\x07" in text
    assert "unknown finding '[bold red]fevr\\x1b[5m'" in text


# -- 9. Model files are checked when loaded ----------------------------------------------------


def _champion() -> dict:
    return json.loads((ROOT / "src" / "backclf" / "published" / "champion.json").read_text())


def _tree() -> dict:
    """A minimal valid tree model file, written by hand."""
    base = _champion()
    even = dict.fromkeys(base["classes"], 0.2)
    tree = {k: base[k] for k in ("format", "format_version", "version", "classes")}
    tree.update(calibration=base["calibration"], decision=base["decision"])
    tree.update(training=base["training"], kind="tree")
    tree["encoding"] = [{"name": "fever=yes", "finding": "fever", "code": 1}]
    tree["tree"] = [
        {"node": 0, "depth": 0, "samples": 10, "probabilities": even, "feature": "fever=yes"}
        | {"if_absent": 1, "if_present": 2},
        {"node": 1, "depth": 1, "samples": 5, "probabilities": even},
        {"node": 2, "depth": 1, "samples": 5, "probabilities": even},
    ]
    return tree


def _model_text(case: str) -> str:
    logistic, tree = _champion(), _tree()
    first_weight = next(iter(logistic["causes"][0]["weights"]))
    if case == "an empty array":
        return "[]"
    if case == "a string":
        return '"a model"'
    if case == "deep nesting":
        return "[" * 100_000 + "]" * 100_000
    if case == "deep nesting of objects":
        return '{"a": ' * 100_000 + "1" + "}" * 100_000
    if case == "an unknown finding in the encoding":
        logistic["encoding"][0]["finding"] = "fevr"
    elif case == "two causes":
        logistic["causes"] = logistic["causes"][:2]
    elif case == "a string weight":
        logistic["causes"][0]["weights"][first_weight] = "0.4"
    elif case == "an empty tree":
        tree["tree"] = []
        return json.dumps(tree)
    elif case == "a huge integer":
        text = json.dumps(logistic)
        return text.replace('"intercept": ', '"intercept": ' + "9" * 5000 + ', "x": ', 1)
    elif case == "an integer beyond a float":
        logistic["causes"][0]["intercept"] = 10**400
    elif case == "a NaN weight":
        logistic["causes"][0]["weights"][first_weight] = float("nan")
    elif case == "an infinite weight":
        logistic["causes"][1]["intercept"] = float("-inf")
    elif case == "a tree of depth 1e9":
        tree["tree"][2]["depth"] = 1e9
        return json.dumps(tree)
    elif case == "a tree that loops":
        tree["tree"][0]["if_present"] = 0
        return json.dumps(tree)
    elif case == "a huge kind":
        logistic["kind"] = "k" * 1_000_000
    return json.dumps(logistic)


MODEL_CASES = [
    "an empty array",
    "a string",
    "deep nesting",
    "deep nesting of objects",
    "an unknown finding in the encoding",
    "two causes",
    "a string weight",
    "an empty tree",
    "a huge integer",
    "an integer beyond a float",
    "a NaN weight",
    "an infinite weight",
    "a tree of depth 1e9",
    "a tree that loops",
    "a huge kind",
]


def test_item_9_the_hand_written_tree_is_a_valid_model(tmp_path):
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(_tree()))
    result = invoke(["predict", "--model", str(path), "--fever", "--format", "json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", MODEL_CASES)
def test_item_9_a_malformed_model_file_is_refused_with_one_clear_line(tmp_path, case):
    """Item 9: these used to be tracebacks, a hang (depth 1e9) or `"probability": null`."""
    path = tmp_path / "model.json"
    path.write_text(_model_text(case))
    args = ["predict", "--model", str(path), "--age", "40", "--format", "json"]
    if case == "a tree of depth 1e9":  # it used to hang: a subprocess, with a timeout
        result = run(args)
        code, stdout, stderr = result.returncode, result.stdout, result.stderr.decode()
    else:
        result = invoke(args)
        no_traceback(result)
        code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    assert code == 66, stderr
    assert not stdout
    assert len(stderr.splitlines()) == 1 and stderr.startswith("backclf: error: ")
    assert len(stderr) < 300, stderr[:300]


# -- 10. A stream is answered line by line, whatever came first --------------------------------


class Stream:
    """`backclf predict` as an app keeps it: one line in, wait for its answer, and so on."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backclf", "predict", "--format", "json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def ask(self, line: str, timeout: float = 60) -> dict:
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        assert ready, f"no answer to {line!r} within {timeout} s"
        return json.loads(self.process.stdout.readline())

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=60)


@pytest.mark.parametrize(
    "first",
    [
        '{"age": 40, "fever": tru',
        "[1, 2]",
        '{"saddle_numbness": true, "saddle_numbness": false}',
        "{",
    ],
)
def test_item_10_each_line_is_answered_as_it_arrives_after_a_bad_first_line(first):
    """Item 10: after a malformed first line, no later line (not even an emergency) was
    answered until stdin closed."""
    stream = Stream()
    try:
        if first != "{":
            assert "error" in stream.ask(first)
            assert stream.ask(json.dumps(EMERGENCY))["triage"]["level"] == "emergency"
            assert stream.ask(json.dumps(MILD))["id"] == "m"
        else:  # "{" alone opens a pretty-printed document, answered when the input ends
            stream.process.stdin.write(b'{\n"id": "d", "saddle_numbness": true}\n')
    finally:
        code = stream.close()
    if first == "{":
        [answer] = records(stream.process.stdout.read())
        assert answer["id"] == "d" and answer["triage"]["level"] == "emergency"
    assert code in (0, 65)


# -- 11. A long line: bounded memory, linear time, a short quote ------------------------------

PEAK_RSS = (
    "import resource, sys\n"
    "from backclf.__main__ import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print(f'PEAK_KB {peak}', file=sys.stderr)\n"
)


def _peak_kb(args: list[str], **kwargs) -> tuple[int, subprocess.CompletedProcess]:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "predict", *args],
        capture_output=True,
        timeout=600,
        **kwargs,
    )
    peak = int(result.stderr.decode().rsplit("PEAK_KB ", 1)[1])
    return peak, result


@pytest.mark.parametrize("way", ["file", "pipe"])
def test_item_11_a_huge_line_costs_a_small_multiple_of_its_size(tmp_path, way):
    """Item 11: a 200 MB unknown key took 8.5 GB and echoed 200 MB into the error. Memory is
    measured over the same command on a one-line input."""
    size = 32 * 2**20
    line = b'{"' + b"k" * size + b'": 1, "saddle_numbness": true}'
    path = tmp_path / "huge.jsonl"
    path.write_bytes(
        json.dumps(MILD).encode() + b"\n" + line + b"\n" + json.dumps(EMERGENCY).encode()
    )
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps(MILD) + "\n")
    baseline, _ = _peak_kb(["-i", str(small), "--format", "json"])
    if way == "file":
        peak, result = _peak_kb(["-i", str(path), "--format", "json"])
    else:
        peak, result = _peak_kb(["--format", "json"], input=path.read_bytes())
    out = records(result.stdout)
    assert result.returncode == 65
    assert [("error" in r) for r in out] == [False, True, False]
    assert out[1]["error"] == "unknown finding 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk..."
    assert len(result.stderr) < 500
    extra = (peak - baseline) * 1024
    assert extra < 6 * size, f"{extra / 2**20:.0f} MiB above the baseline for a 32 MiB line"


def test_item_11_stdin_buffering_is_linear_in_the_line_length(monkeypatch):
    """Item 11: a 200 MB line through stdin took 254 s, copying all it had read at every
    64 KiB read. With reads shrunk to 64 bytes, a 4 MiB line took hours that way; read
    linearly it takes a fraction of a second (the timeout only stops a hang)."""
    monkeypatch.setattr(json_lines, "READ_SIZE", 64)
    line = b"x" * (4 * 2**20)
    read, write = os.pipe()
    got: list = []

    def feed() -> None:
        with os.fdopen(write, "wb") as sink:
            sink.write(b"{}\n" + line + b"\n{}")

    def drain() -> None:
        with os.fdopen(read, "rb", buffering=0) as source:
            got.extend(n_line for batch in json_lines.line_batches(source) for n_line in batch)

    threads = [threading.Thread(target=f, daemon=True) for f in (feed, drain)]
    for thread in threads:
        thread.start()
    threads[1].join(timeout=120)
    assert not threads[1].is_alive(), "reading one long line from a pipe did not end"
    assert got == [(1, b"{}"), (2, line), (3, b"{}")]


def test_item_11_a_long_value_is_quoted_short():
    """Item 11/14: a long value is quoted by a short prefix, never whole."""
    result = invoke(["predict", "--format", "json"], json.dumps({"age": "4" * 100_000}))
    [record] = records(result.stdout)
    assert record["error"] == "age: must be a whole number, got '" + "4" * 36 + "..."


def test_item_11_a_huge_text_is_an_error_record_not_a_crash():
    """Item 11: spaCy refuses a million characters with ValueError (a traceback)."""
    stdin = "\n".join(
        [json.dumps({"id": 1, "text": "I wet myself. " * 80_000}), json.dumps(EMERGENCY)]
    )
    result = invoke(["predict", "--format", "json"], stdin)
    no_traceback(result)
    first, second = records(result.stdout)
    assert first == {
        "id": 1,
        "line": 1,
        "error": "text: longer than 100,000 characters (1,120,000)",
    }
    assert second["triage"]["level"] == "emergency"


# -- 12. params.yaml is checked before any work -------------------------------------------------


def _params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (  # dvc exp run -S assess.abstain_below=5
            lambda p: p["assess"].update(abstain_below=5),
            ["params.yaml: 'assess.abstain_below': "],
        ),
        (  # dvc exp run -S assess.consider_above=2
            lambda p: p["assess"].update(consider_above=2),
            ["params.yaml: 'assess.consider_above': "],
        ),
        (  # dvc exp run -S generate.knobs.label_noise=0.99
            lambda p: p["generate"]["knobs"].update(label_noise=0.99),
            ["params.yaml: 'generate.knobs.label_noise': "],
        ),
        (  # dvc exp run -S +generate.trian.n=100
            lambda p: p["generate"].update(trian={"n": 100}),
            ["params.yaml: unknown key 'generate.trian'; did you mean 'generate.train'?"],
        ),
        (  # a typo'd section
            lambda p: p.update(trian=p.pop("train")),
            [
                "params.yaml: 'train' is missing",
                "params.yaml: unknown key 'trian'; did you mean 'train'?",
            ],
        ),
        (  # invalid values, all reported at once
            lambda p: (
                p["train"].update(seed="abc"),
                p["generate"]["test"].update(n=-1),
                p["train"].update(model="forest"),
            ),
            [
                "params.yaml: 'generate.test.n': ",
                "params.yaml: 'train.model': ",
                "params.yaml: 'train.seed': ",
            ],
        ),
    ],
)
def test_item_12_nonsense_parameters_are_refused_one_line_each(tmp_path, change, problems):
    """Item 12: these used to exit 0 and publish the nonsense, be silently ignored, or give
    `KeyError: 'train'` and tracebacks."""
    from backclf.pipeline.params import ParamsError, load_params

    params = _params()
    change(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    lines = sorted(str(caught.value).splitlines())
    assert len(lines) == len(problems), lines
    assert all(line.startswith(p) for line, p in zip(lines, sorted(problems), strict=True))


def test_item_12_a_stage_refuses_bad_parameters_before_any_work(tmp_path):
    """Item 12: every problem at once, one line each, no traceback, nothing written; run as
    the stage script `pipelines/generate.py` (the first stage `dvc exp run` starts)."""
    params = _params()
    params["assess"]["abstain_below"] = 5
    params["generate"]["trian"] = {"n": 100}
    params["generate"]["knobs"]["label_noise"] = 0.99
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipelines" / "generate.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert sorted(result.stderr.splitlines()) == [
        "params.yaml: 'assess.abstain_below': Input should be less than or equal to 0.9 (got 5)",
        "params.yaml: 'generate.knobs.label_noise': Input should be less than or equal to 0.5 "
        "(got 0.99)",
        "params.yaml: unknown key 'generate.trian'; did you mean 'generate.train'?",
    ]
    assert not (tmp_path / "data").exists()


# -- 13. A byte order mark is not part of the first case ---------------------------------------

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_item_13_a_bom_at_the_start_of_a_file_loses_nothing(tmp_path, suffix):
    """Item 13: the first case used to be lost (a malformed-JSON error)."""
    path = tmp_path / f"cases{suffix}"
    body = jsonl([EMERGENCY, MILD]) if suffix == ".jsonl" else json.dumps([EMERGENCY, MILD])
    path.write_bytes(BOM + body.encode())
    result = invoke(["predict", "-i", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in records(result.stdout)] == ["e", "m"]


def test_item_13_a_bom_at_the_start_of_stdin_loses_nothing():
    """Item 13, stdin through a real pipe."""
    result = run(["predict", "--format", "json"], input=BOM + jsonl([EMERGENCY, MILD]).encode())
    assert result.returncode == 0, result.stderr
    assert [r["id"] for r in records(result.stdout)] == ["e", "m"]


# -- 14. Error messages quote a short prefix ---------------------------------------------------

PRIVATE = "Jane Doe DOB 1970-01-01 HIV positive, address 1 Long Road, Sometown"


def test_item_14_errors_quote_a_short_prefix_of_a_private_value(tmp_path):
    """Item 14: the whole value used to be echoed to stderr."""
    stdin = "\n".join(
        [
            json.dumps({"id": 1, "age": PRIVATE}),
            json.dumps({"id": 2, PRIVATE: True}),
            json.dumps({"id": 3, "fever": True, "findings": {"age": 40}, PRIVATE: 1}),
        ]
    )
    result = invoke(["predict", "--format", "json"], stdin)
    out = records(result.stdout)
    assert (
        out[0]["error"]
        == "age: must be a whole number, got 'Jane Doe DOB 1970-01-01 HIV positive..."
    )
    assert out[1]["error"] == "unknown finding 'Jane Doe DOB 1970-01-01 HIV positive..."
    for text in (result.stdout, result.stderr):
        assert "Long Road" not in text and "Sometown" not in text
    table = tmp_path / "cases.csv"
    table.write_text(f"id,age\n1,40\n2,40,{PRIVATE.replace(',', ' ')}\n")
    result = invoke(["predict", "-i", str(table), "--format", "json"])
    assert result.exit_code == 66
    assert "Expected 2 columns, got 3" in result.stderr and "Jane" not in result.stderr


# -- 15. Fever is derived where the decision is made -------------------------------------------


def test_item_15_a_constructed_case_with_a_fever_temperature_is_a_fever():
    """Item 15: `Case.model_construct(temperature_c=39.5)` skipped the fever rule, and
    setting temperature_c after construction did too."""
    result = assess(Case.model_construct(temperature_c=39.5))
    assert result.triage.level == "consultation_24"
    assert "fever_or_frequent_urination" in [flag.id for flag in result.red_flags]
    case = Case(temperature_c=36.5)
    with pytest.raises(ValueError):
        case.temperature_c = 39.5
    assert assess(case).triage.level != "consultation_24" or case.temperature_c == 36.5


# -- Beyond the list: closed standard streams --------------------------------------------------


@pytest.mark.parametrize(
    ("redirect", "code", "stdout", "stderr"),
    [
        ("<&-", 66, "", "backclf: error: cannot read stdin: it is closed\n"),
        (">&-", 73, None, "backclf: error: cannot write to stdout: it is closed\n"),
        ("2>&-", 65, '{"id":null,"line":1,"error":"unknown finding \'fevr\'', ""),
    ],
)
def test_a_closed_standard_stream_is_a_clear_error_never_a_traceback(
    redirect, code, stdout, stderr
):
    """A closed stdin or stdout used to be an AttributeError traceback; with stderr closed,
    the summary must not land in the JSON on stdout instead."""
    command = f"echo '{{\"fevr\": 1}}' | {sys.executable} -m backclf predict -i - --format json"
    result = subprocess.run(
        ["sh", "-c", f"{command} {redirect}"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == code, result.stderr
    assert result.stderr == stderr
    if stdout is not None:
        assert result.stdout.startswith(stdout) and result.stdout.count("\n") == (code == 65)


def test_peak_rss_helper_reads_this_process():
    """The memory probe of item 11 reads the process it runs in (sanity)."""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_copy_is_not_shared_between_model_cases():
    """The model cases above each start from a fresh champion (sanity)."""
    first = _champion()
    changed = copy.deepcopy(first)
    changed["causes"] = []
    assert _champion() == first
