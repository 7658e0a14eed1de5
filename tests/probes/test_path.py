"""The path probe with real peers: embedded reflector (`local`) and a `sessioncheck serve` process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from sessioncheck.events import Sample
from sessioncheck.model import Measurement, ProbeResult, Status
from sessioncheck.probes import PROBES, load_probe
from sessioncheck.probes.path import PathProbe, ice_attempts
from sessioncheck.probes.recorders import first_turn_url
from sessioncheck.rtc.measure.results import Plan
from sessioncheck.runner import Runner
from sessioncheck.settings import IceServer, Settings

TOKEN = "probe-token"
BUSY_HERE = ("network.measure_busy", "media_loop.cpu_short")
"""Findings that say this computer was too busy to measure (the CPU, not the path)."""


def short_probe() -> PathProbe:
    probe = PathProbe()
    probe.plan = Plan(idle_s=0.6, throughput_max_s=0.8, throughput_min_s=0.6, media_s=0.5)
    return probe


def test_registered() -> None:
    assert "path" in PROBES
    assert isinstance(load_probe("path"), PathProbe)


async def test_no_server_is_skipped_with_a_plain_reason() -> None:
    report = await Runner([PathProbe()], Settings()).run()
    result = report.results[0]
    assert result.status is Status.SKIP
    assert "Ask your clinic for its check server address" in (result.skip_reason or "")


async def test_local_end_to_end() -> None:
    """Full default plan through the Runner against an embedded reflector."""
    runner = Runner([PathProbe()], Settings(server="local"))
    samples: set[str] = set()
    started = time.monotonic()
    async for event in runner.events():
        if isinstance(event, Sample):
            samples.add(event.key)
    elapsed = time.monotonic() - started
    assert runner.report is not None
    result = runner.report.results[0]
    value = {m.key: m.value for m in result.measurements}
    codes = [f.code for f in result.findings]
    # Loopback has nothing to find but the summary, unless this machine is too busy to measure:
    # then it says so (a warning) instead of judging the figures it could not trust.
    busy = [c for c in codes if c in BUSY_HERE]
    assert [c for c in codes if c not in BUSY_HERE] == ["network.summary"], (result.error, codes)
    assert result.status is (Status.WARN if busy else Status.PASS), (result.error, codes)
    assert value["path.outcome"] == "ok"
    assert value["path.server_kind"] == "local"
    assert value["path.candidate_type"] == "host"
    assert value["path.transport"] == "udp"
    rtt = result.measurement("path.rtt_ms")
    assert rtt is not None and rtt.samples is not None and len(rtt.samples) >= 50
    assert value["path.pings_lost_pct"] == 0.0  # loopback loses none
    assert 0 < float(value["path.rtt_ms"]) < 50  # type: ignore[arg-type]
    assert float(value["path.loss_up_pct"]) < 5 and float(value["path.loss_down_pct"]) < 5  # type: ignore[arg-type]
    assert value["path.jitter_up_ms"] is not None and value["path.jitter_down_ms"] is not None
    # loopback throughput is CPU-bound and shares 2 cores with everything else: only sanity
    assert float(value["path.up_kbps"]) > 500 and float(value["path.down_kbps"]) > 500  # type: ignore[arg-type]
    assert "path.loaded_rtt_delta_ms" in value
    assert int(value["path.media.video_frames"]) > 0 and int(value["path.media.audio_frames"]) > 0  # type: ignore[arg-type]
    assert value["path.media.video_resolution"] == "1280x720"
    assert value["path.media.video_jitter_ms"] is not None
    # what sending 720p cost this computer: media_loop's question, asked in a real call
    assert 0 < float(value["path.media.video_encode_fps"]) <= 33  # type: ignore[arg-type]
    assert float(value["path.media.video_encode_ms"]) > 0  # type: ignore[arg-type]
    assert 0 <= float(value["path.media.cpu_headroom_pct"]) <= 100  # type: ignore[arg-type]
    assert {"rtt_ms", "up_kbps", "down_kbps"} <= samples
    summary = next(f for f in result.findings if f.code == "network.summary")
    assert summary.evidence["path.server_kind"] == "local"
    assert elapsed < 12.0


async def test_a_server_that_does_not_announce_negotiated_channels_gets_them_in_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An older server neither announces ``negotiated_channels`` nor creates channels from
    an offer's ``negotiated_id``: the client must announce its channels in-band for it."""
    from sessioncheck.rtc.measure.responder import Responder
    from sessioncheck.server import wire

    def ignore(self: Responder, negotiated_id: int) -> None:
        return None

    monkeypatch.setattr(wire, "NEGOTIATED_CHANNELS", False)
    monkeypatch.setattr(Responder, "attach_negotiated", ignore)
    report = await Runner([short_probe()], Settings(server="local")).run()
    value = {m.key: m.value for m in report.results[0].measurements}
    assert value["path.outcome"] == "ok", value
    assert float(value["path.rtt_ms"]) > 0  # type: ignore[arg-type]
    assert int(value["path.media.video_frames"]) > 0  # type: ignore[arg-type]


