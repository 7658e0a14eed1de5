"""The ``ice`` probe against a real coturn on 127.0.0.1: one test per finding.

Decisions these tests pin down:

* A closed **UDP** port on a reachable host answers with ICMP "port unreachable"; the
  probe reports it at once as ``refused`` → ``ice.udp_refused`` (not a 2.5 s timeout).
  A host that drops packets silently is the ``timeout`` → ``ice.no_answer`` case, tested
  with a UDP socket that never answers.
* Quota: coturn itself with ``user-quota=1`` and one allocation held open answers the
  probe's Allocate with 486 → ``ice.turn_quota``.
* Offline: the probe runs in a fresh network namespace (``unshare --net``: loopback only),
  which is a real offline computer whatever network the test machine has.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aioice.turn import create_turn_endpoint

from sessioncheck.model import ProbeResult, Severity, Status
from sessioncheck.probes.base import ProbeContext
from sessioncheck.probes.ice import DEADLINE_S, DNS_TIMEOUT_S, IceProbe, plan_checks
from sessioncheck.runner import Runner
from sessioncheck.settings import IceServer, Settings
from support.coturn import Coturn, CoturnFactory, free_port

BOUND_S = 3.0
"""The whole probe must end within this, whatever the servers do."""


async def run_ice(settings: Settings) -> ProbeResult:
    report = await Runner([IceProbe()], settings).run()
    result = report.result("ice")
    assert result is not None
    return result


def values(result: ProbeResult) -> dict[str, object]:
    return {m.key: m.value for m in result.measurements}


def codes(result: ProbeResult) -> set[str]:
    return {f.code for f in result.findings}


def check_index(result: ProbeResult, kind: str, transport: str) -> int:
    v = values(result)
    for i in range(1, int(v["ice.checks"]) + 1):  # type: ignore[call-overload]
        if v[f"ice.check{i}.kind"] == kind and v[f"ice.check{i}.transport"] == transport:
            return i
    raise AssertionError(f"no {kind} check over {transport} in {v}")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port where a UDP socket and a TCP listener take packets/connections and never answer."""
    port = free_port()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    udp.bind(("127.0.0.1", port))
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)  # the kernel completes handshakes; nobody ever reads
    try:
        yield port
    finally:
        udp.close()
        tcp.close()


def closed_port() -> int:
    """A port with nothing listening on it (TCP or UDP)."""
    return free_port()


# --- good credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["turn_udp_url", "turn_tcp_url", "turns_url"])
async def test_good_credentials_allocate_a_relay(coturn: Coturn, which: str) -> None:
    url = getattr(coturn, which)
    result = await run_ice(Settings(ice_servers=coturn.ice_servers((url,)), ca_file=coturn.ca_file))
    v = values(result)
    transport = {"turn_udp_url": "udp", "turn_tcp_url": "tcp", "turns_url": "tls"}[which]
    i = check_index(result, "turn", transport)
    assert v[f"ice.check{i}.outcome"] == "ok", v
    relayed = str(v[f"ice.check{i}.relayed"])
    assert relayed.startswith("127.0.0.1:") and int(relayed.split(":")[1]) > 0
    assert str(v[f"ice.check{i}.reflexive"]).startswith("127.0.0.1:")
    assert v[f"ice.check{i}.username"] == coturn.username
    assert float(v[f"ice.check{i}.allocate_ms"]) > 0  # type: ignore[arg-type]
    assert v["ice.ok"] == v["ice.checks"]
    assert result.status is Status.PASS, result.findings
    assert not [f for f in result.findings if f.severity is not Severity.INFO]
    assert result.duration_s < 1.0


