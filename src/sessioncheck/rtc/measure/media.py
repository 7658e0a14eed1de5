"""The media leg: generated audio and video, sent for a second, counted on both sides.

The tracks are generated in memory (a tone, a moving 720p pattern); receivers only count
and decode them. Nothing is recorded."""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import TYPE_CHECKING, TypedDict

from ..aiortc_private import (
    raise_video_bitrate,
    receiver_codecs,
    receiver_rtp_streams,
    stream_clock_rate,
    video_encoder,
)
from .core import MeasurerCore
from .meters import FrameCounter
from .results import MediaResult

if TYPE_CHECKING:
    import av
    from aiortc import MediaStreamTrack, RTCPeerConnection


class ReceiveStats(TypedDict, total=False):
    """What a receiver counted of one kind (audio or video) during the media leg."""

    packets_received: int
    packets_lost: int
    jitter_ms: float | None
    """RFC 3550 interarrival jitter in ms (None: no RTP statistics, frames only)."""
    frames: int
    """Frames decoded."""
    width: int
    height: int
    """Video: the last decoded frame's size."""


def make_media_sources(
    width: int = 1280, height: int = 720, fps: int = 30
) -> tuple[MediaStreamTrack, MediaStreamTrack, asyncio.Event]:
    """An audio tone and a moving 720p test pattern that only flow while the gate is set.

    Returns ``(audio_track, video_track, gate)``. Frames are generated in memory with
    numpy; nothing is recorded.
    """
    import av
    import numpy as np
    from aiortc import MediaStreamTrack

    gate = asyncio.Event()

    class ToneTrack(MediaStreamTrack):
        kind = "audio"
        rate = 48000
        samples = 960

        def __init__(self) -> None:
            super().__init__()
            self._n = 0
            self._start: float | None = None
            t = np.arange(self.rate, dtype=np.float64) / self.rate
            self._tone = (np.sin(2 * np.pi * 440.0 * t) * 8000).astype(np.int16)

        async def recv(self) -> av.AudioFrame:
            await gate.wait()
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._n * self.samples / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            off = (self._n * self.samples) % self.rate
            chunk = np.roll(self._tone, -off)[: self.samples]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self._n * self.samples
            frame.time_base = fractions.Fraction(1, self.rate)
            self._n += 1
            return frame

    class PatternTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self._n = 0
            self._start: float | None = None
            x = np.arange(width * 2, dtype=np.int32)
            row = ((x * 255) // (width * 2)).astype(np.uint8)
            self._luma = np.tile(row, (height, 1))
            self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)

        async def recv(self) -> av.VideoFrame:
            await gate.wait()
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._n / fps
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            shift = (self._n * 16) % width
            y = self._luma[:, shift : shift + width].copy()
            y[(self._n * 8) % height :: 97, :] = 255  # a moving line
            frame = av.VideoFrame.from_ndarray(np.vstack([y, self._chroma]), format="yuv420p")
            frame.pts = self._n * (90000 // fps)
            frame.time_base = fractions.Fraction(1, 90000)
            self._n += 1
            return frame

    return ToneTrack(), PatternTrack(), gate


_CLOCK_RATES = {"audio": 48000.0, "video": 90000.0}


async def receive_stats(pc: RTCPeerConnection, counters: list[FrameCounter]) -> dict[str, ReceiveStats]:
    """Receive-side statistics per kind: packets, loss, jitter (ms) and frames decoded."""
    out: dict[str, ReceiveStats] = {}
    for receiver in pc.getReceivers():
        kind = receiver.track.kind if receiver.track else None
        if kind not in _CLOCK_RATES:
            continue
        streams = receiver_rtp_streams(receiver)
        if streams is not None:
            if streams:
                main = max(streams, key=lambda st: int(st.packets_received))
                clock = stream_clock_rate(main) or _CLOCK_RATES[kind]
                out[kind] = {
                    "packets_received": sum(int(st.packets_received) for st in streams),
                    "packets_lost": sum(max(0, int(st.packets_lost)) for st in streams),
                    # RTP jitter is in clock units: divide by the clock rate
                    "jitter_ms": float(main.jitter) / clock * 1000.0,
                }
            continue
        report = await receiver.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) != "inbound-rtp":
                continue
            clock = _CLOCK_RATES[kind]
            for codec in receiver_codecs(receiver):
                if getattr(codec, "mimeType", "").lower().startswith(kind) and codec.clockRate:
                    clock = float(codec.clockRate)
                    break
            out[kind] = {
                "packets_received": int(stats.packetsReceived),
                "packets_lost": max(0, int(stats.packetsLost)),
                # getStats jitter is in RTP clock units: divide by the clock rate.
                "jitter_ms": float(stats.jitter) / clock * 1000.0,
            }
    for c in counters:
        entry = out.setdefault(c.kind, {"packets_received": 0, "packets_lost": 0, "jitter_ms": None})
        entry["frames"] = entry.get("frames", 0) + c.frames
        if c.kind == "video":
            entry["width"], entry["height"] = c.width, c.height
    return out


async def send_stats(pc: RTCPeerConnection) -> dict[str, dict[str, int]]:
    """Sender-side packets and bytes per kind."""
    out: dict[str, dict[str, int]] = {}
    for sender in pc.getSenders():
        kind = sender.track.kind if sender.track else None
        if kind is None:
            continue
        report = await sender.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) == "outbound-rtp":
                out[kind] = {"packets_sent": int(stats.packetsSent), "bytes_sent": int(stats.bytesSent)}
    return out


VIDEO_BITRATE = 1_500_000
"""Video send rate for the media leg: a 720p call rate (aiortc's VP8 encoder caps at 1.5 Mbit/s)."""


async def run_media(
    measurer: MeasurerCore, gate: asyncio.Event, seconds: float, video_bitrate: int = VIDEO_BITRATE
) -> MediaResult:
    """Open the media gate for ``seconds``, then read both sides' statistics.

    ``video_bitrate``: what the video encoder aims at; give it what fits the measured
    upload (a leg that floods a slow link measures only its own queue)."""
    measurer.cpu.phase("media")
    before = await send_stats(measurer.pc)
    gate.set()
    try:
        # the encoder exists after the first frame: set its rate as soon as it does
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            await measurer.guard(asyncio.sleep(0.01))
            if video_encoder(measurer.pc) is not None:
                break
        raise_video_bitrate(measurer.pc, video_bitrate)
        await measurer.guard(asyncio.sleep(max(0.0, seconds - (time.monotonic() - started))))
    finally:
        gate.clear()
    await asyncio.sleep(0.2)  # let the last packets land before the receiver counts
    after = await send_stats(measurer.pc)
    reply = await measurer.request({"op": "media_report"})
    sent = {k: {n: v - before.get(k, {}).get(n, 0) for n, v in s.items()} for k, s in after.items()}
    received = reply.get("stats")
    return MediaResult(seconds=seconds, sent=sent, received=received if isinstance(received, dict) else {})
