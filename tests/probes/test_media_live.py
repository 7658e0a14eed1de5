"""Live feeds for the app: real frames, real levels, a real tone on the virtual speaker."""

from __future__ import annotations

import pytest

from sessioncheck.media.live import PREVIEW_WIDTH, camera_feed, microphone_feed, speaker_test
from sessioncheck.settings import Settings
from support.pulse import Pulse


async def test_camera_preview_frames_are_small_rgb() -> None:
    feed = camera_feed(Settings(camera="lavfi:testsrc2=size=1280x720:rate=30"))
    assert feed is not None
    frames = []
    async for frame in feed():
        frames.append(frame)
        if len(frames) == 3:
            break
    assert all(f.shape == (180, PREVIEW_WIDTH, 3) for f in frames)


def test_no_camera_means_no_feed() -> None:
    assert camera_feed(Settings(camera="/dev/video7")) is None


async def test_microphone_levels_from_a_virtual_source() -> None:
    feed = microphone_feed(Settings(microphone="lavfi:sine=frequency=440:sample_rate=48000"))
    assert feed is not None
    levels = []
    async for level in feed():
        levels.append(level)
        if len(levels) == 5:
            break
    # ffmpeg's sine has amplitude 1/8: RMS = 1/(8·√2) ≈ -21 dBFS
    assert levels == pytest.approx([-21.07] * 5, abs=0.1)


def test_no_microphone_means_no_feed(pulse: Pulse) -> None:
    assert microphone_feed(Settings(microphone="no-such-microphone")) is None
    assert speaker_test(Settings(speaker="no-such-speaker")) is None


async def test_tone_plays_on_the_speaker(pulse: Pulse) -> None:
    test = speaker_test(Settings(speaker=pulse.speaker))
    assert test is not None
    await test()
