"""Parts of a record already encoded as JSON, for records that go straight to JSON Lines.

Most of a record's bytes are the same from record to record: the advice block (a few
thousand distinct ones), the model, the red-flag rules, the checklist (assembled from a few
parts per group of its lines). Encoding them once and splicing the bytes in
(``orjson.Fragment``) saves encoding them again in every record, and a checklist is joined
from its groups' encoded parts without building it as a dict (issue 27).

An :class:`Encoded` part stands in a record only where the caller asked for records to be
encoded (``encoded=True`` in :func:`backclf.core.records.records`, used by the JSON Lines
writer): it is not a dict, so nothing else should read such a record. Its :attr:`value` is
the part as a plain JSON-ready value, for the encoder that escapes every non-ASCII character
(:func:`backclf.io.encode.to_json_bytes`), and it is what the bytes encode
(tests/test_encoded.py: the same bytes as the plain record's).
"""

from __future__ import annotations

from typing import Any

import orjson

_UNSET = object()


class Encoded:
    """A JSON value encoded once: its bytes (as an ``orjson.Fragment``) and the value (read
    back from the bytes when not given: orjson writes every float so that it reads back to
    the same float)."""

    __slots__ = ("_data", "_value", "fragment")

    def __init__(self, data: bytes, value: Any = _UNSET) -> None:
        self.fragment = orjson.Fragment(data)
        self._data = data
        self._value = value

    @classmethod
    def of(cls, value: Any) -> Encoded:
        """``value`` encoded (compact UTF-8 JSON, as orjson writes it)."""
        return cls(orjson.dumps(value), value)

    @property
    def value(self) -> Any:
        if self._value is _UNSET:
            self._value = orjson.loads(self._data)
        return self._value


def as_fragment(obj: Any) -> Any:
    """orjson's ``default``: an :class:`Encoded` part's bytes."""
    if type(obj) is Encoded:
        return obj.fragment
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def as_value(obj: Any) -> Any:
    """The standard library encoder's ``default``: an :class:`Encoded` part's value."""
    if type(obj) is Encoded:
        return obj.value
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
