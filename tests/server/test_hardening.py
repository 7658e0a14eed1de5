"""`sessioncheck serve` under hostile load (issue 11, items 9-15): loopback only, bounded.

Different client addresses are different loopback addresses (127.0.0.0/8 is all local), so
"many addresses" and "one NAT" need no network lab.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from sessioncheck.server import rooms as rooms_module
from sessioncheck.server.app import ROOMS_KEY, RunningServer, start_server
from sessioncheck.server.config import ServerConfig

TOKEN = "s3cret-token"
DEEP = "[" * 1100 + "]" * 1100


def config(**overrides: Any) -> ServerConfig:
    """A loopback test server's settings (fields this version lacks are left out, so that the
    tests can be run against the code before the fixes)."""
    names = {f.name for f in dataclasses.fields(ServerConfig)}
    base: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "max_message_bytes": 8192}
    return ServerConfig(**{k: v for k, v in {**base, **overrides}.items() if k in names})


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[RunningServer]:
    srv = await start_server(config(**overrides))
    try:
        yield srv
    finally:
        await srv.stop()


def http_url(srv: RunningServer, path: str) -> str:
    return srv.url.replace("ws://", "http://").removesuffix("/ws") + path


def room_url(srv: RunningServer) -> str:
    return srv.url.removesuffix("/ws") + "/room"


def session_from(address: str) -> aiohttp.ClientSession:
    """A client whose connections come from ``address`` (a loopback address)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0), force_close=True))


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def hello(
    s: aiohttp.ClientSession, url: str, **fields: Any
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    ws = await s.ws_connect(url)
    await ws.send_json({"type": "hello", "version": 1, **fields})
    return ws, await recv(ws)


async def raw_connection(
    srv: RunningServer, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    port = int(srv.url.rsplit(":", 1)[1].split("/")[0])
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    """True when the server closes the connection within ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


# --- 9: idle and half-open connections, connections per address, a full fd table --------------


async def test_idle_and_half_sent_requests_are_closed() -> None:
    async with running(idle_timeout_s=0.5) as srv:
        idle_r, idle_w = await raw_connection(srv)
        half_r, half_w = await raw_connection(srv)
        half_w.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
        started = time.monotonic()
        assert await closed_by_server(idle_r, 5)
        assert await closed_by_server(half_r, 5)
        assert time.monotonic() - started < 3
        for w in (idle_w, half_w):
            w.close()
        async with aiohttp.ClientSession() as s, s.get(http_url(srv, "/health")) as r:
            assert r.status == 200


async def test_connections_are_capped_per_address() -> None:
    async with running(max_connections_per_address=5, idle_timeout_s=30) as srv:
        conns = [await raw_connection(srv, "127.0.0.5") for _ in range(8)]
        closed = await asyncio.gather(*(closed_by_server(r, 1.0) for r, _ in conns))
        assert sorted(closed) == [False] * 5 + [True] * 3
        # everyone else is still served, and so is the capped address once it closed some
        async with aiohttp.ClientSession() as s, s.get(http_url(srv, "/health")) as r:
            assert r.status == 200
        for _, w in conns:
            w.close()
            await w.wait_closed()
        async with session_from("127.0.0.5") as s, s.get(http_url(srv, "/health")) as r:
            assert r.status == 200


@pytest.fixture
def low_fd_serve() -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def start(limit: int, *args: str) -> tuple[subprocess.Popen[str], str]:
        def limit_fds() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        proc = subprocess.Popen(
            [sys.executable, "-m", "sessioncheck", "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit_fds,
        )
        procs.append(proc)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), url
        return proc, url

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_a_thousand_idle_sockets_leave_health_answering(low_fd_serve: Any) -> None:
    """issue 11 item 9: 1,100 idle sockets against a 1024-fd limit stopped /health and wrote
    89.5 MB of accept() tracebacks. Here: 300 against a 256-fd limit, from one address."""
    proc, url = low_fd_serve(256)
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    async def attack() -> tuple[int, float]:
        conns = []
        for _ in range(300):
            conns.append(await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.9", 0)))
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
            async with s.get(f"http://127.0.0.1:{port}/health") as r:
                status = r.status
        elapsed = time.monotonic() - started
        for _, w in conns:
            w.close()
        return status, elapsed

    status, elapsed = asyncio.run(attack())
    assert status == 200
    assert elapsed < 2
    proc.kill()
    _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert len(err) < 2000, err[:2000]


def test_a_full_fd_table_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    import errno

    from sessioncheck.server import limits

    handler = limits.LoopErrors()
    loop = asyncio.new_event_loop()
    exc = OSError(errno.EMFILE, "Too many open files")
    with caplog.at_level(logging.DEBUG, logger="sessioncheck.server"):
        for _ in range(1000):
            handler(loop, {"message": "socket.accept() out of system resource", "exception": exc})
        handler.accepted()
        handler(loop, {"message": "socket.accept() out of system resource", "exception": exc})
    loop.close()
    full = [r for r in caplog.records if "out of file descriptors" in r.getMessage()]
    assert len(full) == 2  # once, and once more after it had recovered
    assert handler.fd_full_reports == 1001
    assert all(r.exc_info is None for r in caplog.records)


# --- 10: no traceback for what a client sends ------------------------------------------------


@pytest.mark.parametrize("path", ["/ws", "/room"])
async def test_deeply_nested_json_is_a_bad_message_not_a_traceback(path: str, caplog: pytest.LogCaptureFixture) -> None:
    async with running(token=TOKEN) as srv, aiohttp.ClientSession() as s:
        url = srv.url.removesuffix("/ws") + path
        with caplog.at_level(logging.DEBUG):
            for payload in (DEEP, '{"type": "hello", "role": "host", "token": ' + DEEP + "}"):
                ws = await s.ws_connect(url)
                await ws.send_str(payload)
                reply = await recv(ws)
                assert (reply["type"], reply["code"]) == ("error", "bad_message")
                await ws.close()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("path", ["/ws", "/room"])
async def test_a_lone_surrogate_in_the_token_is_a_wrong_token(path: str, caplog: pytest.LogCaptureFixture) -> None:
    async with running(token=TOKEN) as srv, aiohttp.ClientSession() as s:
        url = srv.url.removesuffix("/ws") + path
        with caplog.at_level(logging.DEBUG):
            ws = await s.ws_connect(url)
            await ws.send_str('{"type": "hello", "version": 1, "role": "host", "token": "\\ud800"}')
            reply = await recv(ws)
    assert reply["code"] == "auth_failed"
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_a_relayed_message_with_an_unhashable_type_is_a_bad_message(caplog: pytest.LogCaptureFixture) -> None:
    async with running() as srv, aiohttp.ClientSession() as s:
        host, _ = await hello(s, room_url(srv), role="host")
        with caplog.at_level(logging.DEBUG):
            await host.send_json({"type": ["offer"]})
            reply = await recv(host)
    assert reply["code"] == "bad_message"
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


# --- 11: bounded state, O(1) per event ------------------------------------------------------


async def test_throttle_cost_does_not_grow_with_failing_addresses() -> None:
    async with running() as srv:
        throttle = srv.app[ROOMS_KEY].throttle

        def per_fail(first: int, n: int = 2000) -> float:
            started = time.perf_counter()
            for i in range(first, first + n):
                throttle.fail(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
            return (time.perf_counter() - started) / n

        few = min(per_fail(0), per_fail(2000))
        for i in range(4000, 24_000, 4000):
            per_fail(i, 4000)
        many = min(per_fail(24_000), per_fail(26_000))
    # before: 6.7 ms against 0.3 ms per failure (every failure rescanned every address)
    assert many < 5 * few + 20e-6, (few, many)


async def test_ended_codes_are_bounded() -> None:
    async with running() as srv:
        rooms = srv.app[ROOMS_KEY]
        bound = getattr(rooms_module, "MAX_TOMBSTONES", 20_000)
        for i in range(bound + 5000):
            rooms._bury(f"{i:09d}", "used")
        assert len(rooms.tombstones) == bound
        assert f"{bound + 4999:09d}" in rooms.tombstones and "000000000" not in rooms.tombstones


# --- 12: cheap denial of service from any web page ------------------------------------------


@pytest.mark.parametrize("path", ["/ws", "/room"])
async def test_other_web_pages_may_not_open_the_websockets(path: str) -> None:
    async with running(allowed_origins=("https://portal.clinic.example",), max_tests=8, max_tests_per_address=8) as srv:
        url = srv.url.removesuffix("/ws") + path
        own = srv.url.replace("ws://", "http://").removesuffix("/ws")
        async with aiohttp.ClientSession() as s:
            for origin in ("https://evil.example", "null", own.replace("127.0.0.1", "localhost")):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await s.ws_connect(url, origin=origin)
                assert refused.value.status == 403
            allowed: list[str | None] = [
                own,
                "https://portal.clinic.example",
                "HTTPS://Portal.Clinic.Example:443",
                None,
            ]
            for maybe in allowed:
                ws = await s.ws_connect(url, origin=maybe)
                await ws.send_json({"type": "hello", "version": 1, "role": "host"})
                assert (await recv(ws))["type"] == ("welcome" if path == "/ws" else "room")
                await ws.close()


async def test_hosting_is_limited_per_address() -> None:
    async with running(max_rooms_per_address=2) as srv:
        async with session_from("127.0.0.11") as s:
            held = [await hello(s, room_url(srv), role="host") for _ in range(2)]
            assert [r["type"] for _, r in held] == ["room", "room"]
            _, third = await hello(s, room_url(srv), role="host")
            assert third["code"] == "busy" and third["retry_after_s"] == 60
            await held[0][0].close()
            await asyncio.wait_for(_until(lambda: len(srv.app[ROOMS_KEY].rooms) == 1), 5)
            _, again = await hello(s, room_url(srv), role="host")
            assert again["type"] == "room"
        async with session_from("127.0.0.12") as s:
            _, other = await hello(s, room_url(srv), role="host")
            assert other["type"] == "room"


async def test_one_address_cannot_hold_every_test_slot() -> None:
    async with running(max_tests=4, max_tests_per_address=1) as srv:
        async with session_from("127.0.0.13") as s:
            first, welcome = await hello(s, srv.url)
            assert welcome["type"] == "welcome"
            _, second = await hello(s, srv.url)
            assert second["code"] == "busy" and 1 <= second["retry_after_s"] <= 30
        async with session_from("127.0.0.14") as s:
            other, ok = await hello(s, srv.url)
            assert ok["type"] == "welcome"
            await other.close()
        await first.close()


async def test_token_guesses_are_throttled() -> None:
    from sessioncheck.server import guards as guards_module

    burst = guards_module.AUTH_FAILURES
    async with running(token=TOKEN) as srv:
        async with session_from("127.0.0.15") as s:
            for i in range(burst):
                _, reply = await hello(s, room_url(srv) if i % 2 else srv.url, role="host", token=f"guess{i}")
                assert reply["code"] == "auth_failed"
            _, reply = await hello(s, srv.url, token=TOKEN)  # even the right one, for now
            assert reply["code"] == "rate_limited"
            assert 1 <= reply["retry_after_s"] <= guards_module.AUTH_INTERVAL_S
        async with session_from("127.0.0.16") as s:
            ws, ok = await hello(s, srv.url, token=TOKEN)
            assert ok["type"] == "welcome"
            await ws.close()


async def test_join_page_has_a_content_security_policy() -> None:
    import base64
    import hashlib

    async with running() as srv, aiohttp.ClientSession() as s:
        async with s.get(http_url(srv, "/join")) as r:
            assert r.status == 200
            csp = r.headers["Content-Security-Policy"]
            page = await r.text()
            assert r.headers["Referrer-Policy"] == "no-referrer"
        async with s.get(http_url(srv, "/static/join/main.js")) as r:
            assert r.status == 200
            assert r.headers["X-Content-Type-Options"] == "nosniff"
    policy = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(inline) == 1 and "SESSIONCHECK_PHRASES" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in csp


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# --- 15: no client addresses in the log unless asked ----------------------------------------


async def test_client_addresses_are_logged_only_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    for show in (False, True):
        caplog.clear()
        async with running(token=TOKEN, log_addresses=show) as srv:
            with caplog.at_level(logging.INFO):
                async with session_from("127.0.0.17") as s:
                    ws, reply = await hello(s, srv.url, token="wrong")
                    assert reply["code"] == "auth_failed"
                    await ws.close()
                    _, refused = await hello(s, room_url(srv), role="join", code="222-222-222", token=TOKEN)
                    assert refused["code"] == "bad_code"
        text = "\n".join(r.getMessage() for r in caplog.records)
        assert "refused" in text
        assert ("127.0.0.17" in text) is show, text


# --- 14: the reflector checks only candidates the client can have ---------------------------


def _with_candidates(sdp: str, extra: list[str]) -> str:
    """``extra`` candidate lines inserted before the offer's first own candidate."""
    lines = sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("a=candidate:"))
    return "\r\n".join(lines[:at] + extra + lines[at:])


def _victim_lines(port: int, n: int, address: str = "127.0.0.2") -> list[str]:
    # the highest priorities: checked before the client's own candidates
    return [f"a=candidate:v{i} 1 udp {2130706431 - i} {address} {port} typ host" for i in range(n)]


class _Counter(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.bytes = 0
        self.packets = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.bytes += len(data)
        self.packets += 1


async def test_reflector_sends_no_checks_to_addresses_the_client_cannot_have() -> None:
    """issue 11 item 14: an offer listing someone else's address made the reflector an
    amplifier. The victim's candidates come first by priority, so before the fix its
    first check went out before the real pair was even tried."""
    from aiortc import RTCSessionDescription

    from sessioncheck.rtc.peer import close_all, make_peer, wait_connected

    loop = asyncio.get_running_loop()
    transport, victim = await loop.create_datagram_endpoint(_Counter, local_addr=("127.0.0.2", 0))
    port = transport.get_extra_info("sockname")[1]
    pc = make_peer()
    try:
        pc.createDataChannel("probe")
        await pc.setLocalDescription(await pc.createOffer())
        offer = _with_candidates(pc.localDescription.sdp, _victim_lines(port, 20))
        async with running(max_message_bytes=64 * 1024) as srv, session_from("127.0.0.3") as s:
            ws, welcome = await hello(s, srv.url)
            assert welcome["type"] == "welcome"
            await ws.send_json({"type": "offer", "sdp": offer})
            answer = await recv(ws, 10)
            assert answer["type"] == "answer", answer
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            await wait_connected(pc, 10)
            await ws.close()
    finally:
        await close_all(pc)
        transport.close()
    assert (victim.packets, victim.bytes) == (0, 0)


async def test_ten_thousand_candidates_do_not_stall_the_server(caplog: pytest.LogCaptureFixture) -> None:
    """issue 11 item 14: 10,000 candidates stalled the event loop for 8.7 s (42 s here)."""
    from aiortc import RTCSessionDescription

    from sessioncheck.rtc.peer import close_all, make_peer, wait_connected

    junk = [
        f"a=candidate:j{i} 1 udp {1000 + i} 198.51.{i >> 8 & 255}.{i & 255} {10_000 + i} typ host"
        for i in range(10_000)
    ]
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    pc = make_peer()
    try:
        pc.createDataChannel("probe")
        await pc.setLocalDescription(await pc.createOffer())
        offer = _with_candidates(pc.localDescription.sdp, junk)
        async with running(max_message_bytes=2 * 1024 * 1024) as srv, session_from("127.0.0.3") as s:
            ws, welcome = await hello(s, srv.url)
            assert welcome["type"] == "welcome"
            tick = asyncio.ensure_future(ticker())
            with caplog.at_level(logging.INFO, logger="sessioncheck.server"):
                await ws.send_json({"type": "offer", "sdp": offer})
                answer = await recv(ws, 10)
            assert answer["type"] == "answer", answer
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            await wait_connected(pc, 10)
            stop.set()
            await tick
            await ws.close()
    finally:
        await close_all(pc)
    assert max(gaps) < 3.0  # before: 42 s
    assert any(re.search(r"kept \d+ candidates, dropped 10000", r.getMessage()) for r in caplog.records)


def test_candidate_policy() -> None:
    import ipaddress

    from sessioncheck.server.candidates import CandidatePolicy, filter_offer

    ip = ipaddress.ip_address
    own = frozenset({ip("192.0.2.2"), ip("127.0.0.1")})
    lan = (ipaddress.ip_network("192.0.2.0/24"),)
    policy = CandidatePolicy(client=ip("203.0.113.9"), turn=frozenset({ip("198.51.100.1")}), own=own, lans=lan)
    allowed = ["203.0.113.9", "198.51.100.1", "192.0.2.77"]
    refused = ["203.0.113.10", "127.0.0.1", "10.0.0.1", "224.0.0.1", "0.0.0.0", "fe80::1", "host.local"]
    v6 = CandidatePolicy(client=ip("2001:db8:1:2::5"), turn=frozenset(), own=own, lans=())
    lines = [f"a=candidate:{i} 1 udp 100 {a} 5000 typ srflx" for i, a in enumerate(allowed + refused)]
    sdp, kept, dropped = filter_offer("v=0\r\n" + "\r\n".join(lines) + "\r\n", policy)
    assert (kept, dropped) == (3, len(refused))
    assert all(a in sdp for a in allowed) and "10.0.0.1" not in sdp
    assert v6.allows(ip("2001:db8:1:2:abcd::1")) and not v6.allows(ip("2001:db8:1:3::5"))
    local = CandidatePolicy(client=ip("127.0.0.3"), turn=frozenset(), own=own, lans=lan)
    assert local.allows(ip("192.0.2.2")) and local.allows(ip("127.0.0.1")) and not local.allows(ip("127.0.0.2"))
    many = "\r\n".join(f"a=candidate:{i} 1 udp 100 203.0.113.9 {5000 + i} typ host" for i in range(50))
    assert filter_offer(many, policy)[1:] == (12, 38)
    bad = [f"a=candidate:1 1 udp 100 203.0.113.9 {p} typ host" for p in ("0", "70000", "x")]
    assert (
        filter_offer(
            "\r\n".join(
                [
                    *bad,
                    "a=candidate:1 3 udp 1 203.0.113.9 5 typ host",
                    "a=candidate:1 1 sctp 1 203.0.113.9 5 typ host",
                    "a=candidate:1 1 udp 1 203.0.113.9 5 typ evil",
                ]
            ),
            policy,
        )[1]
        == 0
    )


# --- 13: room codes: a global budget, IPv6 by /64, a short lock-out behind a shared NAT --------


async def test_rotating_addresses_share_one_budget_of_wrong_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rooms_module, "JOIN_GLOBAL_FAILURES", 6, raising=False)
    monkeypatch.setattr(rooms_module, "JOIN_GLOBAL_INTERVAL_S", 10.0, raising=False)
    async with running() as srv:
        now = [1000.0]
        srv.app[ROOMS_KEY].throttle.clock = lambda: now[0]
        hosting = aiohttp.ClientSession()
        host, room = await hello(hosting, room_url(srv), role="host")
        for i in range(6):  # one wrong guess from each of six addresses
            async with session_from(f"127.0.1.{i + 1}") as s:
                _, reply = await hello(s, room_url(srv), role="join", code="222-222-222")
                assert reply["code"] == "bad_code"
        async with session_from("127.0.1.100") as s:  # a fresh address must wait too
            _, reply = await hello(s, room_url(srv), role="join", code=room["code"])
            assert reply["code"] == "rate_limited" and reply["retry_after_s"] == 10
            now[0] += 10
            _, reply = await hello(s, room_url(srv), role="join", code=room["code"])
            assert reply["type"] == "joined"
        await host.close()
        await hosting.close()


async def test_one_person_mistyping_blocks_a_shared_network_only_briefly() -> None:
    """Twenty people behind one NAT (a clinic's Wi-Fi), one typing wrong codes as fast as
    they are allowed: the others wait at most ``JOIN_INTERVAL_S`` (before: up to 60 s)."""
    async with running() as srv:
        now = [1000.0]
        throttle = srv.app[ROOMS_KEY].throttle
        throttle.clock = lambda: now[0]
        interval = rooms_module.JOIN_INTERVAL_S
        async with session_from("127.0.0.20") as s:
            hosts = [await hello(s, room_url(srv), role="host") for _ in range(3)]
            for _ in range(rooms_module.JOIN_FAILURES):
                _, reply = await hello(s, room_url(srv), role="join", code="222-222-222")
                assert reply["code"] == "bad_code"
            waits = []
            for _, room in hosts:  # colleagues with the right codes, each after another mistake
                _, reply = await hello(s, room_url(srv), role="join", code=room["code"])
                assert reply["code"] == "rate_limited"
                waits.append(reply["retry_after_s"])
                now[0] += reply["retry_after_s"]
                _, reply = await hello(s, room_url(srv), role="join", code=room["code"])
                assert reply["type"] == "joined"
                _, wrong = await hello(s, room_url(srv), role="join", code="333-333-333")
                assert wrong["code"] == "bad_code"
        assert waits and max(waits) <= interval
        for ws, _ in hosts:
            await ws.close()


def test_ipv6_addresses_count_by_64() -> None:
    from sessioncheck.server.limits import Throttle, address_group

    assert address_group("2001:db8:1:2::5") == address_group("2001:db8:1:2:ffff:ee:dd:1") == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:3::5") != address_group("2001:db8:1:2::5")
    assert address_group("::ffff:10.1.2.3") == address_group("10.1.2.3") == "10.1.2.3"
    assert address_group("fe80::1%eth0") == "fe80::/64"
    t = Throttle(2, 10.0, clock=lambda: 0.0)
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2"):
        t.fail(address_group(host))
    assert t.wait_s(address_group("2001:db8:1:2::3")) == 10
    assert t.wait_s(address_group("2001:db8:1:9::3")) == 0


def test_throttle_is_bounded_and_forgets_refilled_groups() -> None:
    from sessioncheck.server.limits import Throttle

    now = [0.0]
    t = Throttle(5, 1.0, max_groups=100, clock=lambda: now[0])
    for i in range(1000):
        t.fail(f"g{i}")
    assert len(t) == 100
    now[0] += 10  # every bucket refilled: the next failure forgets them all
    t.fail("new")
    assert len(t) == 1


def test_origin_rules() -> None:
    from sessioncheck.server.limits import normalise_origin, origin_allowed

    none: frozenset[str] = frozenset()
    assert origin_allowed(None, ["x:1"], none)
    assert origin_allowed("http://checks.example:8765", ["checks.example:8765"], none)
    assert origin_allowed("https://checks.example", ["checks.example"], none)  # TLS ends at a proxy
    assert origin_allowed("https://checks.example", ["127.0.0.1:8765", "checks.example"], none)  # X-Forwarded-Host
    assert not origin_allowed("https://checks.example", ["checks.example:8765"], none)
    assert not origin_allowed("https://evil.example", ["checks.example"], none)
    assert not origin_allowed("null", ["checks.example"], none)
    assert not origin_allowed("file://", [""], none)
    assert origin_allowed("https://a.example", ["b"], frozenset({normalise_origin("https://A.example:443/")}))
    assert origin_allowed("https://evil.example", ["b"], frozenset({"*"}))


async def test_a_test_whose_connection_never_comes_up_frees_its_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 11 item 12: hello and offer, then nothing, held a test slot for the whole
    duration limit."""
    from sessioncheck.rtc.peer import close_all, make_peer

    monkeypatch.setattr("sessioncheck.server.reflector.CONNECT_TIMEOUT_S", 1.0)
    pc = make_peer()
    try:
        pc.createDataChannel("probe")
        await pc.setLocalDescription(await pc.createOffer())
        async with running(max_duration_s=30) as srv, aiohttp.ClientSession() as s:
            ws, welcome = await hello(s, srv.url)
            assert welcome["type"] == "welcome"
            await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
            assert (await recv(ws, 10))["type"] == "answer"
            started = time.monotonic()
            bye = await recv(ws, 10)  # the answer is never used: no connection
            assert bye == {"type": "bye", "reason": "the connection to the test server did not come up"}
            assert time.monotonic() - started < 5
            reflector = srv.reflector
            async with reflector.changed:  # notified as each test ends
                await asyncio.wait_for(reflector.changed.wait_for(lambda: not reflector.tests), 5)
    finally:
        await close_all(pc)


def test_hostile_messages_leave_the_log_quiet(serve: Any) -> None:
    """issue 11 items 10 and 15: nested JSON before the token check wrote a 21-line traceback
    per message; a busy refusal and a wrong token logged the client's address."""
    proc, url = serve("--token", TOKEN)

    async def flood() -> list[str]:
        codes = []
        async with aiohttp.ClientSession() as s:
            for i in range(40):
                ws = await s.ws_connect(url if i % 2 else url.removesuffix("/ws") + "/room")
                await ws.send_str('{"type": "hello", "token": ' + DEEP + "}")
                codes.append((await recv(ws))["code"])
                await ws.close()
        return codes

    assert set(asyncio.run(flood())) == {"bad_message"}
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    lines = err.splitlines()
    assert len(lines) == 2, err  # "listening on ..." and "stopping"
    assert lines[0].startswith("sessioncheck serve: listening on") and lines[1] == "sessioncheck serve: stopping"
