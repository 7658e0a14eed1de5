"""The responder: answers a measurer's channels (the reflector of ``sessioncheck serve``, or
the other sessioncheck in a peer test). See :mod:`.wire` for the requests it serves."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from ..aiortc_private import install_blast_tap, install_probe_tap, send_raw_probe
from ..cpuwatch import DropCounter, WaitMeter
from .blast import BLAST_MAX_KBPS, BlastSender
from .bulk import BulkSender
from .media import receive_stats
from .meters import BlastMeter, FrameCounter, JitterMeter
from .timing import PACED_MARGIN_MAX_S
from .wire import (
    KIND_BLAST_RATE,
    KIND_BLAST_REPORT,
    KIND_PACED,
    KIND_PING,
    KIND_PONG,
    PACED_MAX_COUNT,
    PACED_MIN_INTERVAL_MS,
    PACED_SIZE,
    PACED_TICK_S,
    PROTOCOL_VERSION,
    RX_REPORT_S,
    TX_MAX_S,
    Message,
    create_channels,
    now_ms,
    pack,
    unpack,
)

if TYPE_CHECKING:
    from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection

logger = logging.getLogger(__name__)


class Responder:
    """Answers a measurer's channels on one peer connection (reflector side)."""

    def __init__(self, pc: RTCPeerConnection, prefix: str = "sc") -> None:
        self.pc = pc
        self.prefix = prefix
        self.ctl: RTCDataChannel | None = None
        self.probe: RTCDataChannel | None = None
        self.bulk: RTCDataChannel | None = None
        self.meters: dict[int, JitterMeter] = {}
        self.rx_bytes = 0
        self.counters: list[FrameCounter] = []
        self._tasks: set[asyncio.Task[object]] = set()
        self._rx_stop = asyncio.Event()
        self._tx_stop = asyncio.Event()
        self.blast_meters: dict[int, BlastMeter] = {}
        self._blast_rx_stop = asyncio.Event()
        self._blast_tx: BlastSender | None = None
        self._blast_tx_stop = asyncio.Event()
        self._blast_rate_seq = 0
        self._cpu: dict[int, WaitMeter] = {}
        self._drops: DropCounter | None = None
        """Per paced stream, from its first packet: this process's CPU share and run-queue
        wait, reported with the count (a starved receiver's socket drops look like loss)."""
        pc.on("datachannel", self._on_channel)
        pc.on("track", self._on_track)

    def _spawn(self, coro: Awaitable[object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        for c in self.counters:
            c.stop()

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.counters.append(FrameCounter(track))

    def attach_negotiated(self, negotiated_id: int) -> None:
        """Create the measurer's out-of-band channels (see :func:`create_channels`): after
        the offer is applied, before the answer."""
        for channel in create_channels(self.pc, self.prefix, negotiated_id):
            self._on_channel(channel)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        label = channel.label
        if label == f"{self.prefix}-ctl":
            self.ctl = channel
            channel.on("message", self._on_ctl)
        elif label == f"{self.prefix}-probe":
            self.probe = channel
            channel.on("message", self._on_probe)
            install_probe_tap(channel, self._on_raw_probe)
        elif label == f"{self.prefix}-bulk":
            self.bulk = channel
            channel.on("message", self._on_bulk)

    async def _on_raw_probe(self, data: bytes, arrived: float) -> None:
        parsed = unpack(data)
        if parsed is None:
            return
        kind, stream, seq, ts = parsed
        if kind == KIND_PING:
            await send_raw_probe(self.probe, bytes([KIND_PONG]) + data[1:])
        elif kind == KIND_PACED:
            self._meter(stream).add(seq, ts, arrived)
        elif kind == KIND_BLAST_RATE:
            self._blast_rate(stream, ts, TX_MAX_S, seq)

    def _blast_rate(self, stream: int, kbps: float, max_s: float, seq: int) -> None:
        """Apply a blast rate command unless a newer one (by ``seq``; 0: unnumbered) came first."""
        if seq:
            if seq <= self._blast_rate_seq:
                return
            self._blast_rate_seq = seq
        kbps = max(0.0, min(kbps, BLAST_MAX_KBPS))
        if kbps <= 0:
            self._blast_tx_stop.set()
            self._blast_tx = None
        elif self._blast_tx is not None:
            self._blast_tx.target_kbps = kbps
        elif self.probe is not None:
            self._blast_tx_stop = asyncio.Event()
            self._blast_tx = BlastSender(self.probe, stream)
            self._blast_tx.target_kbps = kbps
            self._spawn(self._blast_tx.run(self._blast_tx_stop, min(max_s, TX_MAX_S)))

    def _on_probe(self, data: str | bytes) -> None:
        if not isinstance(data, bytes) or self.probe is None:
            return
        parsed = unpack(data)
        if parsed is None:
            return
        kind, stream, seq, ts = parsed
        if kind == KIND_PING:
            self.probe.send(bytes([KIND_PONG]) + data[1:])
        elif kind == KIND_PACED:
            self._meter(stream).add(seq, ts, now_ms())

    def _meter(self, stream: int) -> JitterMeter:
        meter = self.meters.get(stream)
        if meter is None:
            meter = self.meters[stream] = JitterMeter()
            if self._drops is None:
                self._drops = DropCounter(self.probe)
            self._cpu[stream] = WaitMeter(self._drops)
        return meter

    def _on_bulk(self, data: str | bytes) -> None:
        self.rx_bytes += len(data)

    def _send(self, message: Message) -> None:
        if self.ctl is not None and self.ctl.readyState == "open":
            self.ctl.send(json.dumps(message))

    def _on_ctl(self, data: str | bytes) -> None:
        try:
            msg = json.loads(data)
            op = msg["op"]
        except (ValueError, KeyError, TypeError):
            logger.debug("ignoring a malformed control message")
            return
        try:
            self._handle(op, msg)
        except (KeyError, TypeError, ValueError) as e:
            self._send({"op": "error", "detail": f"bad {op!r} request: {e}"})

    def _handle(self, op: str, msg: Message) -> None:
        if op == "paced_send":
            self._spawn(
                self._paced(
                    int(msg["stream"]),
                    min(int(msg["count"]), PACED_MAX_COUNT),
                    max(PACED_MIN_INTERVAL_MS, float(msg["interval_ms"])),
                    min(int(msg.get("size", PACED_SIZE)), 1200),
                )
            )
        elif op == "paced_report":
            wait_ms = min(PACED_MARGIN_MAX_S * 1000.0, max(0.0, float(msg.get("wait_ms") or 0)))
            self._spawn(self._paced_report(int(msg["stream"]), msg.get("req"), wait_ms / 1000.0))
        elif op == "rx_start":
            self._rx_stop = asyncio.Event()
            self._spawn(self._rx_report(self._rx_stop))
        elif op == "rx_stop":
            self._rx_stop.set()
        elif op == "tx_start":
            self._tx_stop = asyncio.Event()
            if self.bulk is not None:
                sender = BulkSender(self.bulk)
                self._spawn(sender.run(self._tx_stop, min(float(msg.get("max_s", TX_MAX_S)), TX_MAX_S)))
        elif op == "tx_stop":
            self._tx_stop.set()
        elif op == "blast_rx_start":
            stream = int(msg["stream"])
            self._blast_rx_stop.set()
            self._blast_rx_stop = asyncio.Event()
            self.blast_meters[stream] = BlastMeter(channel=self.probe)
            if self.probe is not None:
                install_blast_tap(self.probe, self.blast_meters)
            self._spawn(self._blast_report(stream, self._blast_rx_stop, msg.get("run")))
        elif op == "blast_rx_stop":
            self._blast_rx_stop.set()
        elif op == "blast_tx":
            self._blast_rate(
                int(msg["stream"]), float(msg["kbps"]), float(msg.get("max_s", TX_MAX_S)), int(msg.get("seq", 0))
            )
        elif op == "media_report":
            self._spawn(self._media_report(msg.get("req")))
        elif op == "hello":
            self._send({"op": "hello", "version": PROTOCOL_VERSION})
        else:
            self._send({"op": "error", "detail": f"unknown request {op!r}"})

    async def _paced(self, stream: int, count: int, interval_ms: float, size: int) -> None:
        start = time.monotonic()
        seq = 0
        while seq < count:
            due = start + seq * interval_ms / 1000.0
            delay = due - time.monotonic()
            if delay > 0:
                # dense streams (loss counting) go out a tick's worth at a time
                await asyncio.sleep(max(delay, PACED_TICK_S if interval_ms < 1000 * PACED_TICK_S else 0.0))
            if self.probe is None or self.probe.readyState != "open":
                return
            now = time.monotonic()
            while seq < count and start + seq * interval_ms / 1000.0 <= now:
                if not await send_raw_probe(self.probe, pack(KIND_PACED, stream, seq, now_ms(), size)):
                    self.probe.send(pack(KIND_PACED, stream, seq, now_ms(), size))
                seq += 1

    async def _paced_report(self, stream: int, req: object, wait_s: float) -> None:
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        m = self.meters.get(stream, JitterMeter())
        cpu = self._cpu.get(stream)
        self._send(
            {
                "op": "paced_report",
                "req": req,
                "received": m.received,
                "max_seq": m.max_seq,
                "jitter_ms": m.jitter_ms,
                **({"cpu": cpu.read()} if cpu is not None else {}),
            }
        )

    async def _rx_report(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._send({"op": "rx", "bytes": self.rx_bytes, "t_ms": now_ms()})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RX_REPORT_S):
                    await stop.wait()
        self._send({"op": "rx", "bytes": self.rx_bytes, "t_ms": now_ms(), "final": True})

    async def _blast_report(self, stream: int, stop: asyncio.Event, run: object = None) -> None:
        meter = self.blast_meters[stream]
        meter.snapshot()
        deadline = time.monotonic() + TX_MAX_S + 2.0
        seq = 0
        while not stop.is_set() and time.monotonic() < deadline:
            report = {"op": "blast_rx", "stream": stream, "run": run, **meter.snapshot()}
            seq += 1
            raw = pack(KIND_BLAST_REPORT, stream, seq, now_ms(), 0) + json.dumps(report).encode()
            if not await send_raw_probe(self.probe, raw):
                self._send(report)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RX_REPORT_S):
                    await stop.wait()

    async def _media_report(self, req: object) -> None:
        stats = await receive_stats(self.pc, self.counters)
        self._send({"op": "media_report", "req": req, "stats": stats})
