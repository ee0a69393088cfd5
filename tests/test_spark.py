"""Spark: the registered model scores DataFrames, CSV and JSON Lines through ``mapInArrow``
(:mod:`backclf.spark`), row for row the CLI's answers; a bad cell costs its row only; no
input type stops a job; the output names the model that decided (slow).

Each Spark attack of issue 29 is a test here (``test_attack_*``). Needs Java and the spark
extra; skipped with the reason where either is missing (the fixtures are in conftest.py).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.assessment import flat_row
from backclf.contract.fields import FIELDS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "src" / "backclf" / "published" / "champion.json"
NUMB = "I lifted a heavy box this morning, no fever, but I'm numb down below"
#: What a message must never show: a Python type or repr.
PYTHON_REPR = re.compile(r"Decimal\(|datetime\.|Timestamp\(|NoneType|bytearray|b'|<class")


def result_names() -> list[str]:
    from backclf.spark.scoring import RESULT_SCHEMA

    return RESULT_SCHEMA.names


def rows_of(scored) -> list[dict]:
    """The assessment's columns of each output row, in order."""
    names = result_names()
    return [{k: row[k] for k in names} for row in scored.collect()]


def cli_json_rows(cases: list[dict]) -> list[dict]:
    """The CLI's answer for each case given as a JSON line, as the assessment's columns."""
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    result = CliRunner().invoke(app, ["predict", "--format", "json"], input=stdin)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(cases)
    names = result_names()
    return [{k: v for k, v in flat_row(r, 0).items() if k in names} for r in records]


def cli_file_rows(path: Path, tmp_path: Path) -> list[dict]:
    """``backclf predict --input path --output out.parquet``: the assessment's columns."""
    out = tmp_path / f"{path.stem}-cli.parquet"
    result = CliRunner().invoke(app, ["predict", "--input", str(path), "--output", str(out)])
    assert result.exit_code in (0, 65), result.output
    return pq.read_table(out).select(result_names()).to_pylist()


def cli_rows_of_frame(frame, tmp_path: Path) -> list[dict]:
    """The CLI's answers for a DataFrame written as Parquet (the same Arrow types Spark hands
    its Python workers)."""
    path = tmp_path / "frame.parquet"
    pq.write_table(frame.toArrow(), path)
    return cli_file_rows(path, tmp_path)


def generated_table(n: int, seed: int = 11) -> pa.Table:
    """Generated vignettes (findings only, natural Parquet types) with an id."""
    from backclf.synth.config import GenerationConfig
    from backclf.synth.sampler import sample_rows, sample_table

    table = sample_table(sample_rows(GenerationConfig(seed=seed), 0, n))
    table = table.select([c for c in table.column_names if c in FIELDS])
    return table.add_column(0, "id", pa.array([f"g{i}" for i in range(n)]))


