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
  the flat columns again as one object per row (for MLflow's generic Spark UDF, whose
  conversion of a whole column turns its nulls into ``"None"`` or ``false``; :mod:`backclf.spark`
  does not use this model: it scores Arrow batches with the same registered model file,
  hash-checked). A row that could not be
  assessed has its ``row`` and ``error`` and nulls elsewhere, never NaN.

Why the signature declares outputs and no input columns: MLflow enforces an input schema by
keeping the declared columns and dropping any other with a log warning, before the model
sees them; a misspelt ``saddle_numbnes`` would be dropped and the person sent home. So the
model validates its own input (strictly, as the CLI does) and carries the findings contract as
JSON Schema in its metadata (``findings_schema``) and a typed input example instead.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

#: The column that holds the whole assessment object.
ASSESSMENT = "assessment"
#: The model's one parameter: ``all`` (the default) gives every output column; ``table``
#: leaves out the assessment objects and reads a DataFrame without free text columnar, as
#: ``backclf predict`` reads Parquet (same answers, many times faster).
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


# -- the model ------------------------------------------------------------------------------


class BackclfModel(PythonModel):
    def load_context(self, context) -> None:
        from backclf.core.model import load_model
        from backclf.text.lazy import LazyExtractor

        self._model = load_model(context.artifacts["model_file"])
        self._extract = LazyExtractor()

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        # The hint documents the usual input (see backclf.pipeline.model_input for the
        # others); MLflow takes a DataFrame hint as "no validation by type hints", which is
        # what this model wants.
        from backclf.pipeline import model_input as given

        output = (params or {}).get(OUTPUT_PARAM, "all")
        if output not in OUTPUTS:
            raise ValueError(f"{OUTPUT_PARAM}: must be one of {', '.join(OUTPUTS)}, got {output!r}")
        with_assessment = output == "all"
        if given.is_json_text(model_input):
            from backclf.io.encodings import UnreadableInput
            from backclf.io.json_lines import json_text_items
            from backclf.io.parse import Item

            data = model_input.encode() if isinstance(model_input, str) else bytes(model_input)
            try:
                items = json_text_items(data)
            except UnreadableInput as exc:
                items = [Item(1, error=str(exc))]
            return self._items_output(items, [], with_assessment)
        frame = given.as_frame(model_input)
        if frame is None:
            rows = given.records_of(model_input)
            return self._rows_output(rows, with_assessment)
        table = given.arrow_table(frame)
        if table is None:
            return self._rows_output(given.frame_records(frame), with_assessment, frame)
        if output == "table" and "text" not in table.column_names:
            return table_output(table, self._model)
        return self._table_records_output(table, with_assessment)

    def _table_records_output(self, table, with_assessment: bool) -> pd.DataFrame:
        """A typed table, as ``backclf predict`` reads Parquet into JSON records."""
        from backclf.contract.arrow import table_ids
        from backclf.io.tables import Batch, json_records, text_table_records

        batch = Batch(table, 0, False)
        if "text" in table.column_names:
            records = text_table_records(batch, self._model, self._extract)
        else:
            records = json_records(batch, self._model)
        carried = carried_columns(set(table.column_names))
        values = {
            c: table_ids(table) if c == "id" else table.column(c).to_pylist()
            for c in carried
            if table.column_names.count(c) == 1
        }
        rows = [
            {c: values[c][i] if c in values else None for c in carried}
            for i in range(table.num_rows)
        ]
        return self._frame(records, rows, carried, with_assessment)

    def _rows_output(self, rows: list, with_assessment: bool, frame=None) -> pd.DataFrame:
        """Records (or a DataFrame Arrow cannot type) row by row, as JSON Lines are read."""
        from backclf.contract.arrow import GENERATED_COLUMNS, repeated_column_problems
        from backclf.io.parse import Item

        repeated = (
            repeated_column_problems([str(c) for c in frame.columns]) if frame is not None else []
        )
        items = []
        for i, row in enumerate(rows):
            if repeated:
                items.append(Item(i + 1, error="; ".join(repeated)))
            elif isinstance(row, dict):
                items.append(
                    Item(i + 1, {k: v for k, v in row.items() if k not in GENERATED_COLUMNS})
                )
            else:
                items.append(Item(i + 1, row))
        return self._items_output(items, rows, with_assessment)

    def _items_output(self, items: list, rows: list, with_assessment: bool) -> pd.DataFrame:
        from backclf.io.score import assess_items

        records = assess_items(items, self._model, self._extract)
        names = {name for row in rows if isinstance(row, dict) for name in row}
        carried = carried_columns(names)
        carried_rows = []
        for i, record in enumerate(records):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            carried_rows.append({c: record.get("id") if c == "id" else row.get(c) for c in carried})
        return self._frame(records, carried_rows, carried, with_assessment)

    @staticmethod
    def _frame(records: list, carried_rows: list, carried: list, with_assessment: bool):
        from backclf.contract.assessment import TABLE_ROW, flat_row

        out = []
        for i, record in enumerate(records):
            flat = flat_row(record, record.get("line", i + 1) if "error" in record else i + 1)
            assessed = None if "error" in record else record
            out.append(carried_rows[i] | flat | {ASSESSMENT: assessed, TABLE_ROW: flat})
        columns = list(output_columns(carried, with_assessment))
        return pd.DataFrame(out, columns=columns, dtype=object)


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
