"""``media_loop``: can this computer encode and decode call video in real time?

Frames from the camera spec when it is a file or a virtual source (otherwise ffmpeg's
``testsrc2`` pattern, so the real camera stays free) go through aiortc's own VP8 encoder
and decoder, the ones a call uses, at 480p and at 720p for :data:`LOOP_SECONDS` each, paced
at 30 frames per second. Nothing leaves memory.

Measurement keys (all ``media_loop.``):

* ``source``; ``target_fps``; ``cpus`` (logical CPUs)
* per size (``480p``, ``720p``): ``fps_<size>`` (frames encoded *and* decoded per second),
  ``encode_ms_<size>`` / ``decode_ms_<size>`` (median per frame), ``cpu_pct_<size>``
  (whole computer, 0–100), ``process_cpu_pct_<size>`` (this program, % of one CPU)
* ``cpu_headroom_pct``: 100 − computer CPU use during the 720p run
* ``top_processes``: the other programs using most CPU meanwhile (a list: ``name 85%``, ...)
"""

from __future__ import annotations

import asyncio
import fractions
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import Probe, ProbeContext

LOOP_SECONDS = 2.0
TARGET_FPS = 30.0
SIZES: tuple[tuple[str, int, int, int], ...] = (
    ("480p", 640, 480, 800_000),
    ("720p", 1280, 720, 1_500_000),
)
"""Name, width, height, encoder bitrate (bit/s)."""
TOP_COUNT = 3
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
"""RTP video clock, as aiortc's encoder expects."""
TOP_MIN_PCT = 5.0
CONFIRM_SECONDS = 1.0
"""How long the 480p loop runs when :class:`SendMeter` asks for it."""
CONFIRM_BELOW_FPS = 12.0
""":class:`SendMeter` runs the 480p loop when a call's sender managed fewer 720p frames per
second than this. Measured here, a 720p frame costs 2.5 times a 480p one (encode + decode
25.5 vs 10.1 ms; the sender does not decode, ~13 % of the cost): a sender at 12 fps would
reach ~27 fps at 480p, above what advice calls too slow (80 % of 30 fps), so above this
the loop could only confirm that 480p is fine."""


@dataclass
class SizeResult:
    name: str
    fps: float = 0.0
    encode_ms: float = 0.0
    decode_ms: float = 0.0
    cpu_pct: float = 0.0
    process_cpu_pct: float = 0.0
    frames: int = 0


@dataclass
class LoopResult:
    source: str = ""
    sizes: list[SizeResult] = field(default_factory=list)
    top: list[tuple[str, float]] = field(default_factory=list)
    error: str = ""


def _source_spec(camera: str | None) -> tuple[str, str]:
    from ..media.camera import camera_source
    from ..media.errors import LAVFI_PREFIX

    if camera:
        try:
            src = camera_source(camera)
        except Exception:  # a missing camera is the camera probe's finding, not ours
            src = None
        if src is not None and src.kind in ("lavfi", "file"):
            return camera, src.label
    return f"{LAVFI_PREFIX}testsrc2=size=1280x720:rate=30", "test pattern"


def _prime_processes() -> dict[int, Any]:
    import psutil

    procs: dict[int, Any] = {}
    for p in psutil.process_iter(["name"]):
        try:
            p.cpu_percent(None)
            procs[p.pid] = p
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return procs


def _top_processes(procs: dict[int, Any]) -> list[tuple[str, float]]:
    import psutil

    me = os.getpid()
    usage: list[tuple[str, float]] = []
    for pid, p in procs.items():
        if pid == me:
            continue
        try:
            pct = p.cpu_percent(None)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if pct >= TOP_MIN_PCT:
            usage.append((str(p.info.get("name") or pid), round(pct, 1)))
    usage.sort(key=lambda x: -x[1])
    return usage[:TOP_COUNT]


