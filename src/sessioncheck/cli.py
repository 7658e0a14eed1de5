"""Command-line entry point: argument parsing and dispatch to subcommands.

Each subcommand lives in a module listed in :data:`COMMANDS` that exposes
``register(subparsers) -> None``; ``register`` adds a parser whose ``func`` default takes
the parsed arguments and returns an :class:`~sessioncheck.errors.ExitCode`. Command modules
import heavy libraries (aiortc, av, textual, aiohttp) only inside ``func``, so ``--help`` stays fast.

stdout carries data (reports); stderr carries progress and diagnostics.

Errors end here, in :func:`main`: a :class:`~sessioncheck.errors.SessioncheckError` (every
error a person can act on subclasses it) is one line and its ``exit_code``; anything else is
a crash (:func:`crashed`). Nothing imports this module but ``__main__``: the commands get
exit codes and errors from :mod:`sessioncheck.errors`, terminal helpers from
:mod:`sessioncheck.commands.terminal`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .commands.terminal import exit_code_for_signal
from .errors import ExitCode, SessioncheckError

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


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and a one-line hint, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"sessioncheck: {message} (see: {self.prog} --help)\n")


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked (importlib.metadata costs ~50 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from . import __version__

        sys.stdout.write(f"sessioncheck {__version__}\n")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sessioncheck",
        description=(
            "Check that this computer and connection are ready for an online therapy session. "
            "With no command, opens the guided check."
        ),
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMANDS:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    command = "sessioncheck"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"sessioncheck {args.command}" if args.command else command
        func = getattr(args, "func", None)
        if func is None:
            func = _default_command(parser)
            if func is None:
                parser.print_help(sys.stderr)
                return ExitCode.USAGE
        return int(func(args))
    except SessioncheckError as e:  # the one handler of every error a person can act on
        print(f"sessioncheck: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:  # Ctrl-C (or SIGTERM/SIGHUP) outside a run, e.g. while importing
        return stopped(getattr(e, "signum", None))
    except Exception as e:  # last resort: an apology, the details in a private file
        return crashed(e, context=command)
    finally:
        kept = sys.modules.get("sessioncheck.crashlog")
        if kept is not None:
            kept.forget_report()


def stopped(signum: int | None = None) -> int:
    """Say "stopped" (one line, no traceback) and return the exit code for the signal."""
    import signal

    try:
        from .advice.catalogue import phrase

        text = phrase("cli.stopped")
    except BaseException:  # a second Ctrl-C while importing the catalogue: still one line
        text = "Stopped."
    try:
        print(f"sessioncheck: {text}", file=sys.stderr, flush=True)
    except OSError:
        pass
    return exit_code_for_signal(signum if signum is not None else signal.SIGINT)


def crashed(exc: BaseException, *, context: str) -> int:
    """An unexpected exception: save what the run produced, log the details, apologise.

    The screen gets the catalogue's short apology; the traceback goes, redacted, to a 0600
    file in the state folder (:mod:`sessioncheck.crashlog`). ``SESSIONCHECK_DEBUG=1`` also
    prints the redacted details on stderr.
    """
    from . import crashlog
    from .advice.catalogue import phrase

    saved = crashlog.save_kept_report()
    lines = [phrase("cli.crash")]
    if saved is not None:
        lines.append(phrase("cli.crash.report_saved", path=saved))
    try:
        log = crashlog.write_crash_log(exc, context=context)
    except OSError as e:
        lines.append(phrase("cli.crash.no_log", reason=e.strerror or e))
    else:
        lines.append(phrase("cli.crash.what_to_do", log=log))
    try:
        if _debug():
            print(crashlog.crash_details(exc, context=context), file=sys.stderr)
        print("\n".join(f"sessioncheck: {line}" for line in lines), file=sys.stderr, flush=True)
    except OSError:
        pass
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
