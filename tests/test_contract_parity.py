"""One contract semantics: the same case gets the same answer and the same message whatever
way it comes in: a JSON line, a JSON document, a CSV row, a Parquet row, an HTTP request, the
Python API, or the MLflow model (a DataFrame, records, a dict of columns, JSON text).

The expected answers are written out by hand here (a list of problems, or the triage and a
red flag that must fire), so a change of wording anywhere shows; and every mode must give the
CLI's answer for every case it can express.

To add a way in (Spark, say): write ``def spark_rows(cases, tmp_path) -> list[Answer]`` and
add a :class:`Mode` to :data:`MODES` with the tags of the cases it cannot express.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.findings import Case, CaseError, parse_case

runner = CliRunner()
PACKAGED = Path(__file__).resolve().parents[1] / "src" / "backclf" / "published" / "champion.json"
TRIGGERS = "bending_or_twisting, lifting_heavy_object, prolonged_posture, minor_fall_or_bump, none"

#: Tags of what a case needs a way in to express.
TYPED = "typed"  # a value CSV (all text) cannot tell from another (true vs "true")
ID = "id"  # an id (the Python API has none)
ENVELOPE = "envelope"  # {"findings": {...}} (no CSV, no Python API)
NOT_JSON = "not_json"  # a value JSON cannot hold (a decimal, a date)
NAN = "nan"  # a not-a-number (JSON's NaN is Python's extension; CSV writes it as text)

#: An assessed case's expected answer: its triage level, and a red flag that must fire.
Assessed = tuple[str, str | None]


@dataclass(frozen=True)
class Parity:
    case: dict
    expected: list[str] | Assessed  # problems in order, or (level, red flag)
    needs: frozenset[str] = frozenset()


def p(case: dict, expected, *needs: str) -> Parity:
    return Parity(case, expected, frozenset(needs))


CASES = [
    p({"age": 40, "trigger": "lifting_heavy_object"}, ("self_care", None)),
    p({"age": 200}, ["age: must be between 1 and 120, got 200"]),
    p({"age": 0}, ["age: must be between 1 and 120, got 0"]),
    p({"age": 40.5}, ["age: must be a whole number, got 40.5"]),
    p({"pain_severity": 11}, ["pain_severity: must be between 0 and 10, got 11"]),
    p({"temperature_c": 29.5}, ["temperature_c: must be between 30 and 45, got 29.5"]),
    p(
        {"trigger": "lifting"},
        [
            f"trigger: must be one of {TRIGGERS}, got 'lifting'; "
            "did you mean 'lifting_heavy_object'?"
        ],
    ),
    p({"sex": "x"}, ["sex: must be one of female, male, got 'x'"]),
    # answers that disagree: assessed, the more urgent reading (tests/test_conflicts.py)
    p({"fever": False, "temperature_c": 38.4}, ("consultation_24", "fever_or_frequent_urination")),
    p(
        {"pregnant": True, "sex": "male", "fever": True},
        ("emergency", "systemic_infection_in_pregnancy"),
    ),
    p(
        {"bilateral_leg_weakness": True, "leg_weakness": False, "saddle_numbness": True},
        ("emergency", "cauda_equina"),
    ),
    p({"fevr": True}, ["unknown finding 'fevr'; did you mean 'fever'?"]),
    p(
        {"saddle_numbnes": True, "age": 300},
        [
            "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?",
            "age: must be between 1 and 120, got 300",
        ],
    ),
    # wrong kinds that JSON and Parquet can carry but CSV (all text) cannot tell apart
    p({"age": True}, ["age: must be a whole number, got true"], TYPED),
    p({"age": "40"}, ["age: must be a whole number, got '40'"], TYPED),
    p({"spasm": "yes"}, ["spasm: must be true or false, got 'yes'"], TYPED),
    p({"spasm": 1}, ["spasm: must be true or false, got 1"], TYPED),
    p({"fever": [True]}, ["fever: must be true or false, got a JSON array"], TYPED),
    p({"fever": None, "saddle_numbness": True}, ("emergency", "cauda_equina"), TYPED),
    # a not-a-number is unknown everywhere (issue 29: an error in the CLI, unknown elsewhere)
    p({"temperature_c": math.nan, "saddle_numbness": True}, ("emergency", "cauda_equina"), NAN),
    # ids: a whole number or a string, echoed; anything else is the row's error
    p(
        {"id": 1.5, "saddle_numbness": True},
        ["id: must be a string or a whole number, got 1.5"],
        ID,
    ),
    p({"id": 2.0, "saddle_numbness": True}, ("emergency", "cauda_equina"), ID, TYPED),
    p({"id": True, "age": 40}, ["id: must be a string or a whole number, got true"], ID, TYPED),
    # envelopes
    p(
        {"id": "e", "findings": {"fainting_or_collapse": True}},
        ("emergency_ambulance", "collapse_with_back_pain"),
        ID,
        ENVELOPE,
    ),
    p(
        {"id": "b", "findings": {"age": 40}, "fainting_or_collapse": True},
        ["findings go inside 'findings' or at the top level, not both: 'fainting_or_collapse'"],
        ID,
        ENVELOPE,
    ),
    # what JSON cannot hold, from typed tables and data frames
    p(
        {"temperature_c": Decimal("38.50")},
        ("consultation_24", "fever_or_frequent_urination"),
        NOT_JSON,
    ),
    p(
        {"days_since_onset": date(2024, 1, 2)},
        ["days_since_onset: must be a number, got a date (2024-01-02)"],
        NOT_JSON,
    ),
]
#: What only CSV reads: cells are text, so yes/no words and numbers in text are values.
CSV_ONLY = [
    p({"spasm": "yes", "fever": "0", "age": "40"}, ("self_care", None)),
    p({"spasm": "maybe"}, ["spasm: must be true or false, got 'maybe'"]),
    p({"age": "forty"}, ["age: must be a whole number, got 'forty'"]),
]

# -- answers -------------------------------------------------------------------------------------

Answer = dict[str, Any]


def answer(record: dict) -> Answer:
    """What every way in must agree on: the problems, or the decision."""
    if record.get("error") is not None:
        return {"problems": _split(record["error"])}
    return {
        "level": record["triage"]["level"],
        "red_flags": [f["id"] for f in record["red_flags"]],
        "cause": (record["cause"] or {}).get("id"),
        "conflicts": [c["finding"] for c in record.get("conflicts", [])],
    }


def _split(message: str) -> list[str]:
    """A record's error is its problems joined by '; ' (a suggestion is part of one)."""
    parts, problems = message.split("; "), []
    for part in parts:
        if part.startswith("did you mean") and problems:
            problems[-1] += "; " + part
        else:
            problems.append(part)
    return problems