async def test_turn_url_without_transport_checks_udp_tcp_and_binding(coturn: Coturn) -> None:
    events: list[object] = []
    settings = Settings(ice_servers=coturn.ice_servers((coturn.turn_url,)))
    runner = Runner([IceProbe()], settings)
    async for event in runner.events():
        events.append(event)
    assert runner.report is not None
    result = runner.report.results[0]
    v = values(result)
    assert v["ice.checks"] == 3 and v["ice.ok"] == 3
    stun_i = check_index(result, "stun", "udp")
    assert str(v[f"ice.check{stun_i}.reflexive"]).startswith("127.0.0.1:")
    rtt = result.measurement(f"ice.check{stun_i}.rtt_ms")
    assert rtt is not None and rtt.samples and 0 < float(rtt.value) < 500  # type: ignore[arg-type]
    assert v["ice.best_rtt_ms"] == rtt.value
    samples = [e for e in events if type(e).__name__ == "Sample"]
    assert len(samples) == len(rtt.samples)
    progress = [e for e in events if type(e).__name__ == "Progress"]
    assert progress and progress[-1].fraction == 1.0  # type: ignore[attr-defined]
    assert result.status is Status.PASS


async def test_stun_binding_over_tls(coturn: Coturn) -> None:
    result = await run_ice(Settings(ice_servers=(IceServer(urls=(coturn.stuns_url,)),), ca_file=coturn.ca_file))
    v = values(result)
    assert v["ice.check1.outcome"] == "ok", v
    assert str(v["ice.check1.reflexive"]).startswith("127.0.0.1:")
    assert float(v["ice.check1.connect_ms"]) > 0  # type: ignore[arg-type]
    assert result.status is Status.PASS


# --- failures, one finding each ------------------------------------------------------------


async def test_wrong_password_is_turn_auth_failed(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers((coturn.turn_url,), password="not-the-Password-42"))
    result = await run_ice(settings)
    v = values(result)
    assert codes(result) == {"ice.turn_auth_failed"}
    assert result.status is Status.FAIL
    (f,) = result.findings
    for i in (check_index(result, "turn", "udp"), check_index(result, "turn", "tcp")):
        assert v[f"ice.check{i}.outcome"] == "auth_failed"
        assert v[f"ice.check{i}.code"] == 401
        assert f.evidence[f"ice.check{i}.code"] == 401
    support = f.wording[next(a for a in f.wording if a.value == "support")]
    assert "401" in support.text and "udp, tcp" in support.text and coturn.username in support.text
    assert "not-the-Password-42" not in json.dumps(result.to_dict())  # the credential never leaks
    # The binding still worked: the server is up, only the login is wrong.
    assert v[f"ice.check{check_index(result, 'stun', 'udp')}.outcome"] == "ok"
    assert result.duration_s < 1.0


async def test_closed_tcp_port_is_tcp_refused() -> None:
    port = closed_port()
    settings = Settings(
        ice_servers=(IceServer(urls=(f"turn:127.0.0.1:{port}?transport=tcp",), username="u", credential="p"),)
    )
    result = await run_ice(settings)
    assert values(result)["ice.check1.outcome"] == "refused"
    assert codes(result) == {"ice.tcp_refused", "ice.servers_unreachable"}
    assert result.duration_s < 1.0


async def test_closed_udp_port_is_udp_refused_at_once() -> None:
    port = closed_port()
    settings = Settings(
        ice_servers=(IceServer(urls=(f"turn:127.0.0.1:{port}?transport=udp",), username="u", credential="p"),)
    )
    result = await run_ice(settings)
    v = values(result)
    assert v["ice.check1.outcome"] == v["ice.check2.outcome"] == "refused"
    assert codes(result) == {"ice.udp_refused", "ice.servers_unreachable"}
    (udp_refused,) = [f for f in result.findings if f.code == "ice.udp_refused"]
    assert set(udp_refused.evidence) >= {"ice.check1.outcome", "ice.check2.outcome"}
    assert result.duration_s < 1.0  # ICMP port unreachable, not a timeout


async def test_untrusted_certificate_is_tls_rejected(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers((coturn.turns_url,)))  # no ca_file
    result = await run_ice(settings)
    v = values(result)
    assert v["ice.check1.outcome"] == "tls_rejected"
    assert "certificate" in str(v["ice.check1.detail"])
    assert codes(result) == {"ice.tls_rejected"}
    assert result.status is Status.FAIL


async def test_certificate_accepted_with_its_ca_file(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers((coturn.turns_url,)), ca_file=coturn.ca_file)
    result = await run_ice(settings)
    assert values(result)["ice.check1.outcome"] == "ok"
    assert codes(result) == set()


