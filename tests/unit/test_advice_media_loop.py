"""media_loop rules: measurement tables → findings naming the busiest programs."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, Value
from sessioncheck.settings import Thresholds

OK: dict[str, Value] = {
    "media_loop.target_fps": 30.0, "media_loop.fps_480p": 29.9, "media_loop.fps_720p": 29.8,
    "media_loop.encode_ms_480p": 7.0, "media_loop.encode_ms_720p": 20.0,
    "media_loop.cpu_headroom_pct": 40.0, "media_loop.top_processes": "chrome 55%, zoom 20%",
}


def findings(changes: dict[str, Value]) -> list[tuple[str, str]]:
    ms = [Measurement(k, v) for k, v in {**OK, **changes}.items()]
    return [(f.code, f.for_audience(Audience.CLIENT).text) for f in judge("media_loop", ms, Thresholds())]


@pytest.mark.parametrize("changes,expected", [
    ({}, []),
    ({"media_loop.fps_720p": 18.0}, ["media_loop.cpu_short"]),
    ({"media_loop.cpu_headroom_pct": 4.0}, ["media_loop.cpu_short"]),
    ({"media_loop.fps_480p": 12.0, "media_loop.fps_720p": 6.0}, ["media_loop.cpu_too_slow"]),
])
def test_media_loop_rules(changes: dict[str, Value], expected: list[str]) -> None:
    assert [c for c, _ in findings(changes)] == expected


def test_short_cpu_names_the_top_processes() -> None:
    (_, text), = findings({"media_loop.fps_720p": 15.0})
    assert "chrome 55%, zoom 20%" in text
