"""What a redacted report must not carry, checked on real probe output.

* MAC addresses through interface names: a real network namespace holding veth interfaces
  named the way systemd names USB network adapters (``enx<MAC>``, ``wlx<MAC>``); the
  ``system`` probe runs inside it (``sessioncheck check`` under ``ip netns exec``).
* The TURN user name and credential: a real coturn with a distinctive user.
* The home folder: the camera and microphone probes given media files that do not exist.

Each runs the real command line and searches everything it printed and saved.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.coturn import CoturnFactory

MAC_ETH = "001122334455"
MAC_WIFI = "66778899aabb"
IFACES = {f"enx{MAC_ETH}": ("10.98.1.2/24", "ethernet"), f"wlx{MAC_WIFI}": ("10.98.2.2/24", "wifi")}

TURN_USER = "alice.moreau-7f3e"
"""Names a person. (Not the TURN REST API's ``expiry:name``: coturn's static ``user=`` config
line would split it at the colon.)"""
TURN_SECRET = "Zq9-turn-credential-7Hs"


def _check(*args: str, prefix: tuple[str, ...] = (), env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "sessioncheck", "check", "--format", "json", "-q", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def mac_netns() -> Iterator[str]:
    """A network namespace with an ``enx<MAC>`` and a ``wlx<MAC>`` interface, up with addresses."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to make a network namespace")
    ns = f"scpriv{os.getpid()}"

    def ip(*argv: str) -> None:
        subprocess.run(["ip", "-n", ns, *argv], check=True, capture_output=True, timeout=15)

    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=15)
    try:
        ip("link", "set", "lo", "up")
        for i, (name, (addr, _)) in enumerate(IFACES.items()):
            ip("link", "add", name, "type", "veth", "peer", "name", f"peer{i}")
            ip("link", "set", f"peer{i}", "up")
            ip("link", "set", name, "up")
            ip("addr", "add", addr, "dev", name)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=15)


def test_interface_names_with_a_mac_are_redacted_and_keep_their_kind(mac_netns: str, tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    code, out, err = _check("--probes", "system", "-o", str(saved), prefix=("ip", "netns", "exec", mac_netns))
    assert code == 5, err  # partly checked: only one probe ran
    for text in (out, saved.read_text(), err):
        assert MAC_ETH not in text and MAC_WIFI not in text
    report = json.loads(out)
    v = {m["key"]: m["value"] for m in report["results"][0]["measurements"]}
    assert v["system.iface.enx-mac.kind"] == "ethernet"
    assert v["system.iface.wlx-mac.kind"] == "wifi"
    assert "enx-mac:ethernet" in v["system.interfaces"] and "wlx-mac:wifi" in v["system.interfaces"]
    # the Wi-Fi finding names the interface, without its MAC
    wifi = next(f for f in report["results"][0]["findings"] if f["code"] == "system.on_wifi")
    assert wifi["evidence"] == {"system.iface.wlx-mac.kind": "wifi"}
    assert "wlx-mac" in wifi["wording"]["support"]["text"]

    # the probe really saw them: an unredacted report names them
    code, out, err = _check("--probes", "system", "--no-redact", prefix=("ip", "netns", "exec", mac_netns))
    assert code == 5, err  # partly checked: only one probe ran
    assert f"system.iface.enx{MAC_ETH}.kind" in out and f"wlx{MAC_WIFI}" in out


@pytest.mark.parametrize("password", [TURN_SECRET, "a-wrong-password-3Kd"])
def test_turn_user_name_only_in_unredacted_reports_and_credential_never(
    coturn_factory: CoturnFactory, tmp_path: Path, password: str
) -> None:
    server = coturn_factory(username=TURN_USER, password=TURN_SECRET)
    turn = ("--turn", f"turn:{server.host}:{server.port}", "--turn-username", TURN_USER, "--turn-credential", password)
    saved = tmp_path / "report.json"
    code, out, err = _check("--probes", "ice", *turn, "-o", str(saved))
    assert code == 5, err  # only the call servers were tested: never a plain 'ready' (exit 5)
    report = json.loads(out)
    codes = {f["code"] for r in report["results"] for f in r["findings"]}
    assert ("ice.turn_auth_failed" in codes) == (password != TURN_SECRET), codes
    for text in (out, saved.read_text(), err):
        assert "alice" not in text and password not in text
    users = {m["value"] for m in report["results"][0]["measurements"] if m["key"].endswith(".username")}
    assert users == {"[user name removed]"}

    code, out, err = _check("--probes", "ice", *turn, "--no-redact")
    assert code == 5, err  # partly checked: only one probe ran
    assert TURN_USER in out  # for support staff who asked for everything
    assert password not in out and password not in err


def test_missing_media_files_lose_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home" / "alice.moreau"
    home.mkdir(parents=True)
    camera = home / "Videos" / "session test.mp4"
    microphone = "/home/bob.keller/Music/voice.wav"  # someone else's home
    saved = tmp_path / "report.json"
    args = ("--probes", "camera,microphone", "--camera", str(camera), "--microphone", microphone)
    code, out, err = _check(*args, "-o", str(saved), env={"HOME": str(home)})
    assert code == 2, err  # no camera and no microphone: call by phone
    report = json.loads(out)
    v = {m["key"]: m["value"] for r in report["results"] for m in r["measurements"]}
    assert v["camera.outcome"] == "missing" and v["microphone.outcome"] == "missing", err
    for text in (out, saved.read_text()):
        assert "alice" not in text and "bob" not in text
    assert v["camera.device"] == "~/Videos/session test.mp4"
    assert v["microphone.device"] == "/home/[user]/Music/voice.wav"
