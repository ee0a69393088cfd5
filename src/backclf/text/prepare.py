"""The text as the reader reads it, and the way back to the writer's own characters.

Before anything reads a text it is put in one form, so that every phrase, ConText cue,
number and people word matches whatever keyboard typed it:

- the apostrophe family (U+2019 as iOS and macOS type it, U+2018, U+02BC, U+00B4, U+0060,
  U+2032, full-width) becomes ``'``, curly double quotes ``"``, hyphens, en dashes and
  minus signs ``-``;
- Unicode NFKC: full-width letters and digits, ligatures, "℃", "…" become their plain forms;
- zero-width and other invisible format characters (U+200B-U+200D, U+2060, U+FEFF, the
  soft hyphen, direction marks, variation selectors) are dropped;
- every run of white space (no-break spaces included) becomes one space, or one line break
  if it held one;
- a run of more than :data:`MAX_RUN` characters without a space is cut by spaces (no word
  is that long; the tokenizer's time grows with the square of a run's length);
- everything is lower case (case never decides a reading).

:class:`Prepared` keeps the map from the prepared text back to the original, so what the
reader reports (``extracted[].span``, ``start``, ``end``) is the writer's own words and
offsets, and whether a word was written with a capital (``Dad`` as a name) can still be
asked. Every step is linear in the text's length.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

#: No word is longer: a longer run without a space is cut (see the module's docstring).
MAX_RUN = 64

_APOSTROPHES = "\u2019\u2018\u201b\u02bc\u02bb\u02b9\u02bd\u00b4\u0060\u2032\u2035\uff07"
_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u2036\uff02"
_DASHES = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d\u00ad"
_TRANSLATE = {
    **{ord(c): "'" for c in _APOSTROPHES},
    **{ord(c): '"' for c in _QUOTES},
    **{ord(c): "-" for c in _DASHES[:-1]},
}
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
#: Characters handled one by one: anything not plain ASCII, white space other than one
#: space, and runs too long for a word. Everything between them is copied, lower-cased.
_SPECIAL = re.compile(rf"(?P<long>\S{{{MAX_RUN + 1},}})|[^\x00-\x7f]+|\s{{2,}}|[\t\r\n\v\f]")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_PLAIN = re.compile(rf"\s{{2,}}|[\t\r\v\f]|\S{{{MAX_RUN + 1},}}")


def _invisible(c: str) -> bool:
    """Zero-width and format characters (Unicode category Cf) and variation selectors."""
    return unicodedata.category(c) == "Cf" or "\ufe00" <= c <= "\ufe0f" or c == "\u034f"


@dataclass(frozen=True)
class Prepared:
    """A prepared text and the map back to the original.

    The map is a list of segments: prepared offset ``starts[k]`` holds original offset
    ``origins[k]``; inside an ``aligned`` segment characters correspond one to one, and a
    segment that is not aligned (a character NFKC expanded, white space collapsed, a cut
    inserted) maps as a whole."""

    text: str
    original: str
    starts: tuple[int, ...] = ()
    origins: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()  # each segment's original end
    aligned: tuple[bool, ...] = ()

    @property
    def identical_offsets(self) -> bool:
        return not self.starts

    def original_start(self, at: int) -> int:
        """The original offset of the prepared character at ``at``."""
        if not self.starts:
            return at
        k = bisect_right(self.starts, at) - 1
        if k < 0:
            return 0
        if self.aligned[k]:
            return self.origins[k] + (at - self.starts[k])
        return self.origins[k]

    def original_end(self, at: int) -> int:
        """The original offset just after the prepared character before ``at``."""
        if not self.starts or at <= 0:
            return at if not self.starts else 0
        k = bisect_right(self.starts, at - 1) - 1
        if self.aligned[k]:
            return self.origins[k] + (at - self.starts[k])
        return self.ends[k]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the prepared characters ``start`` to ``end``."""
        first = self.original_start(start)
        return first, max(first, self.original_end(end))

    def is_title(self, start: int, end: int) -> bool:
        """Whether the original of prepared characters ``start`` to ``end`` is written as a
        title ("Dad", "I"), as :meth:`str.istitle`."""
        first, last = self.original_span(start, end)
        return self.original[first:last].istitle()


