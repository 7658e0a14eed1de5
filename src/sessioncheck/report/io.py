"""Reading and writing report files: versioned JSON, atomic writes, owner-only permissions."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from ..errors import SessioncheckError
from ..files import FileProblem, read_small_file
from ..model import ModelError, Report

MAX_REPORT_BYTES = 20 * 1024 * 1024
"""Largest report file :func:`load_report` reads (a long monitor report is a few MB)."""

STDOUT = "-"
"""The file name that means standard output."""


class ReportFileError(SessioncheckError, ValueError):
    """A report file cannot be read or written; the message names the file and what to do."""

    title_key = "error.title.report_file"


def report_to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def report_from_json(text: str, source: str = "report") -> Report:
    text = text.removeprefix("\ufeff")  # a byte order mark some editors add
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (the file looks cut short)" if e.pos >= len(text.rstrip()) else ""
        raise ReportFileError(
            f"{source} is not a valid report: broken JSON at line {e.lineno}, column {e.colno}{hint}"
        ) from None
    except RecursionError:
        raise ReportFileError(f"{source} is not a valid report: it is nested far too deeply") from None
    except ValueError:  # e.g. an integer with thousands of digits
        raise ReportFileError(f"{source} is not a valid report: it holds a number far too long") from None
    try:
        report = Report.from_dict(data)
    except ModelError as e:
        raise ReportFileError(f"{source} is not a valid report: {e}") from None
    except RecursionError:
        raise ReportFileError(f"{source} is not a valid report: it is nested far too deeply") from None
    if isinstance(data, dict) and "top_fixes" not in data:  # saved before reports carried them
        from ..advice.verdict import fix_codes

        report = replace(report, top_fixes=fix_codes(report.results))
    return report


def load_report(path: Path) -> Report:
    """Read a saved report, raising :class:`ReportFileError` with a plain message on any problem.

    Only regular files up to :data:`MAX_REPORT_BYTES` are read: a FIFO or a device is
    refused at once instead of blocking or reading without end.
    """
    try:
        raw = read_small_file(path, limit=MAX_REPORT_BYTES)
    except FileProblem as e:
        raise ReportFileError(f"{path} {e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportFileError(f"{path} is not a sessioncheck report (not UTF-8 text)") from None
    if not text.removeprefix("\ufeff").strip():
        raise ReportFileError(f"{path} is empty; the report was not saved completely")
    return report_from_json(text, str(path))


def check_save_target(path: Path) -> None:
    """Raise :class:`ReportFileError` now if :func:`write_private` cannot save to ``path``.

    For commands that run for a while before they save: the user hears about a folder
    given as the file, or a folder that does not exist, before the check, not after it.
    """
    _target(path)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600: the one way every report is saved.

    * A regular file (or a new one) is replaced atomically: the data goes to a temporary
      file in the same folder (created 0600), is flushed to disk, then renamed over
      ``path``; a reader never sees half a file and a crash leaves the old file intact.
    * A symbolic link is followed: its target is replaced that way, the link stays.
    * ``-`` is standard output; a FIFO or a character device (``/dev/null``, a terminal)
      is written straight through, never replaced or re-permissioned.
    * A folder, a disk device or a socket is refused.
    """
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target, mode = _target(path)
    if mode is not None and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        _write_through(path, target, text)
    else:
        _write_atomic(path, target, text)


def _target(path: Path) -> tuple[Path, int | None]:
    """Where a save to ``path`` really goes (symlinks followed) and its file type, if it exists."""
    if str(path) == STDOUT:
        return path, None
    path = path.expanduser()
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise ReportFileError(f"cannot save to {path}: the folder does not exist ({target.parent})") from None
        return target, None
    except OSError as e:
        raise ReportFileError(f"cannot save to {path}: {e.strerror or e}") from None
    if stat.S_ISDIR(mode):
        raise ReportFileError(f"cannot save to {path}: it is a folder; give a file name, e.g. {path / 'report.json'}")
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        kind = "a disk device" if stat.S_ISBLK(mode) else "a socket"
        raise ReportFileError(f"cannot save to {path}: it is {kind}, not a file")
    return target, mode


def _write_through(path: Path, target: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as e:
        raise ReportFileError(f"cannot save to {path}: {e.strerror or e}") from None


def _write_atomic(path: Path, target: Path, text: str) -> None:
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise ReportFileError(f"cannot save to {path}: the folder does not exist ({folder})") from None
    except OSError as e:
        raise ReportFileError(f"cannot save to {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ReportFileError(f"cannot save to {path}: {e.strerror or e}") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_report(report: Report, path: Path) -> None:
    """Save ``report`` as JSON (as given: redact first if it should be redacted)."""
    write_private(path, report_to_json(report))
