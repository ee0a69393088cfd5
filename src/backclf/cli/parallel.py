"""Large JSON Lines inputs scored by forked workers that write their chunks to the output
themselves, in input order.

Each worker assesses a chunk, waits until every chunk before it has been written (a shared
turn counter), writes its bytes to the output's file descriptor and passes the turn on; only
counts come back to the parent. So the parent never copies the output through pipes, and the
output is byte-identical to the one-process path.

At most ``IN_FLIGHT_PER_WORKER`` chunks per worker are read ahead, so memory follows the
chunk size, not the input's. Workers ignore SIGINT: the parent stops them, and never while
one is writing, so the output always ends after a whole chunk (whole lines).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from backclf.cli import interrupts

MAX_WORKERS = 4
IN_FLIGHT_PER_WORKER = 3
#: ``turn`` once the parent has stopped the work: no chunk's turn comes any more.
STOPPED = -1

#: A chunk's output and its counts: (its lines, cases, failed, first error).
Scored = tuple[list[bytes], int, int, "str | None"]
#: The most buffers one ``writev`` takes (IOV_MAX: 1,024 on Linux and macOS).
_IOV_MAX = 1024


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
    the caller stops (for example when the reader of the output went away, or on Ctrl-C),
    after any chunk being written is complete."""
    global _SHARED
    context = multiprocessing.get_context("fork")
    _SHARED = _Shared(work, fd, context.RawValue("q", 0), context.Condition())
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    ahead = _Throttle(chunks, workers * IN_FLIGHT_PER_WORKER)
    with interrupts.ignored():  # the workers, forked here, inherit it
        pool = context.Pool(workers, initializer=_start_worker)
    try:
        for _, count, bad, first_bad in pool.imap(_score_and_write, ahead):
            ahead.done()
            yield count, bad, first_bad
    except BaseException:
        _stop(pool, ahead)  # do not finish the output, but never cut a chunk
        raise
    finally:
        _SHARED = None
    pool.close()
    pool.join()


class _Throttle:
    """Numbered chunks, read ahead of the ones written by at most ``limit`` (the pool's task
    thread would otherwise read the whole input into its queue)."""

    def __init__(self, chunks: Iterable[Any], limit: int):
        self._chunks = chunks
        self._slots = threading.Semaphore(limit)
        self._stopped = False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        for task in enumerate(self._chunks):
            self._slots.acquire()
            if self._stopped:
                return
            yield task

    def done(self) -> None:
        self._slots.release()

    def stop(self) -> None:
        self._stopped = True
        self._slots.release()  # wake the task thread if it waits, so the pool can end


def _stop(pool, ahead: _Throttle) -> None:
    """End the work: wait for a chunk being written to be complete, let no other start,
    then end the workers."""
    shared = _SHARED
    ahead.stop()
    with shared.turn_changed:  # held by a worker while it writes
        shared.turn.value = STOPPED
        pool.terminate()


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_memory()


#: glibc's ``mallopt`` parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _keep_freed_memory() -> None:
    """Keep the memory a chunk freed for the next one (glibc only; elsewhere nothing).

    A chunk of 2,048 records allocates ~30 MB and frees it: by default glibc gives the top of
    the heap back to the system and serves blocks over 128 KiB (the chunk as received) by
    ``mmap``, so every chunk faulted its pages in again, about 2.4 page faults a case (~15 us
    of system time a case in a virtual machine). Held instead, a worker's memory stays at its
    largest chunk's size (tens of MB)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (or no C library to ask)
        return
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)


def _score_and_write(task: tuple[int, Any]) -> Scored:
    """In a worker: score chunk ``index``, wait for its turn, write it, pass the turn on."""
    index, chunk = task
    shared = _SHARED
    data, count, bad, first_bad = shared.work(chunk)
    with shared.turn_changed:
        shared.turn_changed.wait_for(lambda: shared.turn.value in (index, STOPPED))
        if shared.turn.value == STOPPED:
            return [], 0, 0, None
        try:
            write_all(shared.fd, data)
        finally:
            shared.turn.value = index + 1
            shared.turn_changed.notify_all()
    return [], count, bad, first_bad


def write_all(fd: int, pieces: list[bytes]) -> None:
    """Every piece to ``fd``, in order, in vectored writes (a write may take only part)."""
    pending = list(pieces)
    start = 0
    while start < len(pending):
        written = os.writev(fd, pending[start : start + _IOV_MAX])
        while start < len(pending) and written >= len(pending[start]):
            written -= len(pending[start])
            start += 1
        if written:  # the first piece not written whole: its rest comes next
            pending[start] = memoryview(pending[start])[written:]
