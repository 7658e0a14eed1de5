"""The capacity phases: ramp a blast until the link saturates, hold it, count what arrives.

See :mod:`.blast` for why a blast and the rules that read its windows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ..aiortc_private import install_blast_tap
from .blast import (
    BLAST_GROWTH,
    BLAST_LAG_WINDOWS,
    BLAST_MAX_KBPS,
    BLAST_OVERDRIVE,
    BLAST_SENDER_LAG,
    BLAST_START_KBPS,
    BLAST_STEP_S,
    CAPPED_GENTLE,
    CPU_BOUND,
    RECEIVER_DROPS,
    BlastSender,
    BlastWindow,
    blast_rate_fit,
    blast_window,
    hold_done,
    windows_unsaturated,
)
from .core import MeasurerCore
from .meters import BlastMeter
from .results import ThroughputResult
from .timing import drain_wait_s
from .wire import RATE_REFRESH_S, RX_REPORT_S, BlastSnapshot


class CapacityPhase(MeasurerCore):
    """Upload and download capacity with latency under load (pings meanwhile)."""

    async def upload(self) -> ThroughputResult:
        """Upload capacity: we blast, the responder counts (see :class:`BlastSender`)."""
        return await self.capacity("up")

    async def download(self, *, drain: bool = True) -> ThroughputResult:
        """Download capacity: the responder blasts at rates we set, we count."""
        return await self.capacity("down", drain=drain)

    async def capacity(self, direction: str, *, drain: bool = True) -> ThroughputResult:
        """Ramp an unreliable paced blast until the link saturates, then hold it just above
        the receive rate and measure what arrives; ping meanwhile (latency under load).

        ``drain``: wait for the queue the blast filled to empty (and the pongs queued in it
        to come back) before returning. Without it, a caller whose next phase does not use
        that direction's queue goes on at once and reads ``loaded_span`` later."""
        up = direction == "up"
        stream = 3 if up else 4
        self.cpu.phase(direction)
        drops0 = None if up else self.socket_drops()
        snaps: list[BlastSnapshot] = []
        stop = asyncio.Event()
        max_s = self._max_s()
        tasks: list[asyncio.Task[object]] = []
        sender: BlastSender | None = None
        if up:
            self._blast_reports[stream] = snaps
            self._blast_run += 1
            self._blast_runs[stream] = self._blast_run
            self.send({"op": "blast_rx_start", "stream": stream, "run": self._blast_run})
            sender = BlastSender(self.probe, stream)
            blast = sender

            def set_rate(kbps: float) -> None:
                blast.target_kbps = kbps

            tasks.append(asyncio.ensure_future(sender.run(stop, max_s + 0.5)))
        else:
            meter = BlastMeter(channel=self.probe)
            self._blast_meters[stream] = meter
            install_blast_tap(self.probe, self._blast_meters)

            async def sampler() -> None:
                meter.snapshot()
                while not stop.is_set():
                    snaps.append({**meter.snapshot(), "local": time.monotonic()})
                    await asyncio.sleep(RX_REPORT_S)

            current = [0.0]

            def set_rate(kbps: float) -> None:
                current[0] = kbps
                self._rate_seq += 1
                self.send(
                    {
                        "op": "blast_tx",
                        "stream": stream,
                        "kbps": round(kbps, 1),
                        "max_s": round(max_s + 0.5, 2),
                        "seq": self._rate_seq,
                    }
                )
                self._send_rate_raw(stream, kbps)

            async def refresher() -> None:
                while not stop.is_set():
                    await asyncio.sleep(RATE_REFRESH_S)
                    if current[0] > 0 and not stop.is_set():
                        self._send_rate_raw(stream, current[0])

            tasks.append(asyncio.ensure_future(sampler()))
            tasks.append(asyncio.ensure_future(refresher()))
        t0 = time.monotonic()
        tasks.append(asyncio.ensure_future(self._ping_loop(self.plan.loaded_ping_interval_s, stop)))
        try:
            outcome = await self.guard(
                self._blast_control(set_rate, snaps, f"{direction}_kbps", max_s, sender_local=up)
            )
        finally:
            stop.set()
            for t in tasks:
                t.cancel()
            if self.ctl.readyState == "open":
                if up:
                    self.send({"op": "blast_rx_stop"})
                else:
                    self._rate_seq += 1
                    self.send({"op": "blast_tx", "stream": stream, "kbps": 0, "seq": self._rate_seq})
                    for _ in range(2):
                        self._send_rate_raw(stream, 0.0)
            self._blast_reports.pop(stream, None)
            self._blast_meters.pop(stream, None)
        kbps, capped, windows, loaded_from, why = outcome
        drops1 = None if up else self.socket_drops()
        dropped = None if drops0 is None or drops1 is None else drops1 - drops0
        if dropped is not None and dropped > RECEIVER_DROPS and why != CAPPED_GENTLE:
            capped, why = True, "receiver_drops"
        t_end = time.monotonic()
        # pongs of pings sent into the full queue come back up to a queue later
        loaded = self.rtts_since(loaded_from, t_end)
        if drain:
            await self.guard(asyncio.sleep(drain_wait_s(loaded)))
            loaded = self.rtts_since(loaded_from, t_end)
        return ThroughputResult(
            kbps=kbps,
            windows_kbps=[w.recv_kbps for w in windows],
            loaded_rtts_ms=loaded,
            duration_s=t_end - t0,
            capped=capped,
            capped_why=why,
            loaded_span=(loaded_from, t_end),
            socket_drops=dropped,
        )

    async def _blast_control(
        self,
        set_rate: Callable[[float], None],
        snaps: list[BlastSnapshot],
        key: str,
        max_s: float,
        *,
        sender_local: bool = True,
    ) -> tuple[float, bool, list[BlastWindow], float, str]:
        """Returns (kbps, capped, windows, local time from which pings saw the full queue,
        why capped).

        ``sender_local``: we send (upload), so a send rate below what we asked means our
        process lagged. For a download the responder sends at the rates we command, and a
        command delayed by loss looks just like a lagging sender: the ramp then simply
        goes on (a responder that cannot keep up shows as "never saturated")."""
        rtt_s = self._median_rtt_s()
        top = min(BLAST_MAX_KBPS, max(1.0, self.plan.max_kbps))
        rate = min(BLAST_START_KBPS, top)
        set_rate(rate)
        started = last_step = time.monotonic()
        history: list[tuple[float, float]] = [(started, rate)]
        hold_at: float | None = None
        suspect = False
        suspect_t1: float | None = None
        """End (receiver clock) of the first saturated window, while unconfirmed."""
        capped = False
        why = ""
        lagging = 0
        windows: list[BlastWindow] = []
        seen = 0
        while time.monotonic() - started < max_s:
            await asyncio.sleep(RX_REPORT_S / 2)
            now = time.monotonic()
            while seen + 2 < len(snaps):
                # windows two reports wide (~200 ms): one report's handful of packets is noisy
                w = blast_window(snaps[seen], snaps[seen + 2])
                seen += 1
                if w is None:
                    continue
                windows.append(w)
                self.on_sample(key, w.recv_kbps, "kbps")
                if hold_at is not None or w.send_kbps is None:
                    continue
                # what we asked for while these packets were sent (about a round trip ago)
                asked = min(r for t, r in history if t >= now - rtt_s - 0.35 or t == history[-1][0])
                if w.saturated and w.recv_kbps > 0:
                    # stop growing at once (an overshoot costs both sides CPU); a second
                    # saturated window that shares no packet with the first confirms it (at
                    # low rates a few random losses in one window look like saturation, and
                    # overlapping windows share them), a steady one was a glitch
                    rate = min(rate, top, max(BLAST_OVERDRIVE * w.recv_kbps, BLAST_START_KBPS))
                    set_rate(rate)
                    if suspect_t1 is None:
                        suspect_t1 = w.t1_ms
                    elif w.t0_ms >= suspect_t1:
                        hold_at = now
                    suspect = True
                    last_step = now
                    continue
                suspect, suspect_t1 = False, None
                if sender_local and w.send_kbps < BLAST_SENDER_LAG * asked:
                    # the sender fell behind: a process descheduled for a moment on a shared
                    # machine, or a CPU that cannot go faster. Do not grow; only a lag that
                    # lasts makes what arrives a lower bound.
                    lagging += 1
                    last_step = now
                    if lagging >= BLAST_LAG_WINDOWS:
                        capped, why = True, "sender_slow"
                        rate = min(rate, w.send_kbps * 1.2)
                        hold_at = now
                else:
                    lagging = 0
                if hold_at is not None:
                    set_rate(rate)
            if hold_at is None:
                if not suspect and now - last_step >= BLAST_STEP_S:
                    if rate >= top:
                        capped, why = True, CAPPED_GENTLE if top < BLAST_MAX_KBPS else "highest_rate"
                        hold_at = now
                    else:
                        rate = min(top, rate * BLAST_GROWTH)
                        set_rate(rate)
                        history.append((now, rate))
                        last_step = now
                continue
            measured = [s for s in snaps if s["local"] >= hold_at + rtt_s + 0.1]
            held = [w for w in windows if measured and w.t0_ms >= float(measured[0]["t_ms"])]
            if not capped and len(held) >= 3 and windows_unsaturated(held):
                # everything offered arrived after all: the saturation was a glitch (a CPU
                # hiccup on a shared machine); ramp on
                hold_at, suspect, suspect_t1, last_step = None, False, None, now
                continue
            if len(measured) >= 2 and hold_done(measured[0], measured[-1]):
                break
        if hold_at is None:
            # never saturated within the time: the best the sender managed is a lower bound
            hold_at = time.monotonic()
            capped, why = True, "never_saturated"
        measured = [s for s in snaps if s["local"] >= hold_at + rtt_s + 0.1]
        if len(measured) < 2:
            measured = snaps[-max(2, min(len(snaps), 4)) :]
        if len(measured) < 2:
            return 0.0, capped, windows, hold_at, why
        a = measured[0]
        kbps = blast_rate_fit(measured)
        hold_windows = [w for w in windows if w.t0_ms >= float(a["t_ms"])]
        if (
            why != CAPPED_GENTLE
            and any(w.cpu >= CPU_BOUND for w in hold_windows)
            and len(hold_windows) >= 2
            and sum(w.cpu for w in hold_windows) / len(hold_windows) >= CPU_BOUND
        ):
            capped, why = True, "receiver_busy"  # its CPU was the bottleneck
        return kbps, capped, windows, hold_at + min(0.3, rtt_s), why
