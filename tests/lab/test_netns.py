"""The three-namespace lab: it is built, routes client ↔ server, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sessioncheck.lab import Lab, LabUnavailable
from sessioncheck.lab.measure import start_echo_server, udp_echo
from sessioncheck.lab.netns import CLIENT_IP, SERVER_IP, lab_available


def _all_netns() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_client_reaches_server_through_router(lab: Lab) -> None:
    start_echo_server(lab)
    r = udp_echo(lab, count=50, interval_ms=2, linger_s=0.5)
    assert r.received == 50
    assert r.rtt_median_ms < 5  # unimpaired veth + routing: well under a millisecond usually
    routes = lab.run(lab.ns.client, ["ip", "route"])
    assert "default via 10.77.1.1" in routes
    addrs = lab.run(lab.ns.server, ["ip", "-4", "-br", "addr"])
    assert SERVER_IP in addrs and CLIENT_IP not in addrs


def test_ipv6_is_disabled_and_offloads_are_off(lab: Lab) -> None:
    for ns in lab.ns.all():
        assert lab.run(ns, ["sysctl", "-n", "net.ipv6.conf.all.disable_ipv6"]).strip() == "1"
        assert "inet6" not in lab.run(ns, ["ip", "addr"])
    features = lab.run(lab.ns.router, ["ethtool", "-k", "rc"])
    for feature in (
        "tcp-segmentation-offload: off",
        "generic-segmentation-offload: off",
        "generic-receive-offload: off",
    ):
        assert feature in features


def test_teardown_kills_processes_and_deletes_namespaces(lab_ok: None) -> None:
    with Lab() as lab:
        names = set(lab.ns.all())
        assert names <= _all_netns()
        procs = [lab.spawn(ns, ["sleep", "300"]) for ns in lab.ns.all()]
        # A process started behind the lab's back (not via spawn) must die too.
        lab.run(lab.ns.server, ["sh", "-c", "sleep 301 >/dev/null 2>&1 &"])
        stray = lab.run(lab.ns.server, ["ip", "netns", "identify", "self"], check=False)
        del stray
        pids = [
            int(p)
            for p in subprocess.run(
                ["ip", "netns", "pids", lab.ns.server], capture_output=True, text=True
            ).stdout.split()
        ]
        assert len(pids) == 2
    assert not names & _all_netns()
    for p in procs:
        assert p.poll() is not None
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_teardown_happens_when_the_body_fails(lab_ok: None) -> None:
    with pytest.raises(RuntimeError, match="boom"), Lab() as lab:
        names = set(lab.ns.all())
        raise RuntimeError("boom")
    assert not names & _all_netns()


def test_teardown_when_the_owning_process_is_killed(lab_ok: None) -> None:
    code = (
        "import sys, time\n"
        "from sessioncheck.lab import Lab\n"
        "lab = Lab(); lab.open()\n"
        "print(' '.join(lab.ns.all()), flush=True)\n"
        "time.sleep(60)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    names = set(p.stdout.readline().split())
    assert len(names) == 3 and names <= _all_netns()
    p.terminate()  # SIGTERM: the lab's handler tears down, then the process dies
    p.wait(timeout=10)
    assert not names & _all_netns()


def test_two_labs_at_once_are_separate(lab_ok: None) -> None:
    with Lab() as a, Lab() as b:
        assert not set(a.ns.all()) & set(b.ns.all())
        start_echo_server(a)
        # Same addresses, separate namespaces: b's client has no echo server to talk to.
        assert udp_echo(a, count=20, interval_ms=2, linger_s=0.3).received == 20
        assert udp_echo(b, count=20, interval_ms=2, linger_s=0.3).received == 0


def test_names_carry_the_pid_prefix(lab: Lab) -> None:
    assert all(n.startswith(f"sclab{os.getpid()}x") for n in lab.ns.all())


def test_missing_tools_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LabUnavailable, match="iproute2"):
        Lab().open()
    assert "not installed" in (lab_available() or "")
