"""Where pictures and sound come from: a device, a media file, or an ffmpeg virtual source.

A *spec* is what the user (or a test) writes after ``--camera`` / ``--microphone`` /
``--speaker``:

* nothing, ``default``: the OS's default device;
* a number: the device at that index (``sessioncheck devices`` lists them);
* a device name (or part of it for audio): ``Integrated Camera``, ``/dev/video2``, ``vmic``;
* a media file path: the file is played as if it came from the device;
* ``lavfi:<graph>``: an ffmpeg virtual source, e.g. ``lavfi:testsrc2=size=1280x720:rate=30``
  or ``lavfi:sine=frequency=440:sample_rate=48000``.

Everything stays in memory: frames and samples are handed to the caller and dropped.
Opening problems raise :class:`~.devices.DeviceError` with a kind advice can judge.
"""

from __future__ import annotations

import contextlib
import os
import platform
import queue
import stat
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .devices import (
    CAMERA_FORMATS,
    AudioSystemUnavailable,
    DeviceError,
    classify_os_error,
    holders,
    list_cameras,
    sound_holders,
)

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray[Any, Any]

LAVFI_PREFIX = "lavfi:"
STALL_SECONDS = 2.5
"""A live source that delivers nothing for this long has stopped (unplugged)."""
LOOP_MARGIN_S = 0.8
"""Extra recording after the sweep should have ended: sound servers buffer more than the
stream's reported latency, more so on a busy machine."""
BLOCK_SECONDS = 0.02
"""Microphone blocks: 20 ms."""


def _alsa_env() -> None:
    """PyAV's bundled ALSA looks for its config in a build path; point it at the system's."""
    for key, path in (("ALSA_CONFIG_DIR", "/usr/share/alsa"),
                      ("ALSA_PLUGIN_DIR", "/usr/lib/x86_64-linux-gnu/alsa-lib")):
        if key not in os.environ and Path(path).is_dir():
            os.environ[key] = path


# --- camera -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraSource:
    """A resolved camera spec."""

    kind: str
    """``device``, ``file``, ``lavfi`` or ``stream`` (a pipe: live, like a device)."""
    target: str
    fmt: str | None
    """ffmpeg input format (``v4l2``, ``lavfi`` ...), None to let ffmpeg guess."""
    label: str
    """How to name it to people."""

    @property
    def live(self) -> bool:
        """Frames arrive at the device's pace; an early end means it was unplugged."""
        return self.kind in ("device", "stream")


def camera_source(spec: str | None, system: str | None = None) -> CameraSource:
    """Resolve a camera spec; raises :class:`DeviceError` (``missing``) when there is none."""
    system = system or platform.system()
    fmt = CAMERA_FORMATS.get(system)
    spec = (spec or "").strip()
    if spec.startswith(LAVFI_PREFIX):
        graph = spec[len(LAVFI_PREFIX):]
        if not graph:
            raise DeviceError("invalid", spec, "the virtual source has no filter graph")
        return CameraSource("lavfi", graph, "lavfi", "virtual camera")
    if spec and (os.sep in spec or "/" in spec or Path(spec).suffix):
        path = Path(spec).expanduser()
        if path.exists() and not path.is_dir():
            mode = path.stat().st_mode
            if stat.S_ISCHR(mode) and fmt == "v4l2":
                return CameraSource("device", str(path), fmt, str(path))
            if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode):
                return CameraSource("stream", str(path), None, str(path))
            return CameraSource("file", str(path), None, path.name)
        if str(path).startswith("/dev/"):
            raise DeviceError("missing", str(path), "no such camera")
        raise DeviceError("missing", spec, "no such file")
    if fmt is None:
        raise DeviceError("missing", spec or "camera", f"cameras are not supported on {system}")
    cams = list_cameras(system)
    if not spec or spec.lower() == "default":
        if not cams:
            raise DeviceError("missing", "camera", "no camera was found")
        c = cams[0]
        return CameraSource("device", c.target, c.fmt, c.name)
    if spec.isdigit():
        idx = int(spec)
        for c in cams:
            if c.index == idx:
                return CameraSource("device", c.target, c.fmt, c.name)
        if system == "Linux":
            raise DeviceError("missing", f"/dev/video{idx}", "no such camera")
        raise DeviceError("missing", spec, f"no camera number {idx}")
    wanted = spec.lower()
    for c in cams:
        if wanted in c.name.lower():
            return CameraSource("device", c.target, c.fmt, c.name)
    if system in ("Darwin", "Windows") and not cams:  # listing may be unsupported: try by name
        return CameraSource("device", spec if system == "Darwin" else f"video={spec}", fmt, spec)
    raise DeviceError("missing", spec, "no camera with that name")