async def test_unreadable_ca_file_is_a_clear_error(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers((coturn.turns_url,)), ca_file="/nonexistent/ca.pem")
    result = await run_ice(settings)
    v = values(result)
    assert v["ice.check1.outcome"] == "error"
    assert "/nonexistent/ca.pem" in str(v["ice.check1.detail"])
    assert codes(result) == {"ice.server_error"}


async def test_unknown_name_is_dns_failed(coturn: Coturn) -> None:
    servers = (
        IceServer(urls=("stun:no-such-server.sessioncheck.invalid:3478",)),
        *coturn.ice_servers((coturn.turn_udp_url,)),
    )
    result = await run_ice(Settings(ice_servers=servers))
    v = values(result)
    assert v["ice.check1.outcome"] == "dns_failed"
    assert "no-such-server.sessioncheck.invalid" in str(v["ice.check1.detail"])
    assert codes(result) == {"ice.dns_failed"}  # the working server keeps it from "unreachable"
    assert result.duration_s < BOUND_S


async def test_silent_server_is_no_answer_within_bound(silent_port: int) -> None:
    settings = Settings(ice_servers=(IceServer(urls=(f"turn:127.0.0.1:{silent_port}",), username="u", credential="p"),))
    started = time.monotonic()
    result = await run_ice(settings)
    elapsed = time.monotonic() - started
    v = values(result)
    assert [v[f"ice.check{i}.outcome"] for i in (1, 2, 3)] == ["timeout"] * 3
    assert codes(result) == {"ice.no_answer", "ice.servers_unreachable"}
    assert DEADLINE_S - 0.1 <= elapsed <= BOUND_S
    assert result.status is Status.FAIL


async def test_silent_udp_with_working_tcp_is_udp_blocked(coturn: Coturn, silent_port: int) -> None:
    servers = (
        IceServer(
            urls=(f"turn:127.0.0.1:{silent_port}?transport=udp",),
            username=coturn.username,
            credential=coturn.password,
        ),
        *coturn.ice_servers((coturn.turns_url,)),
    )
    started = time.monotonic()
    result = await run_ice(Settings(ice_servers=servers, ca_file=coturn.ca_file))
    assert time.monotonic() - started <= BOUND_S
    assert codes(result) == {"ice.udp_blocked"}
    assert result.status is Status.WARN


async def test_quota_reached_is_turn_quota(coturn_factory: CoturnFactory) -> None:
    server = coturn_factory(extra_config=("user-quota=1",))
    held, _ = await create_turn_endpoint(
        asyncio.DatagramProtocol, (server.host, server.port), server.username, server.password
    )
    try:
        result = await run_ice(Settings(ice_servers=server.ice_servers((server.turn_udp_url,))))
    finally:
        held.close()
        await asyncio.sleep(0.05)  # let the deletion go out
    v = values(result)
    assert v["ice.check2.outcome"] == "quota"
    assert v["ice.check2.code"] == 486
    assert codes(result) == {"ice.turn_quota"}


async def test_every_allocation_is_deleted(coturn: Coturn) -> None:
    """The probe gives back what it allocated: coturn logs a refresh to lifetime 0 for each."""
    deleted = "refreshed, realm=<sessioncheck.test>, username=<sessioncheck>, lifetime=0"
    before = coturn.log().count(deleted)
    result = await run_ice(
        Settings(
            ice_servers=coturn.ice_servers((coturn.turn_url, coturn.turns_url)),
            ca_file=coturn.ca_file,
        )
    )
    assert values(result)["ice.ok"] == 4  # binding, UDP, TCP and TLS allocations
    deadline = time.monotonic() + 2
    while coturn.log().count(deleted) - before < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert coturn.log().count(deleted) - before == 3


# --- offline -------------------------------------------------------------------------------

_OFFLINE_SCRIPT = """
import asyncio, json, time
from sessioncheck.probes.ice import IceProbe
from sessioncheck.runner import Runner
started = time.monotonic()
report = asyncio.run(Runner([IceProbe()]).run())
print(json.dumps({"elapsed": time.monotonic() - started, "result": report.results[0].to_dict()}))
"""


