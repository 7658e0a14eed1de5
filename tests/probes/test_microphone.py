"""The microphone probe: virtual sources (the scenario catalogue), files, and a real
PulseAudio microphone fed with espeak-ng speech and sox-made defects."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sessioncheck.events import Sample
from sessioncheck.probes import microphone as mic_probe
from sessioncheck.probes.microphone import MicrophoneProbe
from sessioncheck.runner import Runner
from sessioncheck.settings import Settings
from support.device_scenarios import explain, run_device_scenario, scenario_files
from support.media_clips import AudioClips
from support.pulse import Pulse

LISTEN_S = 2.0
PLAYER_START_S = 0.3
"""paplay needs a moment before its sound reaches the virtual microphone."""


@pytest.fixture(autouse=True)
def short_listen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mic_probe, "LISTEN_SECONDS", LISTEN_S)


@pytest.mark.parametrize("path", scenario_files("microphone"), ids=lambda p: p.stem)
async def test_scenario(path: Path) -> None:
    outcome = await run_device_scenario(path)
    assert outcome.passed, explain(outcome)


async def run(spec: str | None) -> tuple[dict[str, object], list[str], list[Sample]]:
    runner = Runner([MicrophoneProbe()], Settings(microphone=spec))
    samples = [e async for e in runner.events() if isinstance(e, Sample)]
    assert runner.report is not None
    r = runner.report.results[0]
    assert r.error is None, r.error
    return {m.key: m.value for m in r.measurements}, [f.code for f in r.findings], samples


async def test_eight_kilohertz_mono_file_is_call_mode(audio_clips: AudioClips) -> None:
    values, codes, _ = await run(str(audio_clips["nb8k"]))
    assert (values["microphone.sample_rate"], values["microphone.channels"]) == (8000, 1)
    assert codes == ["microphone.narrowband"]


async def test_unknown_microphone_is_missing(pulse: Pulse) -> None:
    values, codes, _ = await run("no-such-microphone")
    assert values["microphone.outcome"] == "missing"
    assert codes == ["microphone.missing"]


async def test_missing_file_is_missing() -> None:
    _values, codes, _ = await run("/nonexistent/voice.wav")
    assert codes == ["microphone.missing"]


async def from_vmic(pulse: Pulse, clip: Path | None) -> tuple[dict[str, object], list[str], list[Sample]]:
    if clip is not None:
        pulse.play_into_mic(clip)
        time.sleep(PLAYER_START_S)
    try:
        return await run(pulse.microphone)
    finally:
        pulse.stop_players()


async def test_real_microphone_clean_speech(pulse: Pulse, audio_clips: AudioClips) -> None:
    values, codes, samples = await from_vmic(pulse, audio_clips["speech"])
    assert codes == []
    assert values["microphone.device"] == "vmic"
    assert values["microphone.sample_rate"] == 44100  # what the PulseAudio device offers
    assert -30 < float(values["microphone.rms_dbfs"]) < -10  # type: ignore[arg-type]
    assert float(values["microphone.seconds"]) >= LISTEN_S  # type: ignore[arg-type]
    assert len(samples) >= 20 and {s.key for s in samples} == {"level_dbfs"}


@pytest.mark.parametrize(
    "clip,expected",
    [
        ("silence", ["microphone.muted"]),
        ("quiet", ["microphone.silent"]),
        ("clipped", ["microphone.clipping"]),
        ("noisy", ["microphone.noisy"]),
        ("hum", ["microphone.hum"]),
        ("narrowband", ["microphone.narrowband"]),
    ],
)
async def test_real_microphone_conditions(
    pulse: Pulse, audio_clips: AudioClips, clip: str, expected: list[str]
) -> None:
    values, codes, _ = await from_vmic(pulse, audio_clips[clip])
    assert codes == expected, values


async def test_nothing_playing_is_digital_silence(pulse: Pulse) -> None:
    values, codes, _ = await from_vmic(pulse, None)
    assert values["microphone.digital_silence"] is True
    assert codes == ["microphone.muted"]
