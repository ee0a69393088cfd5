"""The MLflow pyfunc model ("models from code"): the CLI's record path behind MLflow's API.

Whatever serves it (``mlflow models serve``, ``mlflow models predict``, ``mlflow.pyfunc``, a
Spark UDF), each input row is read exactly as ``backclf predict`` reads a JSON object
(:func:`backclf.io.score.assess_items`) and decided by
:func:`backclf.core.decide.assess_batch`, so the red-flag override applies and the messages
are the CLI's:

- Input: a table (a pandas DataFrame, a list of records or one record) with one column per
  finding, optionally ``id`` and ``text`` (and the label columns of ``backclf generate``,
  carried through). Null means unknown. A column that is not a finding is an error in every
  row, with the CLI's suggestion (``unknown finding 'saddle_numbnes'; did you mean
  'saddle_numbness'?``): a misspelt red flag never vanishes.
- Output: one row per input row, in order: the carried columns (``id``), then the flat
  columns tables give (:data:`backclf.contract.assessment.TABLE_COLUMNS`: ``row``, ``error``,
  ``triage_level``, ``red_flags`` as a list, ``cause``, the probabilities), then
  ``assessment``: the whole object the CLI prints, as a structured value, and ``table_row``:
  the flat columns again as one object per row (what :mod:`backclf.spark` asks the Spark UDF
  for, because MLflow's Spark conversion of a whole column turns its nulls into ``"None"``
  or ``false``, and converts an object's values one by one). A row that could not be
  assessed has its ``row`` and ``error`` and nulls elsewhere, never NaN.

Why the signature declares outputs and no input columns: MLflow enforces an input schema by
keeping the declared columns and dropping any other with a log warning, before the model
sees them; a misspelt ``saddle_numbnes`` would be dropped and the person sent home. So the
model validates its own input (strictly, as the CLI does) and carries the findings contract as
JSON Schema in its metadata (``findings_schema``) and a typed input example instead.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

#: The column that holds the whole assessment object.
ASSESSMENT = "assessment"
#: The model's one parameter: ``all`` (the default) gives every output column; ``table``
#: leaves out the assessment objects and reads a DataFrame without free text columnar, as
#: ``backclf predict`` reads Parquet (what :mod:`backclf.spark` asks for: same answers, many
#: times faster).
OUTPUT_PARAM = "output"
OUTPUTS = ("all", "table")


def carried_columns(names: set[str]) -> list[str]:
    """The input columns echoed into the output (in contract order): ``id`` and the label
    columns of ``backclf generate``; free text is read, not echoed."""
    from backclf.contract.arrow import CARRIED_COLUMNS

    return [c for c in CARRIED_COLUMNS if c in names and c != "text"]


def output_columns(
    carried: list[str] | tuple[str, ...] = ("id",), with_assessment: bool = True
) -> tuple[str, ...]:
    """The carried columns, the flat table columns, the whole assessment (unless the
    ``output`` parameter is ``table``), then the flat columns as one object."""
    from backclf.contract.assessment import TABLE_COLUMNS, TABLE_ROW

    assessment = (ASSESSMENT,) if with_assessment else ()
    return (*carried, *(c.name for c in TABLE_COLUMNS), *assessment, TABLE_ROW)


# -- input ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, arrays as lists, every kind
    of missing value (None, NaN, pandas NA/NaT) as None."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):  # numpy's float64 too (a float subclass)
        return None if math.isnan(value) else float(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    try:
        if pd.isna(value) is True:  # pandas NA, NaT
            return None
    except (TypeError, ValueError):
        pass
    return value


def _whole_number_columns(frame: pd.DataFrame) -> list[str]:
    """Float columns that hold integers as pandas stores them when some are missing (an
    integer column with nulls becomes float64): the id, and the whole-number findings."""
    from backclf.contract.fields import FIELDS

    return [
        str(name)
        for name in frame.columns
        if frame[name].dtype.kind == "f"
        and (name == "id" or (name in FIELDS and FIELDS[name].kind == "int"))
    ]


def rows_from_input(model_input: Any) -> list[dict[str, Any]]:
    """The input as one dict per row, every column kept (an unknown column, even when null,
    is reported in its row, as the CLI reports ``{"fevr": null}``). Integers that pandas
    turned into floats are integers again, so messages quote the value as given.

    A DataFrame is a table: an empty cell of a finding's column is a finding not given, as
    in a CSV or Parquet file, not the JSON ``null`` that means "asked; does not know" (a
    table cannot tell the two apart, so its next questions are the CLI's for the table)."""
    from backclf.contract.fields import FIELD_NAMES

    if hasattr(model_input, "to_dict") and hasattr(model_input, "columns"):
        whole = _whole_number_columns(model_input)
        rows = []
        for record in model_input.to_dict(orient="records"):
            row = {str(k): _plain(v) for k, v in record.items()}
            for name in whole:
                value = row[name]
                if isinstance(value, float) and value.is_integer():
                    row[name] = int(value)
            rows.append({k: v for k, v in row.items() if v is not None or k not in FIELD_NAMES})
        return rows
    if isinstance(model_input, Mapping):
        return [{str(k): _plain(v) for k, v in model_input.items()}]
    return [
        {str(k): _plain(v) for k, v in r.items()} if isinstance(r, Mapping) else r
        for r in model_input
    ]


# -- the model ------------------------------------------------------------------------------


class BackclfModel(PythonModel):
    def load_context(self, context) -> None:
        from backclf.core.model import load_model
        from backclf.text.lazy import LazyExtractor

        self._model = load_model(context.artifacts["model_file"])
        self._extract = LazyExtractor()

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        # The hint documents the usual input (lists of records work too); MLflow takes a
        # DataFrame hint as "no validation by type hints", which is what this model wants.
        output = (params or {}).get(OUTPUT_PARAM, "all")
        if output not in OUTPUTS:
            raise ValueError(f"{OUTPUT_PARAM}: must be one of {', '.join(OUTPUTS)}, got {output!r}")
        if output == "table":
            table = arrow_table(model_input)
            if table is not None and "text" not in table.column_names:
                return table_output(table, self._model)
        return self._record_output(model_input, with_assessment=output == "all")

    def _record_output(self, model_input: Any, with_assessment: bool) -> pd.DataFrame:
        """Row by row, as ``backclf predict`` reads JSON Lines (free text included)."""
        from backclf.contract.arrow import GENERATED_COLUMNS
        from backclf.contract.assessment import TABLE_ROW, flat_row
        from backclf.io.parse import Item
        from backclf.io.score import assess_items

        rows = rows_from_input(model_input)
        carried = carried_columns({name for row in rows for name in row})
        items = [
            Item(i + 1, {k: v for k, v in row.items() if k not in GENERATED_COLUMNS})
            for i, row in enumerate(rows)
        ]
        out = []
        for i, record in enumerate(assess_items(items, self._model, self._extract)):
            flat = flat_row(record, i + 1)
            assessed = None if "error" in record else record
            out.append(
                {c: rows[i].get(c) for c in carried}
                | flat
                | {ASSESSMENT: assessed, TABLE_ROW: flat}
            )
        columns = list(output_columns(carried, with_assessment))
        return pd.DataFrame(out, columns=columns, dtype=object)


def arrow_table(model_input: Any):
    """A pandas DataFrame as an Arrow table, the way ``backclf predict`` reads Parquet; ``None``
    if Arrow cannot type a column (mixed values): such input is read row by row. Whole
    numbers that pandas stored as floats (an integer column with nulls) are integers again."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(model_input, pd.DataFrame):
        return None
    frame = model_input.rename(columns=str)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    for name in _whole_number_columns(frame):
        position = table.schema.get_field_index(name)
        try:
            whole = pc.cast(table.column(name), pa.int64())  # safe: fails on 40.5
        except pa.ArrowInvalid:
            continue
        table = table.set_column(position, name, whole)
    return _typed_nulls(table)


def _typed_nulls(table):
    """A column with no value at all (Arrow's null type) holds unknowns, as JSON nulls do."""
    import pyarrow as pa

    for position, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(position, field.name, table.column(position).cast(pa.string()))
    return table


def table_output(table, model) -> pd.DataFrame:
    """The carried columns and the flat table columns (and ``table_row``), columnar: the path
    of ``backclf predict --input cases.parquet``."""
    from backclf.contract.assessment import TABLE_COLUMNS, TABLE_ROW
    from backclf.io.tables import Batch, decision_table

    result = decision_table(Batch(table, 0, False), model)
    frame = pd.DataFrame(
        {name: result.column(name).to_pylist() for name in result.column_names}, dtype=object
    )
    frame[TABLE_ROW] = result.select([c.name for c in TABLE_COLUMNS]).to_pylist()
    return frame


# -- signature ------------------------------------------------------------------------------


def _mlflow_type(annotation: Any):
    """The MLflow schema type of a pydantic annotation, and whether a value must be there."""
    from mlflow.types import DataType
    from mlflow.types.schema import AnyType, Array, Object, Property
    from pydantic import BaseModel

    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        inner, _ = _mlflow_type(options[0]) if len(options) == 1 else (AnyType(), True)
        return inner, type(None) not in get_args(annotation)
    if origin is Literal:
        kinds = {type(v) for v in get_args(annotation)}
        return (DataType.string if kinds == {str} else AnyType()), True
    if origin is list:
        return Array(_mlflow_type(get_args(annotation)[0])[0]), True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        properties = []
        for name, field in annotation.model_fields.items():
            dtype, required = _mlflow_type(field.annotation)
            properties.append(Property(name, dtype, required=required and field.is_required()))
        return Object(properties), True
    simple = {str: DataType.string, bool: DataType.boolean, int: DataType.long}
    simple[float] = DataType.double
    return simple.get(annotation, AnyType()), True


def output_schema():
    """The output columns typed from the contract: ``id`` (a string or an integer, echoed),
    the flat table columns by their declared types, the assessment as an object typed
    field by field from the pydantic model, and the flat columns as one object."""
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import AnyType, Array, Object, Property

    from backclf.contract.assessment import TABLE_COLUMNS, TABLE_ROW, Assessment

    types = {
        "int64": DataType.long,
        "string": DataType.string,
        "bool": DataType.boolean,
        "float64": DataType.double,
        "list<string>": Array(DataType.string),
    }
    return Schema(
        [
            ColSpec(AnyType(), "id", required=False),
            *(ColSpec(types[c.type], c.name, required=False) for c in TABLE_COLUMNS),
            ColSpec(_mlflow_type(Assessment)[0], ASSESSMENT, required=False),
            ColSpec(
                Object([Property(c.name, types[c.type], required=False) for c in TABLE_COLUMNS]),
                TABLE_ROW,
                required=False,
            ),
        ]
    )


def signature():
    from mlflow.models import ModelSignature
    from mlflow.types import ParamSchema, ParamSpec

    params = ParamSchema([ParamSpec(OUTPUT_PARAM, "string", OUTPUTS[0])])
    return ModelSignature(inputs=None, outputs=output_schema(), params=params)


def input_example():
    """Cases as a Spark or pandas user builds them: integer ages and pain scores, booleans
    with nulls, any subset of the findings, an id."""
    return pd.DataFrame(
        {
            "id": ["lifting", "infection", "numbness"],
            "age": pd.array([40, 30, None], dtype="Int64"),
            "trigger": ["lifting_heavy_object", None, "lifting_heavy_object"],
            "fever": pd.array([False, True, None], dtype="boolean"),
            "frequent_urination": pd.array([None, True, None], dtype="boolean"),
            "saddle_numbness": pd.array([None, None, True], dtype="boolean"),
            "pain_severity": pd.array([6, None, 8], dtype="Int64"),
        }
    )


def findings_schema() -> dict[str, Any]:
    """The input contract as JSON Schema (what ``backclf schema input`` prints)."""
    from backclf.contract.findings import Case

    return Case.model_json_schema()


mlflow.models.set_model(BackclfModel())
