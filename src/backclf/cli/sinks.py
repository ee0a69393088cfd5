"""Where `backclf predict` writes assessments: JSON Lines, the readable view, or tables.

Each writer consumes chunks of cases in order and keeps one :class:`Tally` of what it wrote,
from which the command's exit code and its stderr summary come. Every write is whole lines,
and a Ctrl-C waits for the write in progress (:mod:`backclf.cli.interrupts`).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from backclf.cli import interrupts
from backclf.cli.sources import Chunk
from backclf.core.model import ReadableModel
from backclf.io.encode import json_line_list, json_lines
from backclf.io.score import Extractor, assess_items

if TYPE_CHECKING:  # imported where a large input needs it: multiprocessing is slow to import
    from backclf.cli import parallel

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_NOINPUT, EXIT_CANTCREAT = 0, 2, 65, 66, 73
#: A first chunk this large means a file, not an app streaming a case at a time.
PARALLEL_MIN_LINES = 2048


def error(message: str) -> None:
    if sys.stderr is not None:  # closed (2>&-): say nothing, never on stdout instead
        print(f"backclf: error: {message}", file=sys.stderr)


@dataclass
class Tally:
    """How many cases were written, how many could not be assessed, and the first problem."""

    total: int = 0
    failed: int = 0
    first_error: str | None = None

    def add(self, count: int, failed: int, first_error: str | None) -> None:
        self.total += count
        self.failed += failed
        self.first_error = self.first_error or first_error

    def add_records(self, records: list[dict[str, Any]], where: str = "line") -> None:
        bad = [r for r in records if "error" in r]
        first = f"{where} {bad[0]['line']}: {bad[0]['error']}" if bad else None
        self.add(len(records), len(bad), first)

    def exit_code(self) -> int:
        """0, or 65 with a summary when some case could not be assessed, 66 when none came."""
        if self.total == 0:
            error("empty input: no cases to assess")
            return EXIT_NOINPUT
        if self.failed:
            error(f"{self.failed} of {self.total} cases could not be assessed "
                  f"(first: {self.first_error})")
            return EXIT_DATA
        return EXIT_OK


def score_chunk(
    chunk: Chunk, model: ReadableModel, extract: Extractor, lean: bool = False
) -> parallel.Scored:
    """One chunk to its JSON lines, with its count, failures and first error."""
    records = assess_items(chunk.decoded(), model, extract, lean, encoded=True)
    tally = Tally()
    tally.add_records(records)
    return json_line_list(records), tally.total, tally.failed, tally.first_error


def write_json_lines(
    chunks: Iterator[Chunk],
    out: TextIO,
    model: ReadableModel,
    extract: Extractor,
    lean: bool = False,
) -> Tally:
    """One JSON line per case, flushed per chunk; a large input is scored by forked workers
    that write in order (see :mod:`backclf.cli.parallel`). ``lean``: records without the
    questions' fixed wording (docs/contract.md, "Lean records")."""
    tally = Tally()
    _tune_gc_for_batches()
    first = next(chunks, None)
    if first is None:
        return tally
    chunks = chain([first], chunks)

    def work(chunk: Chunk) -> parallel.Scored:
        return score_chunk(chunk, model, extract, lean)

    fd = _descriptor(out)
    large = first.lines is not None and len(first) >= PARALLEL_MIN_LINES
    if large and fd is not None:
        from backclf.cli import parallel

        if parallel.can_fork():
            out.flush()
            for counts in parallel.write_in_order(chunks, work, fd):
                tally.add(*counts)
            return tally
    sink = getattr(out, "buffer", None)  # write the UTF-8 bytes as they are
    for chunk in chunks:
        lines, *counts = work(chunk)
        data = b"".join(lines)
        tally.add(*counts)
        with interrupts.writing():
            if sink is not None:
                out.flush()
                sink.write(data)
                sink.flush()
            else:
                out.write(data.decode("utf-8"))
                out.flush()
    return tally


def write_pretty(
    chunks: Iterator[Chunk], out: TextIO, model: ReadableModel, extract: Extractor
) -> Tally:
    """The readable view of each case, for a person at a terminal."""
    from rich.console import Console

    from backclf.cli.view import render

    console = Console(file=out)
    tally = Tally()
    for chunk in chunks:
        records = assess_items(chunk.decoded(), model, extract)
        tally.add_records(records)
        for record in records:
            with interrupts.writing():
                render(record, console)
    return tally


def _descriptor(out: TextIO) -> int | None:
    try:
        return out.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # e.g. an in-memory test stream


def _tune_gc_for_batches() -> None:
    """Scoring allocates many short-lived, acyclic dicts: freeze what is loaded (modules,
    schemas, the model) out of the collector's sight and collect young objects less often.
    Measured on 100,000 JSON Lines: about a quarter less time."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


# -- tables ----------------------------------------------------------------------------------


def write_table_results(
    path: Path,
    output: Path | None,
    out_kind: str | None,
    model: ReadableModel,
    extract: Extractor,
    open_text: Callable[[], TextIO],
) -> Tally:
    """A CSV or Parquet input, assessed batch by batch: to a table (``out_kind`` csv or
    parquet) or to JSON Lines (``open_text()`` gives the stream)."""
    import pyarrow.compute as pc

    from backclf.io import tables

    tally = Tally()

    def work(batch: tables.Batch):
        if out_kind is None or "text" in batch.table.column_names:
            return None  # JSON output and free text are done in order below
        return tables.decision_table(batch, model)

    writer = None
    text_out = None
    try:
        for batch, result in tables.prefetch(tables.read_batches(path), work):
            with_text = "text" in batch.table.column_names
            records = (
                tables.text_table_records(batch, model, extract) if with_text else None
            )
            if out_kind is None:
                records = records or tables.json_records(batch, model)
                tally.add_records(records, where="row")
                text_out = text_out or open_text()
                data = json_lines(records).decode("utf-8")
                with interrupts.writing():
                    text_out.write(data)
                    text_out.flush()
                continue
            result = tables.records_table(records, batch) if with_text else result
            errors = result.column("error")
            if errors.null_count < len(errors):
                index = pc.index(pc.is_valid(errors), True).as_py()
                first = f"row {batch.first_row + index + 1}: {errors[index].as_py()}"
                tally.add(len(errors), len(errors) - errors.null_count, first)
            else:
                tally.add(len(errors), 0, None)
            if out_kind == "csv":  # CSV has no lists: join the red-flag ids
                flags = pc.binary_join(result.column("red_flags"), ";")
                position = result.schema.get_field_index("red_flags")
                result = result.set_column(position, "red_flags", flags)
            if writer is None:
                writer = _table_writer(output, out_kind, result.schema)
            writer.write_table(result)  # to a temporary file, renamed when complete
    finally:
        if writer is not None:
            writer.close()
    return tally


def _table_writer(output: Path, kind: str, schema):
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetWriter(output, schema, compression="zstd")
    import pyarrow.csv as pcsv

    return pcsv.CSVWriter(output, schema)

