"""``sessioncheck web``: the same guided check in a browser, served by textual-serve.

Loopback only by default. To let someone on another machine open it, bind to a reachable
address and tell the page where it is reachable, for example
``sessioncheck web --host 0.0.0.0 --port 8000 --public-url http://HOST:8000`` (and only on a
network you trust: anyone who can open the page runs the check on this computer).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExitCode, UsageError

if TYPE_CHECKING:
    from .terminal import Subcommands

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "web",
        help="open the guided check in a web browser (served on this computer)",
        description=(
            "Serve the guided check through textual-serve. Listens on 127.0.0.1 only unless "
            "--host says otherwise; with another host also pass --public-url."
        ),
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--public-url", metavar="URL", help="the address browsers use, when not the listening one")
    p.add_argument("--config", type=Path, metavar="FILE", help="settings file for the served check")
    p.set_defaults(func=run)


def app_command() -> str:
    """The command textual-serve starts for each browser session: this sessioncheck's app."""
    return f"{shlex.quote(sys.executable)} -m sessioncheck"


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is outside 1-65535")
    if args.config is not None:
        if not args.config.is_file():
            raise UsageError(f"--config {args.config}: no such file")
        os.environ["SESSIONCHECK_CONFIG"] = str(args.config.resolve())
    from ..settings import load_settings

    load_settings()  # fail here, in one line, rather than inside every browser session
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UsageError("the web front end needs textual-serve: pip install 'sessioncheck[web]'") from None
    from ..advice import catalogue

    server = Server(
        app_command(),
        host=args.host,
        port=args.port,
        title=catalogue.phrase("tui.title"),
        public_url=args.public_url,
    )
    server.serve()
    return ExitCode.VIDEO
