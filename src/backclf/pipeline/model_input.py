"""What the MLflow model is given, read as ``backclf predict`` reads the same data.

Whatever shape MLflow hands over, it becomes one of the two forms the CLI reads, so the same
data gets the same answers and the same messages as on the command line:

- a **table** (:func:`arrow_table`) for a pandas DataFrame or a dict of equally long columns
  (MLflow's columnar input): read as ``backclf predict --input cases.parquet`` reads Parquet
  (an empty cell is a finding not given; a repeated column name, an unknown column, an id
  of ``1.5`` are the table's errors);
- **records** (:func:`records_of`) for a list of records, one record (a dict of single
  values), a numpy array or a pandas Series: read as JSON Lines are, a record to a case (an
  element that is not an object is an error record in its place);
- **JSON text** (a string or bytes): read as ``backclf predict`` reads stdin, JSON Lines or
  one JSON document.

Nothing raises for a user's input: at worst every row is an error record saying why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import pandas as pd

#: Why a value that is no table, record or JSON text cannot be read.
NOT_CASES = "a case must be a JSON object of findings, got {kind}"


def plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, arrays as lists, every kind
    of missing value (None, NaN, pandas NA/NaT) as None."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):  # numpy's float64 too (a float subclass)
        return None if math.isnan(value) else float(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return plain(value.tolist())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    try:
        if pd.isna(value) is True:  # pandas NA, NaT
            return None
    except (TypeError, ValueError):
        pass
    return value


def as_frame(model_input: Any) -> pd.DataFrame | None:
    """The input as a table, if it is one: a DataFrame, or a dict whose values are all
    columns (lists, arrays or Series) of one length."""
    if isinstance(model_input, pd.DataFrame):
        return model_input
    if isinstance(model_input, Mapping) and model_input:
        values = list(model_input.values())
        if all(_is_column(v) for v in values) and len({len(v) for v in values}) == 1:
            return pd.DataFrame({str(k): list(v) for k, v in model_input.items()})
    return None


def _is_column(value: Any) -> bool:
    return isinstance(value, list | tuple | pd.Series) or (
        hasattr(value, "ndim") and getattr(value, "ndim", 0) == 1
    )


def records_of(model_input: Any) -> list[Any]:
    """The input as records (one per case, in order), when it is not a table: a list or
    array of records, one record, a Series. Elements that are not records stay as they are,
    so that each becomes an error record in its place (``got a JSON array``)."""
    if isinstance(model_input, Mapping):
        return [{str(k): plain(v) for k, v in model_input.items()}]
    if hasattr(model_input, "tolist") and not isinstance(model_input, str | bytes):
        model_input = model_input.tolist()  # a numpy array or a pandas Series
    if isinstance(model_input, list | tuple):
        return [plain(r) for r in model_input]
    return [plain(model_input)]


def whole_number_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of float columns that hold integers as pandas stores them when some are
    missing (an integer column with nulls becomes float64): the id, and whole-number
    findings."""
    from backclf.contract.fields import FIELDS

    positions = []
    for position, name in enumerate(frame.columns):
        name = str(name)
        whole = name == "id" or (name in FIELDS and FIELDS[name].kind == "int")
        if whole and frame.iloc[:, position].dtype.kind == "f":
            positions.append(position)
    return positions


def arrow_table(frame: pd.DataFrame):
    """A DataFrame as an Arrow table, the way ``backclf predict`` reads Parquet (repeated
    column names kept, for the table's own error); ``None`` if Arrow cannot type a column
    (mixed values): such input is read row by row. Whole numbers that pandas stored as
    floats (an integer column with nulls) are integers again; NaN is a missing cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = set(whole_number_columns(frame))
    arrays = []
    for position in range(frame.shape[1]):
        try:
            array = pa.array(frame.iloc[:, position], from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None
        if position in whole:
            with suppress(pa.ArrowInvalid):
                array = pc.cast(array, pa.int64())  # safe: fails on 40.5
        if pa.types.is_null(array.type):  # no value at all: unknowns, as JSON nulls are
            array = array.cast(pa.string())
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame Arrow cannot type, row by row (read by position, so a repeated column
    name does not break it: the first is kept, and the table's error is given by the
    caller). Integers that pandas turned into floats are integers again, and an empty cell
    of a finding's column is a finding not given, as in a table."""
    from backclf.contract.fields import FIELD_NAMES

    names = [str(c) for c in frame.columns]
    whole = set(whole_number_columns(frame))
    rows = []
    for values in frame.itertuples(index=False, name=None):
        row: dict[str, Any] = {}
        for position, (name, value) in enumerate(zip(names, values, strict=True)):
            value = plain(value)
            if position in whole and isinstance(value, float) and value.is_integer():
                value = int(value)
            if name not in row and (value is not None or name not in FIELD_NAMES):
                row[name] = value
        rows.append(row)
    return rows


def is_json_text(model_input: Any) -> bool:
    return isinstance(model_input, str | bytes | bytearray)
