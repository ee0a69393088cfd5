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

from backclf.io.parse import Item, decode_document, document_items, parse_json_lines

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
    number = 0
    while True:
        chunk = os.read(fd, read_size)
        if not chunk:
            break
        pieces = [chunk]
        newlines = chunk.count(b"\n")
        # Take whatever else is already waiting, without blocking (a file always is).
        while newlines < max_lines and (regular or _ready(fd)):
            more = os.read(fd, read_size)
            if not more:
                break
            pieces.append(more)
            newlines += more.count(b"\n")
        if not newlines:
            tail.extend(pieces)
            continue
        pieces = tail + pieces
        lines = (b"".join(pieces) if len(pieces) > 1 else pieces[0]).split(b"\n")
        del pieces
        last = lines.pop()
        tail = [last] if last else []
        for start in range(0, len(lines), max_lines):
            yield list(enumerate(lines[start : start + max_lines], start=number + start + 1))
        number += len(lines)
    if tail:
        last = b"".join(tail)
        if last.strip(b" \t\r"):
            yield [(number + 1, last)]


def _plain_batches(stream: BinaryIO, max_lines: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, line in enumerate(stream, start=1):
        batch.append((number, line.rstrip(b"\n")))
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
    stdin: one JSON document (an array of cases, or one case), else JSON Lines."""
    data = data.removeprefix(BOM)
    document = whole_document(data)
    if document is not None:
        return document_items(document)
    return list(parse_json_lines(enumerate(data.split(b"\n"), start=1)))
