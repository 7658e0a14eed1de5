"""Rooms on `sessioncheck serve`: codes, single use, expiry, throttling, limits, bad messages."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sessioncheck.peer import codes
from sessioncheck.server import limits
from sessioncheck.server import rooms as rooms_module
from sessioncheck.server.app import ROOMS_KEY, RunningServer, start_server
from sessioncheck.server.clock import ManualClock
from sessioncheck.server.config import ServerConfig


async def _server(clock: ManualClock | None = None, **overrides: Any) -> RunningServer:
    config = ServerConfig(host="127.0.0.1", port=0, max_message_bytes=8192, **overrides)
    return await start_server(config, clock=clock)


@pytest.fixture
def clock() -> ManualClock:
    """The server's time: it moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[RunningServer]:
    srv = await _server(clock)
    yield srv
    await srv.stop()


def room_url(srv: RunningServer) -> str:
    return srv.url.removesuffix("/ws") + "/room"


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def open_room(s: aiohttp.ClientSession, srv: RunningServer) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await s.ws_connect(room_url(srv))
    await ws.send_json({"type": "hello", "version": 1, "role": "host"})
    reply = await recv(ws)
    assert reply["type"] == "room", reply
    assert reply["display"] == codes.display(reply["code"])
    assert reply["expires_in_s"] == srv.app[ROOMS_KEY].config.room_ttl_s
    return ws, reply["code"]


