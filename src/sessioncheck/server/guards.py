"""Who may use ``/ws`` and ``/room``: the access token, the web origin, the per-address
connection caps, and how the log names a client. One :class:`Guards` per server, shared by
the reflector and the rooms (the bounded structures themselves are in :mod:`.limits`)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from . import limits
from .clock import Clock, MonotonicClock
from .config import ServerConfig
from .wire import ErrorCode, Message, MessageType, receive_json, refuse

logger = logging.getLogger(__name__)

AUTH_FAILURES = 5
"""Wrong tokens one address group may send at once (``/ws`` and ``/room`` together) ..."""
AUTH_INTERVAL_S = 10.0
"""... and then one per this many seconds."""


@dataclass(frozen=True)
class Caller:
    """One accepted WebSocket: how the log names its client, and the address group that
    client's limits count in."""

    ws: web.WebSocketResponse
    label: str
    group: str


class Guards:
    """What the reflector and the rooms share: wrong-token throttle, connection caps, how the
    log names a client."""

    def __init__(self, config: ServerConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or MonotonicClock()
        self.label = limits.AddressLabel(config.log_addresses)
        self.auth = limits.Throttle(AUTH_FAILURES, AUTH_INTERVAL_S, clock=self.clock.now)
        self.connections = limits.ConnectionGuard(
            config.max_connections_per_address, limits.connection_budget(config.max_tests)
        )
        self.origins = frozenset(
            "*" if o.strip() == "*" else limits.normalise_origin(o) for o in config.allowed_origins
        )
        self.loop_errors = limits.LoopErrors()

    def check_token(self, token: object) -> bool:
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

    async def accept(self, request: web.Request) -> Caller | web.Response:
        """The WebSocket of a request from an allowed page (or a program), or the refusal
        to answer instead."""
        label = self.label(request.remote)
        if not self.origin_ok(request):
            return refuse_origin(request, label)
        ws = web.WebSocketResponse(max_msg_size=self.config.max_message_bytes, heartbeat=10.0)
        await ws.prepare(request)
        return Caller(ws, label, limits.address_group(request.remote))

    async def hello(
        self,
        caller: Caller,
        timeout_s: float,
        version: int,
        *,
        bad: str,
        speaks: str,
        valid: Callable[[Message], bool] = lambda hello: True,
    ) -> Message | None:
        """The caller's first message if it is a ``hello`` (that ``valid`` accepts) of this
        ``version`` with the right token; otherwise None, once the caller heard why (``bad``:
        not such a hello, ``speaks``: another version)."""
        hello = await receive_json(caller.ws, timeout_s)
        if hello is None:
            return None
        if hello.get("type") != MessageType.HELLO or not valid(hello):
            await refuse(caller.ws, ErrorCode.BAD_MESSAGE, bad)
            return None
        if hello.get("version", version) != version:
            await refuse(caller.ws, ErrorCode.VERSION, speaks)
            return None
        if not await self.authenticate(caller.ws, caller.group, hello.get("token")):
            logger.info("refused %s: wrong token", caller.label)
            return None
        return hello

    async def authenticate(self, ws: web.WebSocketResponse, group: str, token: object) -> bool:
        """Check the hello's token; refuse (and say so) when wrong or when this address has
        guessed too often."""
        wait = self.auth.wait_s(group)
        if wait:
            await refuse(ws, ErrorCode.RATE_LIMITED, f"too many wrong access tokens, wait {wait} s", retry_after_s=wait)
            return False
        if self.check_token(token):
            return True
        self.auth.fail(group)
        await refuse(ws, ErrorCode.AUTH_FAILED, "the access token is missing or wrong")
        return False


def refuse_origin(request: web.Request, label: str) -> web.Response:
    origin = request.headers.get("Origin", "")
    logger.info("refused %s: a web page from %.80r may not use this server", label, origin)
    return web.Response(status=403, text="this check server does not accept connections from that web page\n")
