"""Speaker rules: measurement tables → findings."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, Value
from sessioncheck.settings import Thresholds


def codes(values: dict[str, Value]) -> list[str]:
    ms = [Measurement(k, v) for k, v in values.items()]
    return [f.code for f in judge("speaker", ms, Thresholds())]


HEARD: dict[str, Value] = {
    "speaker.outcome": "heard",
    "speaker.heard": True,
    "speaker.device": "vspeaker",
    "speaker.microphone": "vmic",
}


@pytest.mark.parametrize(
    "values,expected",
    [
        ({**HEARD, "speaker.echo_db": -45.0, "speaker.loop_delay_ms": 30.0}, []),
        ({**HEARD, "speaker.echo_db": -3.0, "speaker.loop_delay_ms": 30.0}, ["speaker.echo_strong"]),
        ({**HEARD, "speaker.echo_db": -10.0}, ["speaker.echo_strong"]),
        (
            {"speaker.outcome": "not_heard", "speaker.heard": False, "speaker.background_dbfs": -70.0},
            ["speaker.no_sound_heard"],
        ),
        ({"speaker.outcome": "unverified", "speaker.detail": "no microphone could listen"}, ["speaker.unverified"]),
        ({"speaker.outcome": "missing", "speaker.detail": "no output device"}, ["speaker.missing"]),
        (
            {
                "speaker.outcome": "busy",
                "speaker.detail": "Device unavailable",
                "speaker.holders": ("pulseaudio (pid 9)",),
            },
            ["speaker.unavailable"],
        ),
    ],
)
def test_speaker_rules(values: dict[str, Value], expected: list[str]) -> None:
    assert codes(values) == expected


def test_echo_says_use_headphones() -> None:
    ms = [Measurement(k, v) for k, v in {**HEARD, "speaker.echo_db": 0.0}.items()]
    f = judge("speaker", ms, Thresholds())[0]
    assert "use headphones" in f.for_audience(Audience.CLIENT).title
