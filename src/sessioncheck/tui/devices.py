"""Live device feeds for the devices screen: camera frames, microphone levels, a test tone.

The media package opens the devices (:mod:`sessioncheck.media.camera` ...); this module only
finds which of them exist here and runs their live feeds off the interface's thread. A
device that is not there is ``None`` and the screen says so in plain words ("No camera
found.") instead of failing. Frames and sound are drawn and dropped: nothing is kept.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..settings import Settings

logger = logging.getLogger(__name__)

Feed = Callable[[threading.Event], Iterator[Any] | AsyncIterator[Any]]
"""Given a stop event, yields items until it is set (blocking or async iterator)."""
ToneTest = Callable[[], None]
"""Plays a short test tone on the speaker; blocks until it ended."""

PREVIEW_SIZE = (320, 240)
"""Frames asked of the camera for the preview: far more pixels than the cells that show them."""
PREVIEW_FPS = 15.0
TONE_HZ = 440.0
TONE_SECONDS = 1.0
TONE_AMPLITUDE = 0.3
"""About −10 dBFS: clearly audible, never harsh."""


@dataclass(frozen=True)
class DeviceFeeds:
    """What the devices screen can show; ``None`` means not available here.

    ``camera`` yields RGB frames (numpy, h × w × 3, uint8); ``microphone`` yields input
    levels in dBFS.
    """

    camera: Feed | None = None
    microphone: Feed | None = None
    speaker: ToneTest | None = None


def _camera(settings: Settings) -> Feed | None:
    from ..media.camera import camera_source, open_camera
    from ..media.errors import DeviceError

    try:
        source = camera_source(settings.camera)
    except DeviceError as e:
        logger.info("no camera preview: %s", e)
        return None

    def frames(stop: threading.Event) -> Iterator[Any]:
        width, height = PREVIEW_SIZE
        for frame in open_camera(source, width=width, height=height, fps=PREVIEW_FPS, stop=stop):
            yield frame.image

    return frames


def _microphone(settings: Settings) -> Feed | None:
    from ..media.errors import DeviceError
    from ..media.microphone import microphone_levels
    from ..media.sound import audio_source, resolve_audio_device

    try:
        source = audio_source(settings.microphone)
        if source.kind == "device":
            resolve_audio_device(source, "input")
    except DeviceError as e:
        logger.info("no microphone meter: %s", e)
        return None

    def levels(stop: threading.Event) -> Iterator[float]:
        return microphone_levels(settings.microphone, stop)

    return levels


def _speaker(settings: Settings) -> ToneTest | None:
    from ..media.errors import DeviceError
    from ..media.sound import audio_source, resolve_audio_device

    try:
        source = audio_source(settings.speaker)
        if source.kind != "device":
            return None
        index, info = resolve_audio_device(source, "output")
    except DeviceError as e:
        logger.info("no speaker test: %s", e)
        return None
    rate = int(float(info.get("default_samplerate") or 48000))

    def play() -> None:
        import numpy as np
        import sounddevice

        t = np.arange(int(TONE_SECONDS * rate)) / rate
        ramp = np.minimum(1.0, np.minimum(t, TONE_SECONDS - t) / 0.05)  # no clicks
        tone = (TONE_AMPLITUDE * ramp * np.sin(2 * np.pi * TONE_HZ * t)).astype("float32")
        sounddevice.play(tone, rate, device=index, blocking=True)

    return play


def discover_feeds(settings: Settings) -> DeviceFeeds:
    """Find the camera, microphone and speaker the settings name (or the defaults).

    Anything missing, or a media stack that cannot load here, leaves that feed ``None``.
    """
    found: dict[str, Any] = {}
    for name, finder in (("camera", _camera), ("microphone", _microphone), ("speaker", _speaker)):
        try:
            found[name] = finder(settings)
        except Exception:  # a broken device stack is "not available", never a crash
            logger.exception("media: %s unavailable", name)
    return DeviceFeeds(**found)


class FeedThread:
    """Consumes one feed on its own thread, handing each item to ``deliver``."""

    def __init__(
        self,
        feed: Feed,
        deliver: Callable[[Any], object],
        on_error: Callable[[BaseException], object],
    ) -> None:
        self.feed = feed
        self.deliver = deliver
        self.on_error = on_error
        self.done = threading.Event()
        self.stop_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        try:
            items = self.feed(self.stop_event)
            if isinstance(items, AsyncIterator):
                asyncio.run(self._drain_async(items))
            else:
                try:
                    for item in items:
                        if self.stop_event.is_set():
                            break
                        self.deliver(item)
                finally:
                    close = getattr(items, "close", None)
                    if close is not None:
                        close()
        except Exception as e:
            if not self.stop_event.is_set():
                self.on_error(e)
        finally:
            self.done.set()

    async def _drain_async(self, items: AsyncIterator[Any]) -> None:
        try:
            async for item in items:
                if self.stop_event.is_set():
                    return
                self.deliver(item)
        finally:
            aclose = getattr(items, "aclose", None)
            if aclose is not None:
                await aclose()
