"""``sessioncheck report show FILE``: open a saved report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExitCode
from .terminal import write_out

if TYPE_CHECKING:
    from .terminal import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser("report", help="work with saved reports", description="Work with saved reports.")
    rsub = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    show = rsub.add_parser(
        "show",
        help="show a saved report",
        description="Show a saved report: in the app when run in a terminal, as text otherwise.",
    )
    show.add_argument("file", type=Path, metavar="FILE")
    show.add_argument(
        "--audience",
        choices=("client", "therapist", "support"),
        default="support",
        help="whose wording to use (default: support, with every measurement)",
    )
    show.add_argument(
        "--format",
        choices=("app", "text", "json"),
        default=None,
        help="app (default in a terminal), text (default otherwise) or json",
    )
    show.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    from ..model import Audience
    from ..report import load_report, render_text
    from ..report.io import report_to_json

    report = load_report(args.file)
    fmt = args.format or ("app" if sys.stdout.isatty() and sys.stdin.isatty() else "text")
    if fmt == "app":
        try:
            from ..tui.app import show_report
        except ImportError:
            fmt = "text"
        else:
            return int(show_report(report))
    if fmt == "json":
        write_out(report_to_json(report))
    else:
        write_out(render_text(report, Audience(args.audience)))
    return ExitCode.VIDEO
