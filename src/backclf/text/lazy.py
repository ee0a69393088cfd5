"""The free-text reader, loaded the first time a text needs it.

Every way in that accepts free text (the CLI, the MLflow model) holds one of these, so a
structured case never loads spaCy, and a text without the ``text`` extra installed becomes an
error record that says how to get it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extraction = tuple[dict[str, Any], list[dict[str, Any]], list[str]]


class LazyExtractor:
    """Loads the free-text reader (spaCy) the first time a text needs it."""

    def __init__(self) -> None:
        self._extract: Callable[[str], Extraction] | None = None

    def __call__(self, text: str) -> Extraction:
        if self._extract is None:
            from backclf.contract.rules import CaseError

            try:
                from backclf.text.extract import extract_findings, pipeline

                pipeline()  # spaCy and negspacy load here
            except ImportError:
                raise CaseError(
                    ["text: reading free text needs the text extra: pip install 'backclf[text]'"]
                ) from None
            self._extract = extract_findings
        return self._extract(text)
