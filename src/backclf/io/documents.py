"""A JSON document read as its lines arrive: each case of an array as soon as it is complete,
and what is safe to keep when the document turns out to be broken.

:class:`DocumentReader` is fed numbered lines (as :func:`backclf.io.json_lines.line_batches`
gives them) and answers with items as it can:

- an **array** of cases: each element is an item as soon as its last line has arrived (a
  stream of a pretty-printed array is answered element by element). A syntax error keeps
  every element before it; the rest is one error record, at the element where the error
  is, that says where it is (line and column) and that the rest could not be read.
- **one object** (a pretty-printed case): one item once it is complete and nothing but
  whitespace follows it. If the text stops being JSON (a syntax error, or more after the
  object), it was never one document: every line read so far, and every line after, is read
  as JSON Lines, a line to a case, at once (so a broken first line never holds up the
  cases after it).

The standard library's decoder reads every value (``raw_decode``), so a document's cases get
exactly the JSON Lines reading (repeated keys, 4,300-digit numbers, lone surrogates: each an
error in its own case). No incremental parser from PyPI fitted: ijson and json-stream keep the
last of a repeated key, which the contract refuses, and neither reports a line and column
(README, "Dependencies and why").
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from backclf.io.parse import (
    DOCUMENT_DECODER,
    Item,
    document_items,
    flaw_of,
    json_problem,
    not_utf8,
    parse_json_lines,
)

JSON_WHITESPACE = " \t\r\n"
#: Text left undecided longer than this is tried again only when it has doubled, so a huge
#: document costs linear time however its lines arrive.
RETRY_BELOW = 1 << 20


class DocumentReader:
    """One JSON document, fed line by line (see the module's description)."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, bytes]] = []  # read, not yet answered
        self.text = ""  # the lines not yet answered, decoded, joined by LF
        self.position = 0  # where the next value starts in ``text``
        #: None (not begun), "array", "object", "ended" (an array closed: only whitespace may
        #: follow), "lines" (not a document: JSON Lines), "done"
        self.kind: str | None = None
        self.expect = "first"  # in an array: "first" element or "]", "element", "separator"
        self.elements = 0  # array elements answered
        self.tried_at = 0  # len(text) at the last undecided try

    def feed(self, lines: Iterable[tuple[int, bytes]]) -> list[Item]:
        """Items for what the new lines complete."""
        lines = list(lines)
        if self.kind == "lines":
            return list(parse_json_lines(lines))
        if self.kind == "done":
            return []
        bad = self._add(lines)
        if bad is not None:
            is_array = self.kind == "array" or self.text.lstrip(JSON_WHITESPACE)[:1] == "["
            if not is_array:  # not one document: JSON Lines, the bad line in place
                return self._as_json_lines() + list(parse_json_lines(lines[bad:]))
            number, raw = lines[bad]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"line {number}: {not_utf8(raw, exc)}"
            items = self._advance(final=False)
            return items if self.kind == "done" else [*items, self._broken(problem)]
        if self.kind == "ended":
            return self._end()
        size = len(self.text) - self.position
        if size >= RETRY_BELOW and len(self.text) < 2 * self.tried_at:
            return []
        return self._advance(final=False)

    def finish(self) -> list[Item]:
        """Items for what is left at the end of the input."""
        if self.kind in ("lines", "done", "ended"):
            return []
        return self._advance(final=True)

    # -- internals ------------------------------------------------------------------------

    def _add(self, lines: list[tuple[int, bytes]]) -> int | None:
        """Take the lines in, up to one that is not UTF-8 (then its index in ``lines``)."""
        had = bool(self.lines)
        decoded, bad = [], None
        for index, (number, raw) in enumerate(lines):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                bad = index
                break
            self.lines.append((number, raw))
        if decoded:
            joined = "\n".join(decoded)
            self.text = f"{self.text}\n{joined}" if had else joined
        return bad

    def _first_line(self) -> int:
        return self.lines[0][0] if self.lines else 1

    def _skip_space(self) -> None:
        text, i = self.text, self.position
        while i < len(text) and text[i] in JSON_WHITESPACE:
            i += 1
        self.position = i

    def _advance(self, final: bool) -> list[Item]:
        self._skip_space()
        if self.kind is None:
            if self.position >= len(self.text):
                return []
            if self.text[self.position] == "[":
                self.kind, self.position = "array", self.position + 1
            else:
                self.kind = "object"
        if self.kind == "object":
            return self._object(final)
        return self._array(final)

    def _decode(self, final: bool):
        """The value at ``position`` and where it ends; ``None`` if it goes on past what has
        arrived; raises :class:`_Broken` on a syntax error."""
        try:
            return DOCUMENT_DECODER.raw_decode(self.text, self.position)
        except json.JSONDecodeError as exc:
            if exc.pos >= len(self.text) and not final:
                self.tried_at = len(self.text)
                return None
            if exc.pos >= len(self.text):
                raise _Broken("malformed JSON: the document ends before it is complete") from None
            raise _Broken(json_problem(exc, first_line=self._first_line())) from None
        except RecursionError:
            raise _Broken("malformed JSON: nested too deeply") from None

    def _object(self, final: bool) -> list[Item]:
        try:
            decoded = self._decode(final)
        except _Broken:
            return self._as_json_lines()
        if decoded is None:
            return []
        value, end = decoded
        if self.text[end:].strip(JSON_WHITESPACE):
            return self._as_json_lines()
        if not final:  # more may follow (then it was JSON Lines after all)
            self.tried_at = len(self.text)
            return []
        self.kind = "done"
        return document_items([value])

    def _array(self, final: bool) -> list[Item]:
        items: list[Item] = []
        try:
            while not self._array_step(items, final):
                pass
        except _Broken as broken:
            items.append(self._broken(broken.problem))
            return items
        self._trim()
        return items

    def _array_step(self, items: list[Item], final: bool) -> bool:
        """One element or separator of the array; whether to stop for now."""
        self._skip_space()
        if self.position >= len(self.text):
            if final:
                raise _Broken("malformed JSON: the document ends before it is complete")
            return True
        char = self.text[self.position]
        if self.expect != "element":
            if char == "]" or (char == "," and self.expect == "separator"):
                self.position += 1
                if char == "]":
                    items.extend(self._end())
                    return True
                self.expect = "element"
                return False
            if self.expect == "separator":
                where = self._location(self.position)
                raise _Broken(f"malformed JSON at {where}: expected ',' or ']' in the array")
        decoded = self._decode(final)
        if decoded is None:
            return True
        value, self.position = decoded
        self.elements += 1
        flaw = flaw_of(value)
        items.append(Item(self.elements, error=flaw) if flaw else Item(self.elements, value))
        self.expect = "separator"
        return False

    def _end(self) -> list[Item]:
        """After the closing bracket: nothing but whitespace may follow."""
        self.kind = "ended"
        self._skip_space()
        if self.position < len(self.text):
            where = self._location(self.position)
            self.kind = "done"
            return [
                Item(
                    self.elements + 1,
                    error=f"malformed JSON at {where}: more after the end of the document",
                )
            ]
        return []

    def _broken(self, problem: str) -> Item:
        self.kind = "done"
        return Item(self.elements + 1, error=f"{problem}; the rest of the document was not read")

    def _location(self, position: int) -> str:
        line = self._first_line() + self.text.count("\n", 0, position)
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return f"line {line}, column {column}"

    def _trim(self) -> None:
        """Forget the text of answered elements (the next one starts at ``position``)."""
        dropped = self.text.count("\n", 0, self.position)
        if not dropped:
            return
        self.lines = self.lines[dropped:]
        cut = self.text.rfind("\n", 0, self.position) + 1
        self.text, self.position = self.text[cut:], self.position - cut
        self.tried_at = 0

    def _as_json_lines(self) -> list[Item]:
        """Not one document after all: every line read so far is a case of JSON Lines."""
        self.kind = "lines"
        lines, self.lines, self.text = self.lines, [], ""
        return list(parse_json_lines(lines))


class _Broken(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem
