"""`sessioncheck serve`: limits, refusals and faults, against a real server and real peers."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from sessioncheck.events import Progress
from sessioncheck.model import Status
from sessioncheck.probes.path import PathProbe
from sessioncheck.rtc.measure.results import Plan
from sessioncheck.runner import Runner
from sessioncheck.server.app import RunningServer, start_server
from sessioncheck.server.clock import ManualClock
from sessioncheck.server.config import ServerConfig
from sessioncheck.settings import Settings

TOKEN = "s3cret-token"


@pytest.fixture
def clock() -> ManualClock:
    """The server's time: it stands still unless a test moves it."""
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[RunningServer]:
    srv = await start_server(
        ServerConfig(host="127.0.0.1", port=0, token=TOKEN, max_tests=1, max_duration_s=20, max_message_bytes=8192),
        clock=clock,
    )
    yield srv
    await srv.stop()


async def no_tests_running(srv: RunningServer) -> None:
    """Wait until the server has ended every test (it says so whenever one ends)."""
    reflector = srv.reflector
    async with reflector.changed:
        await asyncio.wait_for(reflector.changed.wait_for(lambda: not reflector.tests), 5)


async def hello(
    session: aiohttp.ClientSession, url: str, token: str | None = TOKEN
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, object]]:
    ws = await session.ws_connect(url)
    await ws.send_json({"type": "hello", "version": 1, "token": token})
    msg = await asyncio.wait_for(ws.receive(), 5)
    return ws, json.loads(msg.data)


async def health(session: aiohttp.ClientSession, srv: RunningServer) -> dict[str, object]:
    url = srv.url.replace("ws://", "http://").removesuffix("/ws") + "/health"
    async with session.get(url) as r:
        assert r.status == 200
        data: dict[str, object] = await r.json()
        return data


