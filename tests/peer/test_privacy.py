"""A peer test never hands the other person what identifies this computer.

The client's namespace in the lab gets a second interface named the way systemd names a
USB network adapter, ``enx<MAC>``; its ``system`` probe sees it. The therapist keeps
everything in their own report (``--no-redact``), and still must not receive the client's
MAC: the client sends its facts redacted, and the therapist redacts what arrives.
Needs root (or user namespaces) and the lab's tools; skips with the reason otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessioncheck.lab import Lab, lab_available
from sessioncheck.lab.runner import start_serve

from .helpers import Proc, sessioncheck

MAC = "02a1b2c3d4e5"
IFACE = f"enx{MAC}"


@pytest.fixture
def lab() -> Iterator[Lab]:
    why = lab_available()
    if why is not None:
        pytest.skip(f"network lab unavailable: {why}")
    with Lab() as built:
        yield built


def test_client_mac_interface_name_does_not_reach_the_therapist(lab: Lab, tmp_path: Path) -> None:
    client = lab.ns.client
    lab.run(client, ["ip", "link", "add", IFACE, "type", "veth", "peer", "name", "usbpeer"])
    lab.run(client, ["ip", "link", "set", "usbpeer", "up"])
    lab.run(client, ["ip", "link", "set", IFACE, "up"])
    lab.run(client, ["ip", "addr", "add", "10.98.1.2/24", "dev", IFACE])
    url = start_serve(lab)
    procs: list[Proc] = []
    try:
        for role in ("therapist", "client"):
            (tmp_path / role).mkdir()
        host = Proc(
            sessioncheck("host", "--server", url, "--no-redact"),
            tmp_path / "therapist",
            prefix=lab.exec_argv(lab.ns.server, []),
        )
        procs.append(host)
        code = host.wait_for("CODE ", 20).split()[1]
        join = Proc(
            sessioncheck("join", code, "--server", url, "--no-redact"),
            tmp_path / "client",
            prefix=lab.exec_argv(client, []),
        )
        procs.append(join)
        _, _, err_join = join.finish(45)
        _, out_host, err_host = host.finish(15)
    finally:
        for p in procs:
            p.kill()
    saved = {
        role: next((tmp_path / role).glob("sessioncheck-peer-*.json")).read_text() for role in ("therapist", "client")
    }
    therapist = json.loads(saved["therapist"])
    v = {m["key"]: m["value"] for m in therapist["results"][0]["measurements"]}
    assert v["peer.outcome"] == "ok", (err_host, err_join)
    # the therapist learns the kind of the client's connection, not its hardware address
    assert MAC not in saved["therapist"] and MAC not in out_host and MAC not in err_host
    assert v["peer.client.system.iface.enx-mac.kind"] == "ethernet"
    # the client, who asked for everything in their own copy, still has it there
    assert f"peer.client.system.iface.{IFACE}.kind" in saved["client"]