def example():
    """``examples/spark_assess.py`` as a module (its reading rules are under test)."""
    spec = importlib.util.spec_from_file_location("spark_assess", ROOT / "examples/spark_assess.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the CLI's answers -----------------------------------------------------------------------


def test_parquet_rows_equal_the_clis_on_the_same_file(spark, spark_model, tmp_path):
    from backclf.spark import assess

    hand = pa.Table.from_pylist(
        [
            {"id": "numb", "saddle_numbness": True, "age": 40, "pain_severity": 8},
            {"id": "old", "age": 400, "fever": True},  # out of range: an error in its place
            {"id": "typo", "trigger": "lifting", "age": 30},  # the CLI's suggestion
            {"id": "none"},  # nothing known
        ],
        schema=generated_table(1).schema,
    )
    table = pa.concat_tables([generated_table(3000), hand])
    for k, start in enumerate(range(0, table.num_rows, 1001)):  # several files: partitions
        pq.write_table(table.slice(start, 1001), tmp_path / f"part-{k}.parquet")
    single = tmp_path / "all.parquet"
    pq.write_table(table, single)
    cases = spark.read.parquet(*sorted(map(str, tmp_path.glob("part-*"))))
    scored = assess(cases, spark_model)
    assert cases.rdd.getNumPartitions() > 1
    # Spark orders files as it likes; each output row stays beside its input row.
    assert [r["id"] for r in scored.collect()] == [r["id"] for r in cases.collect()]
    by_id = {row["id"]: {k: row[k] for k in result_names()} for row in scored.collect()}
    cli = cli_file_rows(single, tmp_path)
    assert len(by_id) == len(cli) == table.num_rows
    assert [by_id[i] for i in table.column("id").to_pylist()] == cli
    # Hand-checked rows: the red-flag override; errors with nulls elsewhere.
    numb, old, typo, none = (by_id[i] for i in ("numb", "old", "typo", "none"))
    assert numb["triage_level"] == "emergency" and numb["red_flags"] == ["cauda_equina"]
    assert old["error"] == "age: must be between 1 and 120, got 400"
    assert all(old[k] is None for k in old if k != "error")
    assert typo["error"].endswith("got 'lifting'; did you mean 'lifting_heavy_object'?")
    assert none["error"] is None and none["triage_level"] == "self_care"


def test_natural_spark_types_give_the_clis_json_answers(spark, spark_model):
    from pyspark.sql import types as T

    from backclf.spark import assess

    natural = {"int": T.IntegerType(), "float": T.DoubleType(), "bool": T.BooleanType()}
    cases = [
        {"age": 40, "trigger": "lifting_heavy_object", "spasm": True},
        {"fever": False, "temperature_c": 39.0},  # answers that disagree: read as a fever
        {"saddle_numbness": True, "age": 40, "pain_severity": 8},
        {"pain_severity": 11},
        {},
    ]
    columns = [name for name in FIELDS if any(name in c for c in cases)]
    schema = T.StructType(
        [T.StructField(n, natural.get(FIELDS[n].kind, T.StringType())) for n in columns]
    )
    frame = spark.createDataFrame([tuple(c.get(n) for n in columns) for c in cases], schema)
    scored = assess(frame, spark_model)
    types = {f.name: f.dataType.simpleString() for f in scored.schema.fields}
    assert types["triage_level"] == "string" and types["triage_overridden"] == "boolean"
    assert types["red_flags"] == "array<string>" and types["p_pyelonephritis"] == "double"
    assert rows_of(scored) == cli_json_rows(cases)


def test_a_text_column_is_read_as_the_cli_reads_text(spark, spark_model):
    pytest.importorskip("spacy", reason="the text extra is not installed")
    from backclf.spark import assess

    cases = [
        {"id": "n1", "text": NUMB},
        {"id": "n2", "text": "bent over to pick up the kids' toys and my back went, no fever"},
        {"id": "n3", "text": "burning when I pee and I feel hot", "age": 30},
        {"id": "n4", "text": None, "age": 50, "fever": False},
    ]
    frame = spark.createDataFrame(
        [tuple(c.get(k) for k in ("id", "text", "age", "fever")) for c in cases],
        "id string, text string, age int, fever boolean",
    )
    scored = assess(frame, spark_model)
    got = rows_of(scored)
    assert got == cli_json_rows([{k: v for k, v in c.items() if v is not None} for c in cases])
    assert got[0]["triage_level"] == "emergency" and "cauda_equina" in got[0]["red_flags"]
    assert [r["id"] for r in scored.collect()] == ["n1", "n2", "n3", "n4"]  # carried


def test_a_misspelt_red_flag_column_is_an_error_in_every_row_never_dropped(spark, spark_model):
    from backclf.spark import assess

    frame = spark.createDataFrame([(40, True), (50, None)], "age int, saddle_numbnes boolean")
    got = rows_of(assess(frame, spark_model))
    message = "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?"
    assert [r["error"] for r in got] == [message, message]
    assert all(r["triage_level"] is None for r in got)


def test_only_the_named_columns_are_the_case(spark, spark_model):
    from backclf.spark import assess

    frame = spark.createDataFrame(
        [("2024-05-01", "Ann", True)], "visit string, name string, saddle_numbness boolean"
    )
    (row,) = rows_of(assess(frame, spark_model, columns=["saddle_numbness"]))
    assert row["error"] is None and row["triage_level"] == "emergency"
    with pytest.raises(ValueError, match="not in the input: saddle_numbnes"):
        assess(frame, spark_model, columns=["saddle_numbnes"])


def test_output_names_that_would_hide_an_input_column_are_refused(spark, spark_model):
    from backclf.spark import assess

    for name in ("cause", "Model_Version"):
        frame = spark.createDataFrame([(40, "x")], f"age int, {name} string")
        with pytest.raises(ValueError, match=name):
            assess(frame, spark_model)


# -- the attacks of issue 29 -----------------------------------------------------------------


def test_attack_one_bad_value_in_a_json_lines_column_costs_its_row_only(
    spark, spark_model, tmp_path
):
    lines = [
        {"id": 1, "age": 40, "trigger": "lifting_heavy_object"},
        {"id": 2, "age": "forty"},  # Spark's inference made this whole column text
        {"id": 3, "age": 50, "saddle_numbness": True},
        {"id": 4, "age": 61, "fainting_or_collapse": True},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in lines) + "\n")  # a blank line too
    scored = example().read_and_assess(spark, str(path), spark_model)
    got = rows_of(scored)
    assert got == cli_json_rows(lines)
    assert [r["id"] for r in scored.collect()] == ["1", "2", "3", "4"]
    assert [r["error"] for r in got] == [
        None,
        "age: must be a whole number, got 'forty'",
        None,
        None,
    ]
    assert got[2]["triage_level"] == "emergency" and got[2]["red_flags"] == ["cauda_equina"]
    assert got[3]["triage_level"] == "emergency_ambulance"