def as_json(value: Any) -> Any:
    """A case as JSON text can say it (decimals and dates are not JSON)."""
    return json.loads(json.dumps(value, default=str))


# -- the ways in ---------------------------------------------------------------------------------


def python_api(cases: list[dict], tmp_path: Path) -> list[Answer]:
    from backclf.core.decide import assess

    out = []
    for case in cases:
        try:
            parse_case(case)
        except CaseError as exc:
            out.append({"problems": exc.problems})
            assert not pydantic_accepts(case)
            continue
        assert pydantic_accepts(case)
        out.append(answer(assess(case).model_dump(exclude_none=False)))
    return out


def pydantic_accepts(case: dict) -> bool:
    try:
        Case(**case)
    except ValueError:
        return False
    return True


def cli_json_lines(cases: list[dict], tmp_path: Path) -> list[Answer]:
    stdin = "\n".join(json.dumps(c, default=str) for c in cases)
    result = runner.invoke(app, ["predict", "--format", "json"], input=stdin)
    return [answer(json.loads(line)) for line in result.stdout.splitlines()]


def cli_json_document(cases: list[dict], tmp_path: Path) -> list[Answer]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, indent=2, default=str))
    result = runner.invoke(app, ["predict", "-i", str(path), "--format", "json"])
    return [answer(json.loads(line)) for line in result.stdout.splitlines()]


def cli_table(kind: str) -> Callable[[list[dict], Path], list[Answer]]:
    """Each case as a one-row table of its own columns (CSV: every value written as text)."""

    def run(cases: list[dict], tmp_path: Path) -> list[Answer]:
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
            out.append(answer(json.loads(line)))
        return out

    return run


def _csv_text(value) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def http(cases: list[dict], tmp_path: Path) -> list[Answer]:
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    from fastapi.testclient import TestClient

    from backclf.serve.app import create_app

    out = []
    with TestClient(create_app(), base_url="http://localhost") as client:
        for case in cases:
            body = json.dumps(case, default=str)
            response = client.post(
                "/assess", content=body, headers={"content-type": "application/json"}
            )
            out.append(answer(response.json()))
        batch = client.post(
            "/assess/batch",
            content=json.dumps(cases, default=str),
            headers={"content-type": "application/json"},
        )
        assert [answer(r) for r in _batch_records(batch)] == out
    return out


def _batch_records(response) -> list[dict]:
    text = response.text.strip()
    return json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines()]


def _pyfunc():
    from backclf.pipeline.mlflow_model import BackclfModel

    class Context:
        def __init__(self) -> None:
            self.artifacts = {"model_file": str(PACKAGED)}

    model = BackclfModel()
    model.load_context(Context())
    return model


def _pyfunc_answers(frame) -> list[Answer]:
    out = []
    for row in frame.to_dict("records"):
        out.append(
            answer(row["assessment"]) if row["assessment"] else {"problems": _split(row["error"])}
        )
    return out


