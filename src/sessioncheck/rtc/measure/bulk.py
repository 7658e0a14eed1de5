"""Throughput over the reliable bulk channel (the older variant; aiortc's SCTP congestion
control limits it, see :mod:`.blast`): a flow-controlled sender and a ramp that stops at a
plateau."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .core import MeasurerCore
from .results import ThroughputResult
from .wire import RX_REPORT_S, now_ms

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

BULK_MESSAGE_MAX = 16 * 1024
BULK_MESSAGE_MIN = 1024
BUFFER_TARGET_S = 0.025
"""Flow control: keep about this much data (at the current rate) in our own send buffer,
so a ping sent during the load waits for the network's queue, not for ours."""
BUFFER_MIN = 4 * 1024
BUFFER_MAX = 1024 * 1024


class BulkSender:
    """Keeps a reliable channel busy with adaptive flow control on ``bufferedAmount``."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.queued = 0
        self._drained = asyncio.Event()
        channel.bufferedAmountLowThreshold = 0
        channel.on("bufferedamountlow", self._drained.set)

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        """Send until ``stop`` or ``max_s``. The send-buffer limit doubles whenever the
        transport drained it completely (we were the bottleneck) and halves when it drained
        too slowly (our own queue would delay pings), between ``BUFFER_MIN`` and ``BUFFER_MAX``."""
        started = time.monotonic()
        high = BUFFER_MIN
        payloads: dict[int, bytes] = {}
        while not stop.is_set() and time.monotonic() - started < max_s:
            if self.channel.readyState != "open":
                return
            size = int(min(BULK_MESSAGE_MAX, max(BULK_MESSAGE_MIN, high // 4)))
            payload = payloads.get(size) or payloads.setdefault(size, b"\x5a" * size)
            while self.channel.bufferedAmount < high:
                self.channel.send(payload)
                self.queued += size
            self.channel.bufferedAmountLowThreshold = high // 2
            self._drained.clear()
            woke_early = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BUFFER_TARGET_S):
                    await self._drained.wait()
                    woke_early = True
            if self.channel.bufferedAmount == 0:
                high = min(BUFFER_MAX, high * 2)
            elif not woke_early:
                high = max(BUFFER_MIN, high // 2)


def _windows(pts: list[tuple[float, int]], width_ms: float) -> list[tuple[float, float, int]]:
    """Consecutive windows of at least ``width_ms`` from cumulative (time, bytes) samples."""
    out: list[tuple[float, float, int]] = []
    start_t, start_b = pts[0]
    for t, b in pts[1:]:
        if t - start_t >= width_ms:
            out.append((start_t, t, b - start_b))
            start_t, start_b = t, b
    return out


def sustained_kbps(windows: list[tuple[float, float, int]]) -> float:
    """The best rate held over three consecutive windows (the first window, with the
    shaper's burst and slow start, is left out when there are enough)."""
    usable = windows[1:] if len(windows) > 3 else windows
    best = 0.0
    for i in range(max(1, len(usable) - 2)):
        group = usable[i : i + 3]
        span = sum(t1 - t0 for t0, t1, _ in group)
        if span > 0:
            best = max(best, sum(b for _, _, b in group) * 8 / span)  # bytes/ms*8 = kbit/s
    return best


def _plateau(windows: list[tuple[float, float, int]], growth: float = 0.05) -> bool:
    """True when the last three windows are steady (each within 50 % of their mean) and carry
    no more than ``growth`` over the three before; stalls and bursts keep the ramp going."""
    if len(windows) < 6:
        return False

    def rate(ws: list[tuple[float, float, int]]) -> float:
        span = sum(t1 - t0 for t0, t1, _ in ws)
        return sum(b for _, _, b in ws) / span if span > 0 else 0.0

    last = windows[-3:]
    mean = rate(last)
    steady = mean > 0 and all(abs(b / (t1 - t0) - mean) <= 0.5 * mean for t0, t1, b in last if t1 > t0)
    return steady and mean <= rate(windows[-6:-3]) * (1.0 + growth)


class BulkPhase(MeasurerCore):
    """:meth:`bulk_upload` and :meth:`bulk_download`."""

    async def bulk_upload(self) -> ThroughputResult:
        """Reliable-channel variant (aiortc's congestion control limits it): saturate the
        upload; the responder reports bytes on its clock; ping meanwhile."""
        self._rx.clear()
        self.send({"op": "rx_start"})
        stop = asyncio.Event()
        sender = BulkSender(self.bulk)
        t0 = time.monotonic()
        send_task = asyncio.ensure_future(sender.run(stop, self._max_s() + 0.5))
        pinger = asyncio.ensure_future(self._ping_loop(self.plan.loaded_ping_interval_s, stop))
        try:
            windows = await self.guard(self._ramp(lambda: list(self._rx), "up_kbps"))
        finally:
            stop.set()
            pinger.cancel()
            send_task.cancel()
            if self.ctl.readyState == "open":
                self.send({"op": "rx_stop"})
        return self._result(windows, t0)

    async def bulk_download(self) -> ThroughputResult:
        """Reliable-channel variant: the responder saturates the download; we count bytes; ping meanwhile."""
        samples: list[tuple[float, int]] = []
        stop = asyncio.Event()

        async def sampler() -> None:
            while not stop.is_set():
                samples.append((now_ms(), self.down_bytes))
                await asyncio.sleep(RX_REPORT_S)

        self.send({"op": "tx_start", "max_s": self._max_s() + 0.5})
        t0 = time.monotonic()
        sample_task = asyncio.ensure_future(sampler())
        pinger = asyncio.ensure_future(self._ping_loop(self.plan.loaded_ping_interval_s, stop))
        try:
            windows = await self.guard(self._ramp(lambda: list(samples), "down_kbps"))
        finally:
            stop.set()
            pinger.cancel()
            sample_task.cancel()
            if self.ctl.readyState == "open":
                self.send({"op": "tx_stop"})
        return self._result(windows, t0)

    def _result(self, windows: list[tuple[float, float, int]], t0: float) -> ThroughputResult:
        rates = [b * 8 / (t1 - t0_) for t0_, t1, b in windows if t1 > t0_]  # bits/ms = kbit/s
        kbps = sustained_kbps(windows)
        t_end = time.monotonic()
        # skip the first half second of load: the queue needs time to fill
        loaded = self.rtts_since(t0 + min(0.5, (t_end - t0) / 2), t_end)
        return ThroughputResult(kbps=kbps, windows_kbps=rates, loaded_rtts_ms=loaded, duration_s=t_end - t0)

    async def _ramp(self, samples: Callable[[], list[tuple[float, int]]], key: str) -> list[tuple[float, float, int]]:
        """Cut byte counts into windows until the rate stops growing or time runs out.

        Returns (start ms, end ms, bytes) per window on the receiver's clock.
        """
        p = self.plan
        started = time.monotonic()
        max_s = self._max_s()
        windows: list[tuple[float, float, int]] = []
        while time.monotonic() - started < max_s:
            await asyncio.sleep(RX_REPORT_S)
            pts = samples()
            if len(pts) < 2:
                continue
            windows = _windows(pts, p.window_s * 1000.0)
            if windows:
                t0, t1, b = windows[-1]
                self.on_sample(key, b * 8 / (t1 - t0), "kbps")
            if time.monotonic() - started >= p.throughput_min_s and _plateau(windows):
                break
        return windows