def run_size(
    spec: str, name: str, width: int, height: int, bitrate: int, seconds: float, stop: threading.Event
) -> SizeResult:
    """Encode + decode frames of one size for ``seconds`` (blocking)."""
    import psutil
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame

    from ..media.camera import open_camera

    res = SizeResult(name)
    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    encoder.target_bitrate = bitrate
    enc_ms: list[float] = []
    dec_ms: list[float] = []
    me = psutil.Process()
    psutil.cpu_percent(None)
    cpu0 = me.cpu_times()
    start = time.monotonic()
    decoded = 0
    frames = open_camera(spec, width=width, height=height, fps=TARGET_FPS, pixel_format=None, stop=stop)
    try:
        for i, cam in enumerate(frames):
            now = time.monotonic()
            if now - start >= seconds or stop.is_set():
                break
            if now - cam.t > 1.5 / TARGET_FPS and i > 0:
                continue  # behind: drop this frame, as a real sender would
            frame = cam.image.reformat(width=width, height=height, format="yuv420p")
            frame.pts = i * 3000
            frame.time_base = VIDEO_TIME_BASE
            t0 = time.perf_counter()
            payloads, timestamp = encoder.encode(frame, force_keyframe=(i == 0))
            t1 = time.perf_counter()
            data = b"".join(vp8_depayload(p) for p in payloads)
            out = decoder.decode(JitterFrame(data=data, timestamp=timestamp))
            t2 = time.perf_counter()
            enc_ms.append((t1 - t0) * 1000.0)
            dec_ms.append((t2 - t1) * 1000.0)
            decoded += len(out)
    finally:
        frames.close()
    wall = max(1e-6, time.monotonic() - start)
    cpu1 = me.cpu_times()
    res.frames = decoded
    res.fps = round(decoded / wall, 2)
    res.encode_ms = round(statistics.median(enc_ms), 2) if enc_ms else 0.0
    res.decode_ms = round(statistics.median(dec_ms), 2) if dec_ms else 0.0
    res.cpu_pct = round(psutil.cpu_percent(None), 1)
    used = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    res.process_cpu_pct = round(100.0 * used / wall, 1)
    return res


def run_loop(camera: str | None, seconds: float, stop: threading.Event) -> LoopResult:
    from ..media.errors import DeviceError

    spec, label = _source_spec(camera)
    result = LoopResult(source=label)
    procs = _prime_processes()
    try:
        for name, w, h, bitrate in SIZES:
            if stop.is_set():
                break
            result.sizes.append(run_size(spec, name, w, h, bitrate, seconds, stop))
    except DeviceError as e:
        result.error = f"{e.device}: {e.detail}"
    result.top = _top_processes(procs)
    return result


def _busy_pct(a: Any, b: Any) -> float:
    """Whole-computer CPU use (0-100) between two ``psutil.cpu_times()`` readings."""

    def total(t: Any) -> float:
        # on Linux, guest time is already counted in user time
        return float(sum(t)) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)

    def busy(t: Any) -> float:
        return total(t) - float(t.idle) - float(getattr(t, "iowait", 0.0))

    span = total(b) - total(a)
    return max(0.0, min(100.0, 100.0 * (busy(b) - busy(a)) / span)) if span > 0 else 0.0


