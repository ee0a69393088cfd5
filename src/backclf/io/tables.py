"""Tables in, tables out: CSV and Parquet scored in batches of rows, columnar end to end.

Each batch is checked by the contract's rules in bulk (:func:`backclf.contract.arrow.from_arrow`),
decided by :func:`backclf.core.decide.assess_batch`, and written as the columns of
:data:`backclf.contract.assessment.TABLE_COLUMNS`, after the columns carried through from the
input (``id``, and the label columns of ``backclf generate``). Every input row gives one
output row, in order; a bad row keeps its place with its ``error``. A table with a ``text``
column is read row by row (free text), with the same output.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backclf.contract.arrow import CARRIED_COLUMNS, from_arrow, table_ids
from backclf.contract.assessment import TABLE_COLUMNS, flat_row
from backclf.contract.columns import Columns, take
from backclf.contract.fields import FIELDS
from backclf.contract.rules import UNKNOWN
from backclf.core.decide import assess_batch
from backclf.core.model import ReadableModel
from backclf.core.records import records
from backclf.core.red_flags import rule_set
from backclf.io.score import Case, Extractor, assess_cases, error_record
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

T = TypeVar("T")
BATCH_ROWS = 131_072
#: Bytes of CSV parsed at a time (Arrow's read block); each block is one batch of rows.
CSV_BLOCK_BYTES = 1 << 22
#: Arrow's reasons for an unreadable table are cut to this many characters.
MESSAGE_LIMIT = 160
OUTPUT_SCHEMA = pa.schema(
    [
        (
            c.name,
            pa.list_(pa.string()) if c.type == "list<string>" else pa.type_for_alias(c.type),
        )
        for c in TABLE_COLUMNS
    ]
)


class InputError(ValueError):
    """An input that cannot be read at all (missing, wrong type, empty)."""


def table_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return None


@dataclass(frozen=True)
class Batch:
    """A batch of input rows: the table, its first row's number (from 0), and whether its
    cells are text (CSV) to be read before the contract's rules check them."""

    table: pa.Table
    first_row: int
    text_cells: bool


