"""When sessioncheck itself breaks: the details go to a private log file, never to the screen.

Front ends catch an unexpected exception, call :func:`write_crash_log`, and show a short
apology that names the file (``cli.crash*`` in the catalogue). The log holds the traceback
and versions, *redacted*: IP addresses and ICE candidates as in every report
(:func:`report.redact.redact_text`), TURN usernames and credentials and access tokens (every
value seen by :class:`~sessioncheck.settings.Settings` is remembered here with
:func:`remember_secret`, plus anything that looks like ``token=...``). The file is created
0600 in the platform's state/log folder (:func:`state_dir`).

A command that produced a report (even half of one) registers it with :func:`keep_report`;
:func:`save_kept_report` then saves it on the way out, so a crash loses no results.

Standard library only (plus :mod:`sessioncheck.report`, imported when needed): importable without
Textual or aiortc, and cheap to import (settings use :func:`remember_secret`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Report

STATE_DIR_ENV = "SESSIONCHECK_STATE_DIR"
"""Environment variable naming the folder for crash logs (tests, or a managed install)."""

KEEP_LOGS = 20
"""Crash logs kept in the folder; older ones are deleted when a new one is written."""

REMOVED = "[removed]"

_SECRETS: set[str] = set()

_SECRET_FLAGS = ("--turn-credential", "--turn-username", "--token")

_SECRET_ASSIGNMENT = (
    r"(?i)(\b(?:credential|password|passwd|secret|token|username|authorization)s?\b[\"']?\s*[:=]\s*)"
    r"(?:(?:bearer|basic)\s+)?(?:\"[^\"]*\"|'[^']*'|[^\s\"',;&)}\]]+)"
)
_BEARER = r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"
_URL_USERINFO = r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"
# patterns, compiled by ``re`` on first use: importing this module stays cheap


def remember_secret(*values: str | None) -> None:
    """Remember values (TURN username/credential, tokens) that no crash log may contain."""
    for v in values:
        if v:
            _SECRETS.add(v)


def redact_details(text: str) -> str:
    """``text`` with remembered secrets, ``key=value`` secrets, addresses and candidates removed."""
    from .report.redact import redact_text

    for secret in sorted(_SECRETS, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REMOVED)
        else:  # a very short value: only where it stands alone, not inside every word
            text = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", REMOVED, text)
    text = re.sub(_SECRET_ASSIGNMENT, lambda m: m.group(1) + REMOVED, text)
    text = re.sub(_BEARER, lambda m: f"{m.group(1)} {REMOVED}", text)
    text = re.sub(_URL_USERINFO, lambda m: f"{m.group(1)}{REMOVED}@", text)
    return redact_text(text)


def _command_line(argv: Iterable[str]) -> str:
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REMOVED)
            hide_next = False
        elif arg in _SECRET_FLAGS:
            out.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f"{f}=" for f in _SECRET_FLAGS)):
            out.append(arg.split("=", 1)[0] + "=" + REMOVED)
        else:
            out.append(arg)
    return " ".join(out)


def state_dir() -> Path:
    """Where crash logs (and reports rescued from a crash) go.

    ``$SESSIONCHECK_STATE_DIR`` if set; else ``$XDG_STATE_HOME/sessioncheck`` or
    ``~/.local/state/sessioncheck`` (Linux and other Unix), ``~/Library/Logs/sessioncheck``
    (macOS), ``%LOCALAPPDATA%\\sessioncheck\\Logs`` (Windows).
    """
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "sessioncheck" / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "sessioncheck"
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state") / "sessioncheck"


def _private_dir() -> Path:
    """The state folder, created 0700; a per-user temporary folder when that is impossible.

    A home folder that does not exist (a service account, ``HOME=/nonexistent``) is never
    created: the temporary folder is used instead.
    """
    folder = state_dir()
    explicit = bool(os.environ.get(STATE_DIR_ENV))
    try:
        if not explicit and not Path.home().is_dir():
            raise FileNotFoundError(str(Path.home()))
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(str(folder))
        return folder
    except OSError:
        import tempfile

        uid = os.getuid() if hasattr(os, "getuid") else 0
        fallback = Path(tempfile.gettempdir()) / f"sessioncheck-{uid}"
        fallback.mkdir(mode=0o700, exist_ok=True)
        if fallback.is_symlink() or (hasattr(os, "getuid") and fallback.stat().st_uid != uid):
            raise PermissionError(f"{fallback} is not ours") from None
        return fallback


def _create_private(folder: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for n in range(100):
        path = folder / f"{prefix}-{stamp}-{os.getpid()}{f'-{n}' if n else ''}{suffix}"
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return fd, path
    raise FileExistsError(f"no free file name in {folder}")


def _prune(folder: Path, prefix: str, keep: int) -> None:
    logs = sorted(folder.glob(f"{prefix}-*"), key=lambda p: p.name)
    for old in logs[:-keep]:
        try:
            old.unlink()
        except OSError:
            pass


def crash_details(exc: BaseException, *, context: str) -> str:
    """What a crash log holds, already redacted."""
    import platform
    import traceback
    from datetime import UTC, datetime

    from . import __version__

    lines = [
        "sessioncheck crash details",
        f"when: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"context: {context}",
        f"sessioncheck: {__version__}",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
        f"platform: {platform.platform()}",
        f"command: {_command_line([Path(sys.argv[0]).name, *sys.argv[1:]])}",
        "",
        *traceback.format_exception(exc),
    ]
    return redact_details("\n".join(line.rstrip("\n") for line in lines) + "\n")


def write_crash_log(exc: BaseException, *, context: str) -> Path:
    """Write the redacted details of ``exc`` to a new 0600 file and return its path.

    ``context`` says what was running (``"sessioncheck check"``, ``"app: results screen"``).
    Raises :class:`OSError` only when no file could be written at all (the caller then
    says the details could not be saved).
    """
    text = crash_details(exc, context=context)
    folder = _private_dir()
    fd, path = _create_private(folder, "crash", ".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    _prune(folder, "crash", KEEP_LOGS)
    return path


# --- keeping the results of a run that crashed -----------------------------------------------


class _Kept:
    def __init__(self, get: Callable[[], Report | None], path: Path | None, redact: bool) -> None:
        self.get = get
        self.path = path
        self.redact = redact
        self.saved_to: Path | None = None


_kept: _Kept | None = None


def keep_report(get: Callable[[], Report | None], *, path: Path | None, redact: bool) -> None:
    """Register how to get this run's report (partial is fine) and where the user wants it."""
    global _kept
    _kept = _Kept(get, path, redact)


def forget_report() -> None:
    """The command has ended: nothing is kept any more."""
    global _kept
    _kept = None


def report_saved(path: Path) -> None:
    """The kept report has been saved to ``path`` the normal way: nothing to rescue."""
    if _kept is not None:
        _kept.saved_to = path


def save_kept_report() -> Path | None:
    """After a crash: save the kept report, return where it is (``None``: there is none).

    The report goes where the user asked (``--output``), else into the state folder;
    redacted unless the user asked otherwise. Never raises.
    """
    if _kept is None:
        return None
    if _kept.saved_to is not None:
        return _kept.saved_to
    try:
        report = _kept.get()
        if report is None:
            return None
        from .report import redact_report
        from .report.io import report_to_json, write_private

        if _kept.redact:
            report = redact_report(report)
        text = report_to_json(report)
        if _kept.path is not None and str(_kept.path) != "-":
            try:
                write_private(_kept.path, text)
            except ValueError:  # ReportFileError: fall back to the state folder
                pass
            else:
                _kept.saved_to = _kept.path
                return _kept.path
        folder = _private_dir()
        fd, path = _create_private(folder, "report", ".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        _kept.saved_to = path
        return path
    except Exception:
        return None
