"""Ctrl-C (SIGINT) that never cuts a line of output in two.

While :func:`run_predict <backclf.cli.predict.run_predict>` runs, SIGINT stops the command at
once, except while output is being written (:func:`writing`): then the write is finished
first and the command stops right after it. The command then exits with 130 (128 + SIGINT),
an output file is not created (see :func:`backclf.io.files.atomic_output`), and stdout ends
after a whole line. A second SIGINT during the same write (output blocked by a reader that
stopped reading) stops at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130


class _State:
    writing = 0
    pending = False


_state = _State()


def _on_sigint(signum, frame) -> None:
    if _state.writing and not _state.pending:
        _state.pending = True  # finish the line in progress, then stop
        return
    _state.pending = False
    raise KeyboardInterrupt


@contextmanager
def handled() -> Iterator[None]:
    """SIGINT handled as above for the duration (in the main thread; elsewhere, as it was)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _state.writing, _state.pending = 0, False


@contextmanager
def writing() -> Iterator[None]:
    """A write that SIGINT must not cut: a SIGINT during it takes effect after it."""
    _state.writing += 1
    try:
        yield
    finally:
        _state.writing -= 1
        if not _state.writing and _state.pending:
            _state.pending = False
            raise KeyboardInterrupt


@contextmanager
def ignored() -> Iterator[None]:
    """SIGINT ignored for the duration: for forked workers, which the parent stops."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
