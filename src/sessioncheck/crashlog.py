"""Crash logs: what support needs to fix our bug, with no addresses in it, readable by the owner only.

Minimal stand-in (tui branch) for the CLI's version of this module; same signature.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path


def crash_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sessioncheck"


def write_crash_log(exc: BaseException, *, context: str) -> Path:
    """Write ``exc``'s traceback (no local variables), redacted, to a new 0600 file; return its path."""
    from . import __version__
    from .report.io import ReportFileError, write_private
    from .report.redact import redact_text

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    text = "".join(
        [
            f"sessioncheck {__version__} crashed in {context} at {stamp} UTC\n",
            f"python {sys.version.split()[0]} on {platform.system()} {platform.release()}\n\n",
            *traceback.format_exception(exc),
        ]
    )
    text = redact_text(text)
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        path = folder / f"sessioncheck-crash-{stamp}.log"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(path, text)
        except (OSError, ReportFileError):
            continue
        return path
    raise OSError("no folder to write the crash log to")
