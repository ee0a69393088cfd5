"""Reading JSON input: a whole document, or JSON Lines streamed in batches.

Batches hold every complete line that is already available and never wait for more, so an
app that writes one line and waits for its answer gets it at once, while a large file is
read in big, fast batches.
"""

from __future__ import annotations

import io
import json
import os
import select
from collections.abc import Iterator
from typing import BinaryIO

READ_SIZE = 1 << 16
MAX_BATCH = 4096


def line_batches(stream: BinaryIO) -> Iterator[list[tuple[int, bytes]]]:
    """Numbered lines (from 1), in batches of what is available now."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield from _plain_batches(stream)  # an in-memory stream (tests, embedding)
        return
    pending = b""
    number = 0
    while True:
        chunk = os.read(fd, READ_SIZE)
        if not chunk:
            break
        pending += chunk
        # Take whatever else is already waiting, without blocking.
        while pending.count(b"\n") < MAX_BATCH and _ready(fd):
            more = os.read(fd, READ_SIZE)
            if not more:
                break
            pending += more
        *complete, pending = pending.split(b"\n")
        batch = []
        for line in complete:
            number += 1
            batch.append((number, line))
        for start in range(0, len(batch), MAX_BATCH):
            yield batch[start : start + MAX_BATCH]
    if pending.strip():
        yield [(number + 1, pending)]


def _plain_batches(stream: BinaryIO) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, line in enumerate(stream, start=1):
        batch.append((number, line.rstrip(b"\n")))
        if len(batch) == MAX_BATCH:
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
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(text)  # the value ran out at the end of the line
    except RecursionError:
        return False
    return False


def whole_document(data: bytes) -> list | None:
    """The cases of a single JSON document (an object, or an array of objects), if it is one.

    Returns ``None`` for JSON Lines (more than one document).
    """
    text = data.decode("utf-8", errors="replace").strip()
    if not text or text[0] not in "[{":
        return None
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(parsed, list):
        return parsed
    return [parsed]
