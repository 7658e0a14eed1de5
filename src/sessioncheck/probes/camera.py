"""``camera``: a few seconds of the picture the other person will see, measured in memory.

The source is ``settings.camera`` (a device name/index, a media file, or ``lavfi:<graph>``;
default: the OS's first camera). Per frame: light, exposure, focus, black/covered/frozen
frames; every few frames, whether a face is there, how big and where.

Measurement keys (all ``camera.``):

* ``outcome``: ``ok`` or a device problem: ``missing``, ``busy``, ``permission``,
  ``unplugged`` (stopped mid-test, partial results kept), ``invalid`` (unreadable source);
  ``detail``: what the OS said; ``holders``: programs holding a busy camera; ``os``
* ``device``; ``requested_width``/``requested_height``/``requested_fps``; ``width``/``height``;
  ``fps`` (achieved), ``frames``, ``analysis_ms`` (median per analysed frame)
* ``mean_luma``, ``subject_luma`` (0–255), ``backlight`` (surround − subject luma),
  ``under_pct``/``over_pct`` (pixels lost in dark/bright), ``blur_var`` (variance of Laplacian),
  ``black_pct``, ``covered_pct``, ``frozen_pct`` (identical consecutive frames)
* ``face_found`` (bool), ``face_found_pct``, ``face_size_pct`` (face width / frame width),
  ``face_x``/``face_y`` (face centre, 0..1 from left/top)
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from .base import Probe, ProbeContext

CAPTURE_SECONDS = 3.0
"""How long the picture is watched."""
REQUEST = (1280, 720, 30.0)
"""What is asked of the camera: 720p at 30 frames per second."""
ANALYSE_LAG_S = 0.05
"""Frames older than this when they arrive are counted but not analysed (keeping up)."""

SampleFn = Callable[[str, float, str], None]


@dataclass
class Capture:
    """What the worker thread measured."""

    outcome: str = "ok"
    detail: str = ""
    holders: tuple[str, ...] = ()
    device: str = ""
    width: int = 0
    height: int = 0
    nominal_fps: float = 0.0
    times: list[float] = field(default_factory=list)
    analysis_ms: list[float] = field(default_factory=list)
    stats: object | None = None


def capture(spec: str | None, seconds: float, stop: threading.Event, sample: SampleFn) -> Capture:
    """Watch the camera for ``seconds`` (blocking). Device trouble goes into ``outcome``."""
    from ..media.camera import CameraInfo, open_camera
    from ..media.errors import DeviceError
    from ..media.video import FaceDetectorUnavailable, PictureAnalyzer
    from ..model import DeviceErrorKind

    cap = Capture()
    info = CameraInfo()
    analyzer = PictureAnalyzer()
    width, height, fps = REQUEST
    frames = open_camera(spec, width=width, height=height, fps=fps, pixel_format="gray", stop=stop, info=info)
    try:
        try:
            deadline: float | None = None
            for frame in frames:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + seconds
                cap.times.append(frame.t)
                if now - frame.t <= ANALYSE_LAG_S or analyzer.frames == 0:
                    t0 = time.perf_counter()
                    st = analyzer.add(frame.image)
                    cap.analysis_ms.append((time.perf_counter() - t0) * 1000.0)
                    if len(cap.times) % 5 == 0:
                        sample("mean_luma", st.mean_luma, "")
                if now >= deadline or stop.is_set():
                    break
        finally:
            cap.device = info.label
            frames.close()
    except DeviceError as e:
        cap.outcome, cap.detail, cap.holders = e.kind, e.detail, e.holders
        cap.device = cap.device or e.device
    except FaceDetectorUnavailable as e:
        cap.outcome, cap.detail = DeviceErrorKind.INVALID, str(e)
    cap.width, cap.height, cap.nominal_fps = info.width, info.height, info.nominal_fps
    cap.stats = analyzer.result() if analyzer.frames else None
    return cap


class CameraProbe(Probe):
    id: ClassVar[str] = "camera"
    timeout_s: ClassVar[float] = 10.0

    async def run(self, ctx: ProbeContext) -> None:
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def sample(key: str, value: float, unit: str) -> None:
            loop.call_soon_threadsafe(ctx.sample, key, value, unit)

        ctx.record("camera.os", platform.system())
        w, h, fps = REQUEST
        ctx.record("camera.requested_width", w, "px")
        ctx.record("camera.requested_height", h, "px")
        ctx.record("camera.requested_fps", fps, "fps")
        ctx.progress(0.05, "opening")
        try:
            cap = await asyncio.to_thread(capture, ctx.settings.camera, CAPTURE_SECONDS, stop, sample)
        finally:
            stop.set()
        record_capture(ctx, cap)
        ctx.progress(1.0, "done")


def record_capture(ctx: ProbeContext, cap: Capture) -> None:
    from ..media.video import PictureStats

    ctx.record("camera.outcome", cap.outcome)
    if cap.detail:
        ctx.record("camera.detail", cap.detail)
    if cap.holders:
        ctx.record("camera.holders", cap.holders)
    if cap.device:
        ctx.record("camera.device", cap.device)
    if cap.width:
        ctx.record("camera.width", cap.width, "px")
        ctx.record("camera.height", cap.height, "px")
    ctx.record("camera.frames", len(cap.times), "count")
    if len(cap.times) >= 2:
        span = cap.times[-1] - cap.times[0]
        if span > 0:
            ctx.record("camera.fps", round((len(cap.times) - 1) / span, 2), "fps")
    if cap.analysis_ms:
        ctx.record("camera.analysis_ms", round(statistics.median(cap.analysis_ms), 2), "ms")
    s = cap.stats
    if not isinstance(s, PictureStats):
        return
    ctx.record("camera.mean_luma", s.mean_luma)
    ctx.record("camera.subject_luma", s.subject_luma)
    ctx.record("camera.backlight", s.backlight)
    ctx.record("camera.under_pct", round(100 * s.under_frac, 2), "%")
    ctx.record("camera.over_pct", round(100 * s.over_frac, 2), "%")
    ctx.record("camera.blur_var", s.blur_var)
    ctx.record("camera.black_pct", round(100 * s.black_frac, 2), "%")
    ctx.record("camera.covered_pct", round(100 * s.covered_frac, 2), "%")
    ctx.record("camera.frozen_pct", round(100 * s.frozen_frac, 2), "%")
    ctx.record("camera.face_checks", s.face_checks, "count")
    ctx.record("camera.face_found", s.face_found_frac > 0)
    ctx.record("camera.face_found_pct", round(100 * s.face_found_frac, 2), "%")
    if s.face_size is not None:
        ctx.record("camera.face_size_pct", round(100 * s.face_size, 2), "%")
    if s.face_x is not None and s.face_y is not None:
        ctx.record("camera.face_x", s.face_x)
        ctx.record("camera.face_y", s.face_y)
