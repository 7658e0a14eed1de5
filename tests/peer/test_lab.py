"""The peer test across a kernel-shaped lab link: the shaped side is the one blamed.

The therapist (and `serve`) sit in the lab's server namespace, the client in the client
namespace; the router limits the client's upload. Needs root (or user namespaces) and the
lab's tools; skips with the reason otherwise (CI turns that into a failure).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessioncheck.lab import Lab, lab_available
from sessioncheck.lab.runner import start_serve
from sessioncheck.lab.shaping import Direction, Impairment, apply

from .helpers import Proc, sessioncheck

CLIENT_UP_KBIT = 1000.0


@pytest.fixture
def lab() -> Iterator[Lab]:
    why = lab_available()
    if why is not None:
        pytest.skip(f"network lab unavailable: {why}")
    with Lab() as built:
        yield built


def _host_and_join(lab: Lab, tmp_path: Path, *args: str, join_s: float = 45) -> tuple[tuple[str, str], tuple[str, str]]:
    """``sessioncheck host`` in the server namespace and ``join`` in the client's, each with
    ``args``, run in ``tmp_path/therapist`` and ``tmp_path/client``: (stdout, stderr) of each."""
    procs: list[Proc] = []
    try:
        (tmp_path / "therapist").mkdir()
        (tmp_path / "client").mkdir()
        host = Proc(sessioncheck("host", *args), tmp_path / "therapist", prefix=lab.exec_argv(lab.ns.server, []))
        procs.append(host)
        code = host.wait_for("CODE ", 20).split()[1]
        join = Proc(sessioncheck("join", code, *args), tmp_path / "client", prefix=lab.exec_argv(lab.ns.client, []))
        procs.append(join)
        _, out_join, err_join = join.finish(join_s)
        _, out_host, err_host = host.finish(15)
    finally:
        for p in procs:
            p.kill()
    return (out_host, err_host), (out_join, err_join)


def test_clients_limited_upload_is_blamed_on_the_client(lab: Lab, tmp_path: Path) -> None:
    apply(lab, Impairment(up=Direction(rate_kbit=CLIENT_UP_KBIT)))
    (out_host, err_host), (out_join, err_join) = _host_and_join(lab, tmp_path, "--server", start_serve(lab))
    reports = {
        role: json.loads(next((tmp_path / role).glob("sessioncheck-peer-*.json")).read_text())
        for role in ("therapist", "client")
    }
    assert reports["therapist"] == reports["client"], (err_host, err_join)
    report = reports["therapist"]
    v = {m["key"]: m["value"] for m in report["results"][0]["measurements"]}
    codes = {f["code"] for f in report["results"][0]["findings"]}
    assert v["peer.outcome"] == "ok", (err_host, err_join)
    client_up, therapist_up = float(v["peer.client.up_kbps"]), float(v["peer.therapist.up_kbps"])
    # the upload the kernel allows, measured over the data channel (990 kbit/s seen for 1000)
    assert 0.8 * CLIENT_UP_KBIT < client_up < 1.1 * CLIENT_UP_KBIT, client_up
    assert therapist_up > 3 * CLIENT_UP_KBIT, therapist_up
    assert "peer.client_upload_low" in codes
    assert "peer.therapist_upload_low" not in codes
    # the real lab addresses are routed host candidates: a direct path
    assert v["peer.client.candidate_type"] == "host"
    assert "The client's upload is the bottleneck" in out_host
    assert "Your upload is the bottleneck" in out_join


def test_blocked_udp_client_relays_through_the_turn_url_that_answers(lab: Lab, tmp_path: Path) -> None:
    """The client's network drops all UDP; the iceServers list names TURN over UDP first.
    aiortc relays only through the first TURN URL, so without checking the URLs first the
    client had no way out; it must find TURN over TCP and connect through it."""
    from sessioncheck.lab.turn import PASSWORD, USERNAME, LabTurn

    apply(lab, Impairment(up=Direction(rate_kbit=20000), down=Direction(rate_kbit=20000), block_udp=True))
    turn = LabTurn(lab)
    try:
        ice_file = tmp_path / "ice-servers.json"
        ice_file.write_text(
            json.dumps(
                [
                    {
                        "urls": [turn.turn_udp_url, turn.turn_tcp_url, turn.turn_tls_url],
                        "username": USERNAME,
                        "credential": PASSWORD,
                    }
                ]
            )
        )
        (_, err_host), (_, err_join) = _host_and_join(
            lab,
            tmp_path,
            "--server",
            start_serve(lab),
            "--ice-servers",
            str(ice_file),
            "--ca-file",
            str(turn.ca_file),
            "--no-redact",
            join_s=60,
        )
    finally:
        turn.close()
    report = json.loads(next((tmp_path / "client").glob("sessioncheck-peer-*.json")).read_text())
    v = {m["key"]: m["value"] for m in report["results"][0]["measurements"]}
    # Recorded once the connection and its channels are open (before: "connect_failed").
    assert v.get("peer.client.turn_url") == turn.turn_tcp_url, (err_host, err_join, v.get("peer.detail"))
    assert v["peer.client.candidate_type"] == "relay"
    assert v["peer.client.transport"] == "tcp"
    assert "through the clinic's relay server" in err_join
    assert v["peer.outcome"] == "ok", v.get("peer.detail")
    assert float(v["peer.client.up_kbps"]) > 0
    assert float(v["peer.therapist.up_kbps"]) > 0
