"""``sessioncheck`` with no command: the guided check in a Textual app."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError


def run_default(args: argparse.Namespace) -> int:
    """Load settings (config file and environment) and run the app; returns the exit code.

    Without a terminal (piped, cron), there is nothing to guide: say how to run headless.
    """
    from ..settings import load_settings

    settings = load_settings()
    if not (sys.stdin.isatty() and sys.stdout.isatty()) and not _served():
        raise UsageError("the guided check needs a terminal; run 'sessioncheck check' for a report on stdout")
    from ..tui.app import run_app

    return run_app(settings)


def _served() -> bool:
    """True when textual-serve (``sessioncheck web``) runs us: it drives us without a tty."""
    import os

    return os.environ.get("TEXTUAL_DRIVER", "").endswith("WebDriver")


__all__ = ["run_default"]
