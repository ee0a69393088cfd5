"""Spark: the registered MLflow model scores a Spark DataFrame of natural types through
``mlflow.pyfunc.spark_udf`` (via :mod:`backclf.spark`), row for row the CLI's answers (slow).

Needs Java and the spark extra; skipped with the reason where either is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.assessment import flat_row
from backclf.contract.fields import FIELDS

pytestmark = pytest.mark.slow

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17 or later: none on PATH or JAVA_HOME", allow_module_level=True)
pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from backclf.spark import OUTPUT_COLUMNS, assess  # noqa: E402

PACKAGED = Path(__file__).resolve().parents[1] / "src" / "backclf" / "published" / "champion.json"
#: How a Spark user types each kind of finding: integer ages and pain scores, not floats.
NATURAL = {"int": T.IntegerType(), "float": T.DoubleType(), "bool": T.BooleanType()}
NUMB = "I lifted a heavy box this morning, no fever, but I'm numb down below"


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python
    # SparkContext installs its own SIGINT handler in this process; put back the one that was
    # there, so tests that run after these (in any order: pytest-randomly) see their own.
    sigint = signal.getsignal(signal.SIGINT)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("backclf-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    signal.signal(signal.SIGINT, sigint)


@pytest.fixture(scope="module")
def champion(tmp_path_factory) -> str:
    """The model registered as the pipeline registers it (wheel and all), as @champion."""
    import mlflow
    from mlflow import MlflowClient

    from backclf.pipeline.registry import Store

    root = tmp_path_factory.mktemp("mlflow")
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    try:
        store = Store(root, "spark-test", "backclf")
        with mlflow.start_run(experiment_id=store.experiment_id):  # artifacts under root
            version = store._register(PACKAGED)
        MlflowClient().set_registered_model_alias("backclf", "champion", version)
        yield "models:/backclf@champion"
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def frame(spark, rows: list[dict], columns: list[str]):
    """A Spark DataFrame of natural types with these columns (a value absent is null)."""
    fields = []
    for name in columns:
        spec = FIELDS.get(name)
        kind = T.StringType() if spec is None or spec.kind == "enum" else NATURAL[spec.kind]
        fields.append(T.StructField(name, kind))
    data = [tuple(row.get(name) for name in columns) for row in rows]
    return spark.createDataFrame(data, T.StructType(fields))


def cli_rows(cases: list[dict]) -> list[dict]:
    """The CLI's answer for each case, as the typed columns (no ``row``)."""
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    result = CliRunner().invoke(app, ["predict", "--format", "json"], input=stdin)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(cases)
    names = [c.name for c in OUTPUT_COLUMNS]
    return [{k: v for k, v in flat_row(r, 0).items() if k in names} for r in records]


def spark_rows(scored) -> list[dict]:
    names = [c.name for c in OUTPUT_COLUMNS]
    return [{k: row[k] for k in names} for row in scored.collect()]


def generated_cases(n: int) -> list[dict]:
    from backclf.synth.config import GenerationConfig
    from backclf.synth.sampler import sample_rows, sample_table

    table = sample_table(sample_rows(GenerationConfig(seed=11), 0, n))
    return [
        {k: v for k, v in row.items() if k in FIELDS and v is not None}
        for row in table.to_pylist()
    ]


def test_structured_rows_are_the_clis_answers_row_for_row(spark, champion):
    cases = [
        *generated_cases(400),
        {"age": 400, "fever": True},  # out of range: an error in its place
        {"fever": False, "temperature_c": 39.0},  # answers that disagree: read as a fever
        {"trigger": "lifting", "age": 30},  # a near-miss value, with the CLI's suggestion
        {"saddle_numbness": True, "age": 40, "pain_severity": 8},
        {},  # nothing known
    ]
    columns = [name for name in FIELDS if any(name in c for c in cases)]
    columns.remove("sex")  # any subset of the contract's columns
    cases = [{k: v for k, v in c.items() if k != "sex"} for c in cases]
    scored = assess(frame(spark, cases, columns), champion)
    assert scored.columns == [*columns, *(c.name for c in OUTPUT_COLUMNS)]
    types = {f.name: f.dataType.simpleString() for f in scored.schema.fields}
    assert types["triage_level"] == "string" and types["triage_overridden"] == "boolean"
    assert types["red_flags"] == "array<string>" and types["p_pyelonephritis"] == "double"
    got, expected = spark_rows(scored), cli_rows(cases)
    assert got == expected
    # Hand-checked rows: the red-flag override, and errors with nulls elsewhere (never NaN).
    numb = got[-2]
    assert numb["triage_level"] == "emergency" and numb["triage_overridden"] is True
    assert numb["red_flags"] == ["cauda_equina"]
    assert got[-3]["error"] == (
        "trigger: must be one of bending_or_twisting, lifting_heavy_object, prolonged_posture, "
        "minor_fall_or_bump, none, got 'lifting'; did you mean 'lifting_heavy_object'?"
    )
    row = got[-5]
    assert row["error"] and all(row[k] is None for k in row if k != "error")
    assert got[-4]["error"] is None and got[-4]["triage_level"] == "consultation_24"
    assert all(r["error"] is None for r in got[:-5])


def test_a_text_column_is_read_as_the_cli_reads_text(spark, champion):
    cases = [
        {"id": "n1", "text": NUMB},
        {"id": "n2", "text": "bent over to pick up the kids' toys and my back went, no fever"},
        {"id": "n3", "text": "burning when I pee and I feel hot", "age": 30},
        {"id": "n4", "text": None, "age": 50, "fever": False},
    ]
    scored = assess(frame(spark, cases, ["id", "text", "age", "fever"]), champion)
    got = spark_rows(scored)
    assert got == cli_rows([{k: v for k, v in c.items() if v is not None} for c in cases])
    assert got[0]["triage_level"] == "emergency" and "cauda_equina" in got[0]["red_flags"]
    assert [r["id"] for r in scored.collect()] == ["n1", "n2", "n3", "n4"]  # carried


def test_a_misspelt_red_flag_column_is_an_error_in_every_row_never_dropped(spark, champion):
    cases = [{"age": 40, "saddle_numbnes": True}, {"age": 50, "saddle_numbnes": None}]
    got = spark_rows(assess(frame(spark, cases, ["age", "saddle_numbnes"]), champion))
    message = "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?"
    assert [r["error"] for r in got] == [message, message]
    assert all(r["triage_level"] is None for r in got)


def test_output_names_that_would_hide_an_input_column_are_refused(spark, champion):
    with pytest.raises(ValueError, match="cause"):
        assess(frame(spark, [{"age": 40, "cause": "x"}], ["age", "cause"]), champion)