def test_offline_with_default_servers_is_offline_within_bound() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) for a network namespace")
    started = time.monotonic()
    proc = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", _OFFLINE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=30,
    )
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    result = ProbeResult.from_dict(out["result"])
    v = values(result)
    assert v["ice.defaults_used"] is True
    assert out["elapsed"] <= BOUND_S
    assert wall < 10  # the interpreter exits promptly too (no resolver thread holds it)
    assert codes(result) == {"ice.offline"}
    assert result.status is Status.FAIL
    (f,) = result.findings
    client = f.wording[next(a for a in f.wording if a.value == "client")]
    assert client.title == "This computer cannot reach the internet"


_HUNG_DNS_SCRIPT = """
import asyncio, json, socket, time
from sessioncheck.probes.ice import IceProbe
from sessioncheck.runner import Runner
silent_dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent_dns.bind(("127.0.0.1", 53))  # takes every query, answers none
started = time.monotonic()
report = asyncio.run(Runner([IceProbe()]).run())
print(json.dumps({"elapsed": time.monotonic() - started, "result": report.results[0].to_dict()}))
"""


def test_resolver_that_never_answers_still_ends_within_bound(tmp_path: Path) -> None:
    """A name server that swallows queries: each lookup gives up after DNS_TIMEOUT_S, and the
    program exits at once instead of waiting for the resolver (glibc would retry for ~10 s)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) for network and mount namespaces")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    script = tmp_path / "probe.py"
    script.write_text(_HUNG_DNS_SCRIPT)
    shell = f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && exec {sys.executable} {script}"
    started = time.monotonic()
    proc = subprocess.run(
        ["unshare", "--net", "--mount", "sh", "-c", shell],
        capture_output=True,
        text=True,
        timeout=60,
    )
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    result = ProbeResult.from_dict(out["result"])
    v = values(result)
    assert [v[f"ice.check{i}.outcome"] for i in (1, 2, 3)] == ["dns_failed"] * 3
    assert "no answer" in str(v["ice.check1.detail"])
    assert DNS_TIMEOUT_S - 0.1 <= out["elapsed"] <= BOUND_S
    assert wall < BOUND_S + 2.5  # interpreter start and exit included
    assert codes(result) == {"ice.offline"}


# --- planning ------------------------------------------------------------------------------


def test_plan_interprets_urls_and_merges_duplicates() -> None:
    servers = (
        IceServer(urls=("stun:a.example:3478", "stuns:a.example")),
        IceServer(
            urls=(
                "turn:t.example",
                "turn:t.example?transport=udp",
                "turn:t.example?transport=tcp",
                "turns:t.example:443?transport=tcp",
            ),
            username="u",
            credential="p",
        ),
    )
    checks, defaults = plan_checks(servers)
    assert not defaults
    assert [(c.kind, c.host, c.port, c.transport) for c in checks] == [
        ("stun", "a.example", 3478, "udp"),
        ("stun", "a.example", 5349, "tls"),
        ("stun", "t.example", 3478, "udp"),
        ("turn", "t.example", 3478, "udp"),
        ("turn", "t.example", 3478, "tcp"),
        ("turn", "t.example", 443, "tls"),
    ]
    defaults_checks, used = plan_checks(())
    assert used and all(c.kind == "stun" and c.transport == "udp" for c in defaults_checks)


async def test_records_measurements_directly_without_runner(coturn: Coturn) -> None:
    seen: list[object] = []
    ctx = ProbeContext("ice", Settings(ice_servers=coturn.ice_servers((coturn.stun_url,))), {}, seen.append)
    await IceProbe().run(ctx)
    keys = {m.key for m in ctx.measurements}
    assert {
        "ice.defaults_used",
        "ice.checks",
        "ice.ok",
        "ice.timeout_s",
        "ice.best_rtt_ms",
        "ice.check1.kind",
        "ice.check1.url",
        "ice.check1.transport",
        "ice.check1.outcome",
        "ice.check1.rtt_ms",
        "ice.check1.reflexive",
        "ice.check1.elapsed_ms",
    } <= keys
