"""Rules for the ``media_loop`` probe: can this computer encode and decode call video?"""

from __future__ import annotations

from ..model import Finding
from ..settings import Thresholds
from .catalogue import finding
from .rules import Measures

MIN_FPS_SHARE = 0.8
"""Frames encoded and decoded per second, as a share of the target, below which video suffers."""
MIN_HEADROOM_PCT = 10.0
"""Computer CPU left over while encoding 720p below which other work will make video stutter."""


def _top(m: Measures) -> str:
    return m.text("media_loop.top_processes") or "none in particular"


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    target = m.num("media_loop.target_fps") or 30.0
    fps480 = m.num("media_loop.fps_480p")
    if fps480 is not None and fps480 < MIN_FPS_SHARE * target:
        enc = m.num("media_loop.encode_ms_480p") or 0.0
        return [finding("media_loop.cpu_too_slow",
                        {"media_loop.fps_480p": fps480, "media_loop.encode_ms_480p": enc,
                         "media_loop.top_processes": _top(m)},
                        top=_top(m), fps=fps480, target=target, encode_ms=enc)]
    fps720 = m.num("media_loop.fps_720p")
    headroom = m.num("media_loop.cpu_headroom_pct")
    if fps720 is None:
        return []
    short_fps = fps720 < MIN_FPS_SHARE * target
    short_cpu = headroom is not None and headroom < MIN_HEADROOM_PCT
    if short_fps or short_cpu:
        enc = m.num("media_loop.encode_ms_720p") or 0.0
        return [finding("media_loop.cpu_short",
                        {"media_loop.fps_720p": fps720, "media_loop.cpu_headroom_pct": headroom,
                         "media_loop.encode_ms_720p": enc, "media_loop.top_processes": _top(m)},
                        top=_top(m), fps=fps720, target=target, encode_ms=enc,
                        headroom=headroom if headroom is not None else 0.0,
                        threshold=MIN_HEADROOM_PCT)]
    return []