@dataclass(frozen=True)
class CameraFrame:
    """One picture: ``image`` is RGB (h × w × 3) or luma (h × w), uint8, or an
    ``av.VideoFrame`` when asked for the raw frame."""

    image: Any
    t: float
    """``time.monotonic()`` when it was delivered."""


@dataclass
class CameraInfo:
    """Filled in when the camera opens."""

    width: int = 0
    height: int = 0
    nominal_fps: float = 0.0
    label: str = ""


def _open_av(source: CameraSource, width: int, height: int, fps: float) -> Any:
    import av

    if source.fmt == "alsa":
        _alsa_env()
    options: dict[str, str] = {}
    if source.kind == "device":
        options = {"video_size": f"{width}x{height}", "framerate": f"{fps:g}"}
    try:
        try:
            return av.open(source.target, format=source.fmt, options=options)
        except av.error.FFmpegError as e:
            if not options or classify_os_error(e) in ("missing", "busy", "permission"):
                raise
            return av.open(source.target, format=source.fmt)  # the size/rate was refused
    except (av.error.FFmpegError, OSError) as e:
        kind = classify_os_error(e)
        if source.kind == "lavfi" or (kind == "invalid" and source.kind == "file"):
            raise DeviceError("invalid", source.label, _short(e)) from None
        who = holders(source.target) if kind == "busy" else ()
        raise DeviceError(kind, source.label, _short(e), who) from None


def _short(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return str(text).split(": '")[0]


def open_camera(
    spec: str | CameraSource | None,
    *,
    width: int = 1280,
    height: int = 720,
    fps: float = 30.0,
    pixel_format: str | None = "rgb24",
    paced: bool | None = None,
    stop: threading.Event | None = None,
    info: CameraInfo | None = None,
) -> Generator[CameraFrame, None, None]:
    """Yield frames from a camera spec until the caller stops iterating (or ``stop`` is set).

    Files and virtual sources are paced to their timestamps (like a real camera) unless
    ``paced=False``. A live source that ends or fails after starting raises
    :class:`DeviceError` ``unplugged``. ``pixel_format``: ``rgb24`` or ``gray`` (numpy
    arrays), or None for the decoder's own ``av.VideoFrame`` (to feed an encoder).
    """
    import av

    source = spec if isinstance(spec, CameraSource) else camera_source(spec)
    container = _open_av(source, width, height, fps)
    paced = (not source.live) if paced is None else paced
    try:
        if not container.streams.video:
            raise DeviceError("invalid", source.label, "it has no picture")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if info is not None:
            info.label = source.label
            rate = stream.average_rate or stream.guessed_rate
            info.nominal_fps = float(rate) if rate else 0.0
        start: float | None = None
        first_pts: float | None = None
        count = 0
        try:
            for frame in container.decode(stream):
                if stop is not None and stop.is_set():
                    return
                now = time.monotonic()
                pts = frame.time if frame.time is not None else count / fps
                if start is None or first_pts is None:
                    start, first_pts = now, pts
                elif paced:
                    due = start + (pts - first_pts)
                    if due > now:
                        time.sleep(due - now)
                        now = time.monotonic()
                if info is not None and count == 0:
                    info.width, info.height = frame.width, frame.height
                count += 1
                image = frame if pixel_format is None else frame.to_ndarray(format=pixel_format)
                yield CameraFrame(image, now)
        except (av.error.FFmpegError, OSError) as e:
            if count == 0:
                raise DeviceError(classify_os_error(e), source.label, _short(e)) from None
            raise DeviceError("unplugged", source.label,
                              f"stopped after {count} frames: {_short(e)}") from None
        if source.live and count > 0 and not (stop is not None and stop.is_set()):
            raise DeviceError("unplugged", source.label, f"stopped after {count} frames")
        if count == 0:
            raise DeviceError("invalid" if not source.live else "unplugged", source.label,
                              "it delivered no picture")
    finally:
        container.close()


# --- microphone ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioSource:
    """A resolved microphone or speaker spec."""

    kind: str
    """``device``, ``file`` or ``lavfi``."""
    target: str | int | None
    """Device index (None = default), file path, or filter graph."""
    label: str


def audio_source(spec: str | None) -> AudioSource:
    spec = (spec or "").strip()
    if spec.startswith(LAVFI_PREFIX):
        graph = spec[len(LAVFI_PREFIX):]
        if not graph:
            raise DeviceError("invalid", spec, "the virtual source has no filter graph")
        return AudioSource("lavfi", graph, "virtual microphone")
    if not spec or spec.lower() == "default":
        return AudioSource("device", None, "default")
    if spec.isdigit():
        return AudioSource("device", int(spec), spec)
    path = Path(spec).expanduser()
    if path.is_file():
        return AudioSource("file", str(path), path.name)
    if os.sep in spec or "/" in spec:
        raise DeviceError("missing", spec, "no such file")
    return AudioSource("device", spec, spec)


_ALSA_QUIET: list[Any] = []
"""Keeps the silent ALSA error handler alive (ctypes callbacks must outlive their use)."""


def _quiet_alsa() -> None:
    """ALSA prints recoverable hiccups ("underrun occurred") straight to stderr; we measure
    the sound ourselves, so route those messages nowhere. Linux only; harmless elsewhere."""
    if _ALSA_QUIET or platform.system() != "Linux":
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if name is None:
        return
    try:
        lib = ctypes.CDLL(name)
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)
        handler = handler_type(lambda *_: None)
        lib.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return
    _ALSA_QUIET.append(handler)