async def test_health_endpoint(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        h = await health(s, server)
    assert h["status"] == "ok"
    assert h["active"] == 0
    assert h["capacity"] == 1


async def test_wrong_and_missing_token_are_refused(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        for token in ("wrong", None):
            ws, reply = await hello(s, server.url, token)
            assert reply["type"] == "error"
            assert reply["code"] == "auth_failed"
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type is aiohttp.WSMsgType.CLOSE
            await ws.close()
        assert (await health(s, server))["active"] == 0


@pytest.mark.parametrize(
    "payload",
    ["not json at all", "[1, 2, 3]", json.dumps({"type": "offer"}), b"\x00\x01binary"],
)
async def test_malformed_first_message_is_refused(server: RunningServer, payload: str | bytes) -> None:
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(server.url)
        if isinstance(payload, bytes):
            await ws.send_bytes(payload)
        else:
            await ws.send_str(payload)
        reply = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert reply == {"type": "error", "code": "bad_message", "message": reply["message"]}
        await ws.close()
        # the server still serves others
        ws2, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        await ws2.close()


async def test_broken_offer_is_refused(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        ws, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        await ws.send_json({"type": "offer", "sdp": "v=0\r\nthis is not an offer\r\n"})
        reply = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
        assert reply["type"] == "error"
        assert reply["code"] == "bad_message"
        await ws.close()
        await no_tests_running(server)
        assert (await health(s, server))["active"] == 0


@pytest.mark.parametrize("negotiated_id", [-1, 65_532, "0", 1.5, True])
async def test_bad_negotiated_channel_id_is_refused(server: RunningServer, negotiated_id: object) -> None:
    async with aiohttp.ClientSession() as s:
        ws, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        sdp = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        await ws.send_json({"type": "offer", "sdp": sdp, "negotiated_id": negotiated_id})
        reply = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
        assert reply["type"] == "error"
        assert reply["code"] == "bad_message"
        assert "negotiated_id must be a whole number from 0 to 65531" in reply["message"]
        await ws.close()


async def test_oversized_message_closes_only_that_client(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        ws, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        await ws.send_str(json.dumps({"type": "offer", "sdp": "x" * 20_000}))
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await ws.close()
        await no_tests_running(server)
        h = await health(s, server)
        assert h["active"] == 0
        ws2, again = await hello(s, server.url)
        assert again["type"] == "welcome"
        await ws2.close()


async def test_too_many_clients_hear_busy_with_retry(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        first, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        second, reply = await hello(s, server.url)
        assert reply["code"] == "busy"
        assert "retry in" in str(reply["message"])
        # the clock has not moved: the running test has its whole 20 s left
        assert reply == {"type": "error", "code": "busy", "message": "busy, retry in 20 s", "retry_after_s": 20}
        await second.close()
        await first.close()
        await no_tests_running(server)
        third, ok = await hello(s, server.url)
        assert ok["type"] == "welcome"
        await third.close()


async def test_a_test_ends_at_the_duration_limit(server: RunningServer, clock: ManualClock) -> None:
    async with aiohttp.ClientSession() as s:
        ws, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome" and welcome["max_duration_s"] == 20
        clock.advance(20)
        bye = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert bye == {"type": "bye", "reason": "test duration limit reached"}
        assert (await asyncio.wait_for(ws.receive(), 5)).type is aiohttp.WSMsgType.CLOSE
        await no_tests_running(server)
        assert server.reflector.completed == 1


async def test_silent_client_is_dropped_after_the_hello_timeout(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sessioncheck.server.reflector.HELLO_TIMEOUT_S", 0.3)
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(server.url)
        reply = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert reply == {"type": "error", "code": "timeout", "message": "nothing received for 0.3 s"}
        await ws.close()


async def test_probe_against_busy_server_says_busy(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as s:
        holder, welcome = await hello(s, server.url)
        assert welcome["type"] == "welcome"
        report = await Runner([PathProbe()], Settings(server=server.url, token=TOKEN)).run()
        await holder.close()
    result = report.results[0]
    assert result.measurement("path.outcome").value == "busy"  # type: ignore[union-attr]
    assert result.measurement("path.retry_after_s").value == 20  # type: ignore[union-attr]
    assert [f.code for f in result.findings] == ["network.server_busy"]


def test_serve_token_from_environment_and_sigterm(serve) -> None:  # type: ignore[no-untyped-def]
    proc, url = serve(env={"SESSIONCHECK_SERVE_TOKEN": "from-env"})

    async def check() -> tuple[str, str]:
        async with aiohttp.ClientSession() as s:
            ws, bad = await hello(s, url, "nope")
            await ws.close()
            ws, good = await hello(s, url, "from-env")
            await ws.close()
        return str(bad.get("code")), str(good["type"])

    assert asyncio.run(check()) == ("auth_failed", "welcome")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0


def test_reflector_killed_mid_test_keeps_partial_results(serve) -> None:  # type: ignore[no-untyped-def]
    proc, url = serve("--token", TOKEN)
    probe = PathProbe()
    probe.plan = Plan(idle_s=0.8, throughput_max_s=3.0, throughput_min_s=2.5, media_s=0.5)

    async def run() -> tuple[object, float]:
        runner = Runner([probe], Settings(server=url, token=TOKEN))
        started = time.monotonic()
        async for event in runner.events():
            if isinstance(event, Progress) and event.fraction >= 0.3 and proc.poll() is None:
                proc.kill()  # mid-upload: SIGKILL, no goodbye
        return runner.report, time.monotonic() - started

    report, elapsed = asyncio.run(run())
    result = report.results[0]  # type: ignore[attr-defined]
    assert elapsed < PathProbe.timeout_s
    assert result.status is not Status.ERROR, result.error
    assert result.measurement("path.outcome").value == "server_stopped"
    assert result.measurement("path.rtt_ms") is not None  # measured before the kill: kept
    assert result.measurement("path.loss_up_pct") is not None
    codes = [f.code for f in result.findings]
    assert "network.server_stopped" in codes
    stopped = next(f for f in result.findings if f.code == "network.server_stopped")
    assert "stopped answering" in stopped.wording[next(iter(stopped.wording))].title
