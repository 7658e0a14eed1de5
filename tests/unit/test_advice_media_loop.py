"""media_loop rules: measurement tables → findings naming the busiest programs."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, Value
from sessioncheck.settings import Thresholds

OK: dict[str, Value] = {
    "media_loop.target_fps": 30.0,
    "media_loop.fps_480p": 29.9,
    "media_loop.fps_720p": 29.8,
    "media_loop.encode_ms_480p": 7.0,
    "media_loop.encode_ms_720p": 20.0,
    "media_loop.cpu_headroom_pct": 40.0,
    "media_loop.top_processes": ("chrome 55%", "zoom 20%"),
}


def findings(changes: dict[str, Value]) -> list[tuple[str, str]]:
    ms = [Measurement(k, v) for k, v in {**OK, **changes}.items()]
    return [(f.code, f.for_audience(Audience.CLIENT).text) for f in judge("media_loop", ms, Thresholds())]


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, []),
        ({"media_loop.fps_720p": 18.0}, ["media_loop.cpu_short"]),
        ({"media_loop.cpu_headroom_pct": 4.0}, ["media_loop.cpu_short"]),
        ({"media_loop.fps_480p": 12.0, "media_loop.fps_720p": 6.0}, ["media_loop.cpu_too_slow"]),
    ],
)
def test_media_loop_rules(changes: dict[str, Value], expected: list[str]) -> None:
    assert [c for c, _ in findings(changes)] == expected


def test_short_cpu_names_the_top_processes() -> None:
    ((_, text),) = findings({"media_loop.fps_720p": 15.0})
    assert "chrome 55%, zoom 20%" in text


LEG: dict[str, Value] = {
    "path.outcome": "ok",
    "path.media.target_fps": 30.0,
    "path.media.video_encode_fps": 29.9,
    "path.media.video_encode_ms": 18.0,
    "path.media.cpu_headroom_pct": 45.0,
    "path.media.top_processes": ("chrome 55%",),
}


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, []),
        ({"path.media.video_encode_fps": 18.0}, ["media_loop.cpu_short"]),
        ({"path.media.cpu_headroom_pct": 4.0}, ["media_loop.cpu_short"]),
        ({"path.media.video_encode_fps": 6.0, "path.media.fps_480p": 12.0}, ["media_loop.cpu_too_slow"]),
        ({"path.media.video_encode_fps": 15.0, "path.media.fps_480p": 29.0}, ["media_loop.cpu_short"]),
    ],
)
def test_the_path_media_leg_is_judged_like_the_media_loop(changes: dict[str, Value], expected: list[str]) -> None:
    """With a server the plan has no media_loop: its findings come from path's media leg."""
    ms = [Measurement(k, v) for k, v in {**LEG, **changes}.items()]
    codes = [f.code for f in judge("path", ms, Thresholds()) if f.code.startswith("media_loop.")]
    assert codes == expected
    if expected:
        f = next(f for f in judge("path", ms, Thresholds()) if f.code == expected[0])
        assert "chrome 55%" in f.for_audience(Audience.CLIENT).text
        assert all(k.startswith("path.media.") for k in f.evidence)
