"""Rules for the ``system`` probe."""

from __future__ import annotations

from ..model import Finding
from ..settings import Thresholds
from .rules import Measures, finding


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    out: list[Finding] = []
    active = m.num("system.interfaces_active")
    kinds: dict[str, str] = {}
    for key, value in m.with_prefix("system.iface.").items():
        if key.endswith(".kind") and isinstance(value, str):
            kinds[key[len("system.iface.") : -len(".kind")]] = value
    if active is not None and active == 0:
        out.append(finding("system.no_network", {"system.interfaces_active": 0}))

    others = m.num("system.cpu_others_pct")
    if others is None:
        others = m.num("system.cpu_load_pct")
    if others is not None and others >= t.cpu_busy_pct:
        out.append(
            finding(
                "system.cpu_busy",
                {"system.cpu_others_pct": others, "system.load_avg_1m": m.value("system.load_avg_1m")},
                cpu_pct=others,
                threshold=t.cpu_busy_pct,
                load1=m.num("system.load_avg_1m") or 0.0,
                cpus=int(m.num("system.cpu_count") or 0),
            )
        )

    available = m.num("system.memory_available_mb")
    if available is not None and available < t.memory_low_mb:
        out.append(
            finding(
                "system.memory_low",
                {"system.memory_available_mb": available},
                available_mb=available,
                total_mb=m.num("system.memory_total_mb") or 0.0,
                threshold=t.memory_low_mb,
            )
        )

    battery = m.num("system.battery_pct")
    if battery is not None and m.value("system.battery_plugged") is False and battery < t.battery_low_pct:
        out.append(
            finding(
                "system.battery_low",
                {"system.battery_pct": battery, "system.battery_plugged": False},
                battery_pct=battery,
                threshold=t.battery_low_pct,
            )
        )

    for kind, code in (("vpn", "system.on_vpn"), ("wifi", "system.on_wifi"), ("cellular", "system.on_cellular")):
        names = sorted(n for n, k in kinds.items() if k == kind)
        if names:
            out.append(finding(code, {f"system.iface.{n}.kind": kind for n in names}, interfaces=", ".join(names)))
    return out
