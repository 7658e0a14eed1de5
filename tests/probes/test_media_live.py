"""Live feeds for front ends: real frames, real levels, a real tone on the virtual speaker,
and the feed thread a front end subscribes through (deliver, stop, release, break)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

from sessioncheck.media.errors import DeviceError
from sessioncheck.media.live import (
    PREVIEW_WIDTH,
    Feed,
    FeedThread,
    camera_feed,
    discover_feeds,
    microphone_feed,
    microphone_levels,
    speaker_test,
)
from sessioncheck.model import DeviceErrorKind
from sessioncheck.settings import Settings
from support.pulse import Pulse

T = TypeVar("T")
WAIT_S = 20.0
"""Upper bound for a condition; the tests wait for the condition, not for this long."""


class Collected(list[T]):
    """Items a feed delivered; ``full`` is set once ``want`` arrived."""

    def __init__(self, want: int) -> None:
        super().__init__()
        self.want = want
        self.full = threading.Event()

    def add(self, item: T) -> None:
        self.append(item)
        if len(self) >= self.want:
            self.full.set()


def subscribe(feed: Feed[T], want: int) -> tuple[FeedThread[T], Collected[T], list[BaseException]]:
    """Start ``feed`` with a front end that takes each item as soon as it is told of it;
    returns the thread, what arrived, what broke."""
    got: Collected[T] = Collected(want)
    errors: list[BaseException] = []

    def take() -> None:
        item = thread.take()
        assert item is not None
        got.add(item)

    thread = FeedThread(feed, notify=take, on_error=errors.append)
    threading.Thread(target=thread.run, daemon=True).start()
    return thread, got, errors


def collect(feed: Feed[T], want: int) -> list[T]:
    thread, got, errors = subscribe(feed, want)
    try:
        assert got.full.wait(WAIT_S), f"only {len(got)} of {want} items arrived; errors: {errors}"
    finally:
        thread.stop()
    assert thread.done.wait(WAIT_S)
    assert errors == []
    return got[:want]


def test_camera_preview_frames_are_small_rgb() -> None:
    feed = camera_feed(Settings(camera="lavfi:testsrc2=size=1280x720:rate=30"))
    assert feed is not None
    frames = collect(feed, 3)
    assert all(f.shape == (180, PREVIEW_WIDTH, 3) and f.dtype == np.uint8 for f in frames)


def test_small_frames_are_handed_over_as_they_are() -> None:
    feed = camera_feed(Settings(camera="lavfi:testsrc2=size=160x120:rate=15"))
    assert feed is not None
    frames = collect(feed, 2)
    assert all(f.shape == (120, 160, 3) for f in frames)


def test_no_camera_means_no_feed() -> None:
    assert camera_feed(Settings(camera="/dev/video7")) is None


def test_microphone_levels_from_a_virtual_source() -> None:
    feed = microphone_feed(Settings(microphone="lavfi:sine=frequency=440:sample_rate=48000"))
    assert feed is not None
    levels = collect(feed, 5)
    # ffmpeg's sine has amplitude 1/8: RMS = 1/(8·√2) ≈ -21 dBFS
    assert levels == pytest.approx([-21.07] * 5, abs=0.1)


def test_no_microphone_means_no_feed(pulse: Pulse) -> None:
    assert microphone_feed(Settings(microphone="no-such-microphone")) is None
    assert speaker_test(Settings(speaker="no-such-speaker")) is None


def test_discovery_finds_the_virtual_devices(pulse: Pulse) -> None:
    feeds = discover_feeds(
        Settings(camera="lavfi:testsrc2=size=320x240:rate=15", microphone=pulse.microphone, speaker=pulse.speaker)
    )
    assert feeds.camera is not None and feeds.microphone is not None and feeds.speaker is not None
    missing = discover_feeds(
        Settings(camera="/dev/video99", microphone="/no/such/file.wav", speaker="lavfi:sine=frequency=440")
    )
    assert (missing.camera, missing.microphone, missing.speaker) == (None, None, None)


async def test_tone_plays_on_the_speaker(pulse: Pulse) -> None:
    test = speaker_test(Settings(speaker=pulse.speaker))
    assert test is not None
    await asyncio.to_thread(test)


def test_the_tone_comes_out_of_the_speaker(pulse: Pulse) -> None:
    """The speaker's monitor (a microphone next to the speaker) hears the tone: about
    −13.5 dBFS RMS for a sine of amplitude 0.3, where it hears digital silence before."""
    pulse.set_speaker_volume(100)
    pulse.mute_speaker(False)
    tone = speaker_test(Settings(speaker=pulse.speaker))
    assert tone is not None
    stop = threading.Event()
    loud = threading.Event()
    heard: list[float] = []

    def listen() -> None:
        for level in microphone_levels(pulse.monitor, stop):
            heard.append(level)
            if level > -16:
                loud.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        tone()
        assert loud.wait(WAIT_S), f"loudest level heard: {max(heard, default=None)}"
    finally:
        stop.set()
        listener.join(WAIT_S)
    assert max(heard) == pytest.approx(-13.5, abs=1.5)


def test_stopping_a_feed_closes_it_and_reports_nothing() -> None:
    closed = threading.Event()

    def counting(stop: threading.Event) -> Iterator[int]:
        try:
            n = 0
            while True:  # never ends by itself: only stop() ends it
                n += 1
                yield n
        finally:
            closed.set()

    thread, got, errors = subscribe(counting, 10)
    assert got.full.wait(WAIT_S)
    thread.stop()
    assert thread.done.wait(WAIT_S)
    assert closed.is_set()
    assert errors == []
    assert got[:10] == list(range(1, 11))


def test_a_camera_that_breaks_is_reported_once(tmp_path: Path) -> None:
    bad = tmp_path / "camera.mp4"
    bad.write_text("this is not a video")
    feed = camera_feed(Settings(camera=str(bad)))
    assert feed is not None  # the file is there; reading it fails
    thread, got, errors = subscribe(feed, 1)
    assert thread.done.wait(WAIT_S)
    assert list(got) == []
    assert len(errors) == 1 and isinstance(errors[0], DeviceError)
    assert errors[0].kind is DeviceErrorKind.INVALID


def test_an_error_after_stop_is_not_reported() -> None:
    wanted = threading.Event()

    def breaks_on_stop(stop: threading.Event) -> Iterator[int]:
        yield 1
        wanted.wait(WAIT_S)
        raise DeviceError(DeviceErrorKind.UNPLUGGED, "camera", "stopped after 1 frames")

    thread, got, errors = subscribe(breaks_on_stop, 1)
    assert got.full.wait(WAIT_S)
    thread.stop()
    wanted.set()
    assert thread.done.wait(WAIT_S)
    assert errors == []


def test_an_async_feed_is_drained_and_closed() -> None:
    closed = threading.Event()

    async def ticks(stop: threading.Event) -> AsyncIterator[float]:
        try:
            n = 0.0
            while not stop.is_set():
                n += 1.0
                yield n
                await asyncio.sleep(0)
        finally:
            closed.set()

    assert collect(ticks, 4) == [1.0, 2.0, 3.0, 4.0]
    assert closed.is_set()


def test_a_slow_front_end_gets_the_latest_item_not_a_backlog() -> None:
    """Told once, the front end takes later: it gets the newest item, the rest are dropped,
    and it is told again only after it took."""
    calls: list[int] = []
    finished = threading.Event()

    def burst(stop: threading.Event) -> Iterator[int]:
        yield from range(1, 101)
        finished.set()

    def notify() -> None:
        calls.append(1)

    thread = FeedThread(burst, notify=notify, on_error=lambda e: None)
    thread.run()  # the whole burst, before the front end looks
    assert finished.is_set() and thread.done.is_set()
    assert calls == [1]
    assert thread.take() == 100
    assert thread.take() is None
    assert (thread.delivered, thread.dropped) == (100, 99)
