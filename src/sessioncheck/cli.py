"""Command-line entry point: argument parsing and dispatch to subcommands.

Each subcommand lives in a module listed in :data:`COMMANDS` that exposes
``register(subparsers) -> None``; ``register`` adds a parser whose ``func`` default takes
the parsed arguments and returns an :class:`ExitCode`. Command modules import heavy
libraries (aiortc, av, textual, aiohttp) only inside ``func``, so ``--help`` stays fast.

stdout carries data (reports); stderr carries progress and diagnostics.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .model import Report


class ExitCode(IntEnum):
    """Process exit codes of ``sessioncheck``; scripts may rely on them."""

    VIDEO = 0
    """The check ran; ready for a video session (also: any command that succeeded)."""
    AUDIO_ONLY = 1
    """The check ran; use audio only."""
    PHONE = 2
    """The check ran; not ready: fall back to a phone call."""
    USAGE = 3
    """Bad usage or bad input (flag, config, ICE URL, report file); the message says which."""
    INTERNAL = 4
    """sessioncheck itself broke; please report it."""
    PARTLY_CHECKED = 5
    """The check ran and found nothing that rules out video, but something the verdict needs
    was not tested (the report's ``untested``) or a failure stands: not a "ready"."""
    INTERRUPTED = 130
    """The check was stopped (Ctrl-C); the partial report was still printed and saved."""

    @classmethod
    def for_report(cls, report: Report) -> ExitCode:
        """The exit code a finished run's report calls for: its verdict, or why it cannot be trusted."""
        if report.interrupted:
            return cls.INTERRUPTED
        if report.verdict.value == "video":
            return cls.VIDEO if report.verdict_complete else cls.PARTLY_CHECKED
        return cls.AUDIO_ONLY if report.verdict.value == "audio_only" else cls.PHONE


COMMANDS: tuple[str, ...] = (
    "sessioncheck.commands.check",
    "sessioncheck.commands.report",
    "sessioncheck.commands.serve",
    "sessioncheck.commands.host",
    "sessioncheck.commands.join",
    "sessioncheck.commands.web",
    "sessioncheck.commands.devices",
)
"""Modules that register subcommands, in the order ``--help`` lists them."""


class UsageError(Exception):
    """Bad usage or input: printed as one line, exit code 3."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and a one-line hint, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"sessioncheck: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="sessioncheck",
        description=(
            "Check that this computer and connection are ready for an online therapy session. "
            "With no command, opens the guided check."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sessioncheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMANDS:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        func = _default_command(parser)
        if func is None:
            parser.print_help(sys.stderr)
            return ExitCode.USAGE
    try:
        return int(func(args))
    except UsageError as e:
        print(f"sessioncheck: {e}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("sessioncheck: stopped.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as e:  # last resort: one line, never a traceback
        import logging

        logging.getLogger("sessioncheck").debug("internal error", exc_info=True)
        print(
            f"sessioncheck: internal error: {type(e).__name__}: {e}. "
            "Please report this (run with SESSIONCHECK_DEBUG=1 for details).",
            file=sys.stderr,
        )
        if _debug():
            raise
        return ExitCode.INTERNAL


def _default_command(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int] | None:
    """``sessioncheck`` alone opens the app when the Textual front end is available."""
    try:
        module = importlib.import_module("sessioncheck.commands.app")
    except ImportError:
        return None
    func: Callable[[argparse.Namespace], int] | None = getattr(module, "run_default", None)
    return func


def _debug() -> bool:
    import os

    return bool(os.environ.get("SESSIONCHECK_DEBUG"))
