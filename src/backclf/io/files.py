"""Output files that are complete or absent, and never the input.

:func:`atomic_output` writes to a temporary file in the target's directory and renames it
onto the target only when everything was written: an interrupted or failed run leaves the
old file (or none), never a truncated one, and two runs writing the same file each leave a
whole file (the last one's). :func:`same_file` tells whether an output would overwrite the
input it is read from, through any path, link or redirection.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PendingFile:
    """Where to write (``path``), and whether to keep what was written when done."""

    path: Path
    keep: bool = True


@contextmanager
def atomic_output(path: Path) -> Iterator[PendingFile]:
    """A temporary file to write instead of ``path``: renamed onto ``path`` if the block ends
    normally (and ``keep`` is still true), removed otherwise. A target that exists and is
    not a regular file (a pipe, ``/dev/null``) cannot be replaced: it is written directly."""
    target = Path(os.path.realpath(path))  # a symlink's target is replaced, not the link
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        yield PendingFile(path)
        return
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    pending = PendingFile(Path(name))
    renamed = False
    try:
        os.close(fd)
        # mkstemp makes the file private (0o600); give it the mode the target has, or
        # would have if opened for writing. (os.chmod: os.fchmod is not on every platform.)
        os.chmod(pending.path, stat.S_IMODE(existing.st_mode) if existing else _new_file_mode())
        yield pending
        if pending.keep:
            _flush_to_disk(pending.path)
            os.replace(pending.path, target)
            renamed = True
    finally:
        if not renamed:  # an error, an interruption, or not to be kept
            with suppress(OSError):
                pending.path.unlink()


def same_file(a: os.stat_result | None, b: os.stat_result | None) -> bool:
    """Whether two stat results are one file (the same device and inode)."""
    return a is not None and b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def stat_of(path: Path | None = None, fd: int | None = None) -> os.stat_result | None:
    """The stat of a path or an open descriptor; ``None`` if there is none."""
    try:
        return os.stat(path) if path is not None else os.fstat(fd)
    except (OSError, TypeError, ValueError):
        return None


def _new_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: 0o666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _flush_to_disk(path: Path) -> None:
    """The file's bytes on disk before the rename makes it visible (best effort: some
    platforms cannot fsync a file opened for reading)."""
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
