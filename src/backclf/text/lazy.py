"""The free-text reader, loaded the first time a text needs it (or when asked, at start-up).

Every way in that accepts free text (the CLI, the MLflow model, the HTTP server) holds one of
these, so a structured case never loads spaCy, and a text without the ``text`` extra
installed becomes an error record that says how to get it, in the same words everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from typing import Any

from backclf.contract.rules import CaseError

Extraction = tuple[dict[str, Any], list[dict[str, Any]], list[str]]
NOT_INSTALLED = "text: reading free text needs the text extra: pip install 'backclf[text]'"


class LazyExtractor:
    """Loads the free-text reader (spaCy) the first time a text needs it, or on :meth:`load`.

    Calls are serialised: a spaCy pipeline is not documented as safe to share between threads
    (the server assesses in a thread pool)."""

    def __init__(self) -> None:
        self._extract: Callable[[str], Extraction] | None = None
        self._lock = Lock()

    def load(self) -> None:
        """Load spaCy and the lexicon now; raise :class:`CaseError` if the extra is missing."""
        if self._extract is None:
            try:
                from backclf.text.extract import extract_findings, pipeline

                pipeline()  # spaCy and negspacy load here
            except ImportError:
                raise CaseError([NOT_INSTALLED]) from None
            self._extract = extract_findings

    @property
    def available(self) -> bool:
        """Whether free text can be read (loading the reader if it can)."""
        try:
            self.load()
        except CaseError:
            return False
        return True

    def __call__(self, text: str) -> Extraction:
        with self._lock:
            self.load()
            return self._extract(text)
