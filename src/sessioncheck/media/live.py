"""Live feeds for front ends: a camera preview, a microphone level meter, a test tone.

Each factory takes the settings and returns an async feed, or ``None`` when there is no
such device here (so the app can say "No camera found." instead of failing). Frames and
sound are handed over in memory and dropped; nothing is recorded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..settings import Settings
from .camera import camera_source, open_camera
from .errors import AudioSystemUnavailable, DeviceError
from .sound import audio_source, resolve_audio_device

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

PREVIEW_WIDTH = 320
"""Preview frames are scaled down to this width (a terminal shows far fewer pixels)."""
PREVIEW_FPS = 10.0
TONE_SECONDS = 0.8
TONE_HZ = 440.0


async def _threaded(make: Callable[[threading.Event], Iterator[T]], maxsize: int = 2) -> AsyncIterator[T]:
    """Run a blocking iterator on a thread; yield its items here, dropping when we fall behind."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=maxsize)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        if item[0] != "item" or not queue.full():
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(item)

    def send(item: tuple[str, Any]) -> bool:
        if stop.is_set():
            return False
        try:
            loop.call_soon_threadsafe(put, item)
        except RuntimeError:  # the consumer's loop has closed: nobody is listening
            stop.set()
            return False
        return True

    def work() -> None:
        try:
            for item in make(stop):
                if not send(("item", item)):
                    break
            send(("end", None))
        except Exception as e:  # handed to the consumer, raised there
            send(("error", e))

    thread = threading.Thread(target=work, name="sessioncheck-feed", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def camera_feed(settings: Settings) -> Callable[[], AsyncIterator[np.ndarray[Any, Any]]] | None:
    """RGB preview frames (about :data:`PREVIEW_FPS` per second), or None without a camera."""
    try:
        source = camera_source(settings.camera)
    except DeviceError:
        return None

    def frames(stop: threading.Event) -> Iterator[np.ndarray[Any, Any]]:
        import cv2

        last = 0.0
        for frame in open_camera(source, stop=stop):
            if frame.t - last < 1.0 / PREVIEW_FPS:
                continue
            last = frame.t
            h, w = frame.image.shape[:2]
            size = (PREVIEW_WIDTH, max(1, round(h * PREVIEW_WIDTH / w)))
            yield cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)

    def feed() -> AsyncIterator[np.ndarray[Any, Any]]:
        return _threaded(frames)

    return feed


def microphone_feed(settings: Settings) -> Callable[[], AsyncIterator[float]] | None:
    """Input level in dBFS every 20 ms, or None without a microphone."""
    from .microphone import microphone_levels

    try:
        source = audio_source(settings.microphone)
        if source.kind == "device":
            resolve_audio_device(source, "input")
    except (DeviceError, AudioSystemUnavailable):
        return None

    def levels(stop: threading.Event) -> Iterator[float]:
        return microphone_levels(settings.microphone, stop=stop)

    def feed() -> AsyncIterator[float]:
        return _threaded(levels, maxsize=8)

    return feed


def speaker_test(settings: Settings) -> Callable[[], Awaitable[None]] | None:
    """Plays a short, soft tone on the speaker; None without a speaker."""
    try:
        source = audio_source(settings.speaker)
        if source.kind != "device":
            return None
        index, info = resolve_audio_device(source, "output")
    except (DeviceError, AudioSystemUnavailable):
        return None

    def play() -> None:
        import numpy as np
        import sounddevice as sd

        rate = int(info["default_samplerate"])
        t = np.arange(int(rate * TONE_SECONDS)) / rate
        tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * t) * np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)
        sd.play(tone.astype(np.float32), rate, device=index, blocking=True)

    async def test() -> None:
        await asyncio.to_thread(play)

    return test
