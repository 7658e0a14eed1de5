"""The reflector: the server's own peer, the far end of a program's path test at ``/ws``.

Signalling, one WebSocket per test (JSON text messages, see :mod:`.wire`):

1. client → ``{"type": "hello", "version": 1, "token": "..."}``
2. server → ``{"type": "welcome", "max_duration_s": D, "ice_servers": [...],
   "negotiated_channels": true}``, or
   ``{"type": "error", "code": "auth_failed" | "busy" | "bad_message" | "version" | "rate_limited",
   "message": "...", "retry_after_s": N}`` and the socket closes.
3. client → ``{"type": "offer", "sdp": "...", "negotiated_id": N}`` (candidates gathered in
   full, no trickle; ``negotiated_id`` only to a server that announced
   ``negotiated_channels``: the reflector then creates the measurement channels on SCTP
   streams N..N+2 itself, see :func:`sessioncheck.rtc.measure.wire.create_channels`)
4. server → ``{"type": "answer", "sdp": "..."}``; the reflector peer runs the responder
   side of :mod:`sessioncheck.rtc.measure` until the client closes the WebSocket or the
   test duration limit is reached (then ``{"type": "bye", "reason": "..."}``).

Each test is its own task with its own peer; whatever one client sends (malformed JSON,
oversized messages, a broken offer, vanishing mid-test) ends only that client's test. The
candidates of an offer are filtered first (:mod:`.candidates`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .. import __version__
from . import wire
from .candidates import BadOffer, CandidatePolicy, TurnAddresses, filter_offer, local_addresses, parse_ip
from .clock import Clock
from .config import ServerConfig
from .guards import Caller, Guards
from .wire import ErrorCode, MessageType, parse_object, receive_json, refuse

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0
OFFER_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 15.0
"""A test ends when its peer connection is not up this long after the answer (or fails)."""


@dataclass
class _Test:
    started: float
    deadline: float
    group: str = "?"


class Reflector:
    """Holds the limits and the running tests; one per server."""

    def __init__(self, config: ServerConfig, guards: Guards | None = None) -> None:
        self.config = config
        self.guards = guards or Guards(config)
        self.clock: Clock = self.guards.clock
        self.tests: dict[int, _Test] = {}
        self._next_id = 0
        self.completed = 0
        self.changed = asyncio.Condition()
        """Notified whenever a test starts or ends (tests await it instead of sleeping)."""
        self.turn = TurnAddresses(config.ice_servers)

    def retry_after_s(self, among: list[_Test] | None = None) -> int:
        now = self.clock.now()
        tests = self.tests.values() if among is None else among
        soonest = min((t.deadline for t in tests), default=now)
        return max(1, math.ceil(soonest - now))

    def check_token(self, token: object) -> bool:
        return self.guards.check_token(token)

    async def _changed(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        caller = await self.guards.accept(request)
        if not isinstance(caller, Caller):
            return caller
        ws, peer, group = caller.ws, caller.label, caller.group
        test_id: int | None = None
        try:
            version = wire.SIGNALLING_VERSION
            hello = await self.guards.hello(
                caller,
                HELLO_TIMEOUT_S,
                version,
                bad="the first message must be a hello",
                speaks=f"this server speaks version {version}",
            )
            if hello is None:
                return ws
            mine = [t for t in self.tests.values() if t.group == group]
            if len(self.tests) >= self.config.max_tests or len(mine) >= self.config.max_tests_per_address:
                retry = self.retry_after_s(mine if len(self.tests) < self.config.max_tests else None)
                logger.info("refused %s: busy (%d tests, %d from it)", peer, len(self.tests), len(mine))
                await refuse(ws, ErrorCode.BUSY, f"busy, retry in {retry} s", retry_after_s=retry)
                return ws
            self._next_id += 1
            test_id = self._next_id
            now = self.clock.now()
            self.tests[test_id] = _Test(started=now, deadline=now + self.config.max_duration_s, group=group)
            await self._changed()
            await ws.send_json(
                {
                    "type": MessageType.WELCOME,
                    "version": wire.SIGNALLING_VERSION,
                    "server": __version__,
                    "max_duration_s": self.config.max_duration_s,
                    "ice_servers": [s.to_dict() for s in self.config.ice_servers],
                    "negotiated_channels": wire.NEGOTIATED_CHANNELS,
                }
            )
            if not await self._within_limit(self._run_test(ws, peer, request.remote), now + self.config.max_duration_s):
                logger.info("test from %s reached the %g s limit", peer, self.config.max_duration_s)
                with contextlib.suppress(Exception):
                    await ws.send_json({"type": MessageType.BYE, "reason": "test duration limit reached"})
        except Exception as e:  # one broken client never affects others; its log is one line
            logger.warning("test from %s broke: %s: %s", peer, type(e).__name__, e)
            logger.debug("details", exc_info=True)
        finally:
            if test_id is not None:
                self.tests.pop(test_id, None)
                self.completed += 1
                await self._changed()
            with contextlib.suppress(Exception):
                await ws.close()
        return ws

    async def _within_limit(self, work: Awaitable[None], deadline: float) -> bool:
        """Run ``work`` until it ends or the clock reaches ``deadline``; False
        when the limit ended it. Its exceptions propagate."""
        task = asyncio.ensure_future(work)
        limit = asyncio.ensure_future(self.clock.sleep_until(deadline))
        try:
            await asyncio.wait({task, limit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            limit.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            return False
        task.result()
        return True

    async def _run_test(self, ws: web.WebSocketResponse, peer: str, remote: str | None) -> None:
        from ..rtc.measure.responder import Responder
        from ..rtc.measure.wire import NEGOTIATED_ID_MAX
        from ..rtc.peer import close_all, make_peer

        offer = await receive_json(ws, OFFER_TIMEOUT_S)
        if offer is None:
            return
        sdp = offer.get("sdp")
        if offer.get("type") != MessageType.OFFER or not isinstance(sdp, str):
            await refuse(ws, ErrorCode.BAD_MESSAGE, "expected an offer with an sdp")
            return
        if "\nm=application " not in sdp.replace("\r\n", "\n"):
            await refuse(ws, ErrorCode.BAD_MESSAGE, "the offer has no data channel to measure over")
            return
        negotiated = offer.get("negotiated_id")
        if negotiated is not None and (type(negotiated) is not int or not 0 <= negotiated <= NEGOTIATED_ID_MAX):
            await refuse(
                ws, ErrorCode.BAD_MESSAGE, f"negotiated_id must be a whole number from 0 to {NEGOTIATED_ID_MAX}"
            )
            return
        from aiortc import RTCSessionDescription

        try:
            policy = await self._candidate_policy(remote)
            sdp, kept, dropped = filter_offer(sdp, policy)
        except BadOffer as e:
            await refuse(ws, ErrorCode.BAD_MESSAGE, str(e))
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
                await refuse(ws, ErrorCode.BAD_MESSAGE, f"the offer could not be used: {e}")
                return
            await ws.send_json({"type": MessageType.ANSWER, "sdp": pc.localDescription.sdp})
            logger.info("test from %s: answered, measuring", peer)
            watch = asyncio.ensure_future(self._end_unless_connected(pc, ws, peer))
            # the test runs over the data channels; the WebSocket's end is the test's end
            try:
                async for msg in ws:
                    if msg.type is not WSMsgType.TEXT:
                        break
                    data = parse_object(msg.data)
                    if data is None or data.get("type") == MessageType.BYE:
                        break
            finally:
                watch.cancel()
        finally:
            responder.close()
            await close_all(pc)
            logger.info("test from %s ended", peer)

    async def _end_unless_connected(self, pc: RTCPeerConnection, ws: web.WebSocketResponse, peer: str) -> None:
        """A test whose peer connection does not come up (or fails) ends at once: a client
        that only says hello and offers cannot hold a test slot for the whole duration."""
        from ..rtc.peer import PeerConnectError, wait_connected

        try:
            await wait_connected(pc, CONNECT_TIMEOUT_S)
        except PeerConnectError:
            logger.info("test from %s: the connection did not come up", peer)
            with contextlib.suppress(Exception):
                reason = "the connection to the test server did not come up"
                await ws.send_json({"type": MessageType.BYE, "reason": reason})
                await ws.close()

    async def _candidate_policy(self, remote: str | None) -> CandidatePolicy:
        own, lans = local_addresses()
        client = parse_ip(remote) if remote else None
        return CandidatePolicy(client=client, turn=await self.turn.get(), own=frozenset(own), lans=tuple(lans))

    def health(self) -> dict[str, object]:
        """What ``GET /health`` answers."""
        return {
            "status": "ok",
            "version": __version__,
            "active": len(self.tests),
            "capacity": self.config.max_tests,
            "completed": self.completed,
        }
