"""Atomic file writes shared by the library's modules (private).

Every file that matters is written the same way: to a temporary file in the
destination's folder, flushed to disk, then moved over the destination with
``os.replace``, which is atomic on one file system. A reader never sees half a file, and
an error or a crash mid-write leaves the previous file as it was.

A temporary file's name carries the writing process's id:
``.model.keras~12345-1a2b3c4d.keras``. A process killed mid-write cannot remove its
temporary files, so every write first removes those in its folder whose process is gone
(:func:`remove_stale`); files of a process still running, such as a save in progress in
another process, are left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path

#: ``.NAME~PID-HEX8SUFFIX``: the temporary files this module creates, and only those.
_TEMP_NAME = re.compile(r"\..+~(?P<pid>[0-9]+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)*")


def temp_name(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh temporary path beside ``path`` (not created), named for this process."""
    return path.with_name(f".{path.name}~{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def create_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new, empty temporary file in ``path``'s folder (so ``os.replace`` stays on one file system).

    It is created with mode 0o666 less the umask, as ``open()`` would make it (not
    ``mkstemp``'s owner-only 0o600), without touching the process's umask.
    """
    for _ in range(100):
        tmp = temp_name(path, suffix)
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"Could not create a temporary file beside {str(path)!r}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to another user
        return True
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files a killed write left in ``folder``; returns those removed."""
    removed = []
    with contextlib.suppress(OSError):
        for candidate in Path(folder).iterdir():
            match = _TEMP_NAME.fullmatch(candidate.name)
            if match and not _alive(int(match.group("pid"))) and candidate.is_file():
                with contextlib.suppress(FileNotFoundError):
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def link_or_copy(source: Path, suffix: str) -> Path:
    """A new temporary file beside ``source`` with its content: a hard link, or a copy where the
    file system has none. On an error (a full disk while copying) nothing is left behind."""
    tmp = temp_name(source, suffix)
    try:
        os.link(source, tmp)
        return tmp
    except OSError:  # no hard links here (some network and FAT file systems)
        pass
    tmp = create_beside(source, suffix)
    try:
        shutil.copy2(source, tmp)
        fsync_file(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def unlink_quietly(paths) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()


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
    remove_stale(path.parent)
    tmp = create_beside(path, suffix)
    try:
        yield tmp
        fsync_file(tmp)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    finally:
        unlink_quietly([tmp])


def write_atomic(path, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; see :func:`replacing`."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path) as tmp:
        tmp.write_bytes(payload)
    return path
