"""Reading small files that a user names (reports, settings, ICE server lists) safely.

A file name on the command line can point at anything: a folder, a FIFO that nobody
writes to, ``/dev/zero``, a multi-gigabyte file. :func:`read_small_file` reads regular
files only, never blocks on opening, and stops at a size limit, so every such case ends in
a plain message instead of a hang or a MemoryError.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import SessioncheckError


class FileProblem(SessioncheckError, ValueError):
    """The file cannot be read; the message (without the file name) says why, in plain words."""


def read_small_file(path: Path, *, limit: int) -> bytes:
    """The contents of the regular file ``path``, at most ``limit`` bytes.

    Raises :class:`FileProblem` for a missing file, a folder, anything that is not a
    regular file (device, FIFO, socket), a file larger than ``limit`` and any OS error.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileProblem("does not exist; check the file name") from None
    except IsADirectoryError:
        raise FileProblem("is a folder, not a file") from None
    except OSError as e:
        raise FileProblem(f"cannot be read: {e.strerror or e}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"is not a regular file (it is {_kind(info.st_mode)})")
        if info.st_size > limit:
            raise FileProblem(f"is too large ({_size(info.st_size)}; the limit is {_size(limit)})")
        chunks: list[bytes] = []
        total = 0
        while True:  # the size may change while we read: stop at the limit regardless
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileProblem(f"is too large (more than {_size(limit)})")
        return b"".join(chunks)
    except OSError as e:
        raise FileProblem(f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a device"
    if stat.S_ISBLK(mode):
        return "a disk device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n} bytes"
