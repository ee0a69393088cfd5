"""The MLflow pyfunc model is as strict as the CLI and says the same thing, in columns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from backclf.cli.app import app
from backclf.contract.assessment import TABLE_COLUMNS
from backclf.pipeline import mlflow_model
from backclf.pipeline.mlflow_model import BackclfModel

PACKAGED = Path(__file__).resolve().parents[1] / "src" / "backclf" / "published" / "champion.json"
CASES = [
    {"id": "lift", "age": 40, "trigger": "lifting_heavy_object", "fever": False},
    {"id": "kidney", "age": 27, "sex": "female", "fever": True, "frequent_urination": True},
    {"id": "numb", "age": 40, "trigger": "lifting_heavy_object", "saddle_numbness": True},
    {"id": 7, "restricted_movement": True, "worse_on_extension_or_twisting": True},
]


class _Context:
    def __init__(self) -> None:
        self.artifacts = {"model_file": str(PACKAGED)}


@pytest.fixture(scope="module")
def pyfunc() -> BackclfModel:
    model = BackclfModel()
    model.load_context(_Context())
    return model


def cli_records(cases: list[dict]) -> list[dict]:
    """What `backclf predict --format json` prints for these cases, one record each."""
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    result = CliRunner().invoke(app, ["predict", "--format", "json"], input=stdin)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def as_records(frame: pd.DataFrame) -> list[dict]:
    """Each output row as the CLI's record: the assessment, or the error record."""
    return [
        row["assessment"] or {"id": row.get("id"), "line": row["row"], "error": row["error"]}
        for row in frame.to_dict("records")
    ]


def test_output_columns_are_the_contracts_table_columns_and_the_assessment(pyfunc):
    out = pyfunc.predict(None, pd.DataFrame(CASES))
    expected = ["id", *(c.name for c in TABLE_COLUMNS), "assessment", "table_row"]
    assert list(out.columns) == expected
    assert expected[1:4] == ["row", "error", "triage_level"]
    flat = [c.name for c in TABLE_COLUMNS]
    for row in out.to_dict("records"):  # the flat columns again, as one object
        assert row["table_row"] == {name: row[name] for name in flat}
    without_id = pyfunc.predict(None, pd.DataFrame([{"age": 40}]))
    assert list(without_id.columns) == expected[1:]


def test_each_row_is_the_clis_assessment_as_structured_values(pyfunc):
    out = pyfunc.predict(None, pd.DataFrame(CASES))
    assert len(out) == len(CASES)
    assert as_records(out) == cli_records(CASES)
    rows = out.to_dict("records")
    assert [r["row"] for r in rows] == [1, 2, 3, 4] and [r["id"] for r in rows] == [
        "lift",
        "kidney",
        "numb",
        7,
    ]
    numb = rows[2]
    assert numb["triage_level"] == "emergency" and numb["triage_overridden"] is True
    assert numb["red_flags"] == ["cauda_equina"]  # a list, not a comma-joined string
    assessment = numb["assessment"]
    assert isinstance(assessment, dict) and isinstance(assessment["differential"], list)
    assert assessment["triage"] == {"level": "emergency", "overridden": True, "screened": False}
    assert (
        assessment["advice"]["urgent"] and "not a diagnosis" in assessment["advice"]["disclaimer"]
    )
    kidney = rows[1]
    assert kidney["cause"] == "pyelonephritis"
    probabilities = [kidney[f"p_{c['id']}"] for c in kidney["assessment"]["differential"]]
    assert probabilities == [c["probability"] for c in kidney["assessment"]["differential"]]


def test_a_list_of_records_reads_as_json_lines_do(pyfunc):
    out = pyfunc.predict(None, CASES)
    assert as_records(out) == cli_records(CASES)


def test_generated_label_columns_are_carried_through_not_read(pyfunc):
    frame = pd.DataFrame([{"case_id": 5, "label": "pyelonephritis", "fever": True}])
    out = pyfunc.predict(None, frame).to_dict("records")[0]
    assert out["case_id"] == 5 and out["label"] == "pyelonephritis" and out["error"] is None


