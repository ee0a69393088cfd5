"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error answer of the server is one problem object: ``type`` (a URI naming the kind of
problem), ``title``, ``status`` and ``detail`` (the words for a person). A case that cannot be
assessed also carries the command line's error record, member for member (``id``, ``line``,
``error``: the same text ``backclf predict`` writes), and ``errors``: one entry per problem of
the case, each with the ``field`` it names, a machine-readable ``code`` and, where the contract
has one, the ``suggestion`` (``fevr`` -> ``fever``).

The entries are read from the contract's own messages (:mod:`backclf.contract.rules` writes
each message once); a message this module does not know still gets an entry, with the code
``invalid``, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    """A kind of problem: its type URI, title and HTTP status."""

    slug: str
    title: str
    status: int

    @property
    def type(self) -> str:
        return f"tag:backclf,2026:problem:{self.slug}"


INVALID_CASE = Kind("invalid-case", "The case breaks the contract", 422)
MALFORMED_JSON = Kind("malformed-json", "The body is not JSON", 400)
EMPTY_BODY = Kind("empty-body", "The body holds no case", 400)
TOO_LARGE = Kind("too-large", "The request is larger than the limit", 413)
UNSUPPORTED_MEDIA = Kind(
    "unsupported-media-type", "The body's media type or encoding is not accepted", 415
)
HOST_NOT_ALLOWED = Kind("host-not-allowed", "This server does not answer for that host", 421)
BUSY = Kind("busy", "The server is handling as many requests as it may", 503)
NOT_FOUND = Kind("not-found", "Nothing is served at this path", 404)
METHOD_NOT_ALLOWED = Kind("method-not-allowed", "The path does not take this method", 405)
TEXT_READER_STOPPED = Kind("text-reader-stopped", "The free-text reader stopped; try again", 503)
#: Every kind, for the OpenAPI document and docs/contract.md.
KINDS = (
    INVALID_CASE, MALFORMED_JSON, EMPTY_BODY, TOO_LARGE, UNSUPPORTED_MEDIA, HOST_NOT_ALLOWED,
    BUSY, NOT_FOUND, METHOD_NOT_ALLOWED, TEXT_READER_STOPPED,
)  # fmt: skip
BY_STATUS = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}


def problem(kind: Kind, detail: str, **members: Any) -> dict[str, Any]:
    """A problem object of ``kind``; ``members`` are extension members."""
    return {"type": kind.type, "title": kind.title, "status": kind.status, "detail": detail,
            **members}  # fmt: skip


def encode(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def case_problem(record: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """The problem of a case that could not be assessed: its error record (``id``, ``line``,
    ``error``) and one entry per problem of the case (``problems``: the contract's messages,
    one each; the record's ``error`` joins them)."""
    kind = MALFORMED_JSON if record["error"].startswith("malformed JSON") else INVALID_CASE
    return problem(kind, record["error"], **record, errors=[entry(p) for p in problems])


# -- the contract's messages, read back into field, code and suggestion -----------------------

_SUGGESTION = re.compile(r"; did you mean '(?P<suggestion>[^']*)'\?$")
_FIELD_PREFIX = re.compile(r"^(?P<field>[a-z_]+): ")
#: (code, pattern) in order; the first that matches a message names its code. Each pattern is
#: the start of a message written in backclf.contract.rules, backclf.io.parse or io.score.
_CODES = (
    ("unknown_finding", re.compile(r"^unknown finding '(?P<field>(?:[^'\\]|\\.)*)")),
    ("malformed_json", re.compile(r"^malformed JSON")),
    ("not_an_object", re.compile(r"^a case must be a JSON object")),
    ("findings_twice", re.compile(r"^findings go inside 'findings' or at the top level")),
    ("text_reader_missing", re.compile(r"^text: reading free text needs")),
    ("text_too_long", re.compile(r"^text: longer than")),
    ("out_of_range", re.compile(r"^[a-z_]+: must be between")),
    ("not_finite", re.compile(r"^[a-z_]+: must be a finite number")),
    ("wrong_type", re.compile(r"^[a-z_]+: must be")),
    ("not_unicode", re.compile(r"^[a-z_]+: not valid Unicode")),
)

#: Every code an entry may carry (``invalid``: a message without a code of its own).
CODES = (*(name for name, _ in _CODES), "invalid")


def entry(message: str) -> dict[str, Any]:
    """One problem of a case as ``{field, code, detail, suggestion}`` (``field`` and
    ``suggestion`` are null where the message names none; ``fields`` lists every field it
    names). Answers that contradict each other are not problems: the contract resolves them
    towards safety and reports them in the assessment's ``conflicts``."""
    code, field, others = "invalid", None, []
    for name, pattern in _CODES:
        match = pattern.match(message)
        if match:
            code = name
            groups = match.groupdict()
            field = groups.get("field")
            others = [groups["other"]] if groups.get("other") else []
            break
    if field is None and (prefix := _FIELD_PREFIX.match(message)):
        field = prefix["field"]
    suggestion = _SUGGESTION.search(message)
    return {
        "field": field,
        "fields": [field, *others] if field else [],
        "code": code,
        "detail": message,
        "suggestion": suggestion["suggestion"] if suggestion else None,
    }
