"""Single cases that arrive together are assessed together, on the event loop.

``POST /assess`` carries one case, and a call of the decision path costs about the same for
one case as for dozens (it is vectorised over cases). So a case that arrives is queued, and
the decision is made once the event loop has taken in what else has arrived: every case
queued by then is decided in one call (up to ``max_cases``; more wait for the next). A case's
record does not depend on the others decided with it (the decision is made row by row), so
each request gets exactly the record it would get alone; under load there are fewer, larger
calls, and with one client at a time nothing waits.

The call runs on the event loop itself, not in a worker thread: the decision holds the
interpreter's lock for most of its time, so a thread would run no faster, and handing each
call to a thread and back cost 0.1-0.4 ms (more on a busy machine) against the framework's
floor of ~0.15 ms a request. At most ``max_cases`` cases are decided at once (256: ~20 ms on
this machine), which bounds how long the loop is held. Long work stays off the loop: free text
is read in other processes (:mod:`backclf.serve.reading`), and batches are decided in threads.

Cases come checked (:func:`backclf.io.score.read_item`) and with their text already read: a
call here only decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from backclf.io.score import Case
from backclf.serve.reading import Readings

Assess = Callable[[list[Case], Readings], list[dict[str, Any]]]


class Coalescer:
    """Queues single cases and decides what has queued in one call."""

    def __init__(self, assess: Assess, max_cases: int = 256) -> None:
        self._assess = assess
        self._max_cases = max_cases
        self._pending: list[tuple[Case, Readings, asyncio.Future]] = []
        self._scheduled = False

    async def assess(self, case: Case, readings: Readings) -> dict[str, Any]:
        """The record of one case (``readings``: its text as read, if it has one)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((case, readings, future))
        if not self._scheduled:
            # After the callbacks already due: requests read in this turn of the loop join.
            self._scheduled = True
            loop.call_soon(self._decide)
        return await future

    def _decide(self) -> None:
        batch = self._pending[: self._max_cases]
        del self._pending[: self._max_cases]
        if self._pending:  # the rest, on the loop's next turn (other work may run between)
            asyncio.get_running_loop().call_soon(self._decide)
        else:
            self._scheduled = False
        readings: Readings = {}
        for _, read, _ in batch:
            readings.update(read)
        try:
            records = self._assess([case for case, _, _ in batch], readings)
        except Exception as exc:  # a bug, not a bad case: each request fails with it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), record in zip(batch, records, strict=True):
            if not future.done():  # its client may have gone
                future.set_result(record)
