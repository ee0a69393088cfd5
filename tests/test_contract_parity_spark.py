"""Spark in the cross-mode parity test: the same cases as ``tests/test_contract_parity.py``
(its table, its hand-written expectations, the CLI as the reference), through the three ways
Spark reads cases: a DataFrame of natural Spark types (:func:`backclf.spark.assess`), lines
of JSON Lines (:func:`backclf.spark.assess_json_lines`) and CSV read as text
(:func:`backclf.spark.readers.read_csv` with ``text_cells``). Slow: one small job per case.

It adds modes to that test without editing it: :data:`SPARK_MODES` are its ``Mode``s, run
by the same check.
"""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path

import pytest
from test_contract_parity import (
    ENVELOPE,
    NAN,
    NOT_JSON,
    TYPED,
    Answer,
    Mode,
    _split,
    cli_table,
    expected_answers,
)

pytestmark = pytest.mark.slow


def _answer(row) -> Answer:
    """What every way in must agree on, from the flat columns (no ``conflicts`` column)."""
    if row["error"] is not None:
        return {"problems": _split(row["error"])}
    return {
        "level": row["triage_level"],
        "red_flags": list(row["red_flags"]),
        "cause": row["cause"],
    }


def _spark_type(value) -> str:
    """The Spark type a user's DataFrame would give this Python value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, decimal.Decimal):
        return "decimal(10,2)"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, list):
        return f"array<{_spark_type(value[0]) if value else 'boolean'}>"
    if isinstance(value, dict):
        fields = ", ".join(f"`{k}`: {_spark_type(v)}" for k, v in value.items())
        return f"struct<{fields}>"
    return "string"  # strings, and nulls


def _spark_value(value):
    if isinstance(value, dict):
        return tuple(_spark_value(v) for v in value.values())
    return value


def spark_dataframe(spark, model):
    def run(cases: list[dict], tmp_path: Path) -> list[Answer]:
        from backclf.spark import assess

        out = []
        for case in cases:
            schema = ", ".join(f"`{k}` {_spark_type(v)}" for k, v in case.items()) or "k int"
            values = tuple(_spark_value(v) for v in case.values()) or (0,)
            frame = spark.createDataFrame([values], schema)
            (row,) = assess(frame, model, columns=list(case)).collect()
            out.append(_answer(row))
        return out

    return run


def spark_json_lines(spark, model):
    def run(cases: list[dict], tmp_path: Path) -> list[Answer]:
        from backclf.spark import assess_json_lines

        lines = [(json.dumps(case),) for case in cases]
        scored = assess_json_lines(spark.createDataFrame(lines, "value string"), model)
        return [_answer(row) for row in scored.collect()]

    return run


def spark_csv(spark, model):
    def run(cases: list[dict], tmp_path: Path) -> list[Answer]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        from backclf.spark import assess
        from backclf.spark.readers import read_csv

        out = []
        for k, case in enumerate(cases):  # as the CLI's CSV mode writes them
            path = tmp_path / f"spark-case{k}.csv"
            cells = {
                key: json.dumps(v) if isinstance(v, bool) else str(v) for key, v in case.items()
            }
            pcsv.write_csv(pa.Table.from_pylist([cells]), path)
            (row,) = assess(read_csv(spark, str(path)), model, text_cells=True).collect()
            out.append(_answer(row))
        return out

    return run


#: Spark's ways in, as the parity test's modes (what each cannot express, as there).
SPARK_MODES = {
    "spark_dataframe": (spark_dataframe, frozenset()),
    "spark_json_lines": (spark_json_lines, frozenset({NOT_JSON})),
    "spark_csv": (spark_csv, frozenset({ENVELOPE, NOT_JSON, NAN})),
}


@pytest.mark.parametrize("name", list(SPARK_MODES))
def test_spark_gives_the_same_answers_and_messages(name, spark, spark_model, tmp_path):
    make, cannot = SPARK_MODES[name]
    mode = Mode(name, make(spark, spark_model), cannot, csv=name == "spark_csv")
    chosen = mode.cases()
    reference = (cli_table("csv") if mode.csv else cli_table("parquet"))(
        [c.case for c in chosen], tmp_path
    )
    expected = [
        e if "problems" in e else {k: e[k] for k in ("level", "red_flags", "cause")}
        for e in expected_answers(chosen, reference)
    ]
    got = mode.run([c.case for c in chosen], tmp_path)
    for parity, want, have in zip(chosen, expected, got, strict=True):
        assert have == want, (name, parity.case)
    assert len(got) == len(chosen)
    assert TYPED in {n for c in chosen for n in c.needs} or mode.csv  # typed cases covered
