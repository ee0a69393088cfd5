"""Large JSON Lines inputs scored by forked workers that write their chunks to the output
themselves, in input order.

Each worker assesses a chunk, waits until every chunk before it has been written (a shared
turn counter), writes its bytes to the output's file descriptor and passes the turn on; only
counts come back to the parent. So the parent never copies the output through pipes, and the
output is byte-identical to the one-process path.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_WORKERS = 4

#: A chunk's output and its counts: (bytes, cases, failed, first error).
Scored = tuple[bytes, int, int, "str | None"]


@dataclass
class _Shared:
    """What forked workers inherit: the work, the output's descriptor, and whose turn it is."""

    work: Callable[[Any], Scored]
    fd: int
    turn: Any  # multiprocessing.RawValue: the index of the chunk to be written next
    turn_changed: Any  # multiprocessing.Condition guarding ``turn``


_SHARED: _Shared | None = None  # set in the parent just before forking; read by workers only


def can_fork() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def write_in_order(
    chunks: Iterable[Any], work: Callable[[Any], Scored], fd: int
) -> Iterator[tuple[int, int, str | None]]:
    """Score ``chunks`` with ``work`` in forked workers that write to ``fd`` in order;
    yields each chunk's (cases, failed, first error) as it is written. Stops the workers if
    the caller stops (for example when the reader of the output went away)."""
    global _SHARED
    context = multiprocessing.get_context("fork")
    _SHARED = _Shared(work, fd, context.RawValue("q", 0), context.Condition())
    pool = context.Pool(min(os.cpu_count() or 1, MAX_WORKERS))
    try:
        for _, count, bad, first_bad in pool.imap(_score_and_write, enumerate(chunks)):
            yield count, bad, first_bad
    except BaseException:
        pool.terminate()  # do not finish the file
        raise
    finally:
        _SHARED = None
    pool.close()
    pool.join()


def _score_and_write(task: tuple[int, Any]) -> Scored:
    """In a worker: score chunk ``index``, wait for its turn, write it, pass the turn on."""
    index, chunk = task
    shared = _SHARED
    data, count, bad, first_bad = shared.work(chunk)
    with shared.turn_changed:
        shared.turn_changed.wait_for(lambda: shared.turn.value == index)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(shared.fd, view) :]
        finally:
            shared.turn.value = index + 1
            shared.turn_changed.notify_all()
    return b"", count, bad, first_bad
