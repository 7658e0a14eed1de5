"""Microphone rules: measurement tables → findings."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, Value
from sessioncheck.settings import Thresholds

CLEAN: dict[str, Value] = {
    "microphone.os": "Linux",
    "microphone.outcome": "ok",
    "microphone.device": "vmic",
    "microphone.sample_rate": 48000,
    "microphone.channels": 1,
    "microphone.seconds": 3.0,
    "microphone.rms_dbfs": -20.0,
    "microphone.peak_dbfs": -3.0,
    "microphone.clip_pct": 0.0,
    "microphone.noise_floor_dbfs": -70.0,
    "microphone.snr_db": 50.0,
    "microphone.active_pct": 70.0,
    "microphone.digital_silence": False,
    "microphone.hum_prominence_db": 6.0,
    "microphone.hum_dbfs": -60.0,
    "microphone.hf_ratio_db": -18.0,
}


def codes(changes: dict[str, Value], base: dict[str, Value] | None = None) -> list[str]:
    values = {**(CLEAN if base is None else base), **changes}
    ms = [Measurement(k, v) for k, v in values.items() if v is not None]
    return [f.code for f in judge("microphone", ms, Thresholds())]


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, []),
        ({"microphone.channels": 2}, []),
        ({"microphone.sample_rate": 44100, "microphone.channels": 2}, []),
        (
            {"microphone.digital_silence": True, "microphone.peak_dbfs": -200.0, "microphone.hf_ratio_db": None},
            ["microphone.muted"],
        ),
        ({"microphone.peak_dbfs": -70.0, "microphone.rms_dbfs": -80.0}, ["microphone.silent"]),
        ({"microphone.peak_dbfs": 0.0, "microphone.clip_pct": 5.0}, ["microphone.clipping"]),
        ({"microphone.peak_dbfs": 0.0, "microphone.clip_pct": 0.01}, []),  # a rare full-scale peak
        ({"microphone.noise_floor_dbfs": -30.0, "microphone.snr_db": 10.0}, ["microphone.noisy"]),
        (
            {"microphone.hum_hz": 50.0, "microphone.hum_prominence_db": 40.0, "microphone.hum_dbfs": -40.0},
            ["microphone.hum"],
        ),
        (
            {"microphone.hum_hz": 60.0, "microphone.hum_prominence_db": 40.0, "microphone.hum_dbfs": -90.0},
            [],
        ),  # a clear line, but far too quiet to hear
        ({"microphone.hum_hz": 50.0, "microphone.hum_prominence_db": 8.0}, []),
        ({"microphone.sample_rate": 8000, "microphone.hf_ratio_db": None}, ["microphone.narrowband"]),
        ({"microphone.sample_rate": 16000, "microphone.hf_ratio_db": -20.0}, ["microphone.narrowband"]),
        ({"microphone.sample_rate": 16000, "microphone.channels": 2}, []),
        ({"microphone.hf_ratio_db": -70.0}, ["microphone.narrowband"]),
    ],
)
def test_sound_rules(changes: dict[str, Value], expected: list[str]) -> None:
    assert sorted(codes(changes)) == sorted(expected)


@pytest.mark.parametrize(
    "outcome,code",
    [
        ("missing", "microphone.missing"),
        ("busy", "microphone.busy"),
        ("permission", "microphone.permission_denied"),
        ("invalid", "microphone.source_invalid"),
        ("unplugged", "microphone.unplugged"),
    ],
)
def test_device_trouble(outcome: str, code: str) -> None:
    base: dict[str, Value] = {
        "microphone.os": "Darwin",
        "microphone.outcome": outcome,
        "microphone.detail": "what the OS said",
    }
    assert codes({}, base) == [code]


def test_muted_on_macos_points_at_the_privacy_setting() -> None:
    ms = [
        Measurement(k, v) for k, v in {**CLEAN, "microphone.os": "Darwin", "microphone.digital_silence": True}.items()
    ]
    f = judge("microphone", ms, Thresholds())[0]
    assert f.code == "microphone.muted"
    assert "Privacy & Security > Microphone" in " ".join(f.for_audience(Audience.CLIENT).steps)


def test_narrowband_wording_says_call_mode() -> None:
    ms = [Measurement(k, v) for k, v in {**CLEAN, "microphone.sample_rate": 8000}.items()]
    f = judge("microphone", ms, Thresholds())[0]
    assert f.for_audience(Audience.CLIENT).title == "Your headset switched to call mode; sound will be muffled"
