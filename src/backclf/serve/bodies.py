"""Request bodies to items, read the way ``backclf predict`` reads the same bytes.

``POST /assess`` takes one case (one JSON value, as one line of JSON Lines is read);
``POST /assess/batch`` takes a JSON document (an array of cases) as a ``.json`` file is
read, or JSON Lines (one case per line) when the request says so by its media type.
"""

from __future__ import annotations

from backclf.io.json_lines import whole_document
from backclf.io.parse import Item, document_items, parse_json_lines

BOM = b"\xef\xbb\xbf"
#: Media types that say the body is JSON Lines (one case per line).
JSON_LINES_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
        "application/json-lines",
    }
)


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, without its parameters, in lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_lines(content_type: str | None) -> bool:
    return media_type(content_type) in JSON_LINES_TYPES


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
