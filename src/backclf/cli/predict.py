"""``backclf predict``: pick the input and the output, then stream cases through the one
decision path (:func:`backclf.core.decide.assess_batch`) from source to sink.

Returns the exit code (0 ok, 2 usage, 65 some case invalid, 66 unreadable input or model,
73 output cannot be written, or would overwrite the input; 130 interrupted). An output file is
written whole or not at all (:func:`backclf.io.files.atomic_output`).
"""

from __future__ import annotations

import os
import stat
import sys
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

from backclf.cli import interrupts
from backclf.cli.sinks import (
    EXIT_CANTCREAT,
    EXIT_NOINPUT,
    EXIT_OK,
    EXIT_USAGE,
    error,
    write_json_lines,
    write_pretty,
    write_table_results,
)
from backclf.cli.sources import file_chunks, single_case, stdin_chunks
from backclf.core.model import ModelFileError, load_model
from backclf.io.encodings import UnreadableInput
from backclf.io.files import atomic_output, same_file, stat_of
from backclf.text.lazy import LazyExtractor

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".txt", "")
JSON_OUTPUT_SUFFIXES = (".jsonl", ".json", ".ndjson")


def run_predict(**options: Any) -> int:
    """Run `backclf predict`; the exit code. Output that cannot be written is a clear error."""
    try:
        with interrupts.handled():
            return _predict(**options)
    except KeyboardInterrupt:
        output = options.get("output")
        error(f"interrupted{f'; {output} was not written' if output else ''}")
        return interrupts.EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        with suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = exc.filename or options.get("output") or "the output"
        error(f"cannot write {where}: {exc.strerror or exc}")
        return EXIT_CANTCREAT


# Long on purpose: the invocation's checks in the order they apply, each an early return
# with its documented exit code (the module's docstring), then the one write; helpers would
# hand the code and the half-checked arguments back and forth.
def _predict(
    *,
    input_path: str | None,
    output: Path | None,
    fmt: str | None,
    text: str | None,
    model_path: Path | None,
    flags: dict[str, Any],
    lean: bool = False,
) -> int:
    if input_path is not None and (flags or text is not None):
        error("give findings as flags/--text or with --input, not both")
        return EXIT_USAGE
    if input_path is None and not flags and text is None:
        if sys.stdin is None or sys.stdin.isatty():
            error(
                "no case given: use finding flags (see --help), --text, --input FILE, "
                "or pipe JSON Lines to stdin"
            )
            return EXIT_USAGE
        input_path = "-"
    path = Path(input_path) if input_path not in (None, "-") else None
    if input_path == "-" and sys.stdin is None:
        error("cannot read stdin: it is closed")
        return EXIT_NOINPUT
    if output is None and sys.stdout is None:
        error("cannot write to stdout: it is closed")
        return EXIT_CANTCREAT
    overwrite = _overwrites_input(path, input_path == "-", output)
    if overwrite:
        error(overwrite)
        return EXIT_CANTCREAT
    try:
        model = load_model(model_path)
    except ModelFileError as exc:
        error(str(exc))
        return EXIT_NOINPUT
    extract = LazyExtractor()

    if path is not None:
        from backclf.io.tables import table_kind

        problem = _unreadable(path)
        if problem:
            error(problem)
            return EXIT_NOINPUT
        if table_kind(path):
            if lean:
                error("--lean is for JSON Lines output from JSON input, not tables")
                return EXIT_USAGE
            return _predict_table(path, output, model, extract)
    if input_path is None:
        chunks = single_case(flags, text)
    elif path is None:
        chunks = stdin_chunks()
    else:
        try:
            chunks = file_chunks(path)
        except OSError as exc:
            error(f"cannot read {path}: {exc.strerror or exc}")
            return EXIT_NOINPUT
    if output is not None and output.suffix.lower() not in JSON_OUTPUT_SUFFIXES:
        error(
            f"--output for JSON input must be .jsonl (got {output.name}); "
            "tables (.csv, .parquet) are written for table input"
        )
        return EXIT_USAGE
    with ExitStack() as stack:
        if output is None:
            out, pretty = sys.stdout, fmt == "pretty" or (fmt is None and sys.stdout.isatty())
        else:
            pending = stack.enter_context(atomic_output(output))
            out, pretty = stack.enter_context(pending.path.open("w", encoding="utf-8")), False
        if pretty and lean:
            error("--lean is for JSON Lines output (--format json), not the readable view")
            return EXIT_USAGE
        try:
            if pretty:
                tally = write_pretty(chunks, out, model, extract)
            else:
                tally = write_json_lines(chunks, out, model, extract, lean)
        except UnreadableInput as exc:  # raised before any case is written
            if output is not None:
                pending.keep = False
            error(f"cannot read {path or 'stdin'}: {exc}")
            return EXIT_NOINPUT
        if output is not None:
            pending.keep = tally.total > 0
    return tally.exit_code()


def _overwrites_input(path: Path | None, reads_stdin: bool, output: Path | None) -> str | None:
    """Why the output cannot be written if it is the input file (by any name, a link, or
    stdin redirected from it): writing would destroy the cases before they are read."""
    if path is not None:
        source = stat_of(path)
    else:
        source = stat_of(fd=_descriptor(sys.stdin)) if reads_stdin else None
    if source is None or not stat.S_ISREG(source.st_mode):
        return None  # a pipe or a terminal cannot be overwritten
    if output is not None:
        if same_file(source, stat_of(output)):
            return f"cannot write {output}: it is the input file (write to another file)"
    elif same_file(source, stat_of(fd=_descriptor(sys.stdout))):
        return "cannot write to stdout: it is the input file (write to another file)"
    return None


def _descriptor(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _unreadable(path: Path) -> str | None:
    from backclf.io.tables import table_kind

    if not path.exists():
        return f"cannot read {path}: no such file"
    if path.is_dir():
        return f"cannot read {path}: it is a directory"
    if not table_kind(path) and path.suffix.lower() not in JSON_SUFFIXES:
        return (
            f"cannot read {path}: unknown file type {path.suffix!r} "
            "(use .json, .jsonl, .csv or .parquet)"
        )
    return None


def _predict_table(path: Path, output: Path | None, model, extract) -> int:
    from backclf.io.tables import InputError, table_kind

    out_kind = table_kind(output) if output is not None else None
    if output is not None and out_kind is None and output.suffix.lower() != ".jsonl":
        error(f"--output must be .parquet, .csv or .jsonl (got {output.name})")
        return EXIT_USAGE
    try:
        with ExitStack() as stack:
            pending = stack.enter_context(atomic_output(output)) if output is not None else None

            def open_text():
                if pending is None:
                    return sys.stdout
                return stack.enter_context(pending.path.open("w", encoding="utf-8"))

            target = pending.path if pending is not None else None
            tally = write_table_results(path, target, out_kind, model, extract, open_text)
            if pending is not None:
                pending.keep = tally.total > 0
    except InputError as exc:  # the table could not be read to its end: no output file
        error(str(exc))
        return EXIT_NOINPUT
    return tally.exit_code()
