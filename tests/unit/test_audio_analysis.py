"""Audio analysis on real recordings (espeak-ng speech, sox defects) and exact signals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sessioncheck.media.audio import (
    SILENCE_DBFS,
    AudioAnalyzer,
    analyse,
    block_level,
    chirp,
    dbfs,
    find_chirp,
    to_mono,
)
from sessioncheck.settings import Thresholds
from support.media_clips import AudioClips, read_wav

RATE = 48000


def sine(freq: float, amp: float, seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_levels_of_a_known_sine() -> None:
    lv = block_level(sine(1000, 0.5))
    assert lv.peak_dbfs == pytest.approx(20 * math.log10(0.5), abs=0.01)
    assert lv.rms_dbfs == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.01)
    assert dbfs(0.0) == SILENCE_DBFS


def test_to_mono_scales_integers_and_mixes_channels() -> None:
    stereo = np.array([[32767, -32768], [16384, 16384]], dtype=np.int16)
    mono = to_mono(stereo)
    assert mono.dtype == np.float32
    assert mono[0] == pytest.approx(-0.5 / 32768, abs=1e-4)
    assert mono[1] == pytest.approx(0.5, abs=1e-3)


def test_blocks_of_any_size_add_up_to_20_ms_levels() -> None:
    a = AudioAnalyzer(RATE)
    x = sine(440, 0.1, 1.0)
    levels = [lv for chunk in np.array_split(x, 37) for lv in a.add(chunk)]
    assert len(levels) == 50  # 1 s in 20 ms blocks, whatever the chunking
    assert a.seconds == pytest.approx(1.0)


def test_clean_speech(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["speech"]))
    assert -30 < s.rms_dbfs < -10
    assert s.clip_ratio == 0
    assert s.noise_floor_dbfs < -60
    assert s.active_ratio > 0.5
    assert s.hum_prominence_db < 15
    assert s.hf_ratio_db is not None and s.hf_ratio_db > -35
    assert not s.digital_silence


def test_silence_is_digital_silence(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["silence"]))
    assert s.digital_silence
    assert s.peak_dbfs == SILENCE_DBFS


def test_quiet_input_is_quiet_but_not_digital_silence(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["quiet"]))
    assert not s.digital_silence
    assert s.peak_dbfs < -60


def test_clipping(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["clipped"]))
    assert s.clip_ratio > 0.01
    assert s.peak_dbfs > -0.1


def test_noise_raises_the_floor(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["noisy"]))
    assert s.noise_floor_dbfs > -45
    assert s.rms_dbfs - s.noise_floor_dbfs < 20


def test_mains_hum_under_speech(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["hum"]))
    assert s.hum_hz == 50
    assert s.hum_prominence_db > Thresholds().microphone_hum_prominence_db
    clean = analyse(*read_wav(audio_clips["speech"]))
    assert clean.hum_prominence_db < Thresholds().microphone_hum_prominence_db


@pytest.mark.parametrize("freq,expected", [(50.0, 50.0), (60.0, 60.0)])
def test_hum_frequency(freq: float, expected: float) -> None:
    rng = np.random.default_rng(3)
    x = sine(freq, 0.02, 3.0) + rng.normal(0, 0.002, int(3.0 * RATE)).astype(np.float32)
    s = analyse(x, RATE)
    assert s.hum_hz == expected
    assert s.hum_prominence_db > 20


def test_narrowband_speech_has_no_high_frequencies(audio_clips: AudioClips) -> None:
    wide = analyse(*read_wav(audio_clips["speech"]))
    narrow = analyse(*read_wav(audio_clips["narrowband"]))
    assert narrow.sample_rate == 48000
    assert narrow.hf_ratio_db is not None and wide.hf_ratio_db is not None
    assert narrow.hf_ratio_db < -50 < -35 < wide.hf_ratio_db


def test_eight_kilohertz_cannot_carry_high_frequencies(audio_clips: AudioClips) -> None:
    s = analyse(*read_wav(audio_clips["nb8k"]))
    assert s.sample_rate == 8000
    assert s.hf_ratio_db is None


@pytest.mark.parametrize("delay_s,gain", [(0.05, 1.0), (0.2, 0.1), (0.31, 0.01)])
def test_chirp_found_with_its_delay_and_level(delay_s: float, gain: float) -> None:
    ref = chirp(RATE)
    rng = np.random.default_rng(7)
    rec = rng.normal(0, 0.001, int(1.2 * RATE)).astype(np.float32)
    start = int(delay_s * RATE)
    rec[start : start + ref.size] += gain * ref
    m = find_chirp(rec, ref)
    assert m.found
    assert m.offset_samples == start
    assert m.gain_db == pytest.approx(20 * math.log10(gain), abs=0.5)


def test_chirp_not_found_in_noise_or_silence() -> None:
    ref = chirp(RATE)
    rng = np.random.default_rng(8)
    assert not find_chirp(rng.normal(0, 0.05, RATE).astype(np.float32), ref).found
    assert not find_chirp(np.zeros(RATE, np.float32), ref).found
    assert not find_chirp(np.zeros(10, np.float32), ref).found  # shorter than the sweep
