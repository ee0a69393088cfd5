"""Input that is not UTF-8 text, named for what it is, before any of it is read as cases.

backclf reads JSON as UTF-8 (RFC 8259 requires it between systems). Text in another
encoding, or compressed bytes, would otherwise be "malformed JSON" on every line, without
saying why. :func:`encoding_problem` looks at the first bytes and names what it sees; the
CLI refuses such input as unreadable (exit 66), and the HTTP server can answer 415 with the
same words (``backclf.serve`` calls it on a request body).
"""

from __future__ import annotations

#: (leading bytes, what they are, what to do), most specific first.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x00\x00\xfe\xff", "UTF-32 text (big-endian byte order mark)", "convert it to UTF-8"),
    (b"\xff\xfe\x00\x00", "UTF-32 text (little-endian byte order mark)", "convert it to UTF-8"),
    (b"\xfe\xff", "UTF-16 text (big-endian byte order mark)", "convert it to UTF-8"),
    (b"\xff\xfe", "UTF-16 text (little-endian byte order mark)", "convert it to UTF-8"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip)"),
    (b"BZh", "bzip2-compressed", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd)"),
    (b"PK\x03\x04", "a zip archive", "extract the file first"),
)


class UnreadableInput(ValueError):
    """Input that cannot be read as cases at all (it is not UTF-8 JSON text)."""


def encoding_problem(head: bytes) -> str | None:
    """Why input starting with these bytes is not UTF-8 JSON, naming what it is; ``None``
    if it may be. Looks at the first few bytes only."""
    for signature, what, remedy in SIGNATURES:
        if head.startswith(signature):
            return f"the input is {what}, not UTF-8 text: {remedy}"
    return _utf16_without_mark(head[:8])


def _utf16_without_mark(sample: bytes) -> str | None:
    """UTF-16 JSON without a byte order mark: ASCII characters each beside a NUL byte,
    starting with an opening bracket (after any spaces)."""
    if len(sample) < 8:
        return None
    for order, text, nuls in (
        ("little", sample[0::2], sample[1::2]),
        ("big", sample[1::2], sample[0::2]),
    ):
        opens = text.lstrip(b" \t\r\n")[:1] in (b"{", b"[")
        if opens and nuls == b"\x00" * 4 and all(0x20 <= c < 0x7F or c in b"\t\r\n" for c in text):
            return f"the input is UTF-16 text ({order}-endian), not UTF-8 text: convert it to UTF-8"
    return None
