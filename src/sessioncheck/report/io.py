"""Reading and writing report files: versioned JSON, atomic writes, owner-only permissions."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..model import ModelError, Report


class ReportFileError(ValueError):
    """A report file cannot be read or written; the message names the file and what to do."""


def report_to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def report_from_json(text: str, source: str = "report") -> Report:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (the file looks cut short)" if e.pos >= len(text.rstrip()) else ""
        raise ReportFileError(
            f"{source} is not a valid report: broken JSON at line {e.lineno}, column {e.colno}{hint}"
        ) from None
    try:
        return Report.from_dict(data)
    except ModelError as e:
        raise ReportFileError(f"{source} is not a valid report: {e}") from None


def load_report(path: Path) -> Report:
    """Read a saved report, raising :class:`ReportFileError` with a plain message on any problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReportFileError(f"{path} does not exist; check the file name") from None
    except IsADirectoryError:
        raise ReportFileError(f"{path} is a folder, not a report file") from None
    except OSError as e:
        raise ReportFileError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportFileError(f"{path} is not a sessioncheck report (not UTF-8 text)") from None
    if not text.strip():
        raise ReportFileError(f"{path} is empty; the report was not saved completely")
    return report_from_json(text, str(path))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600.

    The data goes to a temporary file in the same folder (created 0600), is flushed to
    disk, then renamed over ``path``: a reader never sees half a file, and a crash leaves
    the old file intact.
    """
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise ReportFileError(f"cannot save to {path}: the folder {folder} does not exist") from None
    except OSError as e:
        raise ReportFileError(f"cannot save to {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
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