async def try_join(
    s: aiohttp.ClientSession, srv: RunningServer, code: str
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    ws = await s.ws_connect(room_url(srv))
    await ws.send_json({"type": "hello", "version": 1, "role": "join", "code": code})
    return ws, await recv(ws)


async def test_join_pairs_and_relays_signalling_only(server: RunningServer) -> None:
    assert ServerConfig().room_ttl_s == 15 * 60  # codes expire after 15 minutes by default
    async with aiohttp.ClientSession() as s:
        host, code = await open_room(s, server)
        typed = codes.display(code).lower().replace("-", " ")
        guest, joined = await try_join(s, server, typed)
        assert joined["type"] == "joined"
        told = await recv(host)
        assert told["type"] == "peer_joined" and told["test_id"] == joined["test_id"]
        assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", joined["test_id"])
        await guest.send_json({"type": "offer", "sdp": "v=0 ..."})
        assert await recv(host) == {"type": "offer", "sdp": "v=0 ..."}
        await host.send_json({"type": "answer", "sdp": "v=0 ..."})
        assert (await recv(guest))["type"] == "answer"
        # the code is single use
        again, reply = await try_join(s, server, code)
        assert reply["code"] == "used" and "already used" in reply["message"]
        await again.close()
        # one side leaving ends the room for the other, with a reason
        await guest.close()
        left = await recv(host)
        assert left == {"type": "peer_left", "reason": "the client left the test"}
        await host.close()


async def test_wrong_code_says_so(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        ws, reply = await try_join(s, server, "222-222-222")
        assert reply["type"] == "error" and reply["code"] == "bad_code"
        assert "no test has this code" in reply["message"]
        assert (await ws.receive()).type is aiohttp.WSMsgType.CLOSE


async def test_expired_code_says_expired(server: RunningServer, clock: ManualClock) -> None:
    async with aiohttp.ClientSession() as s:
        host, code = await open_room(s, server)
        clock.advance(ServerConfig().room_ttl_s - 1)
        # a second room: once it is made, the first room's timer has had its turn, and kept it
        second, code2 = await open_room(s, server)
        assert code in server.rooms.rooms
        clock.advance(1)
        told = await recv(host, 3)
        assert told == {
            "type": "error",
            "code": "expired",
            "message": "nobody joined within 15 minutes; the code has expired",
        }
        _, reply = await try_join(s, server, code)
        assert reply == {"type": "error", "code": "expired", "message": "this code has expired; ask for a new one"}
        assert list(server.rooms.rooms) == [code2]
        await second.close()


async def test_brute_force_join_is_throttled_per_address(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        host, code = await open_room(s, server)
        for _ in range(rooms_module.JOIN_FAILURES):
            _, reply = await try_join(s, server, codes.new_code())
            assert reply["code"] == "bad_code"
        # now even the right code is refused, with how long to wait
        _, reply = await try_join(s, server, code)
        assert reply["code"] == "rate_limited"
        wait = reply["retry_after_s"]
        assert wait == rooms_module.JOIN_INTERVAL_S  # a burst at one instant: one interval to wait
        assert reply["message"] == f"too many attempts, wait {wait} s"
        # the room itself is untouched: the host is still waiting
        assert server.app[ROOMS_KEY].rooms[code].guest is None
        await host.close()


def test_throttle_refills_one_attempt_per_interval() -> None:
    now = [100.0]
    t = limits.Throttle(2, 0.25, clock=lambda: now[0])
    assert t.wait_s("a") == 0
    t.fail("a")
    t.fail("a")
    assert t.wait_s("a") == 1 and t.wait_s("b") == 0
    now[0] += 0.25  # one attempt back, not the whole burst
    assert t.wait_s("a") == 0
    t.fail("a")
    assert t.wait_s("a") == 1
    now[0] += 0.5
    assert t.wait_s("a") == 0


@pytest.mark.parametrize(
    "payload", ["not json", "[1, 2]", json.dumps({"type": "hello", "role": "admin"}), b"\x00binary"]
)
async def test_malformed_hello_is_refused(server: RunningServer, payload: str | bytes) -> None:
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(room_url(server))
        if isinstance(payload, bytes):
            await ws.send_bytes(payload)
        else:
            await ws.send_str(payload)
        reply = await recv(ws)
        assert reply["type"] == "error" and reply["code"] == "bad_message"


async def test_oversized_and_malformed_messages_end_only_their_room(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        # room A: paired, then its guest sends a message over the size cap
        host_a, code_a = await open_room(s, server)
        guest_a, _ = await try_join(s, server, code_a)
        await recv(host_a)  # peer_joined
        # room B: paired, then its guest sends something that is not a relayed type
        host_b, code_b = await open_room(s, server)
        guest_b, _ = await try_join(s, server, code_b)
        await recv(host_b)
        # room C: waiting for its guest
        host_c, code_c = await open_room(s, server)

        await guest_a.send_json({"type": "offer", "sdp": "x" * 20_000})
        closed = await asyncio.wait_for(guest_a.receive(), 5)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        assert (await recv(host_a))["type"] == "peer_left"

        await guest_b.send_json({"type": "shell", "cmd": "rm -rf /"})
        refused = await recv(guest_b)
        assert refused["code"] == "bad_message"
        assert (await recv(host_b))["type"] == "peer_left"

        # room C still works
        guest_c, joined = await try_join(s, server, code_c)
        assert joined["type"] == "joined"
        await guest_c.send_json({"type": "offer", "sdp": "fine"})
        assert (await recv(host_c, 5))["type"] == "peer_joined"
        assert (await recv(host_c, 5)) == {"type": "offer", "sdp": "fine"}


async def test_room_and_duration_limits(clock: ManualClock) -> None:
    srv = await _server(clock, max_rooms=1, max_duration_s=0.5)
    try:
        async with aiohttp.ClientSession() as s:
            host, code = await open_room(s, srv)
            other = await s.ws_connect(room_url(srv))
            await other.send_json({"type": "hello", "version": 1, "role": "host"})
            busy = await recv(other)
            assert busy == {
                "type": "error",
                "code": "busy",
                "message": "too many test rooms are open; try again in a minute",
                "retry_after_s": 60,
            }
            guest, joined = await try_join(s, srv, code)
            assert joined["max_duration_s"] == 0.5
            assert (await recv(host))["type"] == "peer_joined"
            await guest.send_json({"type": "offer", "sdp": "v=0"})
            assert await recv(host) == {"type": "offer", "sdp": "v=0"}  # under the limit: relayed
            clock.advance(0.5)
            for ws in (host, guest):
                bye = await recv(ws, 3)
                assert bye == {"type": "bye", "reason": "the test reached the server's limit of 0.5 s"}
    finally:
        await srv.stop()


async def test_token_is_required_when_set() -> None:
    srv = await _server(token="secret")
    try:
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(room_url(srv))
            await ws.send_json({"type": "hello", "version": 1, "role": "host", "token": "wrong"})
            assert (await recv(ws))["code"] == "auth_failed"
    finally:
        await srv.stop()
