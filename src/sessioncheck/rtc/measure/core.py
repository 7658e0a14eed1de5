"""The measurer's plumbing: channels, control requests, pings and the stall watchdog."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar, cast

from ..aiortc_private import install_probe_tap, probe_tap_installed, send_raw_probe
from ..cpuwatch import CpuWatch, DropCounter
from .meters import BlastMeter, JitterMeter
from .results import Plan
from .timing import KEEPALIVE_PING_S, REQUEST_TIMEOUT_S, capacity_budget_s, stall_timeout_s
from .wire import (
    HEADER,
    KIND_BLAST_RATE,
    KIND_BLAST_REPORT,
    KIND_PACED,
    KIND_PING,
    KIND_PONG,
    PING_SIZE,
    BlastSnapshot,
    Message,
    create_channels,
    now_ms,
    pack,
    unpack,
)

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

T = TypeVar("T")


class ResponderStopped(Exception):
    """The other side stopped answering (closed, killed or unreachable) mid-test."""


class MeasurerCore:
    """The measurer's side of the channels: control requests and their answers, pings and
    their round trips, the stall watchdog and the reports that arrive. The phases
    (:mod:`.idle`, :mod:`.loss`, :mod:`.capacity`, :mod:`.bulk`) build on it and
    :class:`~.measurer.Measurer` puts them together."""

    def __init__(
        self,
        pc: RTCPeerConnection,
        plan: Plan | None = None,
        *,
        prefix: str = "sc",
        negotiated_id: int | None = None,
        on_sample: Callable[[str, float, str], None] | None = None,
    ) -> None:
        """``negotiated_id``: create the channels out of band on SCTP streams from this id
        (the responder must call :meth:`Responder.attach_negotiated` with the same id)."""
        self.pc = pc
        self.plan = plan or Plan()
        self.on_sample = on_sample or (lambda key, value, unit: None)
        self.ctl, self.probe, self.bulk = create_channels(pc, prefix, negotiated_id)
        self.last_heard = time.monotonic()
        self.stopped: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pings: dict[int, float] = {}
        self._rtts: list[tuple[float, float]] = []
        """(send time s, rtt ms) of answered pings."""
        self._ping_seq = 0
        self._rate_seq = 0
        self._ping_tasks: set[asyncio.Task[object]] = set()
        self._meters: dict[int, JitterMeter] = {}
        self._replies: dict[object, asyncio.Future[Message]] = {}
        self._rx: list[tuple[float, int]] = []
        self._req = 0
        self.down_bytes = 0
        self._blast_reports: dict[int, list[BlastSnapshot]] = {}
        self._blast_runs: dict[int, int] = {}
        """Run id of each stream's current capacity test: reports of an earlier one that
        arrive late (raw reports can) are not mixed into it."""
        self._blast_run = 0
        self._blast_meters: dict[int, BlastMeter] = {}
        self.cpu = CpuWatch(drops=self.socket_drops)
        """This process's CPU, phase by phase (idle, up, down, media): started by :meth:`idle`."""
        self._drop_counter: DropCounter | None = None
        self.responder_cpu: dict[int, dict[str, float]] = {}
        """Per stream we sent, the responder's CPU while it received it (its reports)."""
        self.ctl.on("message", self._on_ctl)
        self.probe.on("message", self._on_probe)
        self.bulk.on("message", self._on_bulk)
        self.probe.on("open", lambda: install_probe_tap(self.probe, self._on_raw_probe))
        for ch in (self.ctl, self.probe, self.bulk):
            ch.on("close", lambda: self.stop("the data channel closed"))
        pc.on("connectionstatechange", self._on_state)

    # --- plumbing ---------------------------------------------------------------------------

    def stop(self, why: str) -> None:
        """Mark the responder as gone (called on channel close, WebSocket close, stalls)."""
        if not self.stopped.done():
            self.stopped.set_result(why)

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            self.stop(f"the connection {self.pc.connectionState}")

    def _heard(self) -> None:
        self.last_heard = time.monotonic()

    def _on_ctl(self, data: str | bytes) -> None:
        self._heard()
        try:
            msg = json.loads(data)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        if msg.get("op") == "rx":
            self._rx.append((float(msg["t_ms"]), int(msg["bytes"])))
            return
        if msg.get("op") == "blast_rx":
            self._blast_report(msg)
            return
        fut = self._replies.pop(msg.get("req"), None)
        if fut is not None and not fut.done():
            fut.set_result(msg)

    def _blast_report(self, msg: Message) -> None:
        """A responder's ``blast_rx`` snapshot, kept in receiver-clock order (a raw report
        may overtake another)."""
        reports = self._blast_reports.get(msg.get("stream"))  # type: ignore[arg-type]
        run = msg.get("run")  # None from a responder that does not number its runs
        if reports is None or (run is not None and run != self._blast_runs.get(msg.get("stream"))):  # type: ignore[arg-type]
            return
        with contextlib.suppress(KeyError, TypeError, ValueError):
            t = float(msg["t_ms"])
            if reports and t <= float(reports[-1]["t_ms"]):
                return  # late or duplicate: the cumulative counts moved on
            reports.append(cast("BlastSnapshot", {**msg, "local": time.monotonic()}))

    def _on_probe(self, data: str | bytes) -> None:
        self._heard()
        if not isinstance(data, bytes):
            return
        parsed = unpack(data)
        if parsed is None:
            return
        kind, stream, seq, ts = parsed
        if kind == KIND_PONG:
            sent = self._pings.pop(seq, None)
            if sent is not None:
                rtt = now_ms() - sent
                self._rtts.append((sent / 1000.0, rtt))
                self.on_sample("rtt_ms", rtt, "ms")
        elif kind == KIND_PACED:
            self._meters.setdefault(stream, JitterMeter()).add(seq, ts, now_ms())

    async def _on_raw_probe(self, data: bytes, arrived: float) -> None:
        self._heard()
        parsed = unpack(data)
        if parsed is None:
            return
        kind, stream, seq, ts = parsed
        if kind == KIND_BLAST_REPORT:
            with contextlib.suppress(ValueError):
                msg = json.loads(data[HEADER.size :])
                if isinstance(msg, dict) and msg.get("op") == "blast_rx":
                    self._blast_report(msg)
            return
        if kind == KIND_PONG:
            sent = self._pings.pop(seq, None)
            if sent is not None:
                rtt = arrived - sent
                self._rtts.append((sent / 1000.0, rtt))
                self.on_sample("rtt_ms", rtt, "ms")
        elif kind == KIND_PACED:
            self._meters.setdefault(stream, JitterMeter()).add(seq, ts, arrived)

    def _on_bulk(self, data: str | bytes) -> None:
        self._heard()
        self.down_bytes += len(data)

    def send(self, message: Message) -> None:
        if self.ctl.readyState != "open":
            self.stop("the control channel closed")
            return
        self.ctl.send(json.dumps(message))

    async def request(self, message: Message, timeout_s: float = REQUEST_TIMEOUT_S) -> Message:
        """Send a control request and wait for its answer. Pings go out meanwhile, so a
        responder that is alive keeps answering them while a lost request or answer waits
        for SCTP's retransmission; one that is gone falls silent and the stall watchdog
        ends the wait after ``stall_s``."""
        timeout_s = max(timeout_s, self.stall_s)
        self._req += 1
        req = self._req
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._replies[req] = fut
        self.send({**message, "req": req})
        done = asyncio.Event()
        keepalive = asyncio.ensure_future(self._ping_loop(KEEPALIVE_PING_S, done))
        try:
            async with asyncio.timeout(timeout_s):
                return await self.guard(fut)
        except TimeoutError:
            self.stop(f"no answer to {message['op']!r} within {timeout_s:g} s")
            raise ResponderStopped(await self.stopped) from None
        finally:
            done.set()
            keepalive.cancel()
            self._replies.pop(req, None)

    async def guard(self, aw: Awaitable[T]) -> T:
        """Await ``aw`` unless the responder stops first (then raise :class:`ResponderStopped`)."""
        task = asyncio.ensure_future(aw)
        watchdog = asyncio.ensure_future(self._watch())
        try:
            done, _ = await asyncio.wait({task, watchdog}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            watchdog.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise ResponderStopped(self.stopped.result() if self.stopped.done() else "stopped answering")

    async def _watch(self) -> None:
        while not self.stopped.done():
            silent = time.monotonic() - self.last_heard
            if silent > self.stall_s:
                self.stop(f"nothing received for {silent:.1f} s")
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.25):
                    await asyncio.shield(self.stopped)

    def _send_rate_raw(self, stream: int, kbps: float) -> None:
        """A blast rate command as a raw probe packet (numbered: the newest wins)."""
        self._rate_seq += 1
        packet = pack(KIND_BLAST_RATE, stream, self._rate_seq, kbps, PING_SIZE)
        task = asyncio.ensure_future(send_raw_probe(self.probe, packet))
        self._ping_tasks.add(task)
        task.add_done_callback(self._ping_tasks.discard)

    def ping(self) -> None:
        self._ping_seq += 1
        if self.probe.readyState != "open":
            return
        if not probe_tap_installed(self.probe):
            t = now_ms()
            self._pings[self._ping_seq] = t
            self.probe.send(pack(KIND_PING, 0, self._ping_seq, t, PING_SIZE))
            return
        task = asyncio.ensure_future(self._raw_ping(self._ping_seq))
        self._ping_tasks.add(task)
        task.add_done_callback(self._ping_tasks.discard)

    async def _raw_ping(self, seq: int) -> None:
        t = now_ms()  # stamped right before the record leaves
        self._pings[seq] = t
        if not await send_raw_probe(self.probe, pack(KIND_PING, 0, seq, t, PING_SIZE)):
            self.probe.send(pack(KIND_PING, 0, seq, t, PING_SIZE))

    async def _ping_loop(self, interval_s: float, until: asyncio.Event) -> None:
        while not until.is_set():
            self.ping()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval_s):
                    await until.wait()

    def rtts_since(self, t0: float, t1: float | None = None) -> list[float]:
        return [r for (t, r) in self._rtts if t >= t0 and (t1 is None or t < t1)]

    def socket_drops(self) -> int | None:
        """Datagrams our connection's sockets dropped since the first call (None: unknown)."""
        if self._drop_counter is None:
            self._drop_counter = DropCounter(self.probe)
        return self._drop_counter.read()

    def _note_cpu(self, stream: int, report: Message) -> None:
        cpu = report.get("cpu")
        if isinstance(cpu, dict):
            self.responder_cpu[stream] = {k: float(v) for k, v in cpu.items() if isinstance(v, int | float)}

    def _median_rtt_s(self) -> float:
        rtts = sorted(r for _, r in self._rtts)
        return rtts[len(rtts) // 2] / 1000.0 if rtts else 0.2

    def _max_s(self) -> float:
        """Per-direction budget: longer on slow-to-ramp long paths, never above 4 s."""
        return capacity_budget_s(self.plan.throughput_max_s, self._median_rtt_s())

    @property
    def stall_s(self) -> float:
        """Silence that means the responder is gone (see :func:`stall_timeout_s`)."""
        return stall_timeout_s([r for _, r in self._rtts])
