"""Rules for the ``media_loop`` probe: can this computer encode and decode call video?"""

from __future__ import annotations

from ..model import Finding
from ..settings import Thresholds
from .rules import Measures, finding


def _top(m: Measures, prefix: str = "media_loop") -> str:
    return ", ".join(m.names(f"{prefix}.top_processes")) or "none in particular"


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    return _judge(m, t, "media_loop", "fps_720p", "encode_ms_720p")


def judge_media_leg(m: Measures, t: Thresholds) -> list[Finding]:
    """The same findings from the path probe's media leg, which sends 720p from this
    computer (``path.media.*``, recorded by ``probes.media_loop.SendMeter``): a plan with a
    check server runs it instead of ``media_loop``."""
    return _judge(m, t, "path.media", "video_encode_fps", "video_encode_ms")


def _judge(m: Measures, t: Thresholds, p: str, fps_key: str, encode_key: str) -> list[Finding]:
    target = m.num(f"{p}.target_fps") or 30.0
    fps480 = m.num(f"{p}.fps_480p")
    if fps480 is not None and fps480 < t.media_fps_share_min * target:
        enc = m.num(f"{p}.encode_ms_480p") or 0.0
        return [
            finding(
                "media_loop.cpu_too_slow",
                {
                    f"{p}.fps_480p": fps480,
                    f"{p}.encode_ms_480p": enc,
                    f"{p}.top_processes": m.value(f"{p}.top_processes"),
                },
                top=_top(m, p),
                fps=fps480,
                target=target,
                encode_ms=enc,
            )
        ]
    fps720 = m.num(f"{p}.{fps_key}")
    headroom = m.num(f"{p}.cpu_headroom_pct")
    if fps720 is None:
        return []
    short_fps = fps720 < t.media_fps_share_min * target
    short_cpu = headroom is not None and headroom < t.media_cpu_headroom_min_pct
    if short_fps or short_cpu:
        enc = m.num(f"{p}.{encode_key}") or 0.0
        return [
            finding(
                "media_loop.cpu_short",
                {
                    f"{p}.{fps_key}": fps720,
                    f"{p}.cpu_headroom_pct": headroom,
                    f"{p}.{encode_key}": enc,
                    f"{p}.top_processes": m.value(f"{p}.top_processes"),
                },
                top=_top(m, p),
                fps=fps720,
                target=target,
                encode_ms=enc,
                headroom=headroom if headroom is not None else 0.0,
                threshold=t.media_cpu_headroom_min_pct,
            )
        ]
    return []