def _sd() -> Any:
    try:
        import sounddevice
    except OSError as e:
        raise AudioSystemUnavailable(f"the audio library PortAudio is not installed ({e})") from None
    _quiet_alsa()
    return sounddevice


def resolve_audio_device(source: AudioSource, kind: str) -> tuple[int, dict[str, Any]]:
    """(index, PortAudio device info) for an input (``kind='input'``) or output device."""
    try:
        sd = _sd()
    except AudioSystemUnavailable as e:
        raise DeviceError("missing", source.label, str(e)) from None
    channels_key = "max_input_channels" if kind == "input" else "max_output_channels"
    what = "microphone" if kind == "input" else "speaker"
    try:
        if source.target is None:
            default = sd.default.device[0 if kind == "input" else 1]
            if default is None or int(default) < 0:
                raise DeviceError("missing", what, f"no {what} was found")
            info = dict(sd.query_devices(int(default)))
        else:
            info = dict(sd.query_devices(source.target, kind))
    except ValueError as e:  # no match, several matches, or not an input/output
        raise DeviceError("missing", source.label, str(e)) from None
    except sd.PortAudioError as e:
        raise DeviceError("missing", source.label, str(e)) from None
    if int(info[channels_key]) < 1:
        raise DeviceError("missing", str(info["name"]), f"it is not a {what}")
    return int(info["index"]), info


def _portaudio_kind(e: BaseException) -> str:
    code = e.args[1] if len(e.args) > 1 else None
    text = str(e).lower()
    if code == -9985 or "unavailable" in text or "busy" in text:
        return "busy"
    if code == -9996 or "invalid device" in text:
        return "missing"
    if "permission" in text or "denied" in text:
        return "permission"
    return "invalid"


