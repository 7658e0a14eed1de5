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
    HANGUP = 129
    """Stopped by SIGHUP (the terminal was closed); as INTERRUPTED otherwise. 128 + 1."""
    INTERRUPTED = 130
    """The check was stopped (Ctrl-C); the partial report was still printed and saved."""
    TERMINATED = 143
    """Stopped by SIGTERM (e.g. ``kill``, a service manager); as INTERRUPTED otherwise. 128 + 15."""

    @classmethod
    def for_report(cls, report: Report) -> ExitCode:
        """The exit code a finished run's report calls for: its verdict, or why it cannot be trusted."""
        if report.interrupted:
            return cls.INTERRUPTED
        if report.verdict.value == "video":
            return cls.VIDEO if report.verdict_complete else cls.PARTLY_CHECKED
        return cls.AUDIO_ONLY if report.verdict.value == "audio_only" else cls.PHONE


def exit_code_for_signal(signum: int) -> int:
    """The shell convention: 128 + the signal's number (SIGINT 130, SIGHUP 129, SIGTERM 143)."""
    return 128 + int(signum)


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM, SIGHUP) arrived outside a run: handled like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS: tuple[int, ...] | None = None


def stop_signals() -> tuple[int, ...]:
    """The signals that stop a run as Ctrl-C does: SIGINT, SIGTERM and (where it exists) SIGHUP.

    A signal this process was started with ignored stays ignored (``nohup`` ignores SIGHUP,
    a shell ignores SIGINT for a job it starts in the background): the first call notes
    which, before any handler is installed.
    """
    global _STOP_SIGNALS
    if _STOP_SIGNALS is None:
        import signal

        names = ("SIGINT", "SIGTERM", "SIGHUP")
        sigs = [getattr(signal, n) for n in names if hasattr(signal, n)]
        _STOP_SIGNALS = tuple(s for s in sigs if signal.getsignal(s) is not signal.SIG_IGN)
    return _STOP_SIGNALS


def stop_on_signals() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Stopped` (SIGINT already raises KeyboardInterrupt).

    For the moments a command is not inside its event loop (importing, saving, printing):
    during a run the loop's handlers (:class:`StopHandler`) take over, and a loop that closes
    resets them to the default, so commands call this again after ``asyncio.run``. Signals are
    never blocked: saving to a FIFO nobody reads must stay stoppable.
    """
    import signal

    def raise_stopped(signum: int, frame: object) -> None:
        raise Stopped(signum)

    for sig in stop_signals():
        if sig != signal.SIGINT:  # SIGINT raises KeyboardInterrupt already
            signal.signal(sig, raise_stopped)


class StopHandler:
    """The first stop signal during a run cancels it (the partial report is kept); a second
    one quits at once. Install it on the running loop with :meth:`install`."""

    def __init__(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel
        self.signum: int | None = None
        """The first stop signal received, if any."""

    def install(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for sig in stop_signals():
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt still works
                pass

    def _on_signal(self, signum: int) -> None:
        import os

        if self.signum is not None:
            os._exit(exit_code_for_signal(self.signum))
        self.signum = signum
        from .advice import catalogue

        try:
            print(catalogue.phrase("cli.stopping"), file=sys.stderr, flush=True)
        except OSError:  # the terminal has gone (SIGHUP)
            pass
        self._cancel()

    def exit_code(self) -> int:
        """The exit code for a run that was stopped."""
        import signal

        return exit_code_for_signal(self.signum if self.signum is not None else signal.SIGINT)


def say(line: str) -> None:
    """One line of progress or diagnostics on stderr; a terminal that has gone (SIGHUP) is no error."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass


def write_out(text: str) -> None:
    """Write data to stdout; a reader that went away (``| head``, a closed terminal) is no error."""
    import os

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:  # BrokenPipeError, or EIO after a hangup
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


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
    except UsageError as e:
        print(f"sessioncheck: {e}", file=sys.stderr)
        return ExitCode.USAGE
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