class _Builder:
    """Collects the prepared text with its segment map."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.parts: list[str] = []
        self.length = 0
        self.starts: list[int] = []
        self.origins: list[int] = []
        self.ends: list[int] = []
        self.aligned: list[bool] = []
        self.last = ""  # the last character written ("" at the start)
        self.run = 0  # characters since the last space

    def _write(self, piece: str, origin: int, end: int, aligned: bool) -> None:
        """Write ``piece``, the prepared form of original characters ``origin`` to ``end``
        (one to one if ``aligned``)."""
        if aligned and self.aligned and self.aligned[-1] and self.ends[-1] == origin:
            self.ends[-1] = end  # it goes on from the segment before, one to one
        else:
            self.starts.append(self.length)
            self.origins.append(origin)
            self.ends.append(end)
            self.aligned.append(aligned)
        self.parts.append(piece)
        self.length += len(piece)
        self.last = piece[-1]

    def plain(self, text: str, origin: int) -> None:
        """ASCII without a white-space run or a long run, copied in lower case."""
        if not text:
            return
        if text[0] == " " and self.last in (" ", "\n", ""):
            text, origin = text[1:], origin + 1
            if not text:
                return
        self._write(text.lower(), origin, origin + len(text), True)
        space = text.rfind(" ")
        self.run = len(text) - space - 1 if space >= 0 else self.run + len(text)

    def long_run(self, text: str, origin: int) -> None:
        """A run without white space too long for a word: its ASCII stretches are cut in
        bulk, anything else goes one by one."""
        at = 0
        for m in _ASCII_RUNS.finditer(text):
            self.special(text[at : m.start()], origin + at)
            i = m.start()
            while i < m.end():
                if self.run >= MAX_RUN:
                    self._write(" ", origin + i, origin + i, False)
                    self.run = 0
                take = min(MAX_RUN - self.run, m.end() - i)
                self._write(text[i : i + take].lower(), origin + i, origin + i + take, True)
                self.run += take
                i += take
            at = m.end()
        self.special(text[at:], origin + at)

    def special(self, text: str, origin: int) -> None:
        """Characters one by one (see the module's docstring)."""
        for i, c in enumerate(text):
            at = origin + i
            c = c.translate(_TRANSLATE)
            if c.isspace():
                breaks = c in _LINE_BREAKS
                if self.last == "\n" or self.last == "":
                    continue
                if self.last == " ":
                    if breaks:  # the run held a line break: the space becomes one
                        self.parts[-1] = self.parts[-1][:-1] + "\n"
                        self.last = "\n"
                    continue
                self._write("\n" if breaks else " ", at, at + 1, True)
                self.run = 0
                continue
            if _invisible(c):
                continue
            out = c if c.isascii() else unicodedata.normalize("NFKC", c)
            out = out.lower()
            if not out:
                continue
            if self.run >= MAX_RUN:
                self._write(" ", at, at, False)
                self.run = 0
            self._write(out, at, at + 1, len(out) == 1)
            self.run += len(out)

    def prepared(self) -> Prepared:
        return Prepared(
            "".join(self.parts),
            self.original,
            tuple(self.starts),
            tuple(self.origins),
            tuple(self.ends),
            tuple(self.aligned),
        )


def prepare(text: str) -> Prepared:
    """The text as the reader reads it (see the module's docstring), in linear time."""
    if text.isascii() and _PLAIN.search(text) is None:
        return Prepared(text.lower(), text)  # the common case: offsets are the same
    out = _Builder(text)
    at = 0
    for m in _SPECIAL.finditer(text):
        out.plain(text[at : m.start()], at)
        if m.group("long"):
            out.long_run(m.group(), m.start())
        else:
            out.special(m.group(), m.start())
        at = m.end()
    out.plain(text[at:], at)
    return out.prepared()


__all__ = ["MAX_RUN", "Prepared", "prepare"]
