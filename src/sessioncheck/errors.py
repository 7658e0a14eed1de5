"""Exit codes and the one base of every error a person can act on.

Standard library only, and imports nothing of sessioncheck at module level, so any layer
(model, settings, server, media, lab) can subclass :class:`SessioncheckError` without an
import circle, and the command line, the commands and the app all read :class:`ExitCode`
from here instead of from ``cli.py``.

The rule, in one place:

* An exception class whose message is written for a person (bad flag, settings, report
  file, device, server address, lab set-up) subclasses :class:`SessioncheckError` (and,
  where callers expect it, the built-in it was before: ``class SettingsError(SessioncheckError,
  ValueError)``). Its class attributes say the exit code and the catalogue key of its title;
  its ``str()`` is the message, unchanged.
* The command line has one handler for all of them (``cli.main``): ``sessioncheck: MESSAGE``
  on stderr, one line, exit :attr:`SessioncheckError.exit_code`. Commands do not catch them
  to re-raise.
* Anything else that escapes is sessioncheck's own bug: the crash handler apologises, logs it
  privately and exits :attr:`ExitCode.INTERNAL`. Exceptions used only for control flow inside
  one module (a probe giving up, a responder stopping) are listed in :data:`INTERNAL_ONLY`; a
  test checks that every exception class under ``src/`` is one or the other.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

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
    def for_report(cls, report: Report | None) -> ExitCode:
        """The exit code a run's report calls for: its verdict, or why it cannot be trusted.

        The only verdict → exit code map. ``None`` (a run stopped before it made a report)
        is :attr:`INTERRUPTED`.
        """
        if report is None or report.interrupted:
            return cls.INTERRUPTED
        if report.verdict.value == "video":
            return cls.VIDEO if report.verdict_complete else cls.PARTLY_CHECKED
        return cls.AUDIO_ONLY if report.verdict.value == "audio_only" else cls.PHONE


class SessioncheckError(Exception):
    """An error a person can act on: a title and a message, shown without a traceback.

    ``str(error)`` is the message. Subclasses set :attr:`exit_code` and :attr:`title_key`
    (a phrase in the wording catalogue); an instance may pass its own ``title``.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE
    """What the process exits with when this error ends a command."""
    title_key: ClassVar[str] = "error.title.usage"
    """Catalogue phrase of the one-line title a front end may show above the message."""

    def __init__(self, message: str = "", *args: object, title: str | None = None) -> None:
        super().__init__(message, *args)
        self._title = title

    @property
    def message(self) -> str:
        """What went wrong and what to do, in plain words (the same text as ``str()``)."""
        return str(self)

    @property
    def title(self) -> str:
        """One short line naming the kind of problem, from the catalogue unless given."""
        if self._title is not None:
            return self._title
        from .advice.catalogue import phrase

        return phrase(self.title_key)


class UsageError(SessioncheckError):
    """A flag or argument the command cannot use; the message names it."""


INTERNAL_ONLY: frozenset[str] = frozenset(
    {
        "sessioncheck.advice.catalogue._entry.CatalogueError",  # a wording entry is missing: our bug
        "sessioncheck.probes.base.ProbeSkipped",  # becomes a ``skip`` result, never escapes a run
        "sessioncheck.probes.ice._Failed",
        "sessioncheck.probes.path._Stale",
        "sessioncheck.rtc.peer.PeerConnectError",  # becomes a finding
        "sessioncheck.rtc.measure.core.ResponderStopped",
        "sessioncheck.runner.PlanError",  # the probes' own dependency graph is wrong: our bug
        "sessioncheck.server.candidates.BadOffer",  # answered to the remote side, not shown here
    }
)
"""Exception classes that are not for a person: they stay inside the run (and end as a
result or a finding) or, if one escapes, it is a bug (exit :attr:`ExitCode.INTERNAL`)."""


__all__ = ["INTERNAL_ONLY", "ExitCode", "SessioncheckError", "UsageError"]
