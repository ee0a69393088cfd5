"""``POST /assess`` and ``POST /assess/batch``, as plain ASGI handlers.

These two are the server's work, so they skip what a framework endpoint costs per request
(request and response objects, dependency resolution): each reads its body from ASGI messages
and writes its answer as two. FastAPI still routes to them and documents them (see
:mod:`backclf.serve.app`). The body is checked once, by the contract's rules
(:func:`backclf.io.score.read_item`); free text is read in another process
(:mod:`backclf.serve.reading`); the case is decided by the one decision path. Answers are the
command line's records, byte for byte; errors are problem details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from backclf.core.model import ReadableModel
from backclf.io.encode import to_json_bytes
from backclf.io.parse import Item
from backclf.io.score import Case, assess_cases, error_record, read_item
from backclf.serve import problems
from backclf.serve.bodies import (
    BATCH_TYPES,
    JSON,
    SINGLE_TYPES,
    batch_items,
    case_item,
    foreign_encoding,
    is_json_lines,
    problems_of,
    refused_media,
)  # fmt: skip
from backclf.serve.coalesce import Coalescer
from backclf.serve.policy import send_problem
from backclf.serve.reading import ReaderStopped, Readings, TextReader, lookup
from backclf.serve.settings import Settings

JSON_LINES = "application/x-ndjson"
EMPTY = "empty input: no cases to assess"


class TooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


@dataclass
class Service:
    """What the handlers share: the settings, the model, the text reader, the coalescer."""

    settings: Settings
    model: ReadableModel
    reader: TextReader
    singles: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        self.singles = Coalescer(self.decide, self.settings.coalesce)

    def decide(
        self, cases: list[Case], readings: Readings, encoded: bool = False
    ) -> list[dict[str, Any]]:
        """Records of checked cases whose texts are read: the one decision path (``encoded``:
        the parts records share as JSON bytes, for :func:`backclf.io.encode.to_json_bytes`)."""
        return assess_cases(cases, self.model, lookup(readings), encoded=encoded)

    async def read_texts(self, cases: list[Case]) -> Readings:
        return await self.reader.read(c.text for c in cases if c.error is None and c.text)


class AssessOne:
    """``POST /assess``: one case, its record (200) or its problem (400, 413, 415, 422)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = await _body(scope, receive, send, SINGLE_TYPES, self.service.settings)
        if body is None:
            return
        item = case_item(body)
        if item is None:
            await send_problem(send, problems.problem(problems.EMPTY_BODY, EMPTY))
            return
        case = read_item(item)
        record = None if case.error is None else error_record(case.id, case.line, case.error)
        if record is None:
            try:
                readings = await self.service.read_texts([case])
            except ReaderStopped:
                await _reader_stopped(send)
                return
            record = await self.service.singles.assess(case, readings)
        if "error" in record:
            body = problems.case_problem(record, problems_of(item, record["error"]))
            await send_problem(send, body)
            return
        await _answer(send, to_json_bytes(record), JSON)


class AssessBatch:
    """``POST /assess/batch``: a JSON array or JSON Lines; one record per case, in order."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        settings = self.service.settings
        body = await _body(scope, receive, send, BATCH_TYPES, settings)
        if body is None:
            return
        lines = is_json_lines(_header(scope, b"content-type"))
        items, as_lines = await run_in_threadpool(batch_items, body, lines)
        if not items:
            await send_problem(send, problems.problem(problems.EMPTY_BODY, EMPTY))
            return
        if len(items) > settings.max_batch:
            detail = (
                f"{len(items):,} cases in one batch; at most {settings.max_batch:,} per request"
            )
            await send_problem(send, problems.problem(problems.TOO_LARGE, detail))
            return
        cases = await run_in_threadpool(_read_items, items)
        try:
            readings = await self.service.read_texts(cases)
        except ReaderStopped:
            await _reader_stopped(send)
            return
        answer = await run_in_threadpool(self._encoded, cases, readings, as_lines)
        await _answer(send, answer, JSON_LINES if as_lines else JSON)

    def _encoded(self, cases: list[Case], readings: Readings, as_lines: bool) -> bytes:
        records = [to_json_bytes(r) for r in self.service.decide(cases, readings, encoded=True)]
        return (
            b"".join(r + b"\n" for r in records) if as_lines else b"[" + b",".join(records) + b"]"
        )


def _read_items(items: list[Item]) -> list[Case]:
    return [read_item(item) for item in items]


async def _body(scope: dict[str, Any], receive: Any, send: Any, accepted: tuple[str, ...],
                settings: Settings) -> bytes | None:  # fmt: skip
    """The request's body, or ``None`` once a problem has been answered (or the client left)."""
    content_type = _header(scope, b"content-type")
    encoding = _header(scope, b"content-encoding")
    refusal = refused_media(content_type, encoding, accepted)
    if refusal is not None:
        await send_problem(send, problems.problem(problems.UNSUPPORTED_MEDIA, refusal),
                           [(b"accept-encoding", b"identity")] if encoding else None)  # fmt: skip
        return None
    try:
        body = await _read_body(scope, receive, settings.max_body_bytes)
    except TooLarge as exc:
        await send_problem(send, problems.problem(problems.TOO_LARGE, str(exc)))
        return None
    except Disconnected:
        return None
    foreign = foreign_encoding(body)
    if foreign is not None:
        await send_problem(send, problems.problem(problems.UNSUPPORTED_MEDIA, foreign))
        return None
    return body


async def _read_body(scope: dict[str, Any], receive: Any, limit: int) -> bytes:
    """The body, refused as soon as it is known to be over ``limit`` bytes."""
    declared = _header(scope, b"content-length") or ""
    too_large = f"request body over {limit:,} bytes"
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(too_large)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(too_large)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(send: Any, content: bytes, media: str) -> None:
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", media.encode()),
                    (b"content-length", str(len(content)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": content})


async def _reader_stopped(send: Any) -> None:
    detail = "the process reading free text stopped and was restarted; send the case again"
    await send_problem(send, problems.problem(problems.TEXT_READER_STOPPED, detail),
                       [(b"retry-after", b"1")])  # fmt: skip
