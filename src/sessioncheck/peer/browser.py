"""The therapist's side of a peer test against a web browser (the page ``serve`` hosts at ``/join``).

A browser speaks the same data-channel protocol (:mod:`sessioncheck.rtc.measure`) through
plain JavaScript, with two limits that change how the therapist measures:

* It cannot see DTLS records that are not SCTP: sessioncheck's raw probe packets and its
  capacity blast (see "capacity blast" in :mod:`sessioncheck.rtc.measure`) would be dropped
  unseen. Against a browser, pings and paced packets therefore travel as ordinary messages on
  the unreliable ``th-probe`` channel, and the therapist's upload is measured by filling the
  reliable ``th-bulk`` channel while the browser reports the bytes it received
  (:meth:`Measurer.bulk_upload`). SCTP's congestion control limits that transfer, so the
  therapist's upload to a browser is a lower bound on the link (see DESIGN.md, "Facts about
  aiortc"), and there is no latency-under-load figure (pings would queue behind the bulk data
  in the same SCTP send queue). The same holds for the browser's own upload.
* It has no ``system`` probe: it sends what a page can know (logical processors, an
  approximate memory size, the connection type where the browser tells it).

The browser marks its offer ``{"type": "offer", "peer": "browser", ...}``; the combined report
records ``peer.client.kind = "browser"``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from ..rtc.measure.measurer import Measurer
from ..rtc.measure.meters import JitterMeter
from ..rtc.measure.results import IdleResult, ThroughputResult
from ..rtc.measure.wire import KIND_PACED, KIND_PING, PACED_SIZE, PING_SIZE, now_ms, pack

BROWSER = "browser"
"""``peer.<side>.kind`` of a browser peer (a sessioncheck peer leaves it unset)."""
OFFER_KIND_FIELD = "peer"
"""Field of the relayed offer that says what kind of peer made it."""


class ChannelMeasurer(Measurer):
    """A :class:`Measurer` whose every packet is a data-channel message a browser can read."""

    def ping(self) -> None:
        self._ping_seq += 1
        if self.probe.readyState != "open":
            return
        t = now_ms()
        self._pings[self._ping_seq] = t
        self.probe.send(pack(KIND_PING, 0, self._ping_seq, t, PING_SIZE))

    async def idle(self) -> IdleResult:
        """Pings, and paced packets both ways, as messages on the unreliable probe channel."""
        p = self.plan
        count = max(10, int(p.idle_s * 1000.0 / p.paced_interval_ms))
        up_stream, down_stream = 1, 2
        self._heard()
        self.send(
            {
                "op": "paced_send",
                "stream": down_stream,
                "count": count,
                "interval_ms": p.paced_interval_ms,
                "size": PACED_SIZE,
            }
        )
        t0 = time.monotonic()
        pings_before = self._ping_seq
        done = asyncio.Event()
        pinger = asyncio.ensure_future(self._ping_loop(p.ping_interval_s, done))

        async def paced_up() -> None:
            start = time.monotonic()
            for seq in range(count):
                delay = start + seq * p.paced_interval_ms / 1000.0 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.probe.readyState != "open":
                    return
                self.probe.send(pack(KIND_PACED, up_stream, seq, now_ms(), PACED_SIZE))

        try:
            await self.guard(paced_up())
            await self.guard(asyncio.sleep(max(0.3, 2 * self._median_rtt_s())))
        finally:
            done.set()
            pinger.cancel()
        report = await self.request({"op": "paced_report", "stream": up_stream})
        down = self._meters.get(down_stream, JitterMeter())
        up_received = int(report["received"])
        return IdleResult(
            rtts_ms=self.rtts_since(t0),
            pings_sent=self._ping_seq - pings_before,
            jitter_up_ms=float(report["jitter_ms"]) if up_received > 1 else None,
            jitter_down_ms=down.jitter_ms if down.received > 1 else None,
            loss_up_pct=100.0 * (count - up_received) / count,
            loss_down_pct=100.0 * (count - down.received) / count,
            paced_up_sent=count,
            paced_down_received=down.received,
        )

    async def upload(self) -> ThroughputResult:
        """Over the reliable bulk channel, the browser counting (no blast: it cannot see one).

        No latency under load: the pings would wait in the same SCTP send queue as the bulk
        data (a quarter of a second on an idle loopback), which measures our own queue, not
        the network's.
        """
        return replace(await self.bulk_upload(), loaded_rtts_ms=[])
