"""Single cases that arrive together are assessed together.

``POST /assess`` carries one case, and a call of the decision path costs about the same for
one case as for dozens (it is vectorised over cases). So while one call runs, the cases that
arrive wait in a queue, and the next call takes all of them (up to ``max_cases``). A case's
record does not depend on the others assessed with it (the decision is made row by row), so
each request gets exactly the record it would get alone; under load there are fewer, larger
calls, and with one client at a time nothing waits.

Cases come checked (:func:`backclf.io.score.read_item`) and with their text already read
(:mod:`backclf.serve.reading`, in another process): a call here only decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from backclf.io.score import Case
from backclf.serve.reading import Readings

Assess = Callable[[list[Case], Readings], list[dict[str, Any]]]


class Coalescer:
    """Queues single cases and assesses what has queued in one call, in a worker thread."""

    def __init__(self, assess: Assess, max_cases: int = 256) -> None:
        self._assess = assess
        self._max_cases = max_cases
        self._pending: list[tuple[Case, Readings, asyncio.Future]] = []
        self._drainer: asyncio.Task | None = None

    async def assess(self, case: Case, readings: Readings) -> dict[str, Any]:
        """The record of one case (``readings``: its text as read, if it has one)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((case, readings, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        # Runs on the event loop, so the check below and the task's end are one step: a case
        # queued later always finds the task done and starts another.
        while self._pending:
            batch = self._pending[: self._max_cases]
            del self._pending[: self._max_cases]
            readings: Readings = {}
            for _, read, _ in batch:
                readings.update(read)
            try:
                records = await run_in_threadpool(
                    self._assess, [case for case, _, _ in batch], readings
                )
            except Exception as exc:  # a bug, not a bad case: each request fails with it
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), record in zip(batch, records, strict=True):
                if not future.done():  # its client may have gone
                    future.set_result(record)
