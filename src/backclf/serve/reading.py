"""Free text is read in processes of its own, off the decision path.

Reading a text (spaCy, the lexicon, ConText) takes far longer than deciding a case, and a
thread would share the interpreter's lock with the event loop and the decision. So the server
reads texts in ``processes`` worker processes (started with ``spawn``, each loading the reader
once) and decides in its own: a structured case is answered while a long text is still being
read, and a text's case is decided, with the findings read from it, once its reading is back.

The readings are exactly what :class:`backclf.text.lazy.LazyExtractor` gives in the command
line; :func:`lookup` hands them to :func:`backclf.io.score.assess_cases` as its extractor, so
explicit findings still win and every rule is applied in the one decision path.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from backclf.contract.rules import CaseError
from backclf.io.score import MAX_TEXT_CHARS
from backclf.text.lazy import NOT_INSTALLED, LazyExtractor

#: What the reader gives for one text (findings, the words behind them, notes, the red-flag
#: screens left open), or why it could not read it.
Reading = tuple[dict[str, Any], list[dict[str, Any]], list[str], list[str]]
Readings = dict[str, Reading | CaseError]


class ReaderStopped(Exception):
    """A reading process died (it is restarted; the texts it held were not read)."""


class TextReader:
    """Worker processes that read free text; :meth:`start` before use, :meth:`close` after."""

    def __init__(self, processes: int = 1) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self.available = False

    def start(self) -> bool:
        """Start the processes and load the reader in each; whether text can be read (the
        ``text`` extra is installed)."""
        self._pool = ProcessPoolExecutor(
            self._processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_load_reader,
        )  # fmt: skip
        self.available = self._probe()
        if not self.available:
            self.close()
        return self.available

    def _probe(self) -> bool:
        try:
            return self._pool.submit(_reader_available).result()
        except BrokenProcessPool:
            self.close()
            raise ReaderStopped(
                "the process that reads free text stopped while starting (is the program's "
                "main module importable? processes are started with spawn)"
            ) from None

    def close(self) -> None:
        """Stop the processes once the texts they are reading are read (texts still queued
        are dropped). Waiting avoids a race in CPython 3.11's executor at interpreter exit
        (its wake-up pipe closed under it: "Bad file descriptor")."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def read(self, texts: Iterable[str]) -> Readings:
        """The readings of ``texts`` (each distinct text read once; a text over the length
        limit is left out, as the decision path refuses it before reading)."""
        wanted = list(dict.fromkeys(t for t in texts if len(t) <= MAX_TEXT_CHARS))
        if not wanted:
            return {}
        if not self.available:
            return dict.fromkeys(wanted, CaseError([NOT_INSTALLED]))
        loop = asyncio.get_running_loop()
        shares = [wanted[i :: self._processes] for i in range(self._processes)]
        try:
            answers = await asyncio.gather(
                *(loop.run_in_executor(self._pool, _read_texts, share) for share in shares if share)
            )
        except BrokenProcessPool:
            self.close()
            self.start()
            raise ReaderStopped from None
        readings: Readings = {}
        for share, answer in zip(shares, answers, strict=False):
            for text, (ok, value) in zip(share, answer, strict=True):
                readings[text] = value if ok else CaseError(value)
        return readings


def lookup(readings: Readings) -> Callable[[str], Reading]:
    """An extractor for :func:`backclf.io.score.assess_cases` that answers from readings."""

    def extract(text: str) -> Reading:
        found = readings[text]
        if isinstance(found, CaseError):
            raise found
        return found

    return extract


# -- in a reading process ---------------------------------------------------------------------

_extractor: LazyExtractor | None = None


def _load_reader() -> None:
    global _extractor
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    _extractor = LazyExtractor()
    _ = _extractor.available


def _reader_available() -> bool:
    return _extractor is not None and _extractor.available


def _read_texts(texts: list[str]) -> list[tuple[bool, Any]]:
    out: list[tuple[bool, Any]] = []
    for text in texts:
        try:
            out.append((True, _extractor(text)))
        except CaseError as exc:  # sent as its problems: a CaseError does not pickle whole
            out.append((False, exc.problems))
    return out
