"""Atomic file writes shared by the library's modules (private).

Every file that matters (metrics, reports, figures, models) is written the same way: to a
temporary file in the destination's folder, flushed to disk, then moved over the
destination with ``os.replace``, which is atomic on one file system. A reader never sees
half a file, and an error or a crash mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _default_mode() -> int:
    """The permissions ``open()`` would give a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp"):
    """Yield a temporary path beside ``path``; on success, move it onto ``path``.

    Write the new content to the yielded path (any writer that takes a file name:
    ``fig.savefig``, ``model.save``, ...). When the block ends without an error, the file
    is flushed to disk, given the permissions a normally created file would have (or those
    of the file it replaces), and moved over ``path``. On an error it is removed and
    ``path`` is untouched. ``suffix`` ends the temporary name, for writers that look at the
    extension (``model.save`` wants ``.keras``).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:  # the bytes are on disk before the rename
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
        os.chmod(tmp, mode)  # mkstemp makes files readable by their owner only
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