def test_a_misspelt_red_flag_column_is_an_error_with_the_clis_suggestion(pyfunc):
    frame = pd.DataFrame([{"id": "a", "age": 40, "saddle_numbnes": True}, {"id": "b", "age": 50}])
    out = pyfunc.predict(None, frame)
    expected = cli_records([{"id": "a", "age": 40, "saddle_numbnes": True}])[0]["error"]
    assert expected == "unknown finding 'saddle_numbnes'; did you mean 'saddle_numbness'?"
    # The column is in every row of the table, null or not: no row is assessed without it.
    assert list(out["error"]) == [expected, expected]
    assert list(out["row"]) == [1, 2] and list(out["id"]) == ["a", "b"]
    assert out["triage_level"].isna().all() and out["assessment"].isna().all()


def test_a_bad_row_is_an_error_record_in_place_and_never_nan(pyfunc):
    old = {"id": "old", "age": 400}
    hot = {"id": "hot", "fever": False, "temperature_c": 39.0}  # disagree: read as a fever
    frame = pd.DataFrame([CASES[0], old, hot, CASES[1]])
    out = pyfunc.predict(None, frame)
    rows = out.to_dict("records")
    assert [r["error"] is None for r in rows] == [True, False, True, True]
    assert rows[1]["error"].startswith("age:") and rows[1]["row"] == 2
    assert rows[1]["error"] == cli_records([old])[0]["error"]
    assert rows[2]["triage_level"] == "consultation_24"
    assert [c["finding"] for c in rows[2]["assessment"]["conflicts"]] == ["fever"]
    assert rows[3]["triage_level"] == "consultation_24"
    assert rows[1]["triage_level"] is None and rows[1]["assessment"] is None
    text = json.dumps(rows, allow_nan=False)  # raises on NaN
    assert "NaN" not in text
    for row in rows:
        for value in row.values():
            assert not (isinstance(value, float) and math.isnan(value))


def test_spark_style_columns_through_mlflow_pyfunc(tmp_path):
    """Integer ages and pain scores, booleans with nulls, any subset of the findings, no id:
    through MLflow's own loading and predict path, row for row the CLI's answer."""
    import mlflow

    path = tmp_path / "model"
    mlflow.pyfunc.save_model(
        str(path),
        python_model=str(Path(mlflow_model.__file__)),
        artifacts={"model_file": str(PACKAGED)},
        signature=mlflow_model.signature(),
        input_example=mlflow_model.input_example(),
        pip_requirements=["mlflow"],
    )
    loaded = mlflow.pyfunc.load_model(str(path))
    frame = pd.DataFrame(
        {
            "age": pd.array([40, None, 67], dtype="Int64"),
            "pain_severity": pd.array([5, 9, None], dtype="Int32"),
            "fever": pd.array([False, None, True], dtype="boolean"),
            "saddle_numbness": pd.array([None, True, None], dtype="boolean"),
            "trigger": ["lifting_heavy_object", None, None],
        }
    )
    out = loaded.predict(frame)
    cases = [
        {"age": 40, "pain_severity": 5, "fever": False, "trigger": "lifting_heavy_object"},
        {"pain_severity": 9, "saddle_numbness": True},
        {"age": 67, "fever": True},
    ]
    assert as_records(out) == cli_records(cases)
    assert list(out["triage_level"]) == ["self_care", "emergency", "consultation_24"]
    # The same columns with numpy dtypes (float ages with NaN, object booleans with None).
    numpy_frame = frame.astype({"age": "float64", "pain_severity": "float64"})
    numpy_frame = numpy_frame.astype({"fever": object, "saddle_numbness": object})
    assert as_records(loaded.predict(numpy_frame)) == as_records(out)


