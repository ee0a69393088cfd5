"""Tables in, tables out: CSV and Parquet scored in row groups, columnar end to end.

Each batch of rows is validated in bulk (:func:`backclf.contract.columns.from_arrow`), decided by
:func:`backclf.core.decide.assess_batch`, and written as columns: the triage, the red flags, the
cause and the full differential. Bad rows keep their place with an ``error``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backclf.contract.columns import from_arrow, take
from backclf.core.decide import assess_batch, records
from backclf.core.model import ReadableModel
from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

T = TypeVar("T")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
BATCH_ROWS = 131_072


class InputError(ValueError):
    """An input that cannot be read at all (missing, wrong type, empty)."""


def table_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return None


def read_batches(path: Path) -> Iterator[pa.Table]:
    """The table in batches of about ``BATCH_ROWS`` rows."""
    kind = table_kind(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            source = pq.ParquetFile(path)
            for batch in source.iter_batches(batch_size=BATCH_ROWS):
                yield pa.Table.from_batches([batch])
        else:
            import pyarrow.csv as pcsv

            options = pcsv.ReadOptions(block_size=1 << 22)
            convert = pcsv.ConvertOptions(strings_can_be_null=True)
            with pcsv.open_csv(path, read_options=options, convert_options=convert) as reader:
                for batch in reader:
                    yield pa.Table.from_batches([batch])
    except FileNotFoundError:
        raise InputError(f"cannot read {path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"cannot read {path} as {kind}: {exc}") from None


def prefetch(
    batches: Iterator[pa.Table], work: Callable[[pa.Table, int], T], depth: int = 2
) -> Iterator[tuple[pa.Table, int, T]]:
    """``(batch, first_row, work(batch, first_row))`` in order, with up to ``depth`` batches
    worked on ahead in threads (numpy and Arrow release the GIL, so two cores both work)."""
    with ThreadPoolExecutor(max_workers=depth) as pool:
        pending: deque = deque()
        first = 0
        for batch in batches:
            pending.append((batch, first, pool.submit(work, batch, first)))
            first += batch.num_rows
            if len(pending) > depth:
                done_batch, done_first, future = pending.popleft()
                yield done_batch, done_first, future.result()
        while pending:
            done_batch, done_first, future = pending.popleft()
            yield done_batch, done_first, future.result()


def decision_table(table: pa.Table, model: ReadableModel, first_row: int) -> pa.Table:
    """Assess one batch of a findings table; one output row per input row."""
    columns, errors = from_arrow(table)
    n = table.num_rows
    good = np.ones(n, dtype=bool)
    good[list(errors)] = False
    rows = np.flatnonzero(good)
    decisions = assess_batch(take(columns, rows) if errors else columns, model)

    level = np.full(n, -1)
    level[rows] = decisions.level
    cause = np.full(n, -1)
    cause[rows] = np.where(decisions.abstained, -1, decisions.chosen)
    top = np.full(n, np.nan)
    top[rows] = decisions.proba.max(axis=1)
    flags = _flag_lists(decisions.fired, rows, n)
    out = {}
    if "id" in table.column_names:
        out["id"] = table.column("id")
    out["row"] = pa.array(np.arange(first_row + 1, first_row + n + 1), pa.int64())
    out["error"] = pa.array(
        ["; ".join(errors[i]) if i in errors else None for i in range(n)] if errors else [None] * n,
        pa.string(),
    )
    out["triage_level"] = _labels(level, TRIAGE_LEVELS)
    overridden = np.zeros(n, dtype=bool)
    overridden[rows] = decisions.overridden
    out["triage_overridden"] = pa.array(overridden, mask=~good)
    out["red_flags"] = flags
    out["cause"] = _labels(cause, CAUSE_IDS)
    out["cause_probability"] = pa.array(np.round(top, 4), mask=~good)
    for k, cause_id in enumerate(CAUSE_IDS):
        p = np.full(n, np.nan)
        p[rows] = decisions.proba[:, k]
        out[f"p_{cause_id}"] = pa.array(np.round(p, 4), mask=~good)
    return pa.table(out)


def records_table(records: list[dict], first_row: int) -> pa.Table:
    """The columns of :func:`decision_table`, from full assessment records (text input)."""
    rows = []
    for k, r in enumerate(records):
        row = {"id": r.get("id"), "row": first_row + k + 1, "error": r.get("error")}
        if "error" not in r:
            probabilities = {d["id"]: d["probability"] for d in r["differential"]}
            row |= {
                "triage_level": r["triage"]["level"],
                "triage_overridden": r["triage"]["overridden"],
                "red_flags": [f["id"] for f in r["red_flags"]],
                "cause": (r["cause"] or {}).get("id"),
                "cause_probability": r["differential"][0]["probability"],
                **{f"p_{c}": probabilities[c] for c in CAUSE_IDS},
            }
        rows.append(row)
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("row", pa.int64()),
            ("error", pa.string()),
            ("triage_level", pa.string()),
            ("triage_overridden", pa.bool_()),
            ("red_flags", pa.list_(pa.string())),
            ("cause", pa.string()),
            ("cause_probability", pa.float64()),
        ]
        + [(f"p_{c}", pa.float64()) for c in CAUSE_IDS]
    )
    for row in rows:
        row["id"] = None if row["id"] is None else str(row["id"])
    return pa.Table.from_pylist(rows, schema=schema)


def _flag_lists(fired: np.ndarray, rows: np.ndarray, n: int) -> pa.Array:
    """The fired rules' ids per row, most urgent first (null for bad rows), vectorised."""
    rules = rule_set()
    order = np.argsort(-rules.ranks, kind="stable")
    ids = pa.array([rules.rules[j].id for j in order])
    full = np.zeros((n, len(order)), dtype=bool)
    full[rows] = fired[:, order]
    counts = full.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    _, rule_index = np.nonzero(full)
    values = pc.take(ids, pa.array(rule_index, pa.int32()))
    valid = np.zeros(n, dtype=bool)
    valid[rows] = True
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~valid))


def _labels(index: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    valid = index >= 0
    codes = pa.array(np.where(valid, index, 0).astype(np.int8), mask=~valid)
    return pc.cast(pa.DictionaryArray.from_arrays(codes, pa.array(names)), pa.string())


def json_records(table: pa.Table, model: ReadableModel, first_row: int) -> Iterator[dict]:
    """The same batch as full JSON assessments (for table input without ``--output``)."""
    columns, errors = from_arrow(table)
    ids = table.column("id").to_pylist() if "id" in table.column_names else [None] * len(table)
    good = [i for i in range(table.num_rows) if i not in errors]
    sub = take(columns, np.array(good, dtype=np.int64))
    assessed = records(assess_batch(sub, model), sub, model, [ids[i] for i in good])
    by_row = dict(zip(good, assessed, strict=True))
    for i in range(table.num_rows):
        if i in errors:
            record = {"id": ids[i], "line": first_row + i + 1, "error": "; ".join(errors[i])}
        else:
            record = by_row[i]
        yield record
