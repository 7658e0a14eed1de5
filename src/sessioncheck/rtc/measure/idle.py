"""The idle phase: quiet pings (round trip), then paced packets both ways (jitter, loss)."""

from __future__ import annotations

import asyncio
import time

from ..aiortc_private import send_raw_probe
from .core import MeasurerCore
from .meters import JitterMeter
from .results import IdleResult, LossCount
from .timing import paced_margin_s
from .wire import KIND_PACED, PACED_SIZE, STREAM_PACED_DOWN, STREAM_PACED_UP, now_ms, pack


class IdlePhase(MeasurerCore):
    """:meth:`idle`, and the idle phase's download packets read again later."""

    async def idle(self) -> IdleResult:
        """Quiet pings first, then paced packets both ways (no pings among them).

        Pings get the path to themselves: in a FIFO link with jitter a ping queued behind
        paced packets waits for the slowest of them (+10 ms on a ±15 ms link)."""
        p = self.plan
        count = max(10, int(p.idle_s * 1000.0 / p.paced_interval_ms))
        up_stream, down_stream = STREAM_PACED_UP, STREAM_PACED_DOWN
        self.cpu.start("idle")
        self._heard()
        t0 = time.monotonic()
        pings_before = self._ping_seq

        async def quiet_pings() -> None:
            for i in range(max(1, p.quiet_pings)):
                self.ping()
                delay = t0 + (i + 1) * p.ping_interval_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

        await self.guard(quiet_pings())
        t_paced = time.monotonic()
        # not the keepalive pings of the report request below: their pongs are not counted
        pings_sent = self._ping_seq - pings_before
        self.send(
            {
                "op": "paced_send",
                "stream": down_stream,
                "count": count,
                "interval_ms": p.paced_interval_ms,
                "size": PACED_SIZE,
            }
        )

        async def paced_up() -> None:
            start = time.monotonic()
            for seq in range(count):
                delay = start + seq * p.paced_interval_ms / 1000.0 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.probe.readyState != "open":
                    return
                packet = pack(KIND_PACED, up_stream, seq, now_ms(), PACED_SIZE)
                if not await send_raw_probe(self.probe, packet):
                    self.probe.send(packet)

        await self.guard(paced_up())
        # the request travels right behind our last paced packet, and the responder's last
        # packets leave it as the request arrives: the margin covers jitter both ways
        margin = paced_margin_s(self.rtts_since(t0, t_paced))
        report = await self.request({"op": "paced_report", "stream": up_stream, "wait_ms": round(margin * 1000.0)})
        self._note_cpu(up_stream, report)
        down = self._meters.get(down_stream, JitterMeter())
        up_received = int(report["received"])
        return IdleResult(
            rtts_ms=self.rtts_since(t0, t_paced),
            pings_sent=pings_sent,
            jitter_up_ms=float(report["jitter_ms"]) if up_received > 1 else None,
            jitter_down_ms=down.jitter_ms if down.received > 1 else None,
            loss_up_pct=100.0 * (count - up_received) / count,
            loss_down_pct=100.0 * (count - down.received) / count,
            paced_up_sent=count,
            paced_down_received=down.received,
            paced_up_received=up_received,
        )

    def paced_down(self, sent: int) -> tuple[LossCount, float | None]:
        """The idle phase's download packets as counted now, and their jitter: read again
        later, they include packets that a slow control message (a lost and retransmitted
        ``paced_send``) made the responder send late."""
        meter = self._meters.get(STREAM_PACED_DOWN, JitterMeter())
        jitter = meter.jitter_ms if meter.received > 1 else None
        return LossCount(sent, min(sent, meter.received)), jitter