def test_the_signature_types_the_output_from_the_contract():
    from mlflow.types import DataType
    from mlflow.types.schema import AnyType, Array, Object

    signature = mlflow_model.signature()
    assert signature.inputs is None  # MLflow would drop an unknown column before the model
    [param] = signature.params.params
    assert (param.name, param.default) == ("output", "all")
    spec = {c.name: c for c in signature.outputs.inputs}
    assert list(spec) == ["id", *(c.name for c in TABLE_COLUMNS), "assessment", "table_row"]
    assert not any(c.required for c in spec.values())  # an error row nulls the assessment
    expected = {
        "id": AnyType(),
        "row": DataType.long,
        "error": DataType.string,
        "triage_level": DataType.string,
        "triage_overridden": DataType.boolean,
        "red_flags": Array(DataType.string),
        "cause": DataType.string,
        "cause_probability": DataType.double,
        "p_pyelonephritis": DataType.double,
    }
    for name, dtype in expected.items():
        assert spec[name].type == dtype, name
    table_row = {p.name: p for p in spec["table_row"].type.properties}
    assert set(table_row) == {c.name for c in TABLE_COLUMNS}
    assert all(table_row[n].dtype == expected[n] for n in expected if n != "id")
    assert not any(p.required for p in table_row.values())
    assessment = spec["assessment"].type
    assert isinstance(assessment, Object)
    fields = {p.name: p for p in assessment.properties}
    schema = json.loads(CliRunner().invoke(app, ["schema"]).stdout)["output"]
    assert set(fields) == set(schema["properties"])
    nullable = {
        name
        for name, prop in schema["properties"].items()
        if any(option.get("type") == "null" for option in prop.get("anyOf", []))
    }
    assert {f for f, p in fields.items() if p.required} == set(schema["required"]) - nullable
    triage = fields["triage"].dtype
    assert {p.name: p.dtype for p in triage.properties} == {
        "level": DataType.string,
        "overridden": DataType.boolean,
        "screened": DataType.boolean,
    }
    red_flags = fields["red_flags"].dtype
    assert isinstance(red_flags, Array) and isinstance(red_flags.dtype, Object)
    assert {p.name for p in red_flags.dtype.properties} == {
        "id",
        "level",
        "message",
        "source",
        "suspect",
    }
    cause = {p.name: p for p in fields["cause"].dtype.properties}
    assert cause["probability"].dtype == DataType.double and cause["probability"].required
    assert not fields["cause"].required  # null when the model abstains
    advice = {p.name: p for p in fields["advice"].dtype.properties}
    assert not advice["cause"].required and advice["urgent"].dtype == Array(DataType.string)


def test_the_input_example_is_what_a_spark_user_passes(pyfunc):
    example = mlflow_model.input_example()
    assert str(example["age"].dtype) == "Int64" and str(example["fever"].dtype) == "boolean"
    out = pyfunc.predict(None, example)
    assert out["error"].isna().all()
    assert list(out["id"]) == list(example["id"])
    assert list(out["triage_level"]) == ["self_care", "consultation_24", "emergency"]


def test_the_table_output_is_the_same_rows_read_columnar(pyfunc):
    """``output=table`` (what backclf.spark asks for) reads a DataFrame as Parquet is read:
    the same columns and values as the default output, without the assessment objects."""
    frames = [
        pd.DataFrame(
            {
                "id": ["a", "b", "c", "d"],
                "age": pd.array([40, None, 400, 30], dtype="Int64"),
                "fever": pd.array([False, None, True, None], dtype="boolean"),
                "trigger": ["lifting_heavy_object", None, "lifting", None],
            }
        ),
        pd.DataFrame({"age": [40.0, float("nan"), 40.5], "saddle_numbnes": [True, None, None]}),
        pd.DataFrame({"age": [40, 50], "fever": [None, None], "temperature_c": [39.0, None]}),
        pd.DataFrame({"fever": [False, True], "temperature_c": [39.0, 39.0], "case_id": [1, 2]}),
        pd.DataFrame({"pain_severity": [3, 12], "sex": ["female", 1]}),  # mixed: row by row
    ]
    for frame in frames:
        full = pyfunc.predict(None, frame).drop(columns=["assessment"])
        table = pyfunc.predict(None, frame, params={"output": "table"})
        assert list(table.columns) == list(full.columns)
        assert table.to_dict("records") == full.to_dict("records")
    assert "got 400" in table_error(pyfunc, frames[0], 2)  # an integer, as the CLI quotes it
    with pytest.raises(ValueError, match="output: must be one of all, table"):
        pyfunc.predict(None, frames[0], params={"output": "everything"})


def table_error(pyfunc, frame: pd.DataFrame, index: int) -> str:
    return pyfunc.predict(None, frame, params={"output": "table"})["error"][index]
