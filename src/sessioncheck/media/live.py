"""Live device feeds for front ends: a camera preview, a microphone level, a test tone.

:func:`discover_feeds` finds which of the devices the settings name exist here; a device
that is not there is ``None``, so a front end can say so in plain words ("No camera
found.") instead of failing. A :class:`FeedThread` runs one feed off the interface's
thread and keeps its latest item: the front end subscribes, takes and draws, nothing
else. Frames and sound are handed over in memory and dropped: nothing is recorded.
No front-end library is imported here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..settings import Settings
from .errors import DeviceError

if TYPE_CHECKING:
    import numpy as np

    Image = np.ndarray[Any, Any]
    """An RGB preview frame: h × w × 3, uint8."""

logger = logging.getLogger(__name__)

T = TypeVar("T")

Feed = Callable[[threading.Event], Iterator[T] | AsyncIterator[T]]
"""Given a stop event, yields items until it is set (a blocking or an async iterator)."""
ToneTest = Callable[[], None]
"""Plays a short test tone on the speaker; blocks until it ended."""

PREVIEW_SIZE = (320, 240)
"""Frames asked of a camera device for the preview: far more pixels than the cells that show them."""
PREVIEW_WIDTH = PREVIEW_SIZE[0]
"""Wider pictures (files, virtual sources) are scaled down to this width before they are handed over."""
PREVIEW_FPS = 15.0
"""Preview frames per second at most; faster sources are thinned."""
TONE_HZ = 440.0
TONE_SECONDS = 1.0
TONE_AMPLITUDE = 0.3
"""About −10 dBFS: clearly audible, never harsh."""
TONE_RAMP_S = 0.05
"""Fade in and out over this long, so the tone starts and ends without a click."""


@dataclass(frozen=True)
class DeviceFeeds:
    """What a devices screen can show; ``None`` means not available here.

    ``camera`` yields RGB frames (numpy, h × w × 3, uint8); ``microphone`` yields input
    levels in dBFS; ``speaker`` plays a short tone.
    """

    camera: Feed[Image] | None = None
    microphone: Feed[float] | None = None
    speaker: ToneTest | None = None


def camera_feed(settings: Settings) -> Feed[Image] | None:
    """RGB preview frames, at most :data:`PREVIEW_WIDTH` wide and :data:`PREVIEW_FPS` per
    second; None when the camera the settings name is not there."""
    from .camera import camera_source, open_camera

    try:
        source = camera_source(settings.camera)
    except DeviceError as e:
        logger.info("no camera preview: %s", e)
        return None

    def frames(stop: threading.Event) -> Iterator[Image]:
        import cv2

        width, height = PREVIEW_SIZE
        last: float | None = None
        for frame in open_camera(source, width=width, height=height, fps=PREVIEW_FPS, stop=stop):
            if last is not None and frame.t - last < 0.75 / PREVIEW_FPS:
                continue  # faster than the preview needs: skip, never queue
            last = frame.t
            image = frame.image
            h, w = image.shape[:2]
            if w > PREVIEW_WIDTH:
                size = (PREVIEW_WIDTH, max(1, round(h * PREVIEW_WIDTH / w)))
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            yield image

    return frames


def microphone_levels(spec: str | None, stop: threading.Event | None = None) -> Iterator[float]:
    """Live input level (dBFS RMS) every 20 ms, for meters. Paced like a real device."""
    from .audio import block_level
    from .microphone import open_microphone

    with open_microphone(spec, paced=True, stop=stop) as mic:
        for block in mic.blocks():
            yield block_level(block).rms_dbfs


def microphone_feed(settings: Settings) -> Feed[float] | None:
    """Input levels in dBFS every 20 ms; None when the microphone is not there."""
    from .sound import audio_source, resolve_audio_device

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


def speaker_test(settings: Settings) -> ToneTest | None:
    """Plays a short, soft tone on the speaker; None when it is not a sound device here."""
    from .sound import audio_source, resolve_audio_device

    try:
        source = audio_source(settings.speaker)
        if source.kind != "device":
            return None
        index, info = resolve_audio_device(source, "output")
    except DeviceError as e:
        logger.info("no speaker test: %s", e)
        return None
    rate = int(info["default_samplerate"]) or 48000

    def play() -> None:
        import numpy as np

        from .sound import sounddevice_module

        t = np.arange(int(TONE_SECONDS * rate)) / rate
        ramp = np.minimum(1.0, np.minimum(t, TONE_SECONDS - t) / TONE_RAMP_S)
        tone = (TONE_AMPLITUDE * ramp * np.sin(2 * np.pi * TONE_HZ * t)).astype("float32")
        sounddevice_module().play(tone, rate, device=index, blocking=True)

    return play


def discover_feeds(settings: Settings) -> DeviceFeeds:
    """Find the camera, microphone and speaker the settings name (or the defaults).

    Anything missing, or a media stack that cannot load here, leaves that feed ``None``.
    """
    camera = microphone = speaker = None
    try:
        camera = camera_feed(settings)
    except Exception:  # a broken device stack is "not available", never a crash
        logger.exception("media: camera unavailable")
    try:
        microphone = microphone_feed(settings)
    except Exception:
        logger.exception("media: microphone unavailable")
    try:
        speaker = speaker_test(settings)
    except Exception:
        logger.exception("media: speaker unavailable")
    return DeviceFeeds(camera=camera, microphone=microphone, speaker=speaker)


class FeedThread(Generic[T]):
    """Consumes one feed on a thread of its own (:meth:`run` blocks) and keeps only its
    latest item for the front end.

    A front end draws more slowly than a camera or a microphone delivers, more so on a busy
    machine; if every item were queued for it, the picture and the meter would fall
    further and further behind. So each new item replaces the one not yet taken, and
    ``notify`` is called (on the feed's thread) only when the front end has taken the last
    one: it then calls :meth:`take` on its own thread and draws what it gets.
    :meth:`stop` ends the feed; :attr:`done` is set once it is closed (its device released).
    """

    def __init__(
        self,
        feed: Feed[T],
        notify: Callable[[], object],
        on_error: Callable[[BaseException], object],
    ) -> None:
        self.feed = feed
        self.notify = notify
        self.on_error = on_error
        """Called once if the feed breaks while it is wanted (not after :meth:`stop`)."""
        self.done = threading.Event()
        self.stop_event = threading.Event()
        self.delivered = 0
        """Items the feed produced."""
        self.dropped = 0
        """Items replaced by a newer one before the front end took them."""
        self._lock = threading.Lock()
        self._latest: tuple[T] | None = None
        self._notified = False

    def stop(self) -> None:
        self.stop_event.set()

    def take(self) -> T | None:
        """The newest item not taken yet (None if there is none); the next item notifies again."""
        with self._lock:
            latest, self._latest = self._latest, None
            self._notified = False
        return None if latest is None else latest[0]

    def _offer(self, item: T) -> None:
        with self._lock:
            self.delivered += 1
            if self._latest is not None:
                self.dropped += 1
            self._latest = (item,)
            if self._notified:
                return
            self._notified = True
        self.notify()

    def run(self) -> None:
        try:
            items = self.feed(self.stop_event)
            if isinstance(items, AsyncIterator):
                asyncio.run(self._drain_async(items))
            else:
                self._drain(items)
        except Exception as e:
            if not self.stop_event.is_set():
                self.on_error(e)
        finally:
            self.done.set()

    def _drain(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if self.stop_event.is_set():
                    break
                self._offer(item)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    async def _drain_async(self, items: AsyncIterator[T]) -> None:
        try:
            async for item in items:
                if self.stop_event.is_set():
                    return
                self._offer(item)
        finally:
            aclose = getattr(items, "aclose", None)
            if aclose is not None:
                await aclose()
