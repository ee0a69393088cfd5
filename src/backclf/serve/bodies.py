"""Request bodies: which media types and encodings are accepted, and bodies to items read the
way ``backclf predict`` reads the same bytes.

``POST /assess`` takes one case (one JSON value, as one line of JSON Lines is read), as
``application/json``; ``POST /assess/batch`` takes a JSON array of cases (``application/json``)
or JSON Lines (``application/x-ndjson`` or ``application/jsonl``). Bodies are UTF-8 and sent
as they are: another media type, a ``charset`` other than UTF-8, a ``Content-Encoding`` (gzip,
deflate, ...) or a body in another encoding (UTF-16 or UTF-32, gzip bytes) is refused with 415
and the reason, never guessed at. A form or ``text/plain`` post (what a web page on another
site can send without asking) is therefore never read as a case.
"""

from __future__ import annotations

from backclf.contract.rules import CaseError, check_record
from backclf.io.json_lines import whole_document
from backclf.io.parse import Item, document_items, parse_json_lines, split_record

BOM = b"\xef\xbb\xbf"
JSON = "application/json"
#: Media types that say the body is JSON Lines (one case per line).
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl")
#: The media types each path reads.
SINGLE_TYPES = (JSON,)
BATCH_TYPES = (JSON, *JSON_LINES_TYPES)
#: Byte patterns of bodies in an encoding other than UTF-8, longest first.
_FOREIGN = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
)


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, without its parameters, in lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def is_json_lines(content_type: str | None) -> bool:
    return media_type(content_type) in JSON_LINES_TYPES


def refused_media(content_type: str | None, content_encoding: str | None,
                  accepted: tuple[str, ...]) -> str | None:  # fmt: skip
    """Why the headers say the body cannot be read (a 415), or ``None``."""
    if content_encoding and content_encoding.strip().lower() != "identity":
        return (
            f"Content-Encoding {content_encoding.strip()[:40]!r} is not accepted: send the body "
            "uncompressed, as UTF-8"
        )
    given = media_type(content_type)
    if given not in accepted:
        shown = f"Content-Type {given!r}" if given else "no Content-Type"
        return f"{shown}: this path reads {' or '.join(accepted)}"
    charset = _charset(content_type or "")
    if charset not in (None, "utf-8", "utf8"):
        return f"charset {charset[:40]!r} is not accepted: bodies are UTF-8"
    return None


def foreign_encoding(body: bytes) -> str | None:
    """Why the body's first bytes say it is not UTF-8 JSON (a 415), or ``None``."""
    for magic, name in _FOREIGN:
        if body.startswith(magic):
            return f"the body is {name}, not UTF-8: send it as UTF-8 text, uncompressed"
    if len(body) >= 2 and (body[0] == 0) != (body[1] == 0):  # UTF-16 without a BOM
        return "the body looks like UTF-16, not UTF-8: send it as UTF-8"
    return None


def case_item(body: bytes) -> Item | None:
    """The one case of a body (``None`` if the body is blank)."""
    return next(parse_json_lines([(1, body.removeprefix(BOM))]), None)


def batch_items(body: bytes, json_lines: bool) -> tuple[list[Item], bool]:
    """The cases of a batch body in order, and whether they came as JSON Lines.

    Unless the media type says JSON Lines, the body is read as one JSON document (an array of
    cases, or one case); a body that is not one document is read as JSON Lines, a line to a
    case, exactly as ``backclf predict --input cases.json`` reads a file.
    """
    data = body.removeprefix(BOM)
    if not json_lines:
        document = whole_document(data)
        if document is not None:
            return document_items(document), False
    return list(parse_json_lines(enumerate(data.split(b"\n"), start=1))), True


def problems_of(item: Item, error: str) -> list[str]:
    """Each problem of a case that could not be assessed (``error`` joins them), as the
    contract words them; only on the error path (it checks the case again)."""
    if item.error is not None:
        return [item.error]
    try:
        check_record(split_record(item.data).findings)
    except CaseError as exc:
        return exc.problems
    return [error]  # a problem of its text, found while reading it