class Microphone:
    """An open sound input; iterate for mono float32 blocks of :data:`BLOCK_SECONDS`."""

    def __init__(self, spec: str | AudioSource | None, *, paced: bool | None = None,
                 stop: threading.Event | None = None) -> None:
        self.source = spec if isinstance(spec, AudioSource) else audio_source(spec)
        self.stop = stop or threading.Event()
        self.sample_rate = 0
        self.channels = 0
        self.name = self.source.label
        self.paced = (self.source.kind == "device") if paced is None else paced
        self._stream: Any = None
        self._container: Any = None
        self._queue: queue.Queue[Array] = queue.Queue()
        self._open()

    def _open(self) -> None:
        if self.source.kind == "device":
            self._open_device()
        else:
            self._open_av()

    def _open_device(self) -> None:
        import numpy as np

        index, info = resolve_audio_device(self.source, "input")
        sd = _sd()
        self.name = str(info["name"])
        self.sample_rate = int(info["default_samplerate"])
        self.channels = min(2, int(info["max_input_channels"]))
        q = self._queue

        def callback(indata: Array, frames: int, t: Any, status: Any) -> None:
            q.put(np.asarray(indata.mean(axis=1, dtype=np.float32) if indata.ndim == 2
                             else indata.copy()))

        try:
            self._stream = sd.InputStream(
                device=index, channels=self.channels, samplerate=self.sample_rate,
                dtype="float32", blocksize=int(self.sample_rate * BLOCK_SECONDS),
                latency="low", callback=callback)
            self._stream.start()
        except sd.PortAudioError as e:
            kind = _portaudio_kind(e)
            raise DeviceError(kind, self.name, str(e),
                              sound_holders() if kind == "busy" else ()) from None

    def _open_av(self) -> None:
        import av

        try:
            if self.source.kind == "lavfi":
                self._container = av.open(str(self.source.target), format="lavfi")
            else:
                self._container = av.open(str(self.source.target))
        except (av.error.FFmpegError, OSError) as e:
            kind = classify_os_error(e)
            raise DeviceError("invalid" if kind == "invalid" else kind,
                              self.source.label, _short(e)) from None
        if not self._container.streams.audio:
            self._container.close()
            raise DeviceError("invalid", self.source.label, "it has no sound")
        stream = self._container.streams.audio[0]
        self.sample_rate = int(stream.rate)
        self.channels = int(stream.codec_context.layout.nb_channels)

    def blocks(self) -> Iterator[Array]:
        """Mono float32 blocks (−1..1) until the source ends or :attr:`stop` is set."""
        if self._stream is not None:
            yield from self._device_blocks()
        else:
            yield from self._av_blocks()

    __iter__ = blocks

    def _device_blocks(self) -> Iterator[Array]:
        last = time.monotonic()
        while not self.stop.is_set():
            try:
                block = self._queue.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() - last > STALL_SECONDS:
                    raise DeviceError("unplugged", self.name,
                                      f"no sound arrived for {STALL_SECONDS:g} s") from None
                if self._stream is not None and not self._stream.active:
                    raise DeviceError("unplugged", self.name, "the input stopped") from None
                continue
            last = time.monotonic()
            yield block

    def _av_blocks(self) -> Iterator[Array]:
        import av

        from .audio import to_mono

        stream = self._container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
        start = time.monotonic()
        sent = 0
        try:
            for frame in self._container.decode(stream):
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
            raise DeviceError("invalid", self.source.label, _short(e)) from None

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


def open_microphone(spec: str | AudioSource | None, *, paced: bool | None = None,
                    stop: threading.Event | None = None) -> Microphone:
    """Open a microphone spec (device, file or ``lavfi:``); use as a context manager."""
    return Microphone(spec, paced=paced, stop=stop)


def microphone_levels(spec: str | None, stop: threading.Event | None = None) -> Iterator[float]:
    """Live input level (dBFS RMS) every 20 ms, for meters. Paced like a real device."""
    from .audio import block_level

    with open_microphone(spec, paced=True, stop=stop) as mic:
        for block in mic.blocks():
            yield block_level(block).rms_dbfs


# --- speaker: play a signal while recording --------------------------------------------------


@dataclass(frozen=True)
class LoopRecording:
    """What the microphone heard while the speaker played."""

    recording: Array
    sample_rate: int
    played_at: float
    """Seconds into ``recording`` at which the signal left the speaker (per PortAudio clocks);
    None-like NaN when the host gives no stream times."""
    speaker: str
    microphone: str


