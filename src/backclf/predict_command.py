"""``backclf predict``: pick the input mode, stream cases through the decision path, write out.

Every mode (flags, JSON, JSON Lines, CSV, Parquet, text) ends in
:func:`backclf.assess.assess_batch`. Returns the exit code (see :mod:`backclf.cli`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from backclf.batch import Item, assess_items, parse_json_lines, to_json_line
from backclf.model import ModelFileError, ReadableModel, load_model

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_NOINPUT = 0, 2, 65, 66
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".txt", "")


def _error(message: str) -> None:
    print(f"backclf: error: {message}", file=sys.stderr)


class _LazyExtractor:
    """Loads the free-text reader (spaCy) the first time a text needs it."""

    def __init__(self) -> None:
        self._extract = None

    def __call__(self, text: str):
        if self._extract is None:
            from backclf.case import CaseError

            try:
                from backclf.text import extract_findings, pipeline

                pipeline()  # spaCy and negspacy load here
            except ImportError:
                raise CaseError(
                    ["text: reading free text needs the text extra: pip install 'backclf[text]'"]
                ) from None
            self._extract = extract_findings
        return self._extract(text)


def run_predict(
    *,
    input_path: str | None,
    output: Path | None,
    fmt: str | None,
    text: str | None,
    model_path: Path | None,
    flags: dict[str, Any],
) -> int:
    if input_path is not None and (flags or text is not None):
        _error("give findings as flags/--text or with --input, not both")
        return EXIT_USAGE
    try:
        model = load_model(model_path)
    except ModelFileError as exc:
        _error(str(exc))
        return EXIT_NOINPUT
    extract = _LazyExtractor()

    if input_path is None and not flags and text is None:
        if sys.stdin is None or sys.stdin.isatty():
            _error(
                "no case given: use finding flags (see --help), --text, --input FILE, "
                "or pipe JSON Lines to stdin"
            )
            return EXIT_USAGE
        input_path = "-"

    if input_path is not None and input_path != "-":
        from backclf.tables import table_kind

        path = Path(input_path)
        if not path.exists():
            _error(f"cannot read {path}: no such file")
            return EXIT_NOINPUT
        if path.is_dir():
            _error(f"cannot read {path}: it is a directory")
            return EXIT_NOINPUT
        if table_kind(path):
            return _predict_table(path, output, fmt, model, extract)
        if path.suffix.lower() not in JSON_SUFFIXES:
            _error(
                f"cannot read {path}: unknown file type {path.suffix!r} "
                "(use .json, .jsonl, .csv or .parquet)"
            )
            return EXIT_NOINPUT

    with ExitStack() as stack:
        out, pretty = _open_output(stack, output, fmt)
        if out is None:
            return EXIT_USAGE
        if input_path is None:
            record = dict(flags)
            if text is not None:
                record["text"] = text
            batches: Iterator[list[Item]] = iter([[Item(1, record)]])
        else:
            try:
                batches = _json_batches(input_path)
                first = next(batches, None)
            except OSError as exc:
                _error(f"cannot read {input_path}: {exc.strerror or exc}")
                return EXIT_NOINPUT
            if first is None:
                _error("empty input: no cases to assess")
                return EXIT_NOINPUT
            batches = _chain(first, batches)
        return _write_assessments(batches, model, extract, out, pretty)


def _chain(first: list[Item], rest: Iterator[list[Item]]) -> Iterator[list[Item]]:
    yield first
    yield from rest


def _json_batches(input_path: str) -> Iterator[list[Item]]:
    """Items from a JSON document, or JSON Lines in streaming batches."""
    from backclf.streams import line_batches, whole_document

    if input_path == "-":
        stream = sys.stdin.buffer
        batches = line_batches(stream)
        first = next(batches, None)
        if first is None:
            return
        items = list(parse_json_lines(first))
        if items and items[0].error is not None and len(first) > 0:
            # Not JSON Lines: perhaps one pretty-printed document; read it all.
            rest = b"\n".join(line for batch in batches for _, line in batch)
            data = b"\n".join(line for _, line in first) + b"\n" + rest
            document = whole_document(data)
            if document is not None:
                yield [Item(i + 1, d) for i, d in enumerate(document)]
                return
            yield items + [it for b in _renumber(rest, len(first)) for it in b]
            return
        if items:
            yield items
        for batch in batches:
            parsed = list(parse_json_lines(batch))
            if parsed:
                yield parsed
        return
    data = Path(input_path).read_bytes()
    document = whole_document(data)
    if document is not None:
        yield [Item(i + 1, d) for i, d in enumerate(document)]
        return
    lines = data.split(b"\n")
    for start in range(0, len(lines), 4096):
        chunk = [(start + k + 1, line) for k, line in enumerate(lines[start : start + 4096])]
        parsed = list(parse_json_lines(chunk))
        if parsed:
            yield parsed


def _renumber(rest: bytes, offset: int) -> Iterator[list[Item]]:
    lines = [(offset + k + 1, line) for k, line in enumerate(rest.split(b"\n"))]
    yield list(parse_json_lines(lines))


def _open_output(
    stack: ExitStack, output: Path | None, fmt: str | None
) -> tuple[TextIO | None, bool]:
    if output is None:
        pretty = fmt == "pretty" or (fmt is None and sys.stdout.isatty())
        return sys.stdout, pretty
    if output.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        _error(
            f"--output for JSON input must be .jsonl (got {output.name}); "
            "tables (.csv, .parquet) are written for table input"
        )
        return None, False
    return stack.enter_context(output.open("w", encoding="utf-8")), False


def _write_assessments(
    batches: Iterator[list[Item]], model: ReadableModel, extract, out: TextIO, pretty: bool
) -> int:
    total = failed = 0
    first_error = None
    console = None
    if pretty:
        from rich.console import Console

        from backclf.render import render

        console = Console(file=out)
    for items in batches:
        results = assess_items(items, model, extract)
        for record in results:
            total += 1
            if "error" in record:
                failed += 1
                first_error = first_error or f"line {record['line']}: {record['error']}"
        if console is not None:
            for record in results:
                render(record, console)
        else:
            out.write("".join(to_json_line(r) + "\n" for r in results))
            out.flush()
    return _summary(total, failed, first_error)


def _summary(total: int, failed: int, first_error: str | None) -> int:
    if total == 0:
        _error("empty input: no cases to assess")
        return EXIT_NOINPUT
    if failed:
        _error(f"{failed} of {total} cases could not be assessed (first: {first_error})")
        return EXIT_DATA
    return EXIT_OK


def _predict_table(
    path: Path, output: Path | None, fmt: str | None, model: ReadableModel, extract
) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    from backclf.columns import TableError
    from backclf.tables import (
        InputError,
        decision_table,
        json_records,
        prefetch,
        read_batches,
        records_table,
        table_kind,
    )

    out_kind = table_kind(output) if output is not None else None
    if output is not None and out_kind is None and output.suffix.lower() != ".jsonl":
        _error(f"--output must be .parquet, .csv or .jsonl (got {output.name})")
        return EXIT_USAGE
    total = failed = 0
    first_error = None
    writer = None
    try:
        with ExitStack() as stack:
            text_out = sys.stdout
            if output is not None and out_kind is None:
                text_out = stack.enter_context(output.open("w", encoding="utf-8"))

            def work(batch, first_row):
                if out_kind is None or "text" in batch.column_names:
                    return None  # JSON output and free text are done in order below
                return decision_table(batch, model, first_row)

            for batch, _, precomputed in prefetch(read_batches(path), work):
                with_text = "text" in batch.column_names
                if with_text:  # free text per row: through the record path
                    items = [
                        Item(total + k + 1, {key: v for key, v in row.items() if v is not None})
                        for k, row in enumerate(batch.to_pylist())
                    ]
                    results = assess_items(items, model, extract)
                if out_kind is None:
                    if not with_text:
                        results = list(json_records(batch, model, total))
                    for record in results:
                        if "error" in record:
                            failed += 1
                            first_error = first_error or f"row {record['line']}: {record['error']}"
                    text_out.write("".join(to_json_line(r) + "\n" for r in results))
                    text_out.flush()
                else:
                    result = records_table(results, total) if with_text else precomputed
                    if out_kind == "csv":  # CSV has no lists: join the red-flag ids
                        flags = pc.binary_join(result.column("red_flags"), ";")
                        result = result.set_column(
                            result.schema.get_field_index("red_flags"), "red_flags", flags
                        )
                    errors = result.column("error")
                    bad = errors.null_count
                    if bad < len(errors):
                        failed += len(errors) - bad
                        index = pc.index(pc.is_valid(errors), True).as_py()
                        first_error = (
                            first_error or f"row {total + index + 1}: {errors[index].as_py()}"
                        )
                    if writer is None:
                        writer = _table_writer(output, out_kind, result.schema)
                        stack.callback(writer.close)
                    writer.write_table(result)
                total += batch.num_rows
            if writer is None and out_kind is not None:
                _error("empty input: no rows to assess")
                return EXIT_NOINPUT
    except TableError as exc:
        _error(f"{path}: {exc}")
        return EXIT_DATA
    except InputError as exc:
        _error(str(exc))
        return EXIT_NOINPUT
    except pa.ArrowInvalid as exc:
        _error(f"cannot read {path}: {exc}")
        return EXIT_NOINPUT
    return _summary(total, failed, first_error)


def _table_writer(output: Path, kind: str, schema):
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetWriter(output, schema, compression="zstd")
    import pyarrow.csv as pcsv

    return pcsv.CSVWriter(output, schema)
