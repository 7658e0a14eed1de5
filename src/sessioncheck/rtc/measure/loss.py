"""Loss streams: small numbered packets at a share of the capacity, counted both ends.

Loss needs thousands of packets for ±1 point at 3-8 %, far more than the paced phase
carries. Small sequence-numbered packets at a share of the measured capacity (so the
bottleneck never queues and every loss is the path's, not our own congestion) ride
along phases that leave that direction idle: upload while the download is measured,
download during the media leg (which only sends up). How many and how fast: the rules
in :mod:`.timing`.
"""

from __future__ import annotations

import asyncio
import time

from ..aiortc_private import send_raw_probe
from .core import MeasurerCore
from .results import LossCount
from .timing import LOSS_SIZE, PACED_CATCHUP_S
from .wire import KIND_PACED, PACED_MAX_COUNT, PACED_TICK_S, now_ms, pack


class LossStreams(MeasurerCore):
    """Send, request and count the loss streams."""

    async def send_stream(self, stream: int, pps: float, stop: asyncio.Event, max_s: float) -> int:
        """Send paced packets numbered from 0 at ``pps`` until ``stop`` or ``max_s``; the
        number sent. Late ticks are not made up by a burst beyond ``PACED_CATCHUP_S``."""
        if pps <= 0:
            return 0
        sent = 0
        credit = 1.0
        start = last = time.monotonic()
        while not stop.is_set() and not self.stopped.done() and last - start < max_s:
            while credit >= 1.0:
                packet = pack(KIND_PACED, stream, sent, now_ms(), LOSS_SIZE)
                if not await send_raw_probe(self.probe, packet):
                    if self.probe.readyState != "open":
                        return sent
                    self.probe.send(packet)
                sent += 1
                credit -= 1.0
            await asyncio.sleep(PACED_TICK_S)
            now = time.monotonic()
            credit = min(credit + pps * (now - last), max(1.0, pps * PACED_CATCHUP_S))
            last = now
        return sent

    def request_stream(self, stream: int, pps: float, seconds: float) -> int:
        """Ask the responder for ``pps`` paced packets for ``seconds``; the count asked."""
        count = min(PACED_MAX_COUNT, int(pps * seconds))
        if count <= 0:
            return 0
        self.send(
            {
                "op": "paced_send",
                "stream": stream,
                "count": count,
                "interval_ms": round(1000.0 / pps, 4),
                "size": LOSS_SIZE,
            }
        )
        return count

    async def stream_sent_report(self, stream: int, sent: int) -> LossCount:
        """Loss of a stream we sent, as the responder counted it."""
        if sent <= 0:
            return LossCount(0, 0)
        report = await self.request({"op": "paced_report", "stream": stream})
        self._note_cpu(stream, report)
        return LossCount(sent, min(sent, int(report["received"])))

    async def stream_progress(self, stream: int) -> LossCount:
        """Loss of a stream we are still sending, as far as the responder has seen it (up to
        its newest packet: those still in flight are not loss)."""
        report = await self.request({"op": "paced_report", "stream": stream})
        seen = int(report["max_seq"]) + 1
        return LossCount(max(0, seen), min(max(0, seen), int(report["received"])))

    def stream_received(self, stream: int) -> LossCount:
        """Loss of a stream the responder sent, up to the newest packet that arrived (a
        responder that fell behind or a tail still in flight is not loss)."""
        meter = self._meters.get(stream)
        if meter is None or meter.max_seq < 0:
            return LossCount(0, 0)
        return LossCount(meter.max_seq + 1, meter.received)