def play_and_record(
    signal: Array,
    sample_rate: int,
    speaker: str | None,
    microphone: str | None,
    *,
    lead_s: float = 0.3,
    tail_s: float = 0.7,
) -> LoopRecording:
    """Play ``signal`` on the speaker once the microphone has recorded ``lead_s`` of sound.

    The lead-in is timed by the recording, not by the samples handed to the speaker: through
    ALSA's PulseAudio plugin, a new output stream may race through its first buffers far
    faster than real time (reporting underflows), so a lead-in of silent samples can last a
    few milliseconds and the signal would play before the recording runs. The signal then
    starts at least ``lead_s`` into the recording, whatever the streams' start-up does.

    Raises :class:`DeviceError` for either device. Blocking; run it in a thread.
    """
    import numpy as np

    sd = _sd()
    out_src = audio_source(speaker)
    if out_src.kind != "device":
        raise DeviceError("invalid", out_src.label, "a speaker must be a sound device")
    out_index, out_info = resolve_audio_device(out_src, "output")
    in_src = audio_source(microphone)
    if in_src.kind != "device":
        raise DeviceError("invalid", in_src.label, "only a real microphone can hear the speaker")
    in_index, in_info = resolve_audio_device(in_src, "input")

    rate = sample_rate
    lead = int(lead_s * rate)
    recorded: list[Array] = []
    count = [0]
    """Samples recorded so far (the input callback's clock)."""
    adc_first: list[float] = []
    dac_start: list[float] = []
    start_at: list[int] = []
    """Output position at which the signal starts (set once the recording covers the lead)."""
    position = [0]
    done = threading.Event()
    """The whole signal has been handed to the speaker."""

    def in_cb(indata: Array, frames: int, t: Any, status: Any) -> None:
        if not adc_first:
            adc_first.append(float(t.inputBufferAdcTime) or time.monotonic())
        recorded.append(indata[:, 0].copy())
        count[0] += frames

    def out_cb(outdata: Array, frames: int, t: Any, status: Any) -> None:
        pos = position[0]
        outdata.fill(0)
        position[0] = pos + frames
        if not start_at:
            if count[0] < lead:
                return
            start_at.append(pos)
            dac_start.append(float(t.outputBufferDacTime) or time.monotonic())
        s0 = pos - start_at[0]
        if s0 < signal.size:
            n = min(frames, signal.size - s0)
            outdata[:n, 0] = signal[s0 : s0 + n]
        else:
            done.set()

    streams: list[Any] = []
    try:
        try:
            inp = sd.InputStream(device=in_index, channels=1, samplerate=rate, dtype="float32",
                                 latency="high", callback=in_cb)
            streams.append(inp)
            out = sd.OutputStream(device=out_index, channels=1, samplerate=rate, dtype="float32",
                                  latency="high", callback=out_cb)
            streams.append(out)
            inp.start()
            out.start()
        except sd.PortAudioError as e:
            kind = _portaudio_kind(e)
            raise DeviceError(kind, str(out_info["name"]), str(e),
                              sound_holders() if kind == "busy" else ()) from None
        # Wait for the signal to be handed over, then for the recording to cover it plus
        # the tail, the output latency and what sound servers buffer beyond it.
        if not done.wait(lead_s + signal.size / rate + 2 * STALL_SECONDS):
            who = str(out_info["name"]) if count[0] >= lead else str(in_info["name"])
            raise DeviceError("unplugged", who, "the sound stopped mid-test")
        want = count[0] + int((tail_s + float(out.latency) + LOOP_MARGIN_S) * rate)
        deadline = time.monotonic() + (want - count[0]) / rate + STALL_SECONDS
        while count[0] < want:
            if time.monotonic() > deadline:
                raise DeviceError("unplugged", str(in_info["name"]), "the sound stopped mid-test")
            time.sleep(0.02)
    finally:
        for s in streams:
            with contextlib.suppress(Exception):
                s.stop()
                s.close()
    rec = np.concatenate(recorded) if recorded else np.zeros(0, np.float32)
    played_at = (dac_start[0] - adc_first[0]) if dac_start and adc_first else float("nan")
    return LoopRecording(rec, rate, played_at, str(out_info["name"]), str(in_info["name"]))
