"""Rooms for the peer test: the therapist hosts, the client joins with a code read aloud.

The server only introduces the two sessioncheck instances and relays their signalling
(offer, answer, ICE candidates, and small result messages); media and measurements flow
peer to peer (or through TURN), never through this server.

WebSocket at ``/room``, JSON text messages:

1. host → ``{"type": "hello", "version": 1, "role": "host", "token": T}``
   server → ``{"type": "room", "code": "4KQ7PZM2X", "display": "4KQ-7PZ-M2X",
   "expires_in_s": 900, "max_duration_s": D, "ice_servers": [...]}``
2. client → ``{"type": "hello", "version": 1, "role": "join", "code": "4kq-7pz-m2x", "token": T}``
   server → host ``{"type": "peer_joined", "test_id": I, "created": ISO}`` then
   client ``{"type": "joined", "test_id": I, "created": ISO, "max_duration_s": D, "ice_servers": [...]}``
3. Then either side may send ``offer``, ``answer``, ``candidate``, ``facts``, ``results``
   or ``bye``; each is forwarded to the other side unchanged.
4. The room ends when either side leaves (the other hears ``{"type": "peer_left", "reason": R}``),
   when the test duration limit is reached (both hear ``{"type": "bye", "reason": R}``), or,
   before anyone joined, when the code expires (``{"type": "error", "code": "expired"}``).

Refusals are ``{"type": "error", "code": C, "message": M, "retry_after_s": N}`` and the socket
closes. Codes: ``auth_failed``, ``version``, ``bad_message``, ``timeout``, ``busy`` (too many
rooms), ``bad_code`` (no such code), ``expired``, ``used``, ``rate_limited`` (too many wrong
codes from one address: ``JOIN_FAILURES`` per ``JOIN_WINDOW_S``).

Codes are single use and expire (``ServerConfig.room_ttl_s``, 15 minutes by default); a code
that expired or was used is remembered for ``TOMBSTONE_S`` so the client hears why it no
longer works. Whatever one connection sends ends at most its own room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from ..peer import codes

if TYPE_CHECKING:
    from .app import ServerConfig

logger = logging.getLogger(__name__)

ROOMS_VERSION = 1
HELLO_TIMEOUT_S = 10.0
JOIN_FAILURES = 5
"""Wrong codes allowed from one address within ``JOIN_WINDOW_S`` before it must wait."""
JOIN_WINDOW_S = 60.0
TOMBSTONE_S = 3600.0
"""How long an expired or used code is remembered (to say "expired", not "wrong")."""
RELAYED = frozenset({"offer", "answer", "candidate", "facts", "results", "bye"})
"""Message types forwarded between the two sides of a room."""


@dataclass
class Room:
    code: str
    host: web.WebSocketResponse
    created: float
    expires_at: float
    guest: web.WebSocketResponse | None = None
    test_id: str | None = None
    ended: bool = False
    paired: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.Task[None] | None = None

    def other(self, ws: web.WebSocketResponse) -> web.WebSocketResponse | None:
        return self.guest if ws is self.host else self.host


class Throttle:
    """Failed join attempts per address in a sliding window."""

    def __init__(self, limit: int = JOIN_FAILURES, window_s: float = JOIN_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        q = self._failures.setdefault(address, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def wait_s(self, address: str) -> int:
        """Seconds this address must wait before trying again (0: may try now)."""
        now = time.monotonic()
        q = self._recent(address, now)
        if len(q) < self.limit:
            return 0
        return max(1, math.ceil(q[-self.limit] + self.window_s - now))

    def fail(self, address: str) -> None:
        now = time.monotonic()
        self._recent(address, now).append(now)
        if len(self._failures) > 10_000:  # never grow without bound
            for key in [k for k, q in self._failures.items() if not self._recent(k, now)]:
                del self._failures[key]


def new_test_id() -> str:
    """Sortable and unique: UTC time plus 24 random bits, e.g. ``20250101-093000-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Rooms:
    """All rooms of one server."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.rooms: dict[str, Room] = {}
        self.tombstones: dict[str, tuple[str, float]] = {}
        self.throttle = Throttle()
        self.completed = 0

    # --- helpers ------------------------------------------------------------------------------

    def _check_token(self, token: Any) -> bool:
        import hmac

        expected = self.config.token
        if not expected:
            return True
        return isinstance(token, str) and hmac.compare_digest(token.encode(), expected.encode())

    def _bury(self, code: str, why: str) -> None:
        now = time.monotonic()
        self.tombstones[code] = (why, now)
        for old in [c for c, (_, t) in self.tombstones.items() if now - t > TOMBSTONE_S]:
            del self.tombstones[old]

    def _unique_code(self) -> str:
        while True:
            code = codes.new_code()
            if code not in self.rooms and code not in self.tombstones:
                return code

    # --- the WebSocket ------------------------------------------------------------------------

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=self.config.max_message_bytes, heartbeat=10.0)
        await ws.prepare(request)
        address = request.remote or "?"
        room: Room | None = None
        try:
            hello = await _receive_json(ws, HELLO_TIMEOUT_S)
            if hello is None:
                return ws
            if hello.get("type") != "hello" or hello.get("role") not in ("host", "join"):
                await _refuse(ws, "bad_message", "the first message must be a hello with a role")
                return ws
            if hello.get("version", ROOMS_VERSION) != ROOMS_VERSION:
                await _refuse(ws, "version", f"this server speaks room version {ROOMS_VERSION}")
                return ws
            if not self._check_token(hello.get("token")):
                await _refuse(ws, "auth_failed", "the access token is missing or wrong")
                return ws
            if hello["role"] == "host":
                room = await self._host(ws)
            else:
                room = await self._join(ws, address, hello.get("code"))
            if room is None:
                return ws
            await self._relay(room, ws)
        except Exception:  # one broken connection never affects other rooms
            logger.exception("room connection from %s broke", address)
        finally:
            if room is not None:
                await self._leave(room, ws)
            with contextlib.suppress(Exception):
                await ws.close()
        return ws

    async def _host(self, ws: web.WebSocketResponse) -> Room | None:
        if len(self.rooms) >= self.config.max_rooms:
            await _refuse(ws, "busy", "too many test rooms are open; try again in a minute",
                          retry_after_s=60)
            return None
        now = time.monotonic()
        code = self._unique_code()
        room = Room(code=code, host=ws, created=now, expires_at=now + self.config.room_ttl_s)
        self.rooms[code] = room
        room.timer = asyncio.ensure_future(self._expire(room))
        await ws.send_json({
            "type": "room",
            "code": code,
            "display": codes.display(code),
            "expires_in_s": self.config.room_ttl_s,
            "max_duration_s": self.config.max_duration_s,
            "ice_servers": [s.to_dict() for s in self.config.ice_servers],
        })
        logger.info("room %s… created", code[:3])
        return room

    async def _join(self, ws: web.WebSocketResponse, address: str, raw: Any) -> Room | None:
        wait = self.throttle.wait_s(address)
        if wait:
            logger.info("join from %s throttled (%d s)", address, wait)
            await _refuse(ws, "rate_limited", f"too many attempts, wait {wait} s", retry_after_s=wait)
            return None
        try:
            code = codes.normalise(raw if isinstance(raw, str) else "")
        except codes.BadCode as e:
            self.throttle.fail(address)
            await _refuse(ws, "bad_code", str(e))
            return None
        room = self.rooms.get(code)
        if room is None or room.guest is not None or room.ended:
            self.throttle.fail(address)
            why = self.tombstones.get(code, ("", 0.0))[0]
            if why == "expired":
                await _refuse(ws, "expired", "this code has expired; ask for a new one")
            elif why == "used" or room is not None:
                await _refuse(ws, "used", "this code was already used; ask for a new one")
            else:
                await _refuse(ws, "bad_code", "no test has this code; check the code and try again")
            return None
        # single use: the code stops working the moment someone joins with it
        room.guest = ws
        room.test_id = new_test_id()
        del self.rooms[code]
        self._bury(code, "used")
        if room.timer is not None:
            room.timer.cancel()
        room.timer = asyncio.ensure_future(self._limit(room))
        created = datetime.now(UTC).isoformat(timespec="seconds")
        common = {"test_id": room.test_id, "created": created}
        try:
            await room.host.send_json({"type": "peer_joined", **common})
        except Exception:
            await _refuse(ws, "bad_code", "the person who made this code has left; ask for a new one")
            room.ended = True
            return None
        await ws.send_json({
            "type": "joined", **common,
            "max_duration_s": self.config.max_duration_s,
            "ice_servers": [s.to_dict() for s in self.config.ice_servers],
        })
        room.paired.set()
        logger.info("room %s… paired as test %s", code[:3], room.test_id)
        return room

    async def _relay(self, room: Room, ws: web.WebSocketResponse) -> None:
        """Forward this side's messages to the other side until it leaves or misbehaves."""
        while not room.ended:
            msg = await ws.receive()
            if msg.type is not WSMsgType.TEXT:
                if msg.type is WSMsgType.ERROR:
                    logger.info("room connection error: %s", ws.exception())
                    return
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                    return
                await self._leave(room, ws)
                await _refuse(ws, "bad_message", "messages must be JSON text")
                return
            data = _parse(msg.data)
            kind = data.get("type") if data is not None else None
            if data is None or kind not in RELAYED:
                await self._leave(room, ws)  # tell the other side first: closing may take a while
                await _refuse(ws, "bad_message", "not a message this server relays")
                return
            other = room.other(ws)
            if other is None:  # nobody joined yet: only leaving makes sense
                if kind == "bye":
                    return
                await _refuse(ws, "bad_message", "nobody has joined this room yet")
                return
            with contextlib.suppress(Exception):
                await other.send_str(msg.data)
            if kind == "bye":
                return

    async def _expire(self, room: Room) -> None:
        await asyncio.sleep(max(0.0, room.expires_at - time.monotonic()))
        if room.guest is None and not room.ended:
            room.ended = True
            self.rooms.pop(room.code, None)
            self._bury(room.code, "expired")
            minutes = self.config.room_ttl_s / 60
            await _refuse(room.host, "expired",
                          f"nobody joined within {minutes:g} minutes; the code has expired")

    async def _limit(self, room: Room) -> None:
        await asyncio.sleep(self.config.max_duration_s)
        if room.ended:
            return
        room.ended = True
        reason = f"the test reached the server's limit of {self.config.max_duration_s:g} s"
        for ws in (room.host, room.guest):
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.send_json({"type": "bye", "reason": reason})
                    await ws.close()

    async def _leave(self, room: Room, ws: web.WebSocketResponse) -> None:
        if room.code in self.rooms and room.guest is None:
            del self.rooms[room.code]
            self._bury(room.code, "used")
        if room.timer is not None and not room.ended:
            room.timer.cancel()
        other = room.other(ws)
        was_ended = room.ended
        room.ended = True
        if other is not None and not was_ended and not other.closed:
            who = "the therapist" if ws is room.host else "the client"
            with contextlib.suppress(Exception):
                await other.send_json({"type": "peer_left", "reason": f"{who} left the test"})
                await other.close()
        if not was_ended and room.guest is not None:
            self.completed += 1

    def stats(self) -> dict[str, int]:
        return {"rooms_waiting": len(self.rooms), "rooms_completed": self.completed}


def _parse(data: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


async def _receive_json(ws: web.WebSocketResponse, timeout_s: float) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(timeout_s):
            msg = await ws.receive()
    except TimeoutError:
        await _refuse(ws, "timeout", f"nothing received for {timeout_s:g} s")
        return None
    if msg.type is not WSMsgType.TEXT:
        if msg.type not in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
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
