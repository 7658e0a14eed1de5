"""Microphone capture: a sound device, a media file, or an ffmpeg virtual source, as blocks.

The spec is resolved by :func:`.sound.audio_source`. Devices are recorded through PortAudio
(sounddevice) in 20 ms blocks; files and ``lavfi:`` sources are decoded by PyAV and paced
like a real microphone when asked. Sound stays in memory: blocks are handed to the caller
and dropped. Opening problems raise :class:`~.errors.DeviceError`.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..model import DeviceErrorKind
from .devices import sound_holders
from .errors import (
    STALL_SECONDS,
    DeviceError,
    classify_os_error,
    classify_portaudio_error,
    short_detail,
)
from .sound import AudioSource, audio_source, resolve_audio_device, sounddevice_module

if TYPE_CHECKING:
    import av.container
    import numpy as np

    Samples = np.ndarray[Any, Any]
    """A block of samples: mono float32 (−1..1) once it leaves this module."""

BLOCK_SECONDS = 0.02
"""Microphone blocks: 20 ms."""


class Microphone:
    """An open sound input; iterate for mono float32 blocks of :data:`BLOCK_SECONDS`."""

    def __init__(
        self, spec: str | AudioSource | None, *, paced: bool | None = None, stop: threading.Event | None = None
    ) -> None:
        self.source = spec if isinstance(spec, AudioSource) else audio_source(spec)
        self.stop = stop or threading.Event()
        self.sample_rate = 0
        self.channels = 0
        self.name = self.source.label
        self.paced = (self.source.kind == "device") if paced is None else paced
        self._stream: Any = None
        """A ``sounddevice.InputStream`` (an untyped library) while a device records."""
        self._container: av.container.InputContainer | None = None
        self._queue: queue.Queue[Samples] = queue.Queue()
        self._open()

    def _open(self) -> None:
        if self.source.kind == "device":
            self._open_device()
        else:
            self._open_av()

    def _open_device(self) -> None:
        import numpy as np

        index, info = resolve_audio_device(self.source, "input")
        sd = sounddevice_module()
        self.name = info["name"]
        self.sample_rate = int(info["default_samplerate"])
        self.channels = min(2, info["max_input_channels"])
        q = self._queue

        def callback(indata: Samples, frames: int, t: object, status: object) -> None:
            q.put(np.asarray(indata.mean(axis=1, dtype=np.float32) if indata.ndim == 2 else indata.copy()))

        try:
            self._stream = sd.InputStream(
                device=index,
                channels=self.channels,
                samplerate=self.sample_rate,
                dtype="float32",
                blocksize=int(self.sample_rate * BLOCK_SECONDS),
                latency="low",
                callback=callback,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            kind = classify_portaudio_error(e)
            who = sound_holders() if kind is DeviceErrorKind.BUSY else ()
            raise DeviceError(kind, self.name, str(e), who) from None

    def _open_av(self) -> None:
        import av

        try:
            if self.source.kind == "lavfi":
                self._container = av.open(str(self.source.target), format="lavfi")
            else:
                self._container = av.open(str(self.source.target))
        except (av.error.FFmpegError, OSError) as e:
            raise DeviceError(classify_os_error(e), self.source.label, short_detail(e)) from None
        if not self._container.streams.audio:
            self._container.close()
            raise DeviceError(DeviceErrorKind.INVALID, self.source.label, "it has no sound")
        stream = self._container.streams.audio[0]
        self.sample_rate = int(stream.rate)
        self.channels = int(stream.codec_context.layout.nb_channels)

    def blocks(self) -> Iterator[Samples]:
        """Mono float32 blocks (−1..1) until the source ends or :attr:`stop` is set."""
        if self._stream is not None:
            yield from self._device_blocks()
        else:
            yield from self._av_blocks()

    __iter__ = blocks

    def _device_blocks(self) -> Iterator[Samples]:
        last = time.monotonic()
        while not self.stop.is_set():
            try:
                block = self._queue.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() - last > STALL_SECONDS:
                    raise DeviceError(
                        DeviceErrorKind.UNPLUGGED, self.name, f"no sound arrived for {STALL_SECONDS:g} s"
                    ) from None
                if self._stream is not None and not self._stream.active:
                    raise DeviceError(DeviceErrorKind.UNPLUGGED, self.name, "the input stopped") from None
                continue
            last = time.monotonic()
            yield block

    def _av_blocks(self) -> Iterator[Samples]:
        import av

        from .audio import to_mono

        container = self._container
        if container is None:  # closed
            return
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
        start = time.monotonic()
        sent = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    if self.stop.is_set():
                        return
                    block = to_mono(out.to_ndarray().reshape(-1))
                    if self.paced:
                        due = start + sent / self.sample_rate
                        now = time.monotonic()
                        if due > now:
                            time.sleep(due - now)
                    sent += block.size
                    yield block
        except (av.error.FFmpegError, OSError) as e:
            raise DeviceError(DeviceErrorKind.INVALID, self.source.label, short_detail(e)) from None

    def close(self) -> None:
        self.stop.set()
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.stop()
                self._stream.close()
            self._stream = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> Microphone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_microphone(
    spec: str | AudioSource | None, *, paced: bool | None = None, stop: threading.Event | None = None
) -> Microphone:
    """Open a microphone spec (device, file or ``lavfi:``); use as a context manager."""
    return Microphone(spec, paced=paced, stop=stop)