def read_batches(path: Path) -> Iterator[Batch]:
    """The table in batches of about ``BATCH_ROWS`` rows. CSV finding columns are read as
    text, so that one odd cell cannot change how its whole column is read."""
    kind = table_kind(path)
    first = 0
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
                yield Batch(pa.Table.from_batches([batch]), first, False)
                first += batch.num_rows
        else:
            import pyarrow.csv as pcsv

            options = pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES)
            parsing = pcsv.ParseOptions(newlines_in_values=True)  # quoted text may span lines
            convert = pcsv.ConvertOptions(
                strings_can_be_null=True,
                column_types={name: pa.string() for name in (*FIELDS, "text")},
            )
            with pcsv.open_csv(
                path, read_options=options, parse_options=parsing, convert_options=convert
            ) as reader:
                for batch in reader:
                    yield Batch(pa.Table.from_batches([batch]), first, True)
                    first += batch.num_rows
    except FileNotFoundError:
        raise InputError(f"cannot read {path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"cannot read {path} as {kind}: {_without_cells(str(exc))}") from None


def _without_cells(message: str) -> str:
    """Arrow's reason without the input it quotes (a CSV parse error ends with the whole
    row): its first line, at most ``MESSAGE_LIMIT`` characters, without control characters."""
    first_line = message.splitlines()[0] if message else ""
    message = re.sub(r"(got \d+)(?: columns)?: .*", r"\1", first_line)
    message = "".join(ch if ch.isprintable() else "?" for ch in message)
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


def prefetch(
    batches: Iterator[Batch], work: Callable[[Batch], T], depth: int = 2
) -> Iterator[tuple[Batch, T]]:
    """``(batch, work(batch))`` in order, with up to ``depth`` batches worked on ahead in
    threads (numpy and Arrow release the GIL, so two cores both work)."""
    with ThreadPoolExecutor(max_workers=depth) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append((batch, pool.submit(work, batch)))
            if len(pending) > depth:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


# -- one batch -------------------------------------------------------------------------------


def decision_table(batch: Batch, model: ReadableModel) -> pa.Table:
    """Assess one batch of a findings table (no text): one output row per input row."""
    table = batch.table
    columns, errors = from_arrow(table, text_cells=batch.text_cells)
    n = table.num_rows
    good = np.ones(n, dtype=bool)
    good[list(errors)] = False
    rows = np.flatnonzero(good)
    decisions = assess_batch(take(columns, rows) if errors else columns, model)

    def spread(values: np.ndarray, fill: float | int) -> np.ndarray:
        full = np.full(n, fill, dtype=np.result_type(values, type(fill)))
        full[rows] = values
        return full

    level = spread(decisions.level, -1)
    cause = spread(np.where(decisions.abstained, -1, decisions.chosen), -1)
    proba = decisions.proba
    out = {
        "row": pa.array(np.arange(batch.first_row + 1, batch.first_row + n + 1), pa.int64()),
        "error": pa.array(
            ["; ".join(errors[i]) if i in errors else None for i in range(n)]
            if errors
            else [None] * n,
            pa.string(),
        ),
        "triage_level": _labels(level, TRIAGE_LEVELS),
        "triage_overridden": pa.array(spread(decisions.overridden, False), mask=~good),
        "red_flags": _flag_lists(decisions.fired, rows, n),
        "cause": _labels(cause, CAUSE_IDS),
        "cause_probability": pa.array(np.round(spread(_row_max(proba), np.nan), 4), mask=~good),
    }
    for k, cause_id in enumerate(CAUSE_IDS):
        p = np.round(spread(proba[:, k], np.nan), 4)
        out[f"p_{cause_id}"] = pa.array(p, mask=~good)
    return _with_carried(table, pa.table(out, schema=OUTPUT_SCHEMA))


def text_table_records(batch: Batch, model: ReadableModel, extract: Extractor | None) -> list:
    """Assess one batch of a table row by row, each with its ``text`` (and any findings given
    in columns, checked in bulk as for any table): the records, in order."""
    table = batch.table
    columns, errors = from_arrow(table, text_cells=batch.text_cells)
    ids = _ids(table)
    once = _named_once(table)
    texts = table.column("text").to_pylist() if "text" in once else [None] * len(ids)
    cases = []
    for i in range(table.num_rows):
        line = batch.first_row + i + 1
        if i in errors:
            cases.append(Case(line, ids[i], error="; ".join(errors[i])))
        else:
            cases.append(Case(line, ids[i], _row_codes(columns, i), texts[i] or None))
    return assess_cases(cases, model, extract)


def json_records(batch: Batch, model: ReadableModel) -> list[dict]:
    """One batch of a findings table (no text) as full JSON assessments or error records."""
    table = batch.table
    columns, errors = from_arrow(table, text_cells=batch.text_cells)
    ids = _ids(table)
    good = [i for i in range(table.num_rows) if i not in errors]
    sub = take(columns, np.array(good, dtype=np.int64))
    by_row = dict(zip(good, records(assess_batch(sub, model), [ids[i] for i in good]), strict=True))
    return [
        error_record(ids[i], batch.first_row + i + 1, "; ".join(errors[i]))
        if i in errors
        else by_row[i]
        for i in range(table.num_rows)
    ]


def records_table(records_: list[dict], batch: Batch) -> pa.Table:
    """The output table of a batch from its records (the free-text path)."""
    rows = [flat_row(r, batch.first_row + k + 1) for k, r in enumerate(records_)]
    return _with_carried(batch.table, pa.Table.from_pylist(rows, schema=OUTPUT_SCHEMA))


# -- helpers ---------------------------------------------------------------------------------


def _ids(table: pa.Table) -> list:
    return table_ids(table)


def _named_once(table: pa.Table) -> set[str]:
    """The column names that name one column (a repeated name cannot be read by name)."""
    return {name for name, count in Counter(table.column_names).items() if count == 1}


def _row_codes(columns: Columns, i: int) -> dict[str, float | int]:
    codes = {}
    for name, col in columns.items():
        code = col[i]
        if code == code and code != UNKNOWN:  # known (code == code: not NaN)
            codes[name] = code.item()
    return codes


def _with_carried(table: pa.Table, result: pa.Table) -> pa.Table:
    """The input's carried-through columns (id, generated labels) first, then the results."""
    once = _named_once(table)
    carried = [c for c in CARRIED_COLUMNS if c in once and c != "text"]
    for position, name in enumerate(carried):
        result = result.add_column(position, name, table.column(name))
    return result


def _flag_lists(fired: np.ndarray, rows: np.ndarray, n: int) -> pa.Array:
    """The fired rules' ids per row, most urgent first (null for bad rows), vectorised."""
    rules = rule_set()
    order = np.argsort(-rules.ranks, kind="stable")
    ids = pa.array([rules.rules[j].id for j in order])
    if len(rows) == n:  # no bad rows
        full = fired[:, order]
    else:
        full = np.zeros((n, len(order)), dtype=bool)
        full[rows] = fired[:, order]
    row_index, rule_index = np.nonzero(full)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(row_index, minlength=n), out=offsets[1:])
    values = pc.take(ids, pa.array(rule_index, pa.int32()))
    valid = np.zeros(n, dtype=bool)
    valid[rows] = True
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~valid))


def _labels(index: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    valid = index >= 0
    codes = pa.array(np.where(valid, index, 0).astype(np.int8), mask=~valid)
    return pc.cast(pa.DictionaryArray.from_arrays(codes, pa.array(names)), pa.string())


def _row_max(proba: np.ndarray) -> np.ndarray:
    """``proba.max(axis=1)``, a cause at a time (max is exact; numpy's reduction along the
    short axis costs ~5 ms a batch)."""
    top = np.full(len(proba), -np.inf)
    for k in range(proba.shape[1]):
        np.maximum(top, proba[:, k], out=top)
    return top
