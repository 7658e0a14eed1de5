"""``sessioncheck serve``: the aiohttp application, its routes, and starting it.

Routes: ``/ws`` (a program's path test against the reflector peer, :mod:`.reflector`),
``/room`` (the peer test's rooms, :mod:`.rooms`), ``/join`` and ``/static/`` (the browser's
side of a peer test, :mod:`.page`), ``/protocol.json`` (the constants that page speaks),
``/health`` and ``/``. The messages are in :mod:`.wire`, the settings in :mod:`.config`.

A browser may open ``/ws`` and ``/room`` only from a page of this server (or an origin
configured with ``--allow-origin``); programs send no ``Origin`` and are not affected. HTTP
connections are closed when idle (``ServerConfig.idle_timeout_s``, aiohttp's
``keepalive_timeout``, which also covers a connection that never finishes its request) and
counted per address (see :mod:`.limits`); a client's address is logged only with
``log_addresses``.

``GET /health`` answers ``{"status": "ok", "active": n, "capacity": m, "version": v}``.
"""

from __future__ import annotations

import asyncio
import ssl

from aiohttp import web
from aiohttp.web import RequestHandler

from . import limits
from .clock import Clock
from .config import MAX_HEADER_BYTES, MAX_HEADERS, ServerConfig
from .guards import Guards
from .page import STATIC_DIR, handle_join_page, handle_protocol
from .reflector import Reflector
from .rooms import Rooms

REFLECTOR_KEY: web.AppKey[Reflector] = web.AppKey("reflector", Reflector)
ROOMS_KEY: web.AppKey[Rooms] = web.AppKey("rooms", Rooms)
GUARDS_KEY: web.AppKey[Guards] = web.AppKey("guards", Guards)


def make_app(config: ServerConfig, clock: Clock | None = None) -> web.Application:
    """The application; ``clock`` (default: monotonic time) runs every limit's timer."""
    guards = Guards(config, clock)
    reflector = Reflector(config, guards)
    app = web.Application(
        client_max_size=config.max_message_bytes,
        # aiohttp's own limits for every connection: a connection that sends no complete
        # request within the keep-alive timeout (idle, or a request dribbled a byte at a
        # time) is closed; header lines and counts are capped
        handler_args={
            "keepalive_timeout": config.idle_timeout_s,
            "max_line_size": MAX_HEADER_BYTES,
            "max_field_size": MAX_HEADER_BYTES,
            "max_headers": MAX_HEADERS,
        },
    )
    app[GUARDS_KEY] = guards
    app[REFLECTOR_KEY] = reflector
    app.router.add_get("/ws", reflector.handle_ws)
    app.router.add_get("/health", handle_health)
    app.router.add_get("/", handle_index)
    # peer test rooms (issue 6): signalling between a therapist and a client
    rooms = Rooms(config, guards)
    app[ROOMS_KEY] = rooms
    app.router.add_get("/room", rooms.handle_ws)
    # the client's side of a peer test in a web browser: /join?code=4KQ-7PZ-M2X
    app.router.add_get("/join", handle_join_page)
    app.router.add_get("/protocol.json", handle_protocol)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    app.on_response_prepare.append(_common_headers)
    return app


async def handle_health(request: web.Request) -> web.Response:
    return web.json_response(request.app[REFLECTOR_KEY].health())


async def handle_index(request: web.Request) -> web.Response:
    return web.Response(
        text="sessioncheck check server. Run: sessioncheck check --server "
        f"ws://{request.host}/ws\n"
        f"Peer test from a web browser (the client's side): http://{request.host}/join\n"
    )


async def _common_headers(request: web.Request, response: web.StreamResponse) -> None:
    # the join page's address holds the room code: never sent on as a referrer
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


class RunningServer:
    """A started server: its URL, and ``stop()``."""

    def __init__(self, runner: web.AppRunner, url: str, app: web.Application) -> None:
        self.runner = runner
        self.url = url
        self.app = app

    @property
    def reflector(self) -> Reflector:
        return self.app[REFLECTOR_KEY]

    @property
    def rooms(self) -> Rooms:
        return self.app[ROOMS_KEY]

    @property
    def guards(self) -> Guards:
        return self.app[GUARDS_KEY]

    async def stop(self) -> None:
        await self.runner.cleanup()


class _GuardedServer(web.Server):
    """aiohttp's low-level server, counting connections per address group as they open and
    closing those beyond :class:`limits.ConnectionGuard`'s caps at once."""

    guards: Guards
    groups: dict[RequestHandler, str]

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        peer = transport.get_extra_info("peername")
        group = limits.address_group(str(peer[0]) if isinstance(peer, tuple) and peer else None)
        self.guards.loop_errors.accepted()
        if not self.guards.connections.admit(group):
            # after aiohttp has started the connection's task (aborting now would end the
            # connection before that task runs, which it does not expect)
            asyncio.get_running_loop().call_soon(transport.abort)
            return
        self.groups[handler] = group

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        group = self.groups.pop(handler, None)
        if group is not None:
            self.guards.connections.release(group)
        super().connection_lost(handler, exc)


class _GuardedRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # same class layout (no slots, no new state): only the two hooks above differ
        server.__class__ = _GuardedServer
        assert isinstance(server, _GuardedServer)
        server.guards = self.app[GUARDS_KEY]
        server.groups = {}
        return server


async def start_server(
    config: ServerConfig, ssl_context: ssl.SSLContext | None = None, clock: Clock | None = None
) -> RunningServer:
    """Start listening (``port=0`` picks a free port) and return the signalling URL."""
    from ..rtc.peer import preload_aiortc

    preload_aiortc()  # before listening: the first test would otherwise wait for it
    app = make_app(config, clock)
    runner = _GuardedRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context)
    await site.start()
    addresses = runner.addresses
    port = int(addresses[0][1]) if addresses else config.port
    host = config.host if ":" not in config.host else f"[{config.host}]"
    scheme = "wss" if ssl_context is not None else "ws"
    return RunningServer(runner, f"{scheme}://{host}:{port}/ws", app)
