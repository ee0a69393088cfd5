"""Tables of cases (Arrow: from CSV or Parquet) to columns and back, by the contract's rules.

A table has one column per finding, any subset of them. Each column is checked by
:func:`backclf.contract.rules.check_value` once per *distinct* value (there are few: ages,
yes/no, enum values), and the codes are mapped back to the rows, so a table gets exactly the
answers and messages a JSON record would, at columnar speed.

Parquet columns are typed, and checked as strictly as JSON values (a string ``"40"`` is not
an age). CSV cells are text: :func:`value_from_text` reads a cell first (``true``/``false``,
``yes``/``no``, ``1``/``0`` for yes/no findings; numbers for numbers), then the same rules
apply. A bad cell makes its row an error, never its whole column.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from backclf.contract.columns import Columns, empty
from backclf.contract.envelopes import unnest_findings
from backclf.contract.fields import FIELDS, FieldSpec
from backclf.contract.rules import (
    UNKNOWN,
    check_id,
    check_text,
    check_value,
    quote,
    unknown_field,
)

if TYPE_CHECKING:  # pyarrow is imported where tables are read, off the JSON fast path
    import pyarrow as pa

#: Columns a table may carry besides the findings: the case's id and free text, and the
#: bookkeeping columns of ``backclf generate`` (carried through to table output, not read).
PASSTHROUGH_COLUMNS = ("id", "text")
GENERATED_COLUMNS = ("case_id", "label", "true_cause", "atypical", "red_flag_added")
CARRIED_COLUMNS = PASSTHROUGH_COLUMNS + GENERATED_COLUMNS

YES_WORDS = ("true", "yes", "1")
NO_WORDS = ("false", "no", "0")


def value_from_text(spec: FieldSpec, text: str | None) -> Any:
    """One CSV cell as a contract value, before the contract's rules check it. A cell that
    cannot be read is returned as it is, so the rules report it in their own words."""
    if text is None or text == "":
        return None
    if spec.kind == "bool":
        word = text.strip().lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        return text
    if spec.numeric:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return text
    return text


def from_arrow(table: pa.Table, *, text_cells: bool = False) -> tuple[Columns, dict[int, list]]:
    """Columns from a table, and for each bad row its problems (``{row: [problem]}``).

    Bad rows keep their place (their columns hold what could be read) so that callers can
    report them in order. A column no row can be read by (an unknown or repeated name) makes
    every row bad, as the same key would make every JSON record bad. ``text_cells``: the
    cells are text (CSV), read by :func:`value_from_text`.
    """
    n = table.num_rows
    columns = empty(n)
    table, envelope_problems = unnest_findings(table)
    table_problems = _column_name_problems(table.column_names)
    errors: dict[int, list[str]] = dict(envelope_problems)
    for name in FIELDS:  # contract order, so a row's problems come in that order
        if name not in table.column_names or name in _repeated(table.column_names):
            continue
        codes, bad = _checked_column(FIELDS[name], table.column(name), text_cells)
        columns[name] = codes
        for row, problem in bad:
            errors.setdefault(row, []).append(problem)
    if table_problems:
        errors = {row: table_problems + errors.get(row, []) for row in range(n)}
    for row, problems in _id_and_text_problems(table).items():
        errors[row] = problems + errors.get(row, [])
    return columns, errors


def table_ids(table: pa.Table) -> list:
    """The ``id`` column as the ids echoed back (strings or whole numbers), ``None`` where
    absent or unusable (the row is then an error: :func:`from_arrow`), or where two columns
    are named ``id`` (every row is then an error)."""
    if table.column_names.count("id") != 1:
        return [None] * table.num_rows
    return [check_id(v)[0] for v in table.column("id").to_pylist()]


def _id_and_text_problems(table: pa.Table) -> dict[int, list[str]]:
    """Rows whose ``id`` or ``text`` cannot be used, as a JSON record's would not be: an id
    that is a fraction, a date or a yes/no; a text that is not a string."""
    import pyarrow as pa

    problems: dict[int, list[str]] = {}
    checks = (("id", check_id, _id_type), ("text", check_text, pa.types.is_string))
    for name, check, always_good in checks:
        if table.column_names.count(name) != 1:
            continue
        column = table.column(name)
        if always_good(column.type) or pa.types.is_null(column.type):
            continue
        for row, value in enumerate(column.to_pylist()):
            problem = check(value)[1]
            if problem:
                problems.setdefault(row, []).append(problem)
    return problems


def _id_type(arrow_type: pa.DataType) -> bool:
    import pyarrow as pa

    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or (pa.types.is_integer(arrow_type))
    )


def _repeated(names: list[str]) -> set[str]:
    return {name for name, count in Counter(names).items() if count > 1}


def _column_name_problems(names: list[str]) -> list[str]:
    problems = [
        unknown_field(name) for name in names if name not in FIELDS and name not in CARRIED_COLUMNS
    ]
    return problems + repeated_column_problems(names)


def repeated_column_problems(names: list[str]) -> list[str]:
    """A column name given more than once: no row can be read by it (which one counts?)."""
    return [f"column {quote(n)} appears more than once" for n in sorted(_repeated(names))]


def _checked_column(
    spec: FieldSpec, col: pa.ChunkedArray, text_cells: bool
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """One column's codes, and its bad cells as ``(row, problem)``: each distinct value is
    checked once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_boolean(array.type) and not text_cells:
        codes = _yes_no_codes(spec, array)
        if codes is not None:
            return codes, []
    if pa.types.is_dictionary(array.type):
        dictionary, indices = array.dictionary, array.indices
    elif _encodable(array.type):
        encoded = pc.dictionary_encode(array)
        dictionary, indices = encoded.dictionary, encoded.indices
    else:  # lists, structs, maps: no value of them is a finding; each row says what it got
        dictionary, indices = array, pa.array(range(len(array)), pa.int64())
        indices = pc.if_else(array.is_valid(), indices, pa.scalar(None, pa.int64()))
    lookup = np.empty(len(dictionary) + 1, dtype=np.float64 if spec.numeric else np.int8)
    lookup[-1] = np.nan if spec.numeric else UNKNOWN  # the last slot: null cells
    problems: dict[int, str] = {}
    for entry, value in enumerate(dictionary.to_pylist()):
        if text_cells:
            value = value_from_text(spec, value)
        code, problem = check_value(spec, value)
        lookup[entry] = code
        if problem is not None:
            problems[entry] = problem
    slots = indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False).astype(np.int64)
    bad: list[tuple[int, str]] = []
    for entry, problem in problems.items():
        bad.extend((int(row), problem) for row in np.flatnonzero(slots == entry))
    return lookup[slots], bad


