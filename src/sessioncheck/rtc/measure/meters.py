"""Receive-side counters: paced-stream jitter and loss, blast packets, decoded frames.

Each counts what arrives and keeps no payload (no media is ever stored)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..aiortc_private import transport_rx
from .wire import WIRE_OVERHEAD, BlastSnapshot, now_ms

if TYPE_CHECKING:
    from aiortc import MediaStreamTrack, RTCDataChannel


@dataclass
class JitterMeter:
    """RFC 3550 section 6.4.1 interarrival jitter and loss for one paced stream, in ms."""

    received: int = 0
    max_seq: int = -1
    jitter_ms: float = 0.0
    _last: tuple[float, float] | None = None
    """(arrival, send time) of the previous packet in arrival order."""
    _seen: set[int] = field(default_factory=set)

    def add(self, seq: int, sent_ms: float, arrived_ms: float) -> None:
        if seq in self._seen:
            return
        self._seen.add(seq)
        self.received += 1
        self.max_seq = max(self.max_seq, seq)
        if self._last is not None:
            # D(i,j) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16
            d = (arrived_ms - self._last[0]) - (sent_ms - self._last[1])
            self.jitter_ms += (abs(d) - self.jitter_ms) / 16.0
        self._last = (arrived_ms, sent_ms)


@dataclass
class BlastMeter:
    """Receive side of a blast: counts, the newest packet's sequence and send time."""

    packets: int = 0
    bytes: int = 0
    seq: int = -1
    sent_ms: float = 0.0
    channel: RTCDataChannel | None = None
    """The receiving channel, to count everything its transport received (optional)."""
    _cpu0: tuple[float, float] = field(default_factory=lambda: (time.process_time(), time.monotonic()))

    def add(self, seq: int, sent_ms: float, size: int) -> None:
        self.packets += 1
        self.bytes += size + WIRE_OVERHEAD
        if seq > self.seq:
            self.seq, self.sent_ms = seq, sent_ms

    def snapshot(self) -> BlastSnapshot:
        """Cumulative counters now, and this process's CPU use since the last snapshot."""
        cpu_t, wall_t = time.process_time(), time.monotonic()
        cpu = (cpu_t - self._cpu0[0]) / max(1e-6, wall_t - self._cpu0[1])
        self._cpu0 = (cpu_t, wall_t)
        rx = transport_rx(self.channel)
        return {
            "t_ms": now_ms(),
            "packets": self.packets,
            "bytes": self.bytes,
            "all_bytes": rx[0] if rx else self.bytes,
            "seq": self.seq,
            "sent_ms": self.sent_ms,
            "cpu": round(cpu, 3),
        }


class FrameCounter:
    """Consumes a received track (so it is decoded) and counts frames; keeps no media."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.kind = track.kind
        self.frames = 0
        self.width = 0
        self.height = 0
        self._task = asyncio.ensure_future(self._run(track))

    async def _run(self, track: MediaStreamTrack) -> None:
        from aiortc.mediastreams import MediaStreamError

        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                self.frames += 1
                if self.kind == "video":
                    self.width, self.height = frame.width, frame.height  # type: ignore[union-attr]

    def stop(self) -> None:
        self._task.cancel()
