"""Cases as columns: the numeric form every vectorised step works on.

One numpy array per finding of the contract, ``n`` rows:

- booleans: ``int8`` with 1 = true, 0 = false, -1 = unknown;
- enums (``sex``, ``trigger``, ...): ``int8`` index into the field's values, -1 = unknown;
- numbers: ``float64`` with NaN = unknown.

Cases become columns from validated :class:`~backclf.contract.findings.Case` objects or,
vectorised and validated in bulk, from an Arrow table (CSV, Parquet). Fever is normalised on
the way in: 38.0 °C or more counts as fever.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from backclf.contract.findings import (
    FEVER_THRESHOLD_C,
    FIELDS,
    Case,
    FieldSpec,
    unknown_field_problem,
)

if TYPE_CHECKING:  # pyarrow is imported where tables are read, off the JSON fast path
    import pyarrow as pa

Columns = dict[str, np.ndarray]
UNKNOWN = -1
#: Columns a table may carry besides the findings.
PASSTHROUGH_COLUMNS = ("id", "text")


def dtype_of(spec: FieldSpec) -> type:
    return np.float64 if spec.kind in ("int", "float") else np.int8


def empty(n: int) -> Columns:
    """``n`` cases with every finding unknown."""
    return {
        name: np.full(n, np.nan) if dtype_of(spec) is np.float64 else np.full(n, UNKNOWN, np.int8)
        for name, spec in FIELDS.items()
    }


def code_of(spec: FieldSpec, value: Any) -> float | int:
    """The column code of one validated value."""
    if value is None:
        return np.nan if dtype_of(spec) is np.float64 else UNKNOWN
    if spec.kind == "bool":
        return int(value)
    if spec.kind == "enum":
        return spec.values.index(value)
    return float(value)


def value_of(spec: FieldSpec, code: float | int) -> Any:
    """The contract value of one column code (``None`` for unknown)."""
    if spec.kind in ("int", "float"):
        if np.isnan(code):
            return None
        return int(code) if spec.kind == "int" else float(code)
    if code == UNKNOWN:
        return None
    return bool(code) if spec.kind == "bool" else spec.values[int(code)]


def _lookup(spec: FieldSpec) -> dict[Any, int]:
    """Contract value -> column code, for booleans and enums."""
    if spec.kind == "bool":
        return {None: UNKNOWN, True: 1, False: 0}
    return {None: UNKNOWN, **{value: i for i, value in enumerate(spec.values)}}


_LOOKUPS = {name: _lookup(spec) for name, spec in FIELDS.items() if spec.kind in ("bool", "enum")}


def from_cases(cases: Sequence[Case]) -> Columns:
    """Columns from validated cases (fever already normalised by ``Case``)."""
    rows = [case.__dict__ for case in cases]
    columns = {}
    for name in FIELDS:
        values = [row[name] for row in rows]
        lookup = _LOOKUPS.get(name)
        if lookup is None:
            columns[name] = np.array([np.nan if v is None else v for v in values], np.float64)
        else:
            columns[name] = np.array([lookup[v] for v in values], np.int8)
    return columns


def row_findings(columns: Columns, i: int) -> dict[str, Any]:
    """The known findings of row ``i``, in contract order."""
    out = {}
    for name, spec in FIELDS.items():
        value = value_of(spec, columns[name][i])
        if value is not None:
            out[name] = value
    return out


def take(columns: Columns, rows: np.ndarray) -> Columns:
    return {name: col[rows] for name, col in columns.items()}


def normalise_fever(columns: Columns) -> None:
    """Contract: a temperature of 38.0 or more counts as fever (in place)."""
    hot = columns["temperature_c"] >= FEVER_THRESHOLD_C
    columns["fever"][hot & (columns["fever"] == UNKNOWN)] = 1


# -- Arrow tables ----------------------------------------------------------------------------


class TableError(ValueError):
    """A table that cannot be read as cases at all (for example an unknown column)."""


def _add(errors: dict[int, list[str]], mask: np.ndarray, message: str) -> None:
    for i in np.flatnonzero(mask):
        errors.setdefault(int(i), []).append(message)


def _numeric(spec: FieldSpec, col: pa.ChunkedArray, errors: dict[int, list[str]]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(col.type) or not (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_null(col.type)
    ):
        given = pc.invert(pc.is_null(col)).to_numpy(zero_copy_only=False)
        _add(
            errors,
            given,
            f"{spec.name}: must be {'a whole number' if spec.kind == 'int' else 'a number'}",
        )
        return np.full(len(col), np.nan)
    values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    known = ~np.isnan(values)
    if spec.kind == "int":
        bad = known & (values != np.round(values))
        _add(errors, bad, f"{spec.name}: expected a whole number")
        values[bad] = np.nan
        known &= ~bad
    with np.errstate(invalid="ignore"):
        low = known & (values < spec.minimum)
        high = known & (values > spec.maximum)
    _add(errors, low, f"{spec.name}: Input should be greater than or equal to {spec.minimum:g}")
    _add(errors, high, f"{spec.name}: Input should be less than or equal to {spec.maximum:g}")
    values[low | high] = np.nan
    return values


def _coded(spec: FieldSpec, col: pa.ChunkedArray, errors: dict[int, list[str]]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    if spec.kind == "bool" and pa.types.is_boolean(col.type):
        values = col.to_numpy(zero_copy_only=False)
        isnull = pc.is_null(col).to_numpy(zero_copy_only=False)
        return np.where(isnull, UNKNOWN, np.where(isnull, 0, values).astype(np.int8)).astype(
            np.int8
        )
    if pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type):
        return _coded_dictionary(spec, col, errors)
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, pa.string())
    if not (
        pa.types.is_string(col.type)
        or pa.types.is_large_string(col.type)
        or pa.types.is_null(col.type)
    ):
        given = pc.invert(pc.is_null(col)).to_numpy(zero_copy_only=False)
        words = "true or false" if spec.kind == "bool" else "one of " + ", ".join(spec.values)
        _add(errors, given, f"{spec.name}: must be {words}")
        return np.full(len(col), UNKNOWN, np.int8)
    col = pc.cast(col, pa.string())
    values = ("false", "true") if spec.kind == "bool" else spec.values
    text = pc.utf8_lower(col) if spec.kind == "bool" else col
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    index = pc.index_in(text, value_set=pa.array(values, pa.string()))
    codes = pc.fill_null(index, UNKNOWN).to_numpy(zero_copy_only=False).astype(np.int8)
    bad = pc.is_null(index).to_numpy(zero_copy_only=False) & ~pc.is_null(text).to_numpy(
        zero_copy_only=False
    )
    words = "true or false" if spec.kind == "bool" else "one of " + ", ".join(spec.values)
    _add(errors, bad, f"{spec.name}: must be {words}")
    return codes


def _coded_dictionary(
    spec: FieldSpec, col: pa.ChunkedArray, errors: dict[int, list[str]]
) -> np.ndarray:
    """Dictionary-encoded strings (Parquet's usual form): look up each dictionary once."""
    import pyarrow as pa

    parts = []
    for chunk in col.chunks:
        mapped = _coded(spec, pa.chunked_array([chunk.dictionary]), bad := {})
        lookup = np.append(mapped, UNKNOWN).astype(np.int8)  # last slot: null
        nulls = chunk.is_null().to_numpy(zero_copy_only=False)
        indices = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        indices = np.where(nulls, len(mapped), indices)
        codes = lookup[indices]
        start = sum(len(p) for p in parts)
        for entry, problems in bad.items():
            hits = np.flatnonzero(indices == entry)
            for i in hits:
                errors.setdefault(start + int(i), []).extend(problems)
        parts.append(codes)
    return np.concatenate(parts) if parts else np.zeros(0, np.int8)


def from_arrow(table: pa.Table) -> tuple[Columns, dict[int, list[str]]]:
    """Columns from a table with one column per finding, validated in bulk.

    Returns the columns and, for each bad row, its problems. Bad rows keep their place (their
    columns hold what could be read) so that callers can report them in order. Unknown
    column names raise :class:`TableError`.
    """
    unknown = [c for c in table.column_names if c not in FIELDS and c not in PASSTHROUGH_COLUMNS]
    if unknown:
        raise TableError("; ".join(unknown_field_problem(c) for c in unknown))
    n = table.num_rows
    columns = empty(n)
    errors: dict[int, list[str]] = {}
    for name in table.column_names:
        if name in PASSTHROUGH_COLUMNS:
            continue
        spec = FIELDS[name]
        col = table.column(name)
        if spec.kind in ("int", "float"):
            columns[name] = _numeric(spec, col, errors)
        else:
            columns[name] = _coded(spec, col, errors)
    fever, temp = columns["fever"], columns["temperature_c"]
    _add(
        errors,
        (fever == 0) & (temp >= FEVER_THRESHOLD_C),
        "fever is false but temperature_c is 38 or more (38 or more counts as fever)",
    )
    sex = FIELDS["sex"].values
    _add(
        errors,
        (columns["pregnant"] == 1) & (columns["sex"] == sex.index("male")),
        "pregnant is true but sex is male",
    )
    normalise_fever(columns)
    return columns, errors


def to_arrow(columns: Columns) -> pa.Table:
    """A table of contract values (nulls for unknown), one column per finding."""
    import pyarrow as pa

    arrays = {}
    for name, spec in FIELDS.items():
        col = columns[name]
        if spec.kind == "bool":
            arrays[name] = pa.array(col == 1, mask=col == UNKNOWN)
        elif spec.kind == "enum":
            indices = pa.array(
                np.where(col == UNKNOWN, 0, col).astype(np.int8), mask=col == UNKNOWN
            )
            arrays[name] = pa.DictionaryArray.from_arrays(indices, pa.array(spec.values))
        elif spec.kind == "int":
            arrays[name] = pa.array(np.nan_to_num(col).astype(np.int16), mask=np.isnan(col))
        else:
            arrays[name] = pa.array(col, mask=np.isnan(col))
    return pa.table(arrays)
