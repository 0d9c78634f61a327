"""Atomic file writes shared by the library's modules (private).

Every file that matters is written the same way: to a temporary file in the
destination's file system, flushed to disk, then moved over the destination with
``os.replace``, which is atomic. A reader never sees half a file, and an error or a
crash mid-write leaves the previous file as it was.

The temporary files live in a folder of their own, ``.lstmbook-tmp`` inside the
destination's folder, named for the process that writes them: ``12345-1a2b3c4d.keras``.
A process killed mid-write cannot remove its temporary files, so every write first
removes those whose process is gone (``remove_stale``); files of a process still
running, such as a save in progress in another process, are left alone. Nothing outside
that folder is ever removed as a leftover, so a file of yours is never taken for one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path

#: The folder, inside a destination's folder, that holds the temporary files of writes there.
TEMP_FOLDER = ".lstmbook-tmp"

#: ``PID-HEX8SUFFIX``: the names of the temporary files in :data:`TEMP_FOLDER`.
_TEMP_NAME = re.compile(r"(?P<pid>[0-9]+)-[0-9a-f]{8}.*")

#: This process's temporary files in use: any other of its own is a leftover (an unlink
#: that failed, say) and goes like a dead process's.
_IN_USE: set[Path] = set()


def temp_name(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh temporary path for a file to be moved to ``path`` (not created), named for this process."""
    tmp = path.parent / TEMP_FOLDER / f"{os.getpid()}-{secrets.token_hex(4)}{suffix}"
    _IN_USE.add(tmp)
    return tmp


def create_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new, empty temporary file on ``path``'s file system (so ``os.replace`` stays atomic).

    It is created with mode 0o666 less the umask, as ``open()`` would make it (not
    ``mkstemp``'s owner-only 0o600), without touching the process's umask.
    """
    for _ in range(100):
        tmp = temp_name(path, suffix)
        try:
            tmp.parent.mkdir(exist_ok=True)
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except (FileExistsError, FileNotFoundError):  # a clash, or another write removed the folder
            continue
        return tmp
    raise FileExistsError(f"Could not create a temporary file for {str(path)!r}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to another user
        return True
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files a killed write left for ``folder``; returns those removed."""
    removed = []
    with contextlib.suppress(OSError):
        for candidate in (Path(folder) / TEMP_FOLDER).iterdir():
            match = _TEMP_NAME.fullmatch(candidate.name)
            pid = int(match.group("pid")) if match else None
            left = candidate not in _IN_USE if pid == os.getpid() else pid is not None and not _alive(pid)
            if left and candidate.is_file():
                with contextlib.suppress(FileNotFoundError):
                    candidate.unlink()
                    removed.append(candidate)
    tidy(folder)
    return removed


def tidy(folder: Path) -> None:
    """Remove ``folder``'s temporary-file folder if it is empty (another write may be using it)."""
    with contextlib.suppress(OSError):
        (Path(folder) / TEMP_FOLDER).rmdir()


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def staged(source: Path, path: Path) -> Path:
    """A new temporary file, to be moved to ``path``, holding ``source``'s content.

    A hard link where the file system has them, otherwise a copy flushed to disk. On an
    error (a full disk while copying) nothing is left behind.
    """
    tmp = temp_name(path, path.suffix)
    try:
        tmp.parent.mkdir(exist_ok=True)
        os.link(source, tmp)
        return tmp
    except OSError:  # no hard links here (some network and FAT file systems)
        pass
    tmp = create_beside(path, path.suffix)
    try:
        shutil.copy2(source, tmp)
        fsync_file(tmp)
    except BaseException:
        unlink_quietly([tmp])
        raise
    return tmp


def link_or_copy(source: Path, target: Path) -> None:
    """Give ``source``'s content a second name, ``target``, which must not exist yet.

    A hard link where the file system has them; otherwise a copy, written in full to a
    temporary file first, so that ``target`` never holds half a file.
    """
    try:
        os.link(source, target)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    tmp = staged(source, target)
    try:
        os.replace(tmp, target)
    finally:
        unlink_quietly([tmp])


def unlink_quietly(paths) -> None:
    """Remove ``paths``, as many as the file system lets; what stays is removed by a later write."""
    for path in paths:
        _IN_USE.discard(Path(path))
        with contextlib.suppress(OSError):
            Path(path).unlink()


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp"):
    """Yield a temporary path; on success, move it onto ``path``.

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
        tidy(path.parent)


def write_atomic(path, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; see ``replacing``."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path) as tmp:
        tmp.write_bytes(payload)
    return path
