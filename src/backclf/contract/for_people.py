"""An error record's problems in plain words, for a page or an app to show a person.

The contract's messages name fields (``age: must be between 1 and 120, got 200``): right for
an app's log, jargon on a page. :func:`for_people` turns each problem of an error record into
the question the person was asked (``questions.yaml``, the words ``next_questions`` uses) and
a plain sentence about their answer, so a page can show the question again beside it.
"""

from __future__ import annotations

import re
from typing import Any

from backclf import knowledge
from backclf.contract.fields import FIELDS, FieldSpec

_FIELD_PROBLEM = re.compile(r"^(?P<field>[a-z_]+): (?P<rest>.*)$", re.S)
_UNKNOWN = re.compile(r"^unknown finding .*?(?:; did you mean '(?P<hint>[a-z_]+)'\?)?$", re.S)
GENERAL = "Your answers could not be read. Please try again."


def for_people(error: str) -> list[dict[str, Any]]:
    """Each problem of an error record's ``error``: ``{"finding", "question", "sentence"}``
    (``finding`` and ``question`` are ``None`` when the problem is not one answer's)."""
    return [_one(problem) for problem in _problems(error)]


def _problems(error: str) -> list[str]:
    """The problems of an error message ('; ' joins them; a suggestion is part of one)."""
    problems: list[str] = []
    for part in error.split("; "):
        if part.startswith("did you mean") and problems:
            problems[-1] += "; " + part
        else:
            problems.append(part)
    return problems


def _one(problem: str) -> dict[str, Any]:
    unknown = _UNKNOWN.match(problem)
    if unknown:
        hint = unknown.group("hint")
        sentence = "One of the answers sent is not something backclf asks about."
        return {"finding": hint, "question": _question(hint), "sentence": sentence}
    match = _FIELD_PROBLEM.match(problem)
    if match and match.group("field") in FIELDS:
        spec = FIELDS[match.group("field")]
        sentence = f"Please check this answer: it must be {_expected(spec)}."
        return {"finding": spec.name, "question": _question(spec.name), "sentence": sentence}
    return {"finding": None, "question": None, "sentence": GENERAL}


def _question(finding: str | None) -> str | None:
    if finding is None:
        return None
    asked = knowledge.question_bank().questions.get(finding)
    return asked.question if asked else None


def _expected(spec: FieldSpec) -> str:
    """What an answer must be, in a person's words."""
    if spec.kind == "bool":
        return "yes or no"
    if spec.kind == "enum":
        asked = knowledge.question_bank().questions.get(spec.name)
        labels = [o.label for o in asked.options] if asked and asked.options else spec.values
        return "one of: " + ", ".join(str(label) for label in labels)
    whole = "a whole number" if spec.kind == "int" else "a number"
    return f"{whole} from {spec.minimum:g} to {spec.maximum:g}"
