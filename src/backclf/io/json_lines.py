"""Reading JSON input: a whole document, or JSON Lines streamed in batches.

Batches hold every complete line that is already available and never wait for more, so an
app that writes one line and waits for its answer gets it at once, while a large file is
read in big, fast batches. Bytes are kept in the pieces they were read in until a line is
complete, so a long line costs time and memory in proportion to its length (a 200 MB line
is read once, not copied at every read).
"""

from __future__ import annotations

import io
import json
import os
import select
import stat
from collections.abc import Iterator
from typing import BinaryIO

from backclf.io.encodings import UnreadableInput, encoding_problem
from backclf.io.parse import Item, decode_document, parse_json_lines

#: A UTF-8 byte order mark: not part of the first case.
BOM = b"\xef\xbb\xbf"

#: Bytes asked for per read: a pipe holds 64 KiB; a regular file is read in larger pieces.
READ_SIZE = 1 << 16
FILE_READ_SIZE = 1 << 20
MAX_BATCH = 4096


def line_batches(stream: BinaryIO, max_lines: int = MAX_BATCH) -> Iterator[list[tuple[int, bytes]]]:
    """Numbered lines (from 1), in batches of at most ``max_lines`` of what is available now."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield from _plain_batches(stream, max_lines)  # an in-memory stream (tests, embedding)
        return
    regular = stat.S_ISREG(os.fstat(fd).st_mode)
    read_size = FILE_READ_SIZE if regular else READ_SIZE
    tail: list[bytes] = []  # the line not yet complete, in the pieces it was read in
    waiting: list[bytes] = []  # complete lines of a file kept for the next full batch
    number = 0
    after_cr = False  # the last line ended with CR: a LF right after it is part of its end
    while True:
        chunk = os.read(fd, read_size)
        if not chunk:
            break
        pieces = [chunk]
        newlines = _line_ends(chunk)
        # Take whatever else is already waiting, without blocking (a file always is).
        while newlines < max_lines and (regular or _ready(fd)):
            more = os.read(fd, read_size)
            if not more:
                break
            pieces.append(more)
            newlines += _line_ends(more)
        if after_cr and not tail and pieces[0].startswith(b"\n"):
            pieces[0] = pieces[0][1:]
        if not newlines:
            tail.extend(pieces)
            continue
        pieces = tail + pieces
        data = b"".join(pieces) if len(pieces) > 1 else pieces[0]
        del pieces
        after_cr = data.endswith(b"\r")
        lines = split_lines(data)
        last = lines.pop()
        tail = [last] if last else []
        if regular:
            # A file is all available: batches of exactly ``max_lines``, the rest carried into
            # the next read, so batches scored side by side (forked workers) are of one size
            # (a 1 MiB read holds ~2,500 cases: 2,048 and ~450 kept one worker waiting).
            lines = waiting + lines
            whole = len(lines) - len(lines) % max_lines
            waiting = lines[whole:]
            lines = lines[:whole]
        for start in range(0, len(lines), max_lines):
            yield list(enumerate(lines[start : start + max_lines], start=number + start + 1))
        number += len(lines)
    if waiting:
        yield list(enumerate(waiting, start=number + 1))
        number += len(waiting)
    if tail:
        last = b"".join(tail)
        if last.strip(b" \t\r"):
            yield [(number + 1, last)]


def _line_ends(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r")


def split_lines(data: bytes) -> list[bytes]:
    """Bytes split at every line end: LF, CR LF, or a CR alone (old Mac files, some
    terminals). The last element is what follows the last line end (empty if none)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.split(b"\n")


def _plain_batches(stream: BinaryIO, max_lines: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    ends = (line.removesuffix(b"\n").removesuffix(b"\r") for line in stream)
    lines = (piece for line in ends for piece in split_lines(line))
    for number, line in enumerate(lines, start=1):
        batch.append((number, line))
        if len(batch) == max_lines:
            yield batch
            batch = []
    if batch:
        yield batch


def _ready(fd: int) -> bool:
    try:
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(readable)


def starts_a_document(line: bytes) -> bool:
    """Whether a first line opens a JSON value that goes on past it (a pretty-printed
    document), rather than being a whole JSON Lines record, good or bad."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text or text[0] not in "[{":
        return False
    try:
        decode_document(text)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(text)  # the value ran out at the end of the line
    except RecursionError:
        return False
    return False


def whole_document(data: bytes) -> list | None:
    """The cases of a single JSON document (an object, or an array of objects), if it is one.

    Returns ``None`` for JSON Lines (more than one document). A repeated key or a number too
    long to read is marked where it is, for its case's error record
    (:func:`backclf.io.parse.flaw_of`).
    """
    text = data.decode("utf-8", errors="replace").strip()
    if not text or text[0] not in "[{":
        return None
    try:
        parsed = decode_document(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(parsed, list):
        return parsed
    return [parsed]


def json_text_items(data: bytes) -> list[Item]:
    """The cases of JSON text held whole (not streamed), read as ``backclf predict`` reads
    stdin: one JSON document (an array of cases, or one case), else JSON Lines. Raises
    :class:`~backclf.io.encodings.UnreadableInput` for text that is not UTF-8 (UTF-16, gzip)."""
    from backclf.io.documents import DocumentReader

    problem = encoding_problem(data)
    if problem:
        raise UnreadableInput(problem)
    lines = list(enumerate(split_lines(data.removeprefix(BOM)), start=1))
    if lines and not lines[-1][1]:
        lines.pop()
    opening = next((line for _, line in lines if line.strip()), b"")
    if not starts_a_document(opening) and not _one_document(data):
        return list(parse_json_lines(lines))
    reader = DocumentReader()
    return reader.feed(lines) + reader.finish()


def _one_document(data: bytes) -> bool:
    """Whether the text is a single JSON value whose first line is all of it (one line)."""
    return data.strip().count(b"\n") == 0 and data.lstrip(BOM + b" \t\r\n")[:1] == b"["
