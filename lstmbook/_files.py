"""Atomic file writes shared by the library's modules (private).

Every saved model is written the same way: to a
temporary file in the destination's folder, flushed to disk, then moved over the
destination with ``os.replace``, which is atomic on one file system. A reader never sees
half a file, and an error or a crash mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def _create_beside(path: Path, suffix: str) -> Path:
    """A new, empty file in ``path``'s folder (so ``os.replace`` stays on one file system).

    It is created with mode 0o666 less the umask, as ``open()`` would make it (not
    ``mkstemp``'s owner-only 0o600), without touching the process's umask.
    """
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"Could not create a temporary file beside {str(path)!r}")


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp"):
    """Yield a temporary path beside ``path``; on success, move it onto ``path``.

    Write the new content to the yielded path (any writer that takes a file name:
    ``fig.savefig``, ``model.save``, ...). When the block ends without an error, the file
    is flushed to disk, given the permissions of the file it replaces (if any), and moved
    over ``path``. On an error it is removed and ``path`` is untouched. ``suffix`` ends the
    temporary name, for writers that look at the extension (``model.save`` wants ``.keras``).
    """
    path = Path(path)
    tmp = _create_beside(path, suffix)
    try:
        yield tmp
        fsync_file(tmp)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