def _yes_no_codes(spec: FieldSpec, array: pa.Array) -> np.ndarray | None:
    """A boolean column's codes without encoding it as a dictionary first, when neither
    ``false`` nor ``true`` is a problem for the finding (else ``None``: the general way
    words each bad cell)."""
    checked = [check_value(spec, value) for value in (False, True)]
    if any(problem is not None for _, problem in checked):
        return None
    unknown = np.nan if spec.numeric else UNKNOWN
    lookup = np.array([code for code, _ in checked] + [unknown, unknown])
    lookup = lookup.astype(np.float64 if spec.numeric else np.int8)
    validity, values = array.buffers()  # bit-packed, from bit ``array.offset``
    slots = _bits(values, array.offset, len(array))  # 0 false, 1 true
    if validity is not None and array.null_count:
        slots |= (_bits(validity, array.offset, len(array)) ^ 1) << 1  # 2 or 3: null
    return lookup.take(slots)


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """``n`` bits of an Arrow bitmap from bit ``offset``, as 0/1 bytes."""
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset : offset + n]


def _encodable(arrow_type: pa.DataType) -> bool:
    """Whether Arrow can dictionary-encode a column of this type (not nested ones)."""
    import pyarrow as pa

    return not (pa.types.is_nested(arrow_type) or isinstance(arrow_type, pa.ExtensionType))


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
