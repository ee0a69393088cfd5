"""One contract semantics: the same case gets the same answer and the same message whatever
shape it comes in (a JSON line, a CSV row, a Parquet row, or the Python API).

The expected messages are written out by hand here, so a change of wording anywhere shows.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.findings import Case, CaseError, parse_case

runner = CliRunner()

#: (case, its problems in order, or [] when it is valid).
CASES = [
    ({"age": 40, "trigger": "lifting_heavy_object"}, []),
    ({"age": 200}, ["age: must be between 1 and 120, got 200"]),
    ({"age": 0}, ["age: must be between 1 and 120, got 0"]),
    ({"age": 40.5}, ["age: must be a whole number, got 40.5"]),
    ({"pain_severity": 11}, ["pain_severity: must be between 0 and 10, got 11"]),
    ({"temperature_c": 29.5}, ["temperature_c: must be between 30 and 45, got 29.5"]),
    (
        {"trigger": "lifting"},
        [
            "trigger: must be one of bending_or_twisting, lifting_heavy_object, "
            "prolonged_posture, minor_fall_or_bump, none, got 'lifting'; "
            "did you mean 'lifting_heavy_object'?"
        ],
    ),
    ({"sex": "x"}, ["sex: must be one of female, male, got 'x'"]),
    (
        {"fever": False, "temperature_c": 38.4},
        ["fever is false but temperature_c is 38.4 (38 or more counts as fever)"],
    ),
    ({"pregnant": True, "sex": "male"}, ["pregnant is true but sex is male"]),
    (
        {"bilateral_leg_weakness": True, "leg_weakness": False},
        ["leg_weakness is false but bilateral_leg_weakness is true"],
    ),
    ({"fevr": True}, ["unknown finding 'fevr'; did you mean 'fever'?"]),
    (
        {"saddle_numbnes": True, "age": 300},
        [
            "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?",
            "age: must be between 1 and 120, got 300",
        ],
    ),
]
#: Wrong kinds that JSON and Parquet can carry but CSV (all text) cannot tell apart.
TYPED_ONLY = [
    ({"age": True}, ["age: must be a whole number, got True"]),
    ({"age": "40"}, ["age: must be a whole number, got '40'"]),
    ({"spasm": "yes"}, ["spasm: must be true or false, got 'yes'"]),
    ({"spasm": 1}, ["spasm: must be true or false, got 1"]),
]
#: What only CSV reads: cells are text, so yes/no words and numbers in text are values.
CSV_ONLY = [
    ({"spasm": "yes", "fever": "0", "age": "40"}, []),
    ({"spasm": "maybe"}, ["spasm: must be true or false, got 'maybe'"]),
    ({"age": "forty"}, ["age: must be a whole number, got 'forty'"]),
]


def python_api(case: dict) -> list[str]:
    try:
        parse_case(case)
    except CaseError as exc:
        return exc.problems
    return []


def pydantic_model(case: dict) -> bool:
    """Whether ``Case(...)`` accepts it (the model raises pydantic's ValidationError)."""
    try:
        Case(**case)
    except ValueError:
        return False
    return True


def json_lines(cases: list[dict]) -> list[list[str]]:
    stdin = "\n".join(json.dumps(c) for c in cases)
    result = runner.invoke(app, ["predict", "--format", "json"], input=stdin)
    return [_problems(json.loads(line)) for line in result.stdout.splitlines()]


def table(cases: list[dict], tmp_path, kind: str) -> list[list[str]]:
    """Each case as a one-row table of its own columns (CSV: every value written as text)."""
    out = []
    for k, case in enumerate(cases):
        path = tmp_path / f"case{k}.{kind}"
        if kind == "parquet":
            pq.write_table(pa.Table.from_pylist([case]), path)
        else:
            cells = {key: _csv_text(v) for key, v in case.items()}
            pcsv.write_csv(pa.Table.from_pylist([cells]), path)
        result = runner.invoke(app, ["predict", "-i", str(path), "--format", "json"])
        (line,) = result.stdout.splitlines()
        out.append(_problems(json.loads(line)))
    return out


def _csv_text(value) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _problems(record: dict) -> list[str]:
    return _split(record["error"]) if "error" in record else []


def _split(message: str) -> list[str]:
    """A record's error is its problems joined by '; ' (a suggestion is part of one)."""
    parts, problems = message.split("; "), []
    for part in parts:
        if part.startswith("did you mean") and problems:
            problems[-1] += "; " + part
        else:
            problems.append(part)
    return problems


@pytest.mark.parametrize(("case", "expected"), CASES + TYPED_ONLY, ids=str)
def test_python_api_gives_the_contract_messages(case, expected):
    assert python_api(case) == expected
    assert pydantic_model(case) == (not expected)


def test_json_lines_give_the_same_answers_and_messages():
    cases = [c for c, _ in CASES + TYPED_ONLY]
    assert json_lines(cases) == [e for _, e in CASES + TYPED_ONLY]


def test_parquet_gives_the_same_answers_and_messages(tmp_path):
    cases = [c for c, _ in CASES + TYPED_ONLY]
    assert table(cases, tmp_path, "parquet") == [e for _, e in CASES + TYPED_ONLY]


def test_csv_gives_the_same_answers_and_messages(tmp_path):
    cases = [c for c, _ in CASES + CSV_ONLY]
    assert table(cases, tmp_path, "csv") == [e for _, e in CASES + CSV_ONLY]


def test_one_bad_cell_in_a_csv_column_is_one_bad_row(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,age,spasm\na,40,true\nb,forty,yes\nc,55,no\n")
    result = runner.invoke(app, ["predict", "-i", str(path), "--format", "json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 65
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert [("error" in r) for r in records] == [False, True, False]
    assert records[1]["error"] == "age: must be a whole number, got 'forty'"
