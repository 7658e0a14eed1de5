"""``sessioncheck check``: run the checks headless; progress on stderr, the report on stdout."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExitCode, UsageError
from .terminal import Run, StopHandler, say, stop_on_signals, write_out

if TYPE_CHECKING:
    from ..model import Report
    from ..settings import Settings
    from .terminal import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "check",
        help="run the checks without the app and print a report",
        description="Run the checks headless. Progress goes to stderr, the report to stdout.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format on stdout")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="also save the JSON report here (mode 0600)")
    p.add_argument(
        "--audience",
        choices=("client", "therapist", "support"),
        default="client",
        help="whose wording the text report uses (support adds every measurement)",
    )
    p.add_argument("--probes", metavar="LIST", help="comma-separated probes to run, e.g. system,ice,loopback")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="settings file (default ~/.config/sessioncheck/config.toml)"
    )
    p.add_argument("--ice-servers", type=Path, metavar="FILE", help="JSON file with a WebRTC iceServers list")
    p.add_argument("--stun", action="append", default=[], metavar="URL", help="a STUN server URL (repeatable)")
    p.add_argument("--turn", action="append", default=[], metavar="URL", help="a TURN server URL (repeatable)")
    p.add_argument("--turn-username", metavar="NAME")
    p.add_argument("--turn-credential", metavar="SECRET")
    p.add_argument("--ca-file", metavar="PEM", help="extra CA certificates to trust for turns: servers")
    p.add_argument("--server", metavar="URL", help="the clinic's check server (ws:// or wss://), or 'local'")
    p.add_argument("--token", metavar="TOKEN", help="access token for the check server")
    p.add_argument("--camera", metavar="DEVICE", help="camera name or index, a media file, or lavfi:GRAPH")
    p.add_argument("--microphone", metavar="DEVICE", help="microphone name or index, a media file, or lavfi:GRAPH")
    p.add_argument("--speaker", metavar="DEVICE", help="speaker name or index")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="override every test's time limit")
    p.add_argument("--no-redact", action="store_true", help="keep IP addresses and ICE candidates in the report")
    p.add_argument(
        "--gentle",
        action="store_true",
        help="a call is running on this connection: test speed only up to what a call needs",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def build_settings(args: argparse.Namespace) -> Settings:
    """Config file and environment first, then the flags on top."""
    from ..settings import ice_servers_from_flags, load_ice_servers_file, load_settings

    settings = load_settings(args.config)
    if args.ice_servers is not None:
        settings = replace(settings, ice_servers=load_ice_servers_file(args.ice_servers))
    if args.stun or args.turn:
        flag_servers = ice_servers_from_flags(args.stun, args.turn, args.turn_username, args.turn_credential)
        base = settings.ice_servers if args.ice_servers is not None else ()
        settings = replace(settings, ice_servers=base + flag_servers)
    elif args.turn_username or args.turn_credential:
        raise UsageError("--turn-username/--turn-credential need a --turn URL")
    if args.probes:
        settings = replace(settings, probes=tuple(p.strip() for p in args.probes.split(",") if p.strip()))
    s = settings
    settings = replace(
        s,
        ca_file=_given(args.ca_file, s.ca_file),
        server=_given(args.server, s.server),
        token=_given(args.token, s.token),
        camera=_given(args.camera, s.camera),
        microphone=_given(args.microphone, s.microphone),
        speaker=_given(args.speaker, s.speaker),
    )
    if args.ca_file is not None and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file {args.ca_file}: no such file")
    if args.timeout is not None:
        if not math.isfinite(args.timeout) or args.timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds")
        settings = replace(settings, probe_timeout_s=args.timeout)
    if args.no_redact:
        settings = replace(settings, redact=False)
    if getattr(args, "gentle", False):
        settings = replace(settings, gentle=True)
    return settings


def _given(flag: str | None, configured: str | None) -> str | None:
    """A flag given on the command line wins over the settings file (even an empty one)."""
    return configured if flag is None else flag


def check_output_flag(path: Path | None) -> None:
    """``--output``: refuse a target that cannot be saved to now, before a run of many seconds."""
    from ..report.io import ReportFileError, check_save_target

    if path is not None:
        try:
            check_save_target(path)
        except ReportFileError as e:
            raise UsageError(f"--output: {e}") from None


def run(args: argparse.Namespace) -> int:
    stop_on_signals()  # SIGTERM/SIGHUP while importing act like Ctrl-C
    import asyncio

    from .. import crashlog
    from ..model import Audience, Report
    from ..probes import load_plan, plan_ids
    from ..report import redact_report, render_text, save_report
    from ..report.io import ReportFileError, report_to_json
    from ..runner import Runner

    check_output_flag(args.output)
    settings = build_settings(args)
    plan = load_plan(plan_ids(settings))

    runner = Runner(plan, settings)
    crashlog.keep_report(lambda: runner.report, path=args.output, redact=settings.redact)
    stop = StopHandler(runner.cancel)
    report = asyncio.run(_run_with_progress(runner, stop, quiet=args.quiet))
    stop_on_signals()  # the closed loop reset them
    # the same text a saved file gives back: control characters from the network stripped
    report = Report.from_dict(report.to_dict())
    if settings.redact:
        report = redact_report(report)

    exit_code = ExitCode.for_report(report)
    if args.output is not None:
        try:
            save_report(report, args.output)
        except ReportFileError as e:
            say(f"sessioncheck: {e}")
            exit_code = ExitCode.USAGE
        else:
            crashlog.report_saved(args.output)
            if not args.quiet and str(args.output) != "-":
                say(f"Report saved to {args.output}")
    if str(args.output) == "-":
        pass  # the JSON report went to stdout already: it is the whole output
    elif args.format == "json":
        write_out(report_to_json(report))
    else:
        write_out(render_text(report, Audience(args.audience)))
    if report.interrupted:
        return stop.exit_code()
    return exit_code


async def _run_with_progress(runner: Run, stop: StopHandler, *, quiet: bool) -> Report:
    from ..advice import catalogue
    from ..events import ProbeFinished, ProbeStarted

    stop.install()
    async for event in runner.events():
        if quiet:
            continue
        if isinstance(event, ProbeStarted):
            say(f"  ... {event.title}")
        elif isinstance(event, ProbeFinished):
            r = event.result
            name = catalogue.PHRASES.get(f"probe.{r.probe}", r.probe)
            label = catalogue.PHRASES[f"status.{r.status.value}"]
            say(f"  {label:>15}  {name} ({r.duration_s:.1f} s)")
    report = runner.report
    assert report is not None
    return report
