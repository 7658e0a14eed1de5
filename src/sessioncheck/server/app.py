"""``sessioncheck serve``: an aiohttp app with WebSocket signalling and reflector peers.

Signalling, one WebSocket per test at ``/ws`` (JSON text messages):

1. client → ``{"type": "hello", "version": 1, "token": "..."}``
2. server → ``{"type": "welcome", "max_duration_s": D, "ice_servers": [...],
   "negotiated_channels": true}``, or
   ``{"type": "error", "code": "auth_failed" | "busy" | "bad_message" | "version" | "rate_limited",
   "message": "...", "retry_after_s": N}`` and the socket closes.
3. client → ``{"type": "offer", "sdp": "...", "negotiated_id": N}`` (candidates gathered in
   full, no trickle; ``negotiated_id`` only to a server that announced
   ``negotiated_channels``: the reflector then creates the measurement channels on SCTP
   streams N..N+2 itself, see :func:`sessioncheck.rtc.protocols.create_channels`)
4. server → ``{"type": "answer", "sdp": "..."}``; the reflector peer runs the responder
   side of :mod:`sessioncheck.rtc.protocols` until the client closes the WebSocket or the
   test duration limit is reached (then ``{"type": "bye", "reason": "..."}``).

Each test is its own task with its own peer; whatever one client sends (malformed JSON,
oversized messages, a broken offer, vanishing mid-test) ends only that client's test.
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
import contextlib
import hmac
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .. import __version__
from ..settings import IceServer
from . import limits
from .candidates import BadOffer, CandidatePolicy, TurnAddresses, filter_offer, local_addresses, parse_ip

logger = logging.getLogger(__name__)

SIGNALLING_VERSION = 1
NEGOTIATED_CHANNELS = True
"""Announced in the welcome: this server honours an offer's ``negotiated_id``. A client
negotiates its channels out of band only with a server that says so (an older server
would ignore the id, and the client's channels would lead nowhere)."""
HELLO_TIMEOUT_S = 10.0
OFFER_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 15.0
"""A test ends when its peer connection is not up this long after the answer (or fails)."""
IDLE_TIMEOUT_S = 15.0
"""An HTTP connection that sends no complete request for this long is closed."""
AUTH_FAILURES = 5
"""Wrong tokens one address group may send at once (``/ws`` and ``/room`` together) ..."""
AUTH_INTERVAL_S = 10.0
"""... and then one per this many seconds."""
MAX_HEADER_BYTES = 8190
"""Longest request line and header field (aiohttp's ``max_line_size``/``max_field_size``)."""
MAX_HEADERS = 64


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    ice_servers: tuple[IceServer, ...] = ()
    max_tests: int = 4
    """Tests that may run at once; the next client hears "busy, retry in N s"."""
    max_duration_s: float = 30.0
    """A test is ended after this long, whatever the client does."""
    max_message_bytes: int = 64 * 1024
    """Largest signalling message accepted (an SDP offer is a few kB)."""
    max_rooms: int = 100
    """Peer-test rooms that may wait for a client at once (see :mod:`.rooms`)."""
    room_ttl_s: float = 900.0
    """A peer-test code expires after this long when nobody joined (15 minutes)."""
    max_tests_per_address: int = 2
    """Reflector tests one address (IPv6: one /64) may run at once."""
    max_rooms_per_address: int = 10
    """Peer-test rooms one address (IPv6: one /64) may have waiting at once."""
    max_connections_per_address: int = 64
    """Open HTTP connections one address (IPv6: one /64) may have."""
    idle_timeout_s: float = IDLE_TIMEOUT_S
    """An HTTP connection without a complete request for this long is closed."""
    allowed_origins: tuple[str, ...] = ()
    """Web origins (``https://portal.example``) besides this server's own whose pages may use
    ``/ws`` and ``/room``; ``*`` allows any."""
    log_addresses: bool = False
    """Log clients' addresses (otherwise a per-run pseudonym)."""


class Guards:
    """What the reflector and the rooms share: wrong-token throttle, connection caps, how the
    log names a client."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.label = limits.AddressLabel(config.log_addresses)
        self.auth = limits.Throttle(AUTH_FAILURES, AUTH_INTERVAL_S)
        self.connections = limits.ConnectionGuard(
            config.max_connections_per_address, limits.connection_budget(config.max_tests)
        )
        self.origins = frozenset(
            "*" if o.strip() == "*" else limits.normalise_origin(o) for o in config.allowed_origins
        )
        self.loop_errors = limits.LoopErrors()

    def check_token(self, token: Any) -> bool:
        expected = self.config.token
        if not expected:
            return True
        if not isinstance(token, str):
            return False
        # "surrogatepass": a lone surrogate in a JSON string is a wrong token, not a crash
        given = token.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(given, expected.encode("utf-8", "surrogatepass"))

    def origin_ok(self, request: web.Request) -> bool:
        hosts = [request.host, request.headers.get("X-Forwarded-Host", "").split(",", 1)[0]]
        return limits.origin_allowed(request.headers.get("Origin"), hosts, self.origins)

    async def authenticate(self, ws: web.WebSocketResponse, group: str, token: Any) -> bool:
        """Check the hello's token; refuse (and say so) when wrong or when this address has
        guessed too often."""
        wait = self.auth.wait_s(group)
        if wait:
            await _refuse(ws, "rate_limited", f"too many wrong access tokens, wait {wait} s", retry_after_s=wait)
            return False
        if self.check_token(token):
            return True
        self.auth.fail(group)
        await _refuse(ws, "auth_failed", "the access token is missing or wrong")
        return False


def refuse_origin(request: web.Request, label: str) -> web.Response:
    origin = request.headers.get("Origin", "")
    logger.info("refused %s: a web page from %.80r may not use this server", label, origin)
    return web.Response(status=403, text="this check server does not accept connections from that web page\n")


@dataclass
class _Test:
    started: float
    deadline: float
    group: str = "?"
    peer_tasks: set[asyncio.Task[Any]] = field(default_factory=set)


class Reflector:
    """Holds the limits and the running tests; one per server."""

    def __init__(self, config: ServerConfig, guards: Guards | None = None) -> None:
        self.config = config
        self.guards = guards or Guards(config)
        self.tests: dict[int, _Test] = {}
        self._next_id = 0
        self.completed = 0
        self.turn = TurnAddresses(config.ice_servers)

    def retry_after_s(self, among: list[_Test] | None = None) -> int:
        now = time.monotonic()
        tests = self.tests.values() if among is None else among
        soonest = min((t.deadline for t in tests), default=now)
        return max(1, math.ceil(soonest - now))

    def check_token(self, token: Any) -> bool:
        return self.guards.check_token(token)

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        peer = self.guards.label(request.remote)
        if not self.guards.origin_ok(request):
            return refuse_origin(request, peer)
        ws = web.WebSocketResponse(max_msg_size=self.config.max_message_bytes, heartbeat=10.0)
        await ws.prepare(request)
        group = limits.address_group(request.remote)
        test_id: int | None = None
        try:
            hello = await _receive_json(ws, HELLO_TIMEOUT_S)
            if hello is None:
                return ws
            if hello.get("type") != "hello":
                await _refuse(ws, "bad_message", "the first message must be a hello")
                return ws
            if hello.get("version", SIGNALLING_VERSION) != SIGNALLING_VERSION:
                await _refuse(ws, "version", f"this server speaks version {SIGNALLING_VERSION}")
                return ws
            if not await self.guards.authenticate(ws, group, hello.get("token")):
                logger.info("refused %s: wrong token", peer)
                return ws
            mine = [t for t in self.tests.values() if t.group == group]
            if len(self.tests) >= self.config.max_tests or len(mine) >= self.config.max_tests_per_address:
                retry = self.retry_after_s(mine if len(self.tests) < self.config.max_tests else None)
                logger.info("refused %s: busy (%d tests, %d from it)", peer, len(self.tests), len(mine))
                await _refuse(ws, "busy", f"busy, retry in {retry} s", retry_after_s=retry)
                return ws
            self._next_id += 1
            test_id = self._next_id
            now = time.monotonic()
            self.tests[test_id] = _Test(started=now, deadline=now + self.config.max_duration_s, group=group)
            await ws.send_json(
                {
                    "type": "welcome",
                    "version": SIGNALLING_VERSION,
                    "server": __version__,
                    "max_duration_s": self.config.max_duration_s,
                    "ice_servers": [s.to_dict() for s in self.config.ice_servers],
                    "negotiated_channels": NEGOTIATED_CHANNELS,
                }
            )
            async with asyncio.timeout(self.config.max_duration_s):
                await self._run_test(ws, peer, request.remote)
        except TimeoutError:
            logger.info("test from %s reached the %g s limit", peer, self.config.max_duration_s)
            with contextlib.suppress(Exception):
                await ws.send_json({"type": "bye", "reason": "test duration limit reached"})
        except Exception as e:  # one broken client never affects others; its log is one line
            logger.warning("test from %s broke: %s: %s", peer, type(e).__name__, e)
            logger.debug("details", exc_info=True)
        finally:
            if test_id is not None:
                self.tests.pop(test_id, None)
                self.completed += 1
            with contextlib.suppress(Exception):
                await ws.close()
        return ws

    async def _run_test(self, ws: web.WebSocketResponse, peer: str, remote: str | None) -> None:
        from ..rtc.measure.responder import Responder
        from ..rtc.measure.wire import NEGOTIATED_ID_MAX
        from ..rtc.peer import close_all, make_peer

        offer = await _receive_json(ws, OFFER_TIMEOUT_S)
        if offer is None:
            return
        sdp = offer.get("sdp")
        if offer.get("type") != "offer" or not isinstance(sdp, str):
            await _refuse(ws, "bad_message", "expected an offer with an sdp")
            return
        if "\nm=application " not in sdp.replace("\r\n", "\n"):
            await _refuse(ws, "bad_message", "the offer has no data channel to measure over")
            return
        negotiated = offer.get("negotiated_id")
        if negotiated is not None and (type(negotiated) is not int or not 0 <= negotiated <= NEGOTIATED_ID_MAX):
            await _refuse(ws, "bad_message", f"negotiated_id must be a whole number from 0 to {NEGOTIATED_ID_MAX}")
            return
        from aiortc import RTCSessionDescription

        try:
            policy = await self._candidate_policy(remote)
            sdp, kept, dropped = filter_offer(sdp, policy)
        except BadOffer as e:
            await _refuse(ws, "bad_message", str(e))
            return
        if dropped:
            logger.info("offer from %s: kept %d candidates, dropped %d", peer, kept, dropped)
        pc = make_peer(self.config.ice_servers)
        responder = Responder(pc)
        try:
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                if negotiated is not None:
                    responder.attach_negotiated(negotiated)
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as e:  # a broken offer is the client's problem, not the server's
                logger.info("bad offer from %s: %s", peer, e)
                await _refuse(ws, "bad_message", f"the offer could not be used: {e}")
                return
            await ws.send_json({"type": "answer", "sdp": pc.localDescription.sdp})
            logger.info("test from %s: answered, measuring", peer)
            watch = asyncio.ensure_future(self._end_unless_connected(pc, ws, peer))
            # the test runs over the data channels; the WebSocket's end is the test's end
            try:
                async for msg in ws:
                    if msg.type is not WSMsgType.TEXT:
                        break
                    data = _parse(msg.data)
                    if data is None or data.get("type") == "bye":
                        break
            finally:
                watch.cancel()
        finally:
            responder.close()
            await close_all(pc)
            logger.info("test from %s ended", peer)

    async def _end_unless_connected(self, pc: Any, ws: web.WebSocketResponse, peer: str) -> None:
        """A test whose peer connection does not come up (or fails) ends at once: a client
        that only says hello and offers cannot hold a test slot for the whole duration."""
        from ..rtc.peer import PeerConnectError, wait_connected

        try:
            await wait_connected(pc, CONNECT_TIMEOUT_S)
        except PeerConnectError:
            logger.info("test from %s: the connection did not come up", peer)
            with contextlib.suppress(Exception):
                await ws.send_json({"type": "bye", "reason": "the connection to the test server did not come up"})
                await ws.close()

    async def _candidate_policy(self, remote: str | None) -> CandidatePolicy:
        own, lans = local_addresses()
        client = parse_ip(remote) if remote else None
        return CandidatePolicy(client=client, turn=await self.turn.get(), own=frozenset(own), lans=tuple(lans))

    async def handle_health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "version": __version__,
                "active": len(self.tests),
                "capacity": self.config.max_tests,
                "completed": self.completed,
            }
        )

    async def handle_index(self, request: web.Request) -> web.Response:
        return web.Response(
            text="sessioncheck check server. Run: sessioncheck check --server "
            f"ws://{request.host}/ws\n"
            f"Peer test from a web browser (the client's side): http://{request.host}/join\n"
        )


_parse = limits.parse_object


async def _receive_json(ws: web.WebSocketResponse, timeout_s: float) -> dict[str, Any] | None:
    """The next JSON object, or None after telling the client what was wrong."""
    try:
        async with asyncio.timeout(timeout_s):
            msg = await ws.receive()
    except TimeoutError:
        await _refuse(ws, "timeout", f"nothing received for {timeout_s:g} s")
        return None
    if msg.type is WSMsgType.ERROR:
        # aiohttp has already closed the socket (e.g. 1009 for an oversized message)
        logger.info("signalling error: %s", ws.exception())
        return None
    if msg.type is not WSMsgType.TEXT:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            return None
        await _refuse(ws, "bad_message", "messages must be JSON text")
        return None
    data = _parse(msg.data)
    if data is None:
        await _refuse(ws, "bad_message", "the message is not a JSON object")
    return data


async def _refuse(ws: web.WebSocketResponse, code: str, message: str, **extra: Any) -> None:
    with contextlib.suppress(Exception):
        await ws.send_json({"type": "error", "code": code, "message": message, **extra})
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=code.encode())


REFLECTOR_KEY: web.AppKey[Reflector] = web.AppKey("reflector", Reflector)
ROOMS_KEY: web.AppKey[Any] = web.AppKey("rooms")


GUARDS_KEY: web.AppKey[Guards] = web.AppKey("guards", Guards)


def make_app(config: ServerConfig) -> web.Application:
    guards = Guards(config)
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
    app.router.add_get("/health", reflector.handle_health)
    app.router.add_get("/", reflector.handle_index)
    # peer test rooms (issue 6): signalling between a therapist and a client
    from .rooms import Rooms

    rooms = Rooms(config, guards)
    app[ROOMS_KEY] = rooms
    app.router.add_get("/room", rooms.handle_ws)
    # the client's side of a peer test in a web browser: /join?code=4KQ-7PZ-M2X
    app.router.add_get("/join", handle_join_page)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    app.on_response_prepare.append(_common_headers)
    return app


STATIC_DIR = Path(__file__).parent / "static"
"""The browser page for the client's side of a peer test (package data)."""


PHRASES_SLOT = "/*PHRASES*/{}"
"""Where ``join.html`` takes the catalogue's ``browser.*`` wording."""


def content_security_policy(page: str) -> str:
    """The join page's policy: its own script file and the hashes of its inline script and
    style, signalling to this server only, no frames, forms or plugins."""
    import base64
    import hashlib
    import re

    def sources(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S)
        return " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'" for b in blocks
        )

    return (
        "default-src 'none'; "
        f"script-src 'self' {sources('script')}; "
        f"style-src {sources('style') or chr(39) + 'none' + chr(39)}; "
        "connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


async def handle_join_page(request: web.Request) -> web.Response:
    from ..advice.catalogue import PHRASES

    try:
        page = (STATIC_DIR / "join.html").read_text(encoding="utf-8")
    except OSError:
        return web.Response(status=500, text="this installation of sessioncheck lacks its web page\n")
    phrases = {k: v for k, v in PHRASES.items() if k.startswith("browser.")}
    # "</" never appears inside the inline script: escaped as JSON's "<\/"
    data = json.dumps(phrases, ensure_ascii=True).replace("</", "<\\/")
    page = page.replace(PHRASES_SLOT, data, 1)
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": content_security_policy(page)},
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
    def guards(self) -> Guards:
        return self.app[GUARDS_KEY]

    async def stop(self) -> None:
        await self.runner.cleanup()


class _GuardedServer(web.Server):
    """aiohttp's low-level server, counting connections per address group as they open and
    closing those beyond :class:`limits.ConnectionGuard`'s caps at once."""

    guards: Guards
    groups: dict[Any, str]

    def connection_made(self, handler: Any, transport: asyncio.Transport) -> None:
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

    def connection_lost(self, handler: Any, exc: BaseException | None = None) -> None:
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


async def start_server(config: ServerConfig, ssl_context: Any = None) -> RunningServer:
    """Start listening (``port=0`` picks a free port) and return the signalling URL."""
    from ..rtc.peer import preload_aiortc

    preload_aiortc()  # before listening: the first test would otherwise wait for it
    app = make_app(config)
    runner = _GuardedRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context)
    await site.start()
    server_obj: Any = site._server
    sockets = server_obj.sockets if server_obj is not None else []
    port = sockets[0].getsockname()[1] if sockets else config.port
    host = config.host if ":" not in config.host else f"[{config.host}]"
    scheme = "wss" if ssl_context is not None else "ws"
    return RunningServer(runner, f"{scheme}://{host}:{port}/ws", app)