def mlflow_dataframe(output: str) -> Callable[[list[dict], Path], list[Answer]]:
    """Each case as a one-row DataFrame of its own columns (as a Spark partition is)."""

    def run(cases: list[dict], tmp_path: Path) -> list[Answer]:
        import pandas as pd

        model = _pyfunc()
        out = []
        for case in cases:
            frame = model.predict(None, pd.DataFrame([case]), {"output": output})
            if output == "table":  # no assessment objects: the flat columns
                (row,) = frame.to_dict("records")
                assert row["error"] is not None or row["triage_level"]
                out.append(
                    {"problems": _split(row["error"])}
                    if row["error"]
                    else {"level": row["triage_level"], "red_flags": row["red_flags"]}
                )
            else:
                out.extend(_pyfunc_answers(frame))
        return out

    return run


def mlflow_records(cases: list[dict], tmp_path: Path) -> list[Answer]:
    return _pyfunc_answers(_pyfunc().predict(None, cases))


def mlflow_columns(cases: list[dict], tmp_path: Path) -> list[Answer]:
    """A dict of columns (MLflow's columnar input), one case each."""
    model = _pyfunc()
    out = []
    for case in cases:
        out.extend(_pyfunc_answers(model.predict(None, {k: [v] for k, v in case.items()})))
    return out


def mlflow_json_text(cases: list[dict], tmp_path: Path) -> list[Answer]:
    text = "\n".join(json.dumps(c, default=str) for c in cases)
    return _pyfunc_answers(_pyfunc().predict(None, text))


@dataclass(frozen=True)
class Mode:
    name: str
    run: Callable[[list[dict], Path], list[Answer]]
    cannot: frozenset[str] = frozenset()  # tags of cases it cannot express
    csv: bool = False  # reads the CSV-only cases (and not the typed ones)

    def cases(self) -> list[Parity]:
        chosen = [c for c in CASES if not (c.needs & self.cannot)]
        if self.csv:
            chosen = [c for c in chosen if TYPED not in c.needs] + CSV_ONLY
        return chosen


JSON_TEXT = frozenset({NOT_JSON})
MODES = [
    Mode("python_api", python_api, frozenset({ID, ENVELOPE})),
    Mode("cli_json_lines", cli_json_lines, JSON_TEXT),
    Mode("cli_json_document", cli_json_document, JSON_TEXT),
    Mode("cli_parquet", cli_table("parquet")),
    Mode("cli_csv", cli_table("csv"), frozenset({ENVELOPE, NOT_JSON, NAN}), csv=True),
    Mode("http", http, JSON_TEXT),
    Mode("mlflow_dataframe", mlflow_dataframe("all")),
    Mode("mlflow_dataframe_table", mlflow_dataframe("table")),
    Mode("mlflow_records", mlflow_records),
    Mode("mlflow_columns", mlflow_columns),
    Mode("mlflow_json_text", mlflow_json_text, JSON_TEXT),
]


def expected_answers(chosen: list[Parity], reference: list[Answer]) -> list[Answer]:
    """The hand-written expectation of each case, checked against the CLI's full answer."""
    out = []
    for parity, got in zip(chosen, reference, strict=True):
        if isinstance(parity.expected, list):
            out.append({"problems": parity.expected})
            continue
        level, flag = parity.expected
        assert got.get("level") == level, (parity.case, got)
        assert flag is None or flag in got["red_flags"], (parity.case, got)
        out.append(got)
    return out


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.name)
def test_every_way_in_gives_the_same_answers_and_messages(mode, tmp_path):
    chosen = mode.cases()
    # The reference: the CLI's JSON Lines for what JSON can say, else its Parquet reading.
    reference_mode = cli_table("csv") if mode.csv else cli_table("parquet")
    reference = reference_mode([c.case for c in chosen], tmp_path)
    expected = expected_answers(chosen, reference)
    got = mode.run([c.case for c in chosen], tmp_path)
    if mode.name == "mlflow_dataframe_table":  # flat columns: level and red flags only
        expected = [
            e if "problems" in e else {"level": e["level"], "red_flags": e["red_flags"]}
            for e in expected
        ]
    for parity, want, have in zip(chosen, expected, got, strict=True):
        assert have == want, (mode.name, parity.case)
    assert len(got) == len(chosen)


def test_json_text_and_parquet_agree_where_both_can_say_it(tmp_path):
    chosen = [c for c in CASES if not (c.needs & JSON_TEXT)]
    cases = [c.case for c in chosen]
    assert cli_json_lines(cases, tmp_path) == cli_table("parquet")(cases, tmp_path)


def test_one_bad_cell_in_a_csv_column_is_one_bad_row(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,age,spasm\na,40,true\nb,forty,yes\nc,55,no\n")
    result = runner.invoke(app, ["predict", "-i", str(path), "--format", "json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 65
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert [("error" in r) for r in records] == [False, True, False]
    assert records[1]["error"] == "age: must be a whole number, got 'forty'"