def test_cli_against_serve_subprocess(serve) -> None:  # type: ignore[no-untyped-def]
    """What the lab runs: `serve` in one process, `check --probes path --format json` in another."""
    _, url = serve("--token", TOKEN)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sessioncheck",
            "check",
            "--probes",
            "path",
            "--server",
            url,
            "--token",
            TOKEN,
            "--format",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(out.stdout)
    # a clean loopback path: video, but only the connection was tested, so "partly checked" (exit 5)
    assert (report["verdict"], out.returncode) == ("video", 5), out.stderr
    assert report["untested"] == ["system", "ice", "camera", "microphone", "speaker"]
    (result,) = report["results"]
    value = {m["key"]: m["value"] for m in result["measurements"]}
    assert value["path.outcome"] == "ok", value
    assert value["path.server_kind"] == "remote"
    assert value["path.rtt_ms"] > 0
    assert value["path.up_kbps"] > 500 and value["path.down_kbps"] > 500
    assert result["duration_s"] < 12


@pytest.mark.parametrize(
    ("server", "token", "outcome", "code", "status"),
    [
        # The catalogue's severities: a server that refuses or does not answer warns; an
        # address that cannot be one fails.
        ("RUNNING", "wrong-token", "auth_failed", "network.server_auth_failed", Status.WARN),
        ("RUNNING", None, "auth_failed", "network.server_auth_failed", Status.WARN),
        ("CLOSED", TOKEN, "server_unreachable", "network.server_unreachable", Status.WARN),
        ("http-404", TOKEN, "server_unreachable", "network.server_unreachable", Status.WARN),
        ("ftp://example.org/ws", TOKEN, "bad_url", "network.server_address_invalid", Status.FAIL),
        ("just-a-name", TOKEN, "bad_url", "network.server_address_invalid", Status.FAIL),
        ("ws://[::1", TOKEN, "bad_url", "network.server_address_invalid", Status.FAIL),
    ],
)
async def test_refusals_are_findings_not_tracebacks(
    serve,
    server: str,
    token: str | None,
    outcome: str,
    code: str,
    status: Status,  # type: ignore[no-untyped-def]
) -> None:
    if server == "RUNNING":
        _, server = serve("--token", TOKEN)
    elif server == "http-404":
        _, url = serve("--token", TOKEN)
        server = url.removesuffix("/ws") + "/nowhere"
    elif server == "CLOSED":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            server = f"ws://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    report = await Runner([short_probe()], Settings(server=server, token=token)).run()
    result = report.results[0]
    assert result.status is status, (result.status, result.error)
    assert result.measurement("path.outcome").value == outcome  # type: ignore[union-attr]
    assert [f.code for f in result.findings] == [code]
    assert time.monotonic() - started < 6


# --- which TURN URL goes first (pure) ------------------------------------------------------------


STUN = "stun:turn.example:3478"
TURN_UDP = "turn:turn.example:3478"
TURN_TCP = "turn:turn.example:3478?transport=tcp"
TURN_TLS = "turns:turn.example:5349"


def _servers() -> list[IceServer]:
    # deliberately listed TLS first: the order to try is by transport, not by listing
    return [IceServer(urls=(STUN,)), IceServer(urls=(TURN_TLS, TURN_TCP, TURN_UDP), username="u", credential="p")]


def _ice(ok: dict[str, bool]) -> ProbeResult:
    ms: list[Measurement] = [
        Measurement("ice.check0.url", STUN),
        Measurement("ice.check0.kind", "stun"),
        Measurement("ice.check0.outcome", "ok"),
    ]
    for i, (url, good) in enumerate(ok.items(), start=1):
        ms += [
            Measurement(f"ice.check{i}.url", url),
            Measurement(f"ice.check{i}.kind", "turn"),
            Measurement(f"ice.check{i}.outcome", "ok" if good else "timeout"),
        ]
    return ProbeResult(probe="ice", status=Status.PASS, duration_s=1.0, measurements=tuple(ms))


def _urls(attempt: list[IceServer]) -> list[str]:
    return [u for s in attempt for u in s.urls]


def test_ice_attempts_without_turn_is_one_attempt_unchanged() -> None:
    servers = [IceServer(urls=(STUN,))]
    assert ice_attempts(servers, None) == [servers]


def test_ice_attempts_without_the_ice_probe_tries_udp_then_tcp_then_tls() -> None:
    attempts = ice_attempts(_servers(), None)
    assert [first_turn_url(a) for a in attempts] == [TURN_UDP, TURN_TCP, TURN_TLS]
    for a in attempts:
        assert STUN in _urls(a)  # STUN stays in every attempt
        assert sorted(_urls(a)) == sorted([STUN, TURN_UDP, TURN_TCP, TURN_TLS])
        turn = [s for s in a if s.urls[0].startswith("turn")]
        assert all(s.username == "u" and s.credential == "p" for s in turn)


def test_ice_attempts_put_the_url_that_worked_first_and_only_once() -> None:
    # UDP blocked: the ice probe found only the TCP and TLS relays working
    attempts = ice_attempts(_servers(), _ice({TURN_UDP: False, TURN_TCP: True, TURN_TLS: True}))
    assert len(attempts) == 1
    assert first_turn_url(attempts[0]) == TURN_TCP
    # everything working: UDP first
    attempts = ice_attempts(_servers(), _ice({TURN_UDP: True, TURN_TCP: True, TURN_TLS: True}))
    assert len(attempts) == 1 and first_turn_url(attempts[0]) == TURN_UDP


def test_ice_attempts_fall_back_to_all_when_no_turn_url_worked() -> None:
    attempts = ice_attempts(_servers(), _ice({TURN_UDP: False, TURN_TCP: False, TURN_TLS: False}))
    assert [first_turn_url(a) for a in attempts] == [TURN_UDP, TURN_TCP, TURN_TLS]