def test_attack_one_bad_value_in_a_csv_column_costs_its_row_only(spark, spark_model, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(
        "id,age,saddle_numbness,fever\n"
        "a,40,,no\n"
        "b,forty,,\n"  # inferSchema made this whole column text
        "c,50,yes,\n"
        "d,61,true,false\n"
    )
    scored = example().read_and_assess(spark, str(path), spark_model)
    got = rows_of(scored)
    assert got == cli_file_rows(path, tmp_path)
    assert [r["error"] for r in got] == [
        None,
        "age: must be a whole number, got 'forty'",
        None,
        None,
    ]
    assert [r["triage_level"] for r in got[2:]] == ["emergency", "emergency"]


def test_a_csv_row_with_a_cell_too_many_is_an_error_in_its_place(spark, spark_model, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,age\na,40\nb,50,true\nc,60\n")  # the CLI refuses the file (66)
    got = rows_of(example().read_and_assess(spark, str(path), spark_model))
    assert got[1]["error"].startswith("malformed CSV row")
    assert all(got[1][k] is None for k in got[1] if k != "error")
    assert [r["error"] for r in (got[0], got[2])] == [None, None]


def test_attack_an_envelope_row_beside_flat_rows_is_read_as_the_cli_reads_it(
    spark, spark_model, tmp_path
):
    from backclf.spark import assess

    lines = [
        {"id": "e", "findings": {"saddle_numbness": True, "age": 40}},
        {"id": "f", "fainting_or_collapse": True},  # no findings: flat, as in the CLI
        {"id": "b", "findings": {"age": 40}, "fainting_or_collapse": True},  # both: an error
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in lines))
    expected = cli_json_rows(lines)
    assert [r["triage_level"] for r in expected[:2]] == ["emergency", "emergency_ambulance"]
    assert expected[2]["error"].startswith("findings go inside 'findings' or at the top level")
    assert rows_of(example().read_and_assess(spark, str(path), spark_model)) == expected
    # The same file through Spark's JSON reader: a ``findings`` struct column, flat beside it.
    assert rows_of(assess(spark.read.json(str(path)), spark_model)) == expected


def test_attack_an_array_column_never_stops_the_job(spark, spark_model, tmp_path):
    from backclf.spark import assess

    frame = spark.createDataFrame(
        [([True], None), (None, True), ([], None)], "spasm array<boolean>, saddle_numbness boolean"
    )
    got = rows_of(assess(frame, spark_model))
    assert got == cli_rows_of_frame(frame, tmp_path)
    assert got[0]["error"] == "spasm: must be true or false, got a JSON array"
    assert got[1]["triage_level"] == "emergency" and got[1]["error"] is None
    assert got[2]["error"] == "spasm: must be true or false, got a JSON array"


def test_attack_decimals_are_numbers_and_dates_are_named_never_a_python_repr(
    spark, spark_model, tmp_path
):
    from backclf.spark import assess

    frame = spark.createDataFrame(
        [
            (decimal.Decimal("38.50"), None, None),
            (decimal.Decimal("36.80"), datetime.date(2024, 1, 2), None),
            (None, None, datetime.datetime(2024, 1, 2, 10, 30)),
        ],
        "temperature_c decimal(5,2), days_since_onset date, age timestamp",
    )
    got = rows_of(assess(frame, spark_model))
    assert got == cli_rows_of_frame(frame, tmp_path)
    fever = got[0]  # 38.5 C: the article's fever rule, assessed
    assert fever["error"] is None and fever["triage_level"] == "consultation_24"
    assert fever["red_flags"] == ["fever_or_frequent_urination"]
    assert got[1]["error"].startswith("days_since_onset: must be a number, got a date")
    assert "2024-01-02" in got[1]["error"]
    assert got[2]["error"].startswith("age: must be a whole number, got a timestamp")
    assert not any(PYTHON_REPR.search(r["error"] or "") for r in got)


def test_attack_a_fractional_id_is_refused_as_the_cli_refuses_it(spark, spark_model):
    from backclf.spark import assess

    frame = spark.createDataFrame(
        [(1.5, True), (2.0, True), (None, True)], "id double, saddle_numbness boolean"
    )
    got = rows_of(assess(frame, spark_model))
    cli = cli_json_rows([{"id": 1.5, "saddle_numbness": True}])
    assert got[0]["error"] == cli[0]["error"] and got[0]["error"].startswith("id: must be")
    assert [r["triage_level"] for r in got[1:]] == ["emergency", "emergency"]  # whole: an id


def test_attack_nan_means_what_the_cli_says_it_means(spark, spark_model, tmp_path):
    from backclf.spark import assess

    frame = spark.createDataFrame(
        [(float("nan"), True), (float("nan"), None), (38.5, None)],
        "temperature_c double, saddle_numbness boolean",
    )
    got = rows_of(assess(frame, spark_model))
    assert got == cli_rows_of_frame(frame, tmp_path)  # the CLI's Parquet reading of NaN
    lines = [{"temperature_c": float("nan"), "saddle_numbness": True}]
    assert got[0] == cli_json_rows(lines)[0]  # and its JSON reading (Python's NaN literal)
    assert got[0]["triage_level"] == "emergency"  # NaN is unknown: the red flag still fires
    assert got[2]["triage_level"] == "consultation_24"


def test_no_column_type_stops_a_job(spark, spark_model):
    """One column of each Spark type as a finding, and the same types carried beside the
    case: every row gives one row, the bad ones an error naming the field in plain words."""
    from pyspark.sql import functions as F

    from backclf.spark import assess

    kinds = {
        "age": 'map("a", true)',
        "pain_severity": 'named_struct("x", 1)',
        "temperature_c": 'unhex("FF")',
        "days_since_onset": "interval 3 days",
        "spasm": "interval 2 years",
        "fever": "make_interval(0, 0, 0, 1)",
        "chills": 'timestamp_ntz"2024-01-02 10:00:00"',
        "sex": "parse_json('{\"a\": 1}')",
        "pregnant": "cast(1.5 as float)",
        "onset": "cast(3 as tinyint)",
    }
    base = spark.range(len(kinds) + 1).withColumnRenamed("id", "k")
    columns = [
        F.when(F.col("k") == i, F.expr(expr)).alias(name)
        for i, (name, expr) in enumerate(kinds.items())
    ]
    carried = [F.expr(expr).alias(f"other_{name}") for name, expr in kinds.items()]
    frame = base.select(F.col("k"), *columns, *carried, F.lit(True).alias("saddle_numbness"))
    scored = assess(frame, spark_model, columns=[*kinds, "saddle_numbness"])
    got = [row.asDict() for row in scored.orderBy("k").collect()]
    assert len(got) == len(kinds) + 1
    for row, name in zip(got, kinds, strict=False):
        assert row["error"] and row["error"].startswith(f"{name}: must be"), row["error"]
        assert not PYTHON_REPR.search(row["error"]), row["error"]
    assert got[-1]["error"] is None and got[-1]["triage_level"] == "emergency"


# -- the model that decided (issue 28) -------------------------------------------------------


def test_every_row_names_the_registered_model_and_its_hash(spark, spark_model, mlflow_store):
    from backclf.spark import MODEL_COLUMNS, assess, assess_json_lines

    frame = spark.createDataFrame([(40,), (400,)], "age int")
    lines = spark.createDataFrame([('{"age": 40}',)], "value string")
    sha256 = hashlib.sha256(PACKAGED.read_bytes()).hexdigest()
    cli_sha = json.loads(
        CliRunner().invoke(app, ["predict", "--format", "json"], input='{"age": 40}\n').stdout
    )["model"]["sha256"]
    assert cli_sha == sha256
    for scored in (assess(frame, spark_model), assess_json_lines(lines, spark_model)):
        assert scored.columns[-3:] == list(MODEL_COLUMNS)
        for row in scored.collect():  # error rows too
            assert (row["model_name"], row["model_version"], row["model_sha256"]) == (
                "backclf",
                mlflow_store["version"],
                sha256,
            )


def test_a_model_file_that_is_not_the_registered_one_is_refused(mlflow_store):
    from mlflow import MlflowClient

    from backclf.spark import RegistryError, fetch_model
    from backclf.spark.scoring import ModelBytes

    client = MlflowClient(mlflow_store["uri"], registry_uri=mlflow_store["uri"])
    version = mlflow_store["version"]
    client.set_model_version_tag("backclf", version, "model_sha256", "0" * 64)
    try:
        with pytest.raises(RegistryError, match="tag says 0000"):
            fetch_model(f"models:/backclf/{version}", tracking_uri=mlflow_store["uri"])
        client.delete_model_version_tag("backclf", version, "model_sha256")
        with pytest.raises(RegistryError, match="no model_sha256 tag"):
            fetch_model("models:/backclf@champion", tracking_uri=mlflow_store["uri"])
    finally:
        client.set_model_version_tag("backclf", version, "model_sha256", mlflow_store["sha256"])
    with pytest.raises(RegistryError, match="expected models:/"):
        fetch_model("runs:/abc/model", tracking_uri=mlflow_store["uri"])
    # The executors check the bytes they get against the registry's hash before parsing.
    tampered = ModelBytes(PACKAGED.read_bytes() + b" ", mlflow_store["sha256"], "backclf", "1")
    with pytest.raises(ValueError, match="SHA-256"):
        tampered.load()


def test_the_spark_columns_are_the_ones_docs_contract_names():
    """docs/contract.md's "Spark output" table names the columns Spark adds beyond the table
    columns, in order (no Spark needed)."""
    from backclf.contract.assessment import TABLE_COLUMNS
    from backclf.spark import OUTPUT_COLUMNS

    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    section = text.split("## Spark output (`backclf.spark`)", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    table = [c.name for c in TABLE_COLUMNS if c.name != "row"]
    assert list(OUTPUT_COLUMNS) == table + documented
    assert documented == ["model_name", "model_version", "model_sha256"]
