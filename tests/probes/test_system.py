"""The system probe on this real machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessioncheck.model import Status
from sessioncheck.probes.system import SystemProbe, interface_kind
from sessioncheck.runner import Runner


async def test_system_probe_measures_this_machine() -> None:
    report = await Runner([SystemProbe()]).run()
    r = report.results[0]
    assert r.status in (Status.PASS, Status.WARN), r.error
    cpu = r.measurement("system.cpu_count")
    assert cpu is not None and isinstance(cpu.value, int) and cpu.value >= 1
    mem = r.measurement("system.memory_total_mb")
    assert mem is not None and isinstance(mem.value, int | float) and mem.value > 100
    load = r.measurement("system.cpu_load_pct")
    assert load is not None and 0 <= float(load.value) <= 100  # type: ignore[arg-type]
    assert r.measurement("system.lib.aiortc") is not None
    assert r.measurement("system.interfaces_active") is not None


def _fake_sysfs(root: Path, name: str, files: dict[str, str]) -> Path:
    base = root / name
    base.mkdir(parents=True)
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.mark.parametrize(
    ("name", "files", "kind"),
    [
        ("wlp2s0", {"wireless/x": "", "type": "1"}, "wifi"),
        ("eth0", {"type": "1", "device/uevent": "DRIVER=e1000"}, "ethernet"),
        ("tun0", {"type": "65534"}, "vpn"),
        ("wwan0", {"type": "1", "uevent": "DEVTYPE=wwan"}, "cellular"),
        ("veth1", {"type": "1"}, "virtual"),
        ("br0", {"type": "1", "uevent": "DEVTYPE=bridge"}, "virtual"),
        ("lo", {"type": "772"}, "loopback"),
    ],
)
def test_interface_kind_from_sysfs(tmp_path: Path, name: str, files: dict[str, str], kind: str) -> None:
    root = _fake_sysfs(tmp_path, name, files)
    assert interface_kind(name, root) == kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [("en0", "other"), ("utun3", "vpn"), ("Wi-Fi", "wifi"), ("Ethernet 2", "ethernet"), ("pdp_ip0", "cellular")],
)
def test_interface_kind_by_name_elsewhere(tmp_path: Path, name: str, kind: str) -> None:
    assert interface_kind(name, tmp_path) == kind
