"""Where `backclf predict` reads cases from: flags, a JSON or JSON Lines file, or stdin.

Every source gives chunks of raw lines or decoded items, in order. JSON Lines is the form
unless the input is one JSON document: a ``.json`` file, or input whose first line opens a
value that goes on (a pretty-printed array). One line of JSON Lines is always one case, so a
bad line is one error record and never makes the rest be read another way. Both are
streamed: JSON Lines line by line (memory follows the longest line, not the file), a
document case by case. A UTF-8 byte order mark at the start is not part of the first case;
input in another encoding (UTF-16, gzip) is refused at once, saying which.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from backclf.io.documents import DocumentReader
from backclf.io.encodings import UnreadableInput, encoding_problem
from backclf.io.json_lines import line_batches, starts_a_document
from backclf.io.parse import Item, parse_json_lines

LINES_PER_CHUNK = 2048
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Chunk:
    """Some cases in input order: raw JSON Lines (decoded where they are assessed, perhaps in
    a worker process) or items already decoded."""

    lines: list[tuple[int, bytes]] | None = None
    items: list[Item] | None = None

    def decoded(self) -> list[Item]:
        return self.items if self.items is not None else list(parse_json_lines(self.lines))

    def __len__(self) -> int:
        return len(self.lines if self.lines is not None else self.items)


def single_case(flags: dict[str, Any], text: str | None) -> Iterator[Chunk]:
    """The one case given as finding flags and ``--text``."""
    record = dict(flags)
    if text is not None:
        record["text"] = text
    yield Chunk(items=[Item(1, record)])


def file_chunks(path: Path) -> Iterator[Chunk]:
    """A JSON document (``.json``, or a pretty-printed one) or JSON Lines, from a file
    (opened here, so a file that cannot be read raises :class:`OSError` at once)."""
    stream = path.open("rb")
    return _closing(stream, json_chunks(stream, document=path.suffix.lower() == ".json"))


def stdin_chunks() -> Iterator[Chunk]:
    """JSON Lines from stdin in chunks of what is already available (so an app streaming one
    case at a time gets each answer at once), or one pretty-printed JSON document."""
    return json_chunks(sys.stdin.buffer, document=False)


def json_chunks(stream: BinaryIO, document: bool) -> Iterator[Chunk]:
    """Chunks of JSON Lines as they become available, or the cases of one JSON document as
    each is complete (``document``: expected, unless the input turns out to be JSON Lines:
    then every line is answered as soon as that is known, see
    :class:`backclf.io.documents.DocumentReader`)."""
    batches = line_batches(stream, LINES_PER_CHUNK)
    first = next(batches, None)
    if first is None:
        return
    problem = encoding_problem(first[0][1])
    if problem:
        raise UnreadableInput(problem)
    first[0] = (first[0][0], first[0][1].removeprefix(BOM))
    opening = next((line for _, line in first if line.strip()), b"")
    if document or starts_a_document(opening):
        reader = DocumentReader()
        for batch in chain([first], batches):
            items = reader.feed(batch)
            if items:
                yield Chunk(items=items)
        items = reader.finish()
        if items:
            yield Chunk(items=items)
        return
    yield Chunk(lines=first)
    for batch in batches:
        yield Chunk(lines=batch)


def _closing(stream: BinaryIO, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    with stream:
        yield from chunks
