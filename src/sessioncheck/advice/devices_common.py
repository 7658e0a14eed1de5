"""Shared rules for device trouble (missing, busy, permission, unplugged, unreadable)."""

from __future__ import annotations

import re

from ..model import DeviceErrorKind, Finding, Value
from .catalogue import PHRASES, phrase
from .rules import Measures, finding

DEVICE_PROBLEMS: dict[str, str] = {
    DeviceErrorKind.MISSING: "missing",
    DeviceErrorKind.BUSY: "busy",
    DeviceErrorKind.PERMISSION: "permission_denied",
    DeviceErrorKind.UNPLUGGED: "unplugged",
    DeviceErrorKind.INVALID: "source_invalid",
}
"""``<probe>.outcome`` value → finding code suffix."""


def holder_names(holders: tuple[str, ...]) -> str:
    """``("zoom (pid 12)", "obs (pid 40)")`` → ``zoom, obs``; none known → "another program"."""
    if not holders:
        return phrase("devices.unknown_holder")
    names = [re.sub(r"\s*\(pid \d+\)$", "", h.strip()) for h in holders]
    return ", ".join(dict.fromkeys(n for n in names if n))


def permission_setting(kind: str, os_name: str | None) -> str:
    key = f"devices.permission.{kind}.{os_name}"
    return phrase(key if key in PHRASES else f"devices.permission.{kind}.other")


def device_problem(prefix: str, kind: str, m: Measures) -> Finding | None:
    """The finding for ``<prefix>.outcome`` when it names a device problem, else None."""
    outcome = m.text(f"{prefix}.outcome")
    if outcome not in DEVICE_PROBLEMS:
        return None
    code = f"{prefix}.{DEVICE_PROBLEMS[outcome]}"
    device = m.text(f"{prefix}.device") or kind
    detail = m.text(f"{prefix}.detail") or outcome
    evidence: dict[str, Value] = {
        f"{prefix}.outcome": outcome,
        f"{prefix}.detail": detail,
    }
    values: dict[str, object] = {"device": device, "detail": detail}
    if outcome == DeviceErrorKind.BUSY:
        evidence[f"{prefix}.holders"] = m.value(f"{prefix}.holders")
        values["holders"] = holder_names(m.names(f"{prefix}.holders"))
    elif outcome == DeviceErrorKind.PERMISSION:
        os_name = m.text(f"{prefix}.os")
        values["os"] = os_name or "unknown"
        values["setting"] = permission_setting(kind, os_name)
    elif outcome == DeviceErrorKind.UNPLUGGED and prefix == "camera":
        values["frames"] = int(m.num("camera.frames") or 0)
    return finding(code, evidence, **values)
