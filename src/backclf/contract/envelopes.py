"""Envelopes in tables: a ``findings`` column of objects, read as JSON reads
``{"id": ..., "findings": {...}}``.

Spark reads JSON Lines of envelopes into a struct column, and a DataFrame of records with a
``findings`` dict does too; a row may also be flat (its ``findings`` null, its findings in
their own columns), as a JSON record may. :func:`unnest_findings` turns the struct into one
column per finding, so the table is then read by the contract's rules like any other, with
the JSON record's messages: findings both inside and beside ``findings`` is an error in that
row; an unknown name inside it is an error in the rows that give it a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backclf.contract.fields import FIELDS
from backclf.contract.rules import quote, unknown_field

if TYPE_CHECKING:
    import pyarrow as pa

ENVELOPE = "findings"


def unnest_findings(table: pa.Table) -> tuple[pa.Table, dict[int, list[str]]]:
    """The table with its ``findings`` struct column (if any) as one column per finding, and
    the rows' problems with it (``{row: [problem]}``)."""
    import pyarrow as pa

    names = table.column_names
    if names.count(ENVELOPE) != 1 or not pa.types.is_struct(table.schema.field(ENVELOPE).type):
        return table, {}
    envelope = table.column(ENVELOPE).combine_chunks()
    inside = envelope.is_valid().to_pylist()
    rest = table.remove_column(names.index(ENVELOPE))
    problems: dict[int, list[str]] = {}
    beside = [n for n in rest.column_names if n in FIELDS]
    for row, given in enumerate(inside):
        both = sorted(n for n in beside if given and rest.column(n)[row].is_valid)
        if both:
            listed = ", ".join(quote(n) for n in both)
            problems[row] = [
                f"findings go inside 'findings' or at the top level, not both: {listed}"
            ]
    for field, child in zip(envelope.type, envelope.flatten(), strict=True):
        name = field.name
        if name not in FIELDS:
            for row in _valid_rows(child):
                problems.setdefault(row, []).append(unknown_field(name))
            continue
        if name in rest.column_names:
            top = rest.column(name).combine_chunks()
            merged = [
                c if inner else t
                for c, t, inner in zip(child.to_pylist(), top.to_pylist(), inside, strict=True)
            ]
            try:
                column = pa.array(merged)
            except (pa.ArrowException, TypeError, ValueError):
                column = pa.array([quote(v) if v is not None else None for v in merged])
            rest = rest.set_column(rest.column_names.index(name), name, column)
        else:
            rest = rest.append_column(name, child)
    return rest, problems


def _valid_rows(array: pa.Array) -> list[int]:
    return [row for row, valid in enumerate(array.is_valid().to_pylist()) if valid]
