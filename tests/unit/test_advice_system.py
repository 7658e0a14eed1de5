"""Rules for the system probe, as tables."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Measurement, Value
from sessioncheck.settings import Thresholds


def codes(values: dict[str, Value]) -> set[str]:
    ms = [Measurement(k, v) for k, v in values.items()]
    return {f.code for f in judge("system", ms, Thresholds())}


BASE: dict[str, Value] = {
    "system.interfaces_active": 1,
    "system.iface.eth0.kind": "ethernet",
    "system.cpu_count": 4,
    "system.cpu_others_pct": 10.0,
    "system.load_avg_1m": 0.5,
    "system.memory_available_mb": 4000,
    "system.memory_total_mb": 8000,
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, set()),
        ({"system.interfaces_active": 0, "system.iface.eth0.kind": None}, {"system.no_network"}),
        ({"system.cpu_others_pct": 95.0}, {"system.cpu_busy"}),
        ({"system.cpu_others_pct": 84.9}, set()),
        ({"system.memory_available_mb": 300}, {"system.memory_low"}),
        ({"system.battery_pct": 12.0, "system.battery_plugged": False}, {"system.battery_low"}),
        ({"system.battery_pct": 12.0, "system.battery_plugged": True}, set()),
        ({"system.battery_pct": 80.0, "system.battery_plugged": False}, set()),
        ({"system.iface.wlan0.kind": "wifi"}, {"system.on_wifi"}),
        ({"system.iface.wg0.kind": "vpn"}, {"system.on_vpn"}),
        ({"system.iface.wwan0.kind": "cellular"}, {"system.on_cellular"}),
    ],
)
def test_system_rules(changes: dict[str, Value], expected: set[str]) -> None:
    values = {**BASE, **changes}
    values = {k: v for k, v in values.items() if v is not None}
    assert codes(values) == expected