class SendMeter:
    """What sending video costs this computer, measured inside a real call's sender.

    :meth:`wrap` gives a track that hands another track's frames to aiortc's sender and
    times how long the sender works on each one (VP8 encoding, packetising, encrypting)
    before it asks for the next: a computer that cannot keep up asks less often than the
    frame rate. From the first frame to the last it reads the computer's CPU use, and which
    other programs used most. :meth:`record` stores it under a probe's prefix; when the
    sender fell far short it also runs the 480p encode + decode loop of this probe, so "too
    slow even for 480p" is measured, not guessed. The path probe's media leg uses
    it, which is why a plan with a check server leaves ``media_loop`` out.
    """

    def __init__(self, target_fps: float = TARGET_FPS) -> None:
        self.target_fps = target_fps
        self.frames = 0
        self.busy_ms: list[float] = []
        self._handed: float | None = None
        self._first = self._last = 0.0
        self._cpu: list[Any] = []
        self._procs: asyncio.Future[dict[int, Any]] | None = None

    def wrap(self, track: Any) -> Any:
        """A track with ``track``'s frames, for ``pc.addTrack``."""
        from aiortc import MediaStreamTrack

        meter = self

        class Metered(MediaStreamTrack):
            kind = track.kind

            async def recv(self) -> Any:
                meter._asked()
                frame = await track.recv()
                meter._handed_over()
                return frame

            def stop(self) -> None:
                super().stop()
                track.stop()

        return Metered()

    def _asked(self) -> None:
        if self._handed is not None:
            self.busy_ms.append((time.perf_counter() - self._handed) * 1000.0)
            self._handed = None

    def _handed_over(self) -> None:
        import psutil

        now = self._handed = time.perf_counter()
        self.frames += 1
        cpu = psutil.cpu_times()
        if self.frames == 1:
            self._first = now
            self._cpu = [cpu, cpu]
            self._procs = asyncio.get_running_loop().run_in_executor(None, _prime_processes)
        self._last = now
        self._cpu[1] = cpu

    async def record(self, ctx: ProbeContext, prefix: str, camera: str | None) -> None:
        """Record ``<prefix>.target_fps``, ``video_encode_fps``, ``video_encode_ms`` (median
        per frame), ``cpu_pct`` / ``cpu_headroom_pct`` (whole computer), ``top_processes``;
        and ``fps_480p`` / ``encode_ms_480p`` / ``decode_ms_480p`` when the sender managed
        fewer than :data:`CONFIRM_BELOW_FPS`."""
        if self.frames < 2 or self._last <= self._first:
            return
        fps = (self.frames - 1) / (self._last - self._first)
        ctx.record(f"{prefix}.target_fps", self.target_fps, "fps")
        ctx.record(f"{prefix}.video_encode_fps", round(fps, 2), "fps")
        if self.busy_ms:
            ctx.record(f"{prefix}.video_encode_ms", round(statistics.median(self.busy_ms), 2), "ms")
        cpu = _busy_pct(*self._cpu)
        ctx.record(f"{prefix}.cpu_pct", round(cpu, 1), "%")
        ctx.record(f"{prefix}.cpu_headroom_pct", round(100.0 - cpu, 1), "%")
        if self._procs is not None:
            top = await asyncio.to_thread(_top_processes, await self._procs)
            ctx.record(f"{prefix}.top_processes", tuple(f"{n} {p:.0f}%" for n, p in top))
        if fps >= min(CONFIRM_BELOW_FPS, ctx.settings.thresholds.media_fps_share_min * self.target_fps):
            return
        from ..media.errors import DeviceError

        name, w, h, bitrate = SIZES[0]
        stop = threading.Event()
        try:
            small = await asyncio.to_thread(
                run_size, _source_spec(camera)[0], name, w, h, bitrate, CONFIRM_SECONDS, stop
            )
        except DeviceError:  # a broken camera source is the camera probe's finding
            return
        finally:
            stop.set()
        ctx.record(f"{prefix}.fps_{name}", small.fps, "fps")
        ctx.record(f"{prefix}.encode_ms_{name}", small.encode_ms, "ms")
        ctx.record(f"{prefix}.decode_ms_{name}", small.decode_ms, "ms")


class MediaLoopProbe(Probe):
    id: ClassVar[str] = "media_loop"
    timeout_s: ClassVar[float] = 15.0
    after: ClassVar[tuple[str, ...]] = ("camera", "loopback", "path")
    """Encoding video loads the processor: run after the camera and network measurements."""

    async def run(self, ctx: ProbeContext) -> None:
        stop = threading.Event()
        ctx.record("media_loop.target_fps", TARGET_FPS, "fps")
        ctx.record("media_loop.cpus", os.cpu_count() or 1, "count")
        ctx.progress(0.05, "encoding")
        try:
            res = await asyncio.to_thread(run_loop, ctx.settings.camera, LOOP_SECONDS, stop)
        finally:
            stop.set()
        ctx.record("media_loop.source", res.source)
        if res.error:
            ctx.record("media_loop.detail", res.error)
        for s in res.sizes:
            ctx.record(f"media_loop.fps_{s.name}", s.fps, "fps")
            ctx.record(f"media_loop.encode_ms_{s.name}", s.encode_ms, "ms")
            ctx.record(f"media_loop.decode_ms_{s.name}", s.decode_ms, "ms")
            ctx.record(f"media_loop.cpu_pct_{s.name}", s.cpu_pct, "%")
            ctx.record(f"media_loop.process_cpu_pct_{s.name}", s.process_cpu_pct, "%")
            ctx.sample(f"fps_{s.name}", s.fps, "fps")
            if s.name == "720p":
                ctx.record("media_loop.cpu_headroom_pct", round(100.0 - s.cpu_pct, 1), "%")
        ctx.record("media_loop.top_processes", tuple(f"{n} {p:.0f}%" for n, p in res.top))
        ctx.progress(1.0, "done")
