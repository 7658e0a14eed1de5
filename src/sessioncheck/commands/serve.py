"""``sessioncheck serve``: run the clinic's check server (signalling + reflector peers)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExitCode, UsageError

if TYPE_CHECKING:
    import ssl

    from ..server.config import ServerConfig
    from ..settings import IceServer
    from .terminal import Subcommands

TOKEN_ENV = "SESSIONCHECK_SERVE_TOKEN"


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "serve",
        help="run a check server that clients test their connection against",
        description=(
            "Run the check server: clients connect with `sessioncheck check --server URL` and "
            "measure their connection against it. The URL is printed on stdout once listening."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 picks a free one)")
    p.add_argument("--tls-cert", type=Path, metavar="PEM", help="certificate chain for wss://")
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="private key for wss://")
    p.add_argument("--ice-servers", type=Path, metavar="FILE", help="JSON iceServers list for the reflector peers")
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"access token clients must send (or set {TOKEN_ENV}); without one anyone may test",
    )
    p.add_argument("--max-tests", type=int, default=4, metavar="N", help="tests that may run at once (default 4)")
    p.add_argument(
        "--max-duration", type=float, default=30.0, metavar="SECONDS", help="longest test allowed (default 30)"
    )
    p.add_argument(
        "--max-message",
        type=int,
        default=64 * 1024,
        metavar="BYTES",
        help="largest signalling message accepted (default 65536)",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin (e.g. https://portal.clinic.example) whose pages may use this server, besides "
        "its own /join page; repeat for more; '*' allows any (programs are never affected)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close an HTTP connection that sends no complete request for this long (default 15)",
    )
    p.add_argument(
        "--max-connections-per-address",
        type=int,
        default=None,
        metavar="N",
        help="open connections one address (IPv6: one /64) may hold (default 64)",
    )
    p.add_argument(
        "--max-tests-per-address",
        type=int,
        default=None,
        metavar="N",
        help="tests one address (IPv6: one /64) may run at once (default 2)",
    )
    p.add_argument(
        "--max-rooms-per-address",
        type=int,
        default=None,
        metavar="N",
        help="peer-test codes one address (IPv6: one /64) may have waiting at once (default 10)",
    )
    p.add_argument(
        "--log-addresses",
        action="store_true",
        help="write clients' addresses in the log (default: a pseudonym per address, new each run)",
    )
    p.add_argument(
        "--verbose",
        "-v",
        action="count",
        default=0,
        help="log each test on stderr; twice (-vv) also the details of errors",
    )
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace) -> tuple[ServerConfig, ssl.SSLContext | None]:
    """The server configuration and TLS context from the flags, or a UsageError."""
    from ..server.config import ServerConfig
    from ..settings import load_ice_servers_file

    if not args.host.strip():  # aiohttp would listen on every interface
        raise UsageError("--host needs an address: 127.0.0.1 (this computer) or 0.0.0.0 (every interface)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: choose a port between 0 and 65535")
    if args.max_tests < 1:
        raise UsageError("--max-tests must be at least 1")
    if not 0 < args.max_duration < float("inf"):  # NaN fails this too
        raise UsageError("--max-duration must be a positive number of seconds")
    if args.max_message < 4096:
        raise UsageError("--max-message must be at least 4096 bytes (an offer is a few kB)")
    ice: tuple[IceServer, ...] = ()
    if args.ice_servers is not None:
        ice = load_ice_servers_file(args.ice_servers)
    ssl_context = None
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        import ssl

        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as e:
            raise UsageError(f"cannot load the TLS certificate/key: {e}") from None
    defaults = ServerConfig()
    idle = defaults.idle_timeout_s if args.idle_timeout is None else args.idle_timeout
    if not idle > 0:
        raise UsageError("--idle-timeout must be a positive number of seconds")
    per_address = {}
    for flag in ("max_connections_per_address", "max_tests_per_address", "max_rooms_per_address"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
        per_address[flag] = getattr(defaults, flag) if value is None else value
    origins = tuple(_origin(o) for o in args.allow_origin)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    config = ServerConfig(
        host=args.host,
        port=args.port,
        token=token,
        ice_servers=ice,
        max_tests=args.max_tests,
        max_duration_s=args.max_duration,
        max_message_bytes=args.max_message,
        idle_timeout_s=idle,
        allowed_origins=origins,
        log_addresses=args.log_addresses,
        **per_address,
    )
    return config, ssl_context


def _origin(text: str) -> str:
    """``--allow-origin``: ``*`` or a web origin (scheme, host, optional port; no path)."""
    from urllib.parse import urlsplit

    value = text.strip()
    if value == "*":
        return value
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise UsageError(f"--allow-origin {text!r}: give a web origin such as https://portal.clinic.example")
    return value


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from ..server.limits import raise_fd_limit

    config, ssl_context = build_config(args)
    raise_fd_limit()  # connections are capped below it (server.limits.connection_budget)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose >= 2 else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return asyncio.run(_serve(config, ssl_context))
    except OSError as e:
        print(f"sessioncheck serve: cannot listen on {config.host}:{config.port}: {e.strerror or e}", file=sys.stderr)
        return ExitCode.USAGE


async def _serve(config: ServerConfig, ssl_context: ssl.SSLContext | None) -> int:
    import asyncio
    import signal

    from ..server.app import start_server

    server = await start_server(config, ssl_context)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # a full fd table is one line, not a traceback per accept(); client-caused errors one line
    loop.set_exception_handler(server.guards.loop_errors)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(server.url, flush=True)
    print(
        f"sessioncheck serve: listening on {server.url} "
        f"(health: {server.url.replace('ws', 'http', 1).removesuffix('/ws')}/health; "
        f"token {'required' if config.token else 'not required'}; "
        f"up to {config.max_tests} tests of {config.max_duration_s:g} s)",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    print("sessioncheck serve: stopping", file=sys.stderr, flush=True)
    await server.stop()
    return ExitCode.VIDEO
