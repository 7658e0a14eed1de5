"""``sessioncheck host``: the therapist opens a peer test and reads a code to the client.

Shared with ``sessioncheck join`` (:mod:`.join`): the flags, running the test with progress
on stderr, saving the combined report, and printing it for this side's audience.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import ExitCode, UsageError

REFUSED = {"bad_code", "expired", "used", "rate_limited", "auth_failed", "busy", "bad_url",
           "server_unreachable", "protocol_error", "bad_message", "version", "timeout"}
"""Outcomes where no test ran: one line on stderr, no report file."""


def register(sub: Any) -> None:
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
    p.add_argument("--output", "-o", type=Path, metavar="FILE",
                   help="where to save the combined report (default: ./sessioncheck-peer-TESTID-ROLE.json)")
    p.add_argument("--config", type=Path, metavar="FILE", help="settings file")
    p.add_argument("--ice-servers", type=Path, metavar="FILE", help="JSON file with a WebRTC iceServers list")
    p.add_argument("--stun", action="append", default=[], metavar="URL", help="a STUN server URL (repeatable)")
    p.add_argument("--turn", action="append", default=[], metavar="URL", help="a TURN server URL (repeatable)")
    p.add_argument("--turn-username", metavar="NAME")
    p.add_argument("--turn-credential", metavar="SECRET")
    p.add_argument("--ca-file", metavar="PEM", help="extra CA certificates to trust (wss:// and turns:)")
    p.add_argument("--no-redact", action="store_true", help="keep IP addresses and ICE candidates in the report")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def settings_for(args: argparse.Namespace) -> Any:
    from .check import build_settings

    for name in ("probes", "camera", "microphone", "speaker", "timeout"):
        setattr(args, name, None)
    settings = build_settings(args)
    if not settings.server:
        raise UsageError("--server is needed: the address of the clinic's sessioncheck server")
    return settings


def run_host(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    from ..peer.session import host

    return run_peer(args, host(settings, settings.server), settings)


def run_peer(args: argparse.Namespace, test: Any, settings: Any) -> int:
    import asyncio

    from ..model import Audience
    from ..report import redact_report, render_text, save_report
    from ..report.io import ReportFileError, check_save_target, report_to_json

    if args.output is not None:
        try:
            check_save_target(args.output)
        except ReportFileError as e:
            raise UsageError(f"--output: {e}") from None
    report = asyncio.run(_with_progress(test, quiet=args.quiet))
    if test.outcome in REFUSED:
        finding = report.findings[0] if report.findings else None
        audience = Audience.THERAPIST if test.role == "therapist" else Audience.CLIENT
        text = f"{finding.for_audience(audience).title}: {test.detail}" if finding else test.detail
        print(f"sessioncheck {'host' if test.role == 'therapist' else 'join'}: {text}", file=sys.stderr)
        return ExitCode.USAGE
    if settings.redact:
        report = redact_report(report)
    exit_code = {"video": ExitCode.VIDEO, "audio_only": ExitCode.AUDIO_ONLY, "phone": ExitCode.PHONE}[
        report.verdict.value
    ]
    path = args.output or Path(f"sessioncheck-peer-{test.test_id or 'unpaired'}-{test.role}.json")
    try:
        save_report(report, path)
    except ReportFileError as e:
        print(f"sessioncheck: {e}", file=sys.stderr)
        exit_code = ExitCode.USAGE
    else:
        if not args.quiet:
            print(f"Report saved to {path}", file=sys.stderr)
    audience = Audience.THERAPIST if test.role == "therapist" else Audience.CLIENT
    if args.format == "json":
        sys.stdout.write(report_to_json(report))
    else:
        sys.stdout.write(render_text(report, audience))
    sys.stdout.flush()
    if report.interrupted:
        return ExitCode.INTERRUPTED
    return exit_code


async def _with_progress(test: Any, *, quiet: bool) -> Any:
    import asyncio
    import os
    import signal

    from ..advice import catalogue
    from ..events import Progress
    from ..peer.events import PeerJoined, RoomCreated

    loop = asyncio.get_running_loop()
    presses = 0

    def on_interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            print(catalogue.phrase("cli.stopping"), file=sys.stderr, flush=True)
            test.cancel()
        else:
            os._exit(ExitCode.INTERRUPTED)

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    except (NotImplementedError, RuntimeError):
        pass
    async for event in test.events():
        if isinstance(event, RoomCreated):
            # the code is what this command is for: shown even with --quiet
            print(catalogue.phrase("peer.waiting", code=event.display, minutes=event.expires_in_s / 60),
                  file=sys.stderr, flush=True)
            print(f"CODE {event.display}", file=sys.stderr, flush=True)
        elif quiet:
            continue
        elif isinstance(event, PeerJoined):
            print(f"  ... test {event.test_id} started", file=sys.stderr, flush=True)
        elif isinstance(event, Progress) and event.note:
            print(f"  ... {event.note}", file=sys.stderr, flush=True)
    return test.report
