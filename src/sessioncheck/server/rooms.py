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
rooms in all, or from this address), ``bad_code`` (no such code), ``expired``, ``used``,
``rate_limited`` (too many wrong codes or tokens: from one address, ``JOIN_FAILURES`` at
once and then one per ``JOIN_INTERVAL_S``; from all addresses together,
``JOIN_GLOBAL_FAILURES`` at once and then one per ``JOIN_GLOBAL_INTERVAL_S``).

Codes are single use and expire (``ServerConfig.room_ttl_s``, 15 minutes by default); a code
that expired or was used is remembered for ``TOMBSTONE_S`` (at most ``MAX_TOMBSTONES`` of
them) so the client hears why it no longer works. Whatever one connection sends ends at most
its own room; every structure is bounded and costs O(1) per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import WSMsgType, web

from ..peer import codes
from . import limits
from .clock import Clock, MonotonicClock
from .config import ServerConfig
from .guards import Caller, Guards
from .wire import (
    RELAYED,
    ROOMS_VERSION,
    ErrorCode,
    MessageType,
    RoomRole,
    is_closing,
    parse_object,
    refuse,
)

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0
JOIN_FAILURES = 5
"""Wrong codes one address (IPv6: one /64) may send at once ..."""
JOIN_INTERVAL_S = 5.0
"""... and then one per this many seconds: the longest that one person mistyping blocks
everyone behind the same NAT (a clinic's shared Wi-Fi)."""
JOIN_GLOBAL_FAILURES = 120
"""Wrong codes all addresses together may send at once ..."""
JOIN_GLOBAL_INTERVAL_S = 0.5
"""... and then one per this many seconds (2 a second): rotating source addresses gains an
attacker nothing. A 44-bit code then takes ~3,000 years to guess with 100 rooms open."""
TOMBSTONE_S = 3600.0
"""How long an expired or used code is remembered (to say "expired", not "wrong")."""
MAX_TOMBSTONES = 20_000
"""Ended codes remembered at most (the oldest are forgotten first; ~100 bytes each)."""


@dataclass
class Room:
    code: str
    host: web.WebSocketResponse
    created: float
    expires_at: float
    guest: web.WebSocketResponse | None = None
    group: str = "?"
    """The host's address group (for the per-address limit on waiting rooms)."""
    test_id: str | None = None
    ended: bool = False
    paired: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.Task[None] | None = None

    def other(self, ws: web.WebSocketResponse) -> web.WebSocketResponse | None:
        return self.guest if ws is self.host else self.host


def join_throttle(clock: Clock | None = None) -> limits.Throttle:
    """Wrong room codes: per address group and across all of them."""
    return limits.Throttle(
        JOIN_FAILURES,
        JOIN_INTERVAL_S,
        global_burst=JOIN_GLOBAL_FAILURES,
        global_interval_s=JOIN_GLOBAL_INTERVAL_S,
        clock=(clock or MonotonicClock()).now,
    )


