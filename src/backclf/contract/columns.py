"""Cases as columns: the numeric form every vectorised step works on.

One numpy array per finding of the contract, ``n`` rows:

- yes/no findings: ``int8`` with 1 = true, 0 = false, -1 = unknown;
- enums (``sex``, ``trigger``, ...): ``int8`` index into the field's values, -1 = unknown;
- numbers: ``float64`` with NaN = unknown.

The codes are those of :func:`backclf.contract.rules.check_value`. Tables become columns in
:mod:`backclf.contract.arrow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from backclf.contract.conflicts import resolve_columns
from backclf.contract.fields import FIELDS
from backclf.contract.rules import UNKNOWN, check_record, decode

Columns = dict[str, np.ndarray]
__all__ = ["UNKNOWN", "Columns", "decoded", "empty", "from_codes", "from_values", "row_findings"]


def empty(n: int) -> Columns:
    """``n`` cases with every finding unknown."""
    return {
        name: np.full(n, np.nan) if spec.numeric else np.full(n, UNKNOWN, np.int8)
        for name, spec in FIELDS.items()
    }


_UNKNOWN_CODES = tuple((name, np.nan if spec.numeric else UNKNOWN) for name, spec in FIELDS.items())
_NUMERIC = tuple(spec.numeric for spec in FIELDS.values())
_UNKNOWN_ROW = np.array([unknown for _, unknown in _UNKNOWN_CODES], dtype=np.float64)
_PLACE = {name: j for j, (name, _) in enumerate(_UNKNOWN_CODES)}
_CODED_ROWS = np.flatnonzero(~np.array(_NUMERIC, dtype=bool))


def from_codes(rows: Sequence[Mapping[str, float | int]]) -> Columns:
    """Columns from each case's ``{finding: code}`` (absent findings are unknown). Read as
    one float64 array (codes are small integers, exact as floats): every case's known codes
    put in their places at once, then split into the findings' columns."""
    width = len(_UNKNOWN_CODES)
    table = np.tile(_UNKNOWN_ROW, (len(rows), 1))
    places: list[int] = []
    codes: list[float | int] = []
    for start, row in zip(range(0, len(rows) * width, width), rows, strict=True):
        places += [start + _PLACE[name] for name in row]
        codes += row.values()
    table.ravel()[places] = codes
    by_finding = np.ascontiguousarray(table.T)  # each finding's values side by side
    coded = iter(by_finding[_CODED_ROWS].astype(np.int8))  # one conversion for all codes
    return {
        name: by_finding[j] if numeric else next(coded)
        for j, ((name, _), numeric) in enumerate(zip(_UNKNOWN_CODES, _NUMERIC, strict=True))
    }


def from_values(cases: Sequence[Mapping[str, Any]]) -> Columns:
    """Columns from cases given as ``{finding: value}`` (a :class:`Case` is one: see
    :meth:`Case.known`), checked by the contract's rules."""
    return from_codes([check_record(case) for case in cases])


def row_findings(columns: Columns, i: int) -> dict[str, Any]:
    """The known findings of row ``i``, in contract order."""
    out = {}
    for name, spec in FIELDS.items():
        value = decode(spec, columns[name][i])
        if value is not None:
            out[name] = value
    return out


def decoded(columns: Columns, finding: str) -> list[Any]:
    """A whole column as contract values (``None`` for unknown)."""
    spec = FIELDS[finding]
    col = columns[finding]
    if spec.kind == "bool":
        table = [None, False, True]  # codes -1, 0, 1
        return [table[c + 1] for c in col.tolist()]
    if spec.kind == "enum":
        table = [None, *spec.values]
        return [table[c + 1] for c in col.tolist()]
    values = col.tolist()
    if spec.kind == "int":
        return [None if v != v else int(v) for v in values]  # v != v: NaN
    return [None if v != v else v for v in values]


def take(columns: Columns, rows: np.ndarray) -> Columns:
    return {name: col[rows] for name, col in columns.items()}


def derive(columns: Columns) -> None:
    """The findings that others imply where they are unknown (fever from a temperature of
    38.0 or more; weakness of a leg from weakness of both), in place; a value given otherwise
    is kept (the generator's cases never disagree)."""
    resolve_columns(columns, conflicts_too=False)


def resolve(columns: Columns) -> dict[int, list[dict[str, Any]]]:
    """As :func:`derive`, and answers that disagree resolved towards the more urgent triage,
    in place: the conflicts by row (see :mod:`backclf.contract.conflicts`)."""
    return resolve_columns(columns)
