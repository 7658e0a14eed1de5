"""The terminal side of the commands: stop signals, progress on stderr, data on stdout.

Shared by ``cli.py`` and the command modules (which therefore never import ``cli``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import argparse

    from ..model import Report


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
        from ..advice import catalogue

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


class Run(Protocol):
    """What a command needs of a run it shows progress for: a check's ``Runner`` or a peer test."""

    @property
    def report(self) -> Report | None:
        """The final (or partial) report once the run ended."""

    def cancel(self) -> None:
        """Stop the run; what was measured is kept."""

    def events(self) -> AsyncIterator[object]:
        """Start the run and yield its events, ending with ``RunFinished``."""


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]
    """What ``register`` gets: the ``sessioncheck`` parser's subcommands."""