def new_test_id() -> str:
    """Sortable and unique: UTC time plus 24 random bits, e.g. ``20250101-093000-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Rooms:
    """All rooms of one server."""

    def __init__(self, config: ServerConfig, guards: Guards | None = None) -> None:
        self.config = config
        self.guards = guards or Guards(config)
        self.clock: Clock = self.guards.clock
        self.rooms: dict[str, Room] = {}
        self.waiting: dict[str, int] = {}
        """Waiting rooms per host address group."""
        self.tombstones: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.throttle = join_throttle(self.clock)
        self.completed = 0

    # --- helpers ------------------------------------------------------------------------------

    def _bury(self, code: str, why: str) -> None:
        """Remember an ended code, O(1): oldest first, forgotten after ``TOMBSTONE_S`` or
        beyond ``MAX_TOMBSTONES``."""
        now = self.clock.now()
        self.tombstones.pop(code, None)
        self.tombstones[code] = (why, now)
        while self.tombstones:
            _, (_, t) = next(iter(self.tombstones.items()))
            if now - t <= TOMBSTONE_S and len(self.tombstones) <= MAX_TOMBSTONES:
                break
            self.tombstones.popitem(last=False)

    def _unwait(self, room: Room) -> None:
        """The room no longer waits for a guest: free its place in its host's count."""
        if self.rooms.pop(room.code, None) is None:
            return
        n = self.waiting.get(room.group, 0)
        if n <= 1:
            self.waiting.pop(room.group, None)
        else:
            self.waiting[room.group] = n - 1

    def _unique_code(self) -> str:
        while True:
            code = codes.new_code()
            if code not in self.rooms and code not in self.tombstones:
                return code

    # --- the WebSocket ------------------------------------------------------------------------

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        caller = await self.guards.accept(request)
        if not isinstance(caller, Caller):
            return caller
        ws, address, group = caller.ws, caller.label, caller.group
        room: Room | None = None
        try:
            hello = await self.guards.hello(
                caller,
                HELLO_TIMEOUT_S,
                ROOMS_VERSION,
                bad="the first message must be a hello with a role",
                speaks=f"this server speaks room version {ROOMS_VERSION}",
                valid=lambda hello: hello.get("role") in (RoomRole.HOST, RoomRole.JOIN),
            )
            if hello is None:
                return ws
            role = hello["role"]
            if role == RoomRole.HOST:
                room = await self._host(ws, group)
            else:
                room = await self._join(ws, group, address, hello.get("code"))
            if room is None:
                return ws
            await self._relay(room, ws)
        except Exception as e:  # one broken connection never affects other rooms; one line of log
            logger.warning("room connection from %s broke: %s: %s", address, type(e).__name__, e)
            logger.debug("details", exc_info=True)
        finally:
            if room is not None:
                await self._leave(room, ws)
            with contextlib.suppress(Exception):
                await ws.close()
        return ws

    async def _host(self, ws: web.WebSocketResponse, group: str) -> Room | None:
        if len(self.rooms) >= self.config.max_rooms:
            await refuse(ws, ErrorCode.BUSY, "too many test rooms are open; try again in a minute", retry_after_s=60)
            return None
        if self.waiting.get(group, 0) >= self.config.max_rooms_per_address:
            await refuse(
                ws,
                ErrorCode.BUSY,
                f"this network already has {self.config.max_rooms_per_address} test "
                "codes waiting; use one of them or try again in a minute",
                retry_after_s=60,
            )
            return None
        now = self.clock.now()
        code = self._unique_code()
        room = Room(code=code, host=ws, created=now, expires_at=now + self.config.room_ttl_s, group=group)
        self.rooms[code] = room
        self.waiting[group] = self.waiting.get(group, 0) + 1
        room.timer = asyncio.ensure_future(self._expire(room))
        await ws.send_json(
            {
                "type": MessageType.ROOM,
                "code": code,
                "display": codes.display(code),
                "expires_in_s": self.config.room_ttl_s,
                "max_duration_s": self.config.max_duration_s,
                "ice_servers": [s.to_dict() for s in self.config.ice_servers],
            }
        )
        logger.info("room %s… created", code[:3])
        return room

    async def _join(self, ws: web.WebSocketResponse, group: str, address: str, raw: object) -> Room | None:
        wait = self.throttle.wait_s(group)
        if wait:
            logger.info("join from %s throttled (%d s)", address, wait)
            await refuse(ws, ErrorCode.RATE_LIMITED, f"too many attempts, wait {wait} s", retry_after_s=wait)
            return None
        try:
            code = codes.normalise(raw if isinstance(raw, str) else "")
        except codes.BadCode as e:
            self.throttle.fail(group)
            await refuse(ws, ErrorCode.BAD_CODE, str(e))
            return None
        room = self.rooms.get(code)
        if room is None or room.guest is not None or room.ended:
            self.throttle.fail(group)
            why = self.tombstones.get(code, ("", 0.0))[0]
            if why == "expired":
                await refuse(ws, ErrorCode.EXPIRED, "this code has expired; ask for a new one")
            elif why == "used" or room is not None:
                await refuse(ws, ErrorCode.USED, "this code was already used; ask for a new one")
            else:
                await refuse(ws, ErrorCode.BAD_CODE, "no test has this code; check the code and try again")
            return None
        # single use: the code stops working the moment someone joins with it
        room.guest = ws
        room.test_id = new_test_id()
        self._unwait(room)
        self._bury(code, "used")
        if room.timer is not None:
            room.timer.cancel()
        room.timer = asyncio.ensure_future(self._limit(room, self.clock.now() + self.config.max_duration_s))
        created = datetime.now(UTC).isoformat(timespec="seconds")
        common = {"test_id": room.test_id, "created": created}
        try:
            await room.host.send_json({"type": MessageType.PEER_JOINED, **common})
        except Exception:
            await refuse(ws, ErrorCode.BAD_CODE, "the person who made this code has left; ask for a new one")
            room.ended = True
            return None
        await ws.send_json(
            {
                "type": MessageType.JOINED,
                **common,
                "max_duration_s": self.config.max_duration_s,
                "ice_servers": [s.to_dict() for s in self.config.ice_servers],
            }
        )
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
                if is_closing(msg.type):
                    return
                await self._leave(room, ws)
                await refuse(ws, ErrorCode.BAD_MESSAGE, "messages must be JSON text")
                return
            data = parse_object(msg.data)
            kind = data.get("type") if data is not None else None
            if data is None or not isinstance(kind, str) or kind not in RELAYED:
                await self._leave(room, ws)  # tell the other side first: closing may take a while
                await refuse(ws, ErrorCode.BAD_MESSAGE, "not a message this server relays")
                return
            other = room.other(ws)
            if other is None:  # nobody joined yet: only leaving makes sense
                if kind == MessageType.BYE:
                    return
                await refuse(ws, ErrorCode.BAD_MESSAGE, "nobody has joined this room yet")
                return
            with contextlib.suppress(Exception):
                await other.send_str(msg.data)
            if kind == MessageType.BYE:
                return

    async def _expire(self, room: Room) -> None:
        await self.clock.sleep_until(room.expires_at)
        if room.guest is None and not room.ended:
            room.ended = True
            self._unwait(room)
            self._bury(room.code, "expired")
            minutes = self.config.room_ttl_s / 60
            await refuse(
                room.host, ErrorCode.EXPIRED, f"nobody joined within {minutes:g} minutes; the code has expired"
            )

    async def _limit(self, room: Room, deadline: float) -> None:
        await self.clock.sleep_until(deadline)
        if room.ended:
            return
        room.ended = True
        reason = f"the test reached the server's limit of {self.config.max_duration_s:g} s"
        for ws in (room.host, room.guest):
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.send_json({"type": MessageType.BYE, "reason": reason})
                    await ws.close()

    async def _leave(self, room: Room, ws: web.WebSocketResponse) -> None:
        if room.code in self.rooms and room.guest is None:
            self._unwait(room)
            self._bury(room.code, "used")
        if room.timer is not None and not room.ended:
            room.timer.cancel()
        other = room.other(ws)
        was_ended = room.ended
        room.ended = True
        if other is not None and not was_ended and not other.closed:
            who = "the therapist" if ws is room.host else "the client"
            with contextlib.suppress(Exception):
                await other.send_json({"type": MessageType.PEER_LEFT, "reason": f"{who} left the test"})
                await other.close()
        if not was_ended and room.guest is not None:
            self.completed += 1

    def stats(self) -> dict[str, int]:
        return {"rooms_waiting": len(self.rooms), "rooms_completed": self.completed}
