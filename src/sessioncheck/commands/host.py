"""``sessioncheck host``: the therapist opens a peer test and reads a code to the client.

Shared with ``sessioncheck join`` (:mod:`.join`): the flags, running the test with progress
on stderr, saving the combined report, and printing it for this side's audience.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import ExitCode, UsageError
from .terminal import Run, StopHandler, say, stop_on_signals, write_out

if TYPE_CHECKING:
    from ..model import Report
    from ..settings import Settings
    from .terminal import Subcommands


class PeerRun(Run, Protocol):
    """What the host and join commands read of a peer test (``peer.session``)."""

    @property
    def role(self) -> str:
        """``therapist`` or ``client``."""

    @property
    def outcome(self) -> str:
        """How the test ended (``ok``, or why not); see :data:`~sessioncheck.advice.verdict.NO_TEST_OUTCOMES`."""

    @property
    def detail(self) -> str:
        """The outcome in words, as the server or the other side gave it."""

    @property
    def no_test_ran(self) -> bool:
        """True when the server or the other side refused before any measurement."""

    @property
    def test_id(self) -> str | None:
        """The server's id of the test, once paired."""


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "host",
        help="therapist: start a test of the connection between you and your client",
        description=(
            "Open a peer test on the clinic's server and show a code to read to the client, who "
            "runs `sessioncheck join CODE`. Both sides then test the real path between them and "
            "each gets the same combined report (yours worded for you)."
        ),
    )
    add_common(p)
    p.set_defaults(func=run_host)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", metavar="URL", help="the clinic's sessioncheck server (ws:// or wss://)")
    p.add_argument("--token", metavar="TOKEN", help="access token for the server")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format on stdout")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="where to save the combined report (default: ./sessioncheck-peer-TESTID-ROLE.json)",
    )
    p.add_argument("--config", type=Path, metavar="FILE", help="settings file")
    p.add_argument("--ice-servers", type=Path, metavar="FILE", help="JSON file with a WebRTC iceServers list")
    p.add_argument("--stun", action="append", default=[], metavar="URL", help="a STUN server URL (repeatable)")
    p.add_argument("--turn", action="append", default=[], metavar="URL", help="a TURN server URL (repeatable)")
    p.add_argument("--turn-username", metavar="NAME")
    p.add_argument("--turn-credential", metavar="SECRET")
    p.add_argument("--ca-file", metavar="PEM", help="extra CA certificates to trust (wss:// and turns:)")
    p.add_argument("--no-redact", action="store_true", help="keep IP addresses and ICE candidates in the report")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def settings_for(args: argparse.Namespace) -> tuple[Settings, str]:
    """The settings of a peer test, and the server it needs."""
    from .check import build_settings

    for name in ("probes", "camera", "microphone", "speaker", "timeout"):
        setattr(args, name, None)
    settings = build_settings(args)
    if not settings.server:
        raise UsageError("--server is needed: the address of the clinic's sessioncheck server")
    return settings, settings.server


def run_host(args: argparse.Namespace) -> int:
    stop_on_signals()  # SIGTERM/SIGHUP while importing act like Ctrl-C
    settings, server = settings_for(args)
    from ..peer.session import host

    return run_peer(args, host(settings, server), settings)


def run_peer(args: argparse.Namespace, test: PeerRun, settings: Settings) -> int:
    import asyncio

    from .. import crashlog
    from ..model import Audience, Report, clean_text
    from ..report import redact_report, render_text, save_report
    from ..report.io import ReportFileError, report_to_json
    from .check import check_output_flag

    stop_on_signals()
    check_output_flag(args.output)
    crashlog.keep_report(lambda: test.report, path=args.output, redact=settings.redact)
    stop = StopHandler(test.cancel)
    report = asyncio.run(_with_progress(test, stop, quiet=args.quiet))
    stop_on_signals()  # the closed loop reset them
    if test.no_test_ran:  # one line on stderr, no report file
        finding = report.findings[0] if report.findings else None
        audience = Audience.THERAPIST if test.role == "therapist" else Audience.CLIENT
        detail = clean_text(test.detail)  # from the server: no escape sequences on the terminal
        text = f"{finding.for_audience(audience).title}: {detail}" if finding else detail
        say(f"sessioncheck {'host' if test.role == 'therapist' else 'join'}: {text}")
        return ExitCode.USAGE
    # the same text a saved file gives back: control characters from the other side stripped
    report = Report.from_dict(report.to_dict())
    if settings.redact:
        report = redact_report(report)
    exit_code = ExitCode.for_report(report)
    path = args.output or Path(f"sessioncheck-peer-{_safe_name(test.test_id)}-{test.role}.json")
    try:
        save_report(report, path)
    except ReportFileError as e:
        say(f"sessioncheck: {e}")
        exit_code = ExitCode.USAGE
    else:
        crashlog.report_saved(path)
        if not args.quiet and str(path) != "-":
            say(f"Report saved to {path}")
    audience = Audience.THERAPIST if test.role == "therapist" else Audience.CLIENT
    if str(args.output) == "-":
        pass  # the JSON report went to stdout already: it is the whole output
    elif args.format == "json":
        write_out(report_to_json(report))
    else:
        write_out(render_text(report, audience))
    if report.interrupted:
        return stop.exit_code()
    return exit_code


def _safe_name(test_id: str | None) -> str:
    """The test id as it may appear in a file name: the server sends it, so no "/" or ".."."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "", test_id or "")[:64] or "unpaired"


async def _with_progress(test: PeerRun, stop: StopHandler, *, quiet: bool) -> Report:
    from ..advice import catalogue
    from ..events import PeerJoined, Progress, RoomCreated
    from ..model import clean_text

    stop.install()
    async for event in test.events():
        if isinstance(event, RoomCreated):
            # the code is what this command is for: shown even with --quiet
            display = clean_text(event.display)
            say(catalogue.phrase("peer.waiting", code=display, minutes=event.expires_in_s / 60))
            say(f"CODE {display}")
        elif quiet:
            continue
        elif isinstance(event, PeerJoined):
            say(f"  ... test {clean_text(event.test_id)} started")
        elif isinstance(event, Progress) and event.note and event.probe == "peer":  # not the system facts' own
            say(f"  ... {clean_text(catalogue.progress_note(event.probe, event.note, event.values))}")
    report = test.report
    assert report is not None  # a peer test always ends with one
    return report
