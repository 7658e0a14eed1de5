"""``system``: facts about this computer that affect a call.

CPU count and load, memory, battery (where present), active network interfaces and their
kind, OS and library versions. Measures only; ``advice/system.py`` judges.

Measurement keys: ``system.cpu_count``, ``system.cpu_load_pct``, ``system.load_avg_1m``,
``system.cpu_others_pct`` (load not caused by sessioncheck itself),
``system.memory_total_mb``, ``system.memory_available_mb``, ``system.battery_pct``,
``system.battery_plugged``, ``system.interfaces`` (a list of ``name:kind``),
``system.interfaces_active`` (count), ``system.iface.<name>.kind``,
``system.os``, ``system.python``, ``system.lib.<name>`` (library versions).

Interface names are recorded as the OS gives them. On Linux some embed the adapter's MAC
address (``enx001122334455``, ``wlx…``); :mod:`sessioncheck.report.redact` turns those
into ``enx-mac`` in values and keys alike, so a redacted report (and what a peer test sends
the other side) keeps the kind but not the address.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import socket
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar

from .base import Probe, ProbeContext

CPU_SAMPLE_S = 0.5
"""How long CPU load is sampled."""

LIBRARIES = ("aiortc", "aioice", "av", "numpy", "psutil", "textual")

_VPN_PREFIXES = ("tun", "tap", "wg", "ppp", "utun", "ipsec", "zt", "tailscale", "nordlynx", "proton")
_CELLULAR_PREFIXES = ("wwan", "wwx", "rmnet", "ccmni", "usb", "pdp_ip")
_VIRTUAL_PREFIXES = ("veth", "docker", "br-", "virbr", "vmnet", "vboxnet", "lo", "dummy", "ifb", "cni", "flannel")
_WIFI_PREFIXES = ("wlan", "wlp", "wlx", "wifi", "ath", "ra")
_ETHERNET_PREFIXES = ("eth", "enp", "eno", "ens", "enx", "em")


def interface_kind(name: str, sysfs: Path = Path("/sys/class/net")) -> str:
    """Classify a network interface: ethernet, wifi, vpn, cellular, virtual, loopback or other.

    On Linux, sysfs decides (``wireless``/``phy80211``, ``DEVTYPE=wwan``, ARP type);
    elsewhere, and as a fallback, the name's prefix.
    """
    lname = name.lower()
    if lname == "lo" or lname.startswith("loopback"):
        return "loopback"
    base = sysfs / name
    if base.exists():
        if (base / "wireless").exists() or (base / "phy80211").exists():
            return "wifi"
        uevent = _read(base / "uevent") + _read(base / "device" / "uevent")
        if "DEVTYPE=wwan" in uevent:
            return "cellular"
        if "DEVTYPE=wlan" in uevent:
            return "wifi"
        arp_type = _read(base / "type").strip()
        if arp_type in ("65534", "776", "778", "512"):  # none (tun), ip6tnl, gre, ppp
            return "vpn"
        if arp_type == "772":
            return "loopback"
        if "DEVTYPE=bridge" in uevent or "DEVTYPE=vlan" in uevent:
            return "virtual"
        if not (base / "device").exists() and lname.startswith(_VIRTUAL_PREFIXES):
            return "virtual"
    for prefixes, kind in (
        (_VPN_PREFIXES, "vpn"),
        (_CELLULAR_PREFIXES, "cellular"),
        (_VIRTUAL_PREFIXES, "virtual"),
        (_WIFI_PREFIXES, "wifi"),
        (_ETHERNET_PREFIXES, "ethernet"),
    ):
        if lname.startswith(prefixes):
            return kind
    if "wi-fi" in lname or "wireless" in lname:
        return "wifi"
    if "ethernet" in lname:
        return "ethernet"
    return "other"


def key_safe(name: str) -> str:
    """An interface name usable inside a measurement key ("Wi-Fi 2" → "Wi-Fi_2")."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def active_interfaces() -> dict[str, str]:
    """Interfaces that are up and have an address (loopback excluded), with their kind."""
    import psutil

    stats = psutil.net_if_stats()
    addrs = psutil.net_if_addrs()
    out: dict[str, str] = {}
    for name, st in stats.items():
        if not st.isup:
            continue
        has_ip = any(a.family in (socket.AF_INET, socket.AF_INET6) for a in addrs.get(name, []))
        if not has_ip:
            continue
        kind = interface_kind(name)
        if kind != "loopback":
            out[name] = kind
    return out


class SystemProbe(Probe):
    id: ClassVar[str] = "system"
    timeout_s: ClassVar[float] = 5.0

    async def run(self, ctx: ProbeContext) -> None:
        import psutil

        ctx.record("system.os", f"{platform.system()} {platform.release()}")
        ctx.record("system.python", platform.python_version())
        for lib in LIBRARIES:
            try:
                ctx.record(f"system.lib.{lib}", version(lib))
            except PackageNotFoundError:
                ctx.record(f"system.lib.{lib}", "not installed")

        ctx.record("system.cpu_count", psutil.cpu_count(logical=True) or os.cpu_count() or 0, "count")
        try:
            ctx.record("system.load_avg_1m", round(os.getloadavg()[0], 2))
        except (OSError, AttributeError):  # Windows has no load average
            pass
        mem = psutil.virtual_memory()
        ctx.record("system.memory_total_mb", round(mem.total / 2**20), "MB")
        ctx.record("system.memory_available_mb", round(mem.available / 2**20), "MB")

        battery = None
        try:
            battery = psutil.sensors_battery()
        except (AttributeError, NotImplementedError, OSError):
            battery = None
        if battery is not None:
            ctx.record("system.battery_pct", round(battery.percent, 1), "%")
            ctx.record("system.battery_plugged", bool(battery.power_plugged))

        interfaces = await asyncio.to_thread(active_interfaces)
        ctx.record("system.interfaces_active", len(interfaces), "count")
        ctx.record("system.interfaces", tuple(f"{n}:{k}" for n, k in sorted(interfaces.items())))
        for name, kind in sorted(interfaces.items()):
            ctx.record(f"system.iface.{key_safe(name)}.kind", kind)
        ctx.progress(0.3, "cpu")

        # Sample without blocking the loop. Other probes run meanwhile, so also measure our
        # own share and judge the load of everything else.
        me = psutil.Process()
        psutil.cpu_percent(interval=None)
        me.cpu_percent(interval=None)
        await asyncio.sleep(CPU_SAMPLE_S)
        total = psutil.cpu_percent(interval=None)
        own = me.cpu_percent(interval=None) / max(1, psutil.cpu_count() or 1)
        others = max(0.0, total - own)
        ctx.record("system.cpu_load_pct", round(total, 1), "%")
        ctx.record("system.cpu_others_pct", round(others, 1), "%")
        ctx.sample("cpu_load_pct", total, "%")
        ctx.progress(1.0, "done")
