"""Camera sources: a device, a media file, a pipe, or an ffmpeg virtual source, as frames.

A *spec* is what the user (or a test) writes after ``--camera``:

* nothing, ``default``: the OS's first camera;
* a number: the camera at that index (``sessioncheck devices`` lists them);
* a camera name (or part of it): ``Integrated Camera``, or a device node ``/dev/video2``;
* a media file path (or a pipe): played as if it came from the camera;
* ``lavfi:<graph>``: an ffmpeg virtual source, e.g. ``lavfi:testsrc2=size=1280x720:rate=30``.

Frames stay in memory: they are handed to the caller and dropped. Opening problems raise
:class:`~.errors.DeviceError` with a kind advice can judge.
"""

from __future__ import annotations

import os
import platform
import stat
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..model import DeviceErrorKind
from .devices import CAMERA_FORMATS, holders, list_cameras
from .errors import DeviceError, classify_os_error, lavfi_graph, short_detail

if TYPE_CHECKING:
    import av
    import av.container
    import numpy as np

    Image = np.ndarray[Any, Any]
    """A picture as numpy: RGB (h × w × 3) or luma (h × w), uint8."""

ImageT = TypeVar("ImageT", covariant=True)

_NOT_A_SETTINGS_PROBLEM = (DeviceErrorKind.MISSING, DeviceErrorKind.BUSY, DeviceErrorKind.PERMISSION)
"""Opening failures that asking for another size or frame rate would not cure."""


def _alsa_env() -> None:
    """PyAV's bundled ALSA looks for its config in a build path; point it at the system's."""
    for key, path in (
        ("ALSA_CONFIG_DIR", "/usr/share/alsa"),
        ("ALSA_PLUGIN_DIR", "/usr/lib/x86_64-linux-gnu/alsa-lib"),
    ):
        if key not in os.environ and Path(path).is_dir():
            os.environ[key] = path


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
    graph = lavfi_graph(spec)
    if graph is not None:
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
            raise DeviceError(DeviceErrorKind.MISSING, str(path), "no such camera")
        raise DeviceError(DeviceErrorKind.MISSING, spec, "no such file")
    if fmt is None:
        raise DeviceError(DeviceErrorKind.MISSING, spec or "camera", f"cameras are not supported on {system}")
    cams = list_cameras(system)
    if not spec or spec.lower() == "default":
        if not cams:
            raise DeviceError(DeviceErrorKind.MISSING, "camera", "no camera was found")
        c = cams[0]
        return CameraSource("device", c.target, c.fmt, c.name)
    if spec.isdigit():
        idx = int(spec)
        for c in cams:
            if c.index == idx:
                return CameraSource("device", c.target, c.fmt, c.name)
        if system == "Linux":
            raise DeviceError(DeviceErrorKind.MISSING, f"/dev/video{idx}", "no such camera")
        raise DeviceError(DeviceErrorKind.MISSING, spec, f"no camera number {idx}")
    wanted = spec.lower()
    for c in cams:
        if wanted in c.name.lower():
            return CameraSource("device", c.target, c.fmt, c.name)
    if system in ("Darwin", "Windows") and not cams:  # listing may be unsupported: try by name
        return CameraSource("device", spec if system == "Darwin" else f"video={spec}", fmt, spec)
    raise DeviceError(DeviceErrorKind.MISSING, spec, "no camera with that name")


@dataclass(frozen=True)
class CameraFrame(Generic[ImageT]):
    """One picture: ``image`` is RGB (h × w × 3) or luma (h × w), uint8, or an
    ``av.VideoFrame`` when asked for the raw frame."""

    image: ImageT
    t: float
    """``time.monotonic()`` when it was delivered."""


@dataclass
class CameraInfo:
    """Filled in when the camera opens."""

    width: int = 0
    height: int = 0
    nominal_fps: float = 0.0
    label: str = ""


def _open_av(source: CameraSource, width: int, height: int, fps: float) -> av.container.InputContainer:
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
            if not options or classify_os_error(e) in _NOT_A_SETTINGS_PROBLEM:
                raise
            return av.open(source.target, format=source.fmt)  # the size/rate was refused
    except (av.error.FFmpegError, OSError) as e:
        kind = classify_os_error(e)
        if source.kind == "lavfi" or (kind is DeviceErrorKind.INVALID and source.kind == "file"):
            raise DeviceError(DeviceErrorKind.INVALID, source.label, short_detail(e)) from None
        who = holders(source.target) if kind is DeviceErrorKind.BUSY else ()
        raise DeviceError(kind, source.label, short_detail(e), who) from None


@overload
def open_camera(
    spec: str | CameraSource | None,
    *,
    width: int = ...,
    height: int = ...,
    fps: float = ...,
    pixel_format: None,
    paced: bool | None = ...,
    stop: threading.Event | None = ...,
    info: CameraInfo | None = ...,
) -> Generator[CameraFrame[av.VideoFrame], None, None]: ...


@overload
def open_camera(
    spec: str | CameraSource | None,
    *,
    width: int = ...,
    height: int = ...,
    fps: float = ...,
    pixel_format: str = ...,
    paced: bool | None = ...,
    stop: threading.Event | None = ...,
    info: CameraInfo | None = ...,
) -> Generator[CameraFrame[Image], None, None]: ...


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
) -> Generator[CameraFrame[av.VideoFrame | Image], None, None]:
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
            raise DeviceError(DeviceErrorKind.INVALID, source.label, "it has no picture")
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
                raise DeviceError(classify_os_error(e), source.label, short_detail(e)) from None
            raise DeviceError(
                DeviceErrorKind.UNPLUGGED, source.label, f"stopped after {count} frames: {short_detail(e)}"
            ) from None
        if source.live and count > 0 and not (stop is not None and stop.is_set()):
            raise DeviceError(DeviceErrorKind.UNPLUGGED, source.label, f"stopped after {count} frames")
        if count == 0:
            raise DeviceError(
                DeviceErrorKind.UNPLUGGED if source.live else DeviceErrorKind.INVALID,
                source.label,
                "it delivered no picture",
            )
    finally:
        container.close()
