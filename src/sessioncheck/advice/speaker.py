"""Rules for the ``speaker`` probe: does sound come out, and does it echo into the microphone?"""

from __future__ import annotations

from ..model import DeviceErrorKind, Finding
from ..settings import Thresholds
from .devices_common import DEVICE_PROBLEMS, holder_names
from .rules import Measures, finding


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    outcome = m.text("speaker.outcome")
    device = m.text("speaker.device") or "speaker"
    detail = m.text("speaker.detail") or (outcome or "")
    if outcome == DeviceErrorKind.MISSING:
        return [
            finding(
                "speaker.missing", {"speaker.outcome": outcome, "speaker.detail": detail}, device=device, detail=detail
            )
        ]
    if outcome in DEVICE_PROBLEMS:  # busy, permission, unplugged, invalid: the rest
        return [
            finding(
                "speaker.unavailable",
                {"speaker.outcome": outcome, "speaker.detail": detail, "speaker.holders": m.value("speaker.holders")},
                device=device,
                problem=outcome,
                detail=detail,
                holders=holder_names(m.names("speaker.holders")),
            )
        ]
    if outcome == "unverified":
        return [finding("speaker.unverified", {"speaker.outcome": outcome, "speaker.detail": detail}, detail=detail)]
    microphone = m.text("speaker.microphone") or "microphone"
    if outcome == "not_heard":
        background = m.num("speaker.background_dbfs")
        return [
            finding(
                "speaker.no_sound_heard",
                {"speaker.heard": False},
                device=device,
                microphone=microphone,
                background_dbfs=-200.0 if background is None else background,
            )
        ]
    echo = m.num("speaker.echo_db")
    if outcome == "heard" and echo is not None and echo > t.speaker_echo_strong_db:
        delay = m.num("speaker.loop_delay_ms")
        return [
            finding(
                "speaker.echo_strong",
                {"speaker.echo_db": echo, "speaker.loop_delay_ms": delay},
                echo_db=echo,
                threshold=t.speaker_echo_strong_db,
                delay="unknown" if delay is None else f"{delay:.0f} ms",
            )
        ]
    return []
