"""One side of a peer test: the therapist hosts a room, the client joins it.

Flow (both sides run this module; the server only introduces them):

1. Signalling: the therapist opens a room and gets a code; the client joins with it; the
   server tells both the shared test id (see :mod:`sessioncheck.server.rooms`).
2. Each side starts its ``system`` probe (local facts) at once, in the background, and,
   given more than one TURN URL, checks them directly (the ``ice`` probe) so that the one
   that answers from here goes first: aiortc relays only through the first (``turn_url``).
3. The client offers, the therapist answers (candidates gathered in full, relayed by the
   server). Each side runs a :class:`~sessioncheck.rtc.protocols.Measurer` on its own
   channels (``th-*`` / ``cl-*``) and a :class:`~sessioncheck.rtc.protocols.Responder` for
   the other's, plus one ``peer-sync`` channel for coordination and the final exchange;
   both send audio + 720p video.
4. Phases, conducted by the therapist: *idle* (the therapist's pings and paced packets both
   ways, while the client only pings), *upload* of the client, then of the therapist (one
   at a time, each drained before the next, so neither disturbs the other), *media* (both
   ways at once, like a call).
5. Each side sends its facts and measurements to the other over ``peer-sync``; both build
   the same combined report (:mod:`.combine`), judged by :mod:`sessioncheck.advice.peer`.

Every wait is bounded. If the other side leaves, the server goes away, or the connection
fails, the test ends at once with what was measured and an outcome saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..advice import catalogue
from ..events import ProbeFinished, ProbeStarted, Progress, RunFinished, Sample
from ..model import Measurement, Report, Value
from ..report.redact import redact_host
from ..runner import host_facts
from ..settings import IceServer, Settings
from ..signalling import RoomClient, RoomRefused, SignallingError, TestEnded
from .combine import (
    SideData,
    combined_report,
    combined_result,
    measurements_from_wire,
    measurements_to_wire,
)
from .events import PeerEvent, PeerJoined, RoomCreated

if TYPE_CHECKING:
    from aiortc import RTCDataChannel, RTCPeerConnection

    from ..rtc.measure.measurer import Measurer
    from ..rtc.measure.results import Plan

logger = logging.getLogger(__name__)
T = TypeVar("T")

THERAPIST = "therapist"
CLIENT = "client"
ROLES = (THERAPIST, CLIENT)
PREFIX = {THERAPIST: "th", CLIENT: "cl"}
"""Channel label prefix of each side's measurer."""
SYNC_LABEL = "peer-sync"
DRAIN_MAX_S = 4.0
"""Longest wait, after an upload phase, for the bulk data still buffered to leave."""
ICE_CHECK_S = 3.5
"""Longest wait for the TURN check before connecting (the ice probe ends within 2.5 s)."""


@dataclass
class PeerPlan:
    """Timing limits of one peer test. Tests may shorten them."""

    measure: Plan | None = None
    """Protocol timing (:class:`sessioncheck.rtc.protocols.Plan`); None: the defaults."""
    connect_timeout_s: float = 10.0
    """Offer/answer and ICE + DTLS + data channels."""
    phase_timeout_s: float = 15.0
    """Longest wait for the other side to finish one phase."""
    exchange_timeout_s: float = 6.0
    """Longest wait for the other side's facts and results at the end."""
    join_wait_s: float | None = None
    """How long the therapist waits for the client; None: until the code expires."""


class _Sync:
    """The ``peer-sync`` channel: JSON messages by ``op``."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        channel.on("message", self._on_message)

    def _queue(self, op: str) -> asyncio.Queue[dict[str, Any]]:
        return self.queues.setdefault(op, asyncio.Queue())

    def _on_message(self, data: str | bytes) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            return
        if isinstance(msg, dict) and isinstance(msg.get("op"), str):
            self._queue(msg["op"]).put_nowait(msg)

    def send(self, message: dict[str, Any]) -> None:
        if self.channel.readyState == "open":
            self.channel.send(json.dumps(message, allow_nan=False))

    async def next(self, op: str, **match: Any) -> dict[str, Any]:
        q = self._queue(op)
        while True:
            msg = await q.get()
            if all(msg.get(k) == v for k, v in match.items()):
                return msg


class PeerTest:
    """One side of a peer test. ``await run()`` or ``async for event in events()``.

    Events: :class:`RoomCreated` (therapist: the code to read aloud), :class:`PeerJoined`,
    then the runner's ``ProbeStarted``/``Sample``/``Progress``/``ProbeFinished`` for probe
    ``peer``, ending with ``RunFinished(report)``. :attr:`report` is the combined report
    (not redacted: front ends redact before showing or saving, as with the runner).
    """

    def __init__(
        self,
        role: str,
        settings: Settings,
        server: str,
        *,
        code: str | None = None,
        plan: PeerPlan | None = None,
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if role == CLIENT and not code:
            raise ValueError("the client needs the code to join")
        self.role = role
        self.other = CLIENT if role == THERAPIST else THERAPIST
        self.settings = settings
        self.server = server
        self.code = code
        self.plan = plan or PeerPlan()
        if settings.gentle:
            # a call may be running beside the test: capacity only up to a call's needs
            from ..rtc.measure.blast import GENTLE_MAX_KBPS
            from ..rtc.measure.results import Plan

            self.plan = replace(self.plan, measure=replace(self.plan.measure or Plan(), max_kbps=GENTLE_MAX_KBPS))
        self.report: Report | None = None
        self.test_id: str | None = None
        self.outcome = "ok"
        self.detail = ""
        self.retry_after_s: float | None = None
        self.timings: dict[str, float] = {}
        """Monotonic times of milestones (``started``, ``paired``, ``connected``,
        ``first_measurement``, ``finished``) for benchmarks."""
        self._sides = {role: SideData(role), self.other: SideData(self.other)}
        self._queue: asyncio.Queue[PeerEvent] | None = None
        self._task: asyncio.Task[Report] | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._room: RoomClient | None = None
        self._pc: RTCPeerConnection | None = None
        self._created = ""
        self._cancelled = False
        self._background: set[asyncio.Task[Any]] = set()
        self._turn_url: str | None = None
        """The TURN URL the ICE check found working here, offered to aiortc first."""

    # --- public API ---------------------------------------------------------------------------

    async def run(self) -> Report:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._task)

    async def events(self) -> AsyncIterator[PeerEvent]:
        self._queue = asyncio.Queue()
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        try:
            while True:
                event = await self._queue.get()
                yield event
                if isinstance(event, RunFinished):
                    return
        finally:
            if not self._task.done():
                self.cancel()
                await asyncio.shield(self._task)

    def cancel(self) -> None:
        """Stop: whatever was measured is kept, the report says it was interrupted."""
        self._cancelled = True
        if self._main_task is not None and not self._main_task.done():
            self._main_task.cancel()

    # --- recording ----------------------------------------------------------------------------

    def _emit(self, event: PeerEvent) -> None:
        if self._queue is not None:
            self._queue.put_nowait(event)

    def record(self, key: str, value: Value, unit: str = "", samples: Iterable[float] | None = None) -> None:
        full = f"peer.{self.role}.{key}"
        mine = self._sides[self.role].measurements
        mine[:] = [m for m in mine if m.key != full]
        mine.append(Measurement(full, value, unit, None if samples is None else tuple(float(s) for s in samples)))
        self.timings.setdefault("first_measurement", time.monotonic())

    def sample(self, key: str, value: float, unit: str = "") -> None:
        self.timings.setdefault("first_sample", time.monotonic())
        self._emit(Sample("peer", f"{self.role}.{key}", float(value), unit))

    def progress(self, fraction: float, note: str) -> None:
        self._emit(Progress("peer", max(0.0, min(1.0, fraction)), note))  # note: progress.peer.<note>

    # --- the run ------------------------------------------------------------------------------

    async def _run(self) -> Report:
        self.timings["started"] = time.monotonic()
        self._emit(ProbeStarted("peer", catalogue.probe_started("peer"), self.plan.phase_timeout_s * 4))
        self._main_task = asyncio.ensure_future(self._main())
        timed_out = False
        try:
            await self._main_task
        except asyncio.CancelledError:
            self._set_outcome("cancelled", "the test was stopped")
            if not self._cancelled:  # our own task was cancelled from outside
                self._cancelled = True
        except RoomRefused as e:
            self._set_outcome(e.outcome, e.detail)
            self.retry_after_s = e.retry_after_s
        except TestEnded as e:
            self._set_outcome(e.outcome, e.detail)
        except SignallingError as e:
            self._set_outcome(e.outcome, e.detail)
        except TimeoutError:
            timed_out = True
            self._set_outcome("timed_out", "the test did not finish in time")
        except Exception as e:  # our bug or an unexpected environment: say so, keep results
            logger.exception("peer test broke")
            self._set_outcome("error", f"{type(e).__name__}: {e}")
        finally:
            await self._cleanup()
        self.timings["finished"] = time.monotonic()
        me = self._sides[self.role]
        if not me.reported:  # else: the duration both copies already share
            me.duration_s = self.timings["finished"] - self.timings.get("paired", self.timings["started"])
        me.reported = True  # this copy always holds our own measurements
        extra: dict[str, Measurement] = {}
        if self.retry_after_s is not None:
            extra["retry"] = Measurement("peer.retry_after_s", self.retry_after_s, "s")
        result = combined_result(
            self.test_id, self._sides, self.outcome, self.detail, self.settings.thresholds,
            timed_out=timed_out, extra=extra,
        )
        created = self._created or datetime.now(UTC).isoformat(timespec="seconds")
        self.report = combined_report(result, self._sides, created, interrupted=self._cancelled)
        self._emit(ProbeFinished(result))
        self._emit(RunFinished(self.report))
        return self.report

    def _set_outcome(self, outcome: str, detail: str) -> None:
        if self.outcome == "ok":
            self.outcome, self.detail = outcome, detail

    async def _cleanup(self) -> None:
        from ..rtc.peer import close_all

        for t in list(self._background):
            t.cancel()
        if self._pc is not None:
            await close_all(self._pc)
        if self._room is not None:
            await self._room.close()

    async def _main(self) -> None:
        s = self.settings
        # Local facts are taken while the other side is idle (the therapist waiting, the client
        # not yet joined), so neither sessioncheck's own work shows up as the other's busy CPU.
        system: asyncio.Task[None] | None = None
        if self.role == CLIENT:
            self.progress(0.01, "checking_system")
            system = self._spawn(self._system())
            await asyncio.wait({system}, timeout=8.0)
        self.progress(0.02, "contacting")
        self._room = room = await RoomClient.connect(self.server, ca_file=s.ca_file)
        if self.role == THERAPIST:
            info = await room.host(s.token)
            self.code = info.display
            self._emit(RoomCreated(info.code, info.display, info.expires_in_s))
            system = self._spawn(self._system())
            ordered = self._spawn(self._turn_order(s.ice_servers or info.ice_servers))
            self.progress(0.02, "waiting")
            paired = await room.wait_peer(self.plan.join_wait_s or info.expires_in_s + 5.0)
        else:
            assert self.code is not None
            paired = await room.join(self.code, s.token)
            ordered = self._spawn(self._turn_order(s.ice_servers or paired.ice_servers))
        ice = await ordered
        self.timings["paired"] = time.monotonic()
        self.test_id = paired.test_id
        self._created = paired.created
        self._emit(PeerJoined(paired.test_id, self.role))
        self.progress(0.05, "setting_up")
        assert system is not None
        await self._peer(room, ice, system)

    def _spawn(self, coro: Awaitable[T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _turn_order(self, ice: Sequence[IceServer]) -> list[IceServer]:
        """The ICE servers with the TURN URL that answers from here first.

        aiortc relays only through the first TURN URL it is given: behind a firewall that
        blocks UDP a ``turn:…?transport=udp`` URL listed first leaves this side with no
        relay at all. With more than one TURN URL the servers are checked directly first,
        as ``check``'s ice probe does (at most ``ICE_CHECK_S``; with every server silent the
        order is left as the path probe's first attempt would have it)."""
        from ..probes.ice import IceProbe
        from ..probes.path import first_turn_url, ice_attempts
        from ..runner import Runner

        turn_urls = [u for server in ice for u in server.urls if u.strip().lower().startswith("turn")]
        if len(turn_urls) < 2:
            return list(ice)
        settings = replace(self.settings, ice_servers=tuple(ice))
        try:
            async with asyncio.timeout(ICE_CHECK_S):
                report = await Runner([IceProbe()], settings).run()
            result = report.results[0] if report.results else None
        except TimeoutError:
            result = None
        attempts = ice_attempts(ice, result)
        if len(attempts) == 1:  # the check found a TURN URL that works: it goes first
            self._turn_url = first_turn_url(attempts[0])
        return attempts[0]

    async def _system(self) -> None:
        from ..probes.system import SystemProbe
        from ..runner import Runner

        me = self._sides[self.role]
        me.host = host_facts()
        report = await Runner([SystemProbe()], self.settings).run()
        me.system = list(report.results[0].measurements)

    async def _guard(self, aw: Awaitable[T], timeout_s: float, what: str) -> T:
        """Await ``aw`` unless the test ends first (other side left, server gone, connection
        failed) or ``timeout_s`` passes."""
        room = self._room
        assert room is not None
        task = asyncio.ensure_future(aw)
        try:
            waiting: set[asyncio.Future[Any]] = {task, room.ended}
            done, _ = await asyncio.wait(waiting, timeout=timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if room.ended.done():
            raise room.ended.result()
        raise TestEnded("peer_silent", f"the other side did not {what} within {timeout_s:g} s")

    async def _peer(self, room: RoomClient, ice: Any, system: asyncio.Task[None]) -> None:
        from aiortc import RTCSessionDescription

        from ..rtc.measure.core import ResponderStopped
        from ..rtc.measure.measurer import Measurer
        from ..rtc.measure.media import make_media_sources
        from ..rtc.measure.responder import Responder
        from ..rtc.peer import PeerConnectError, make_peer, selected_pair, wait_connected, wait_open
        from .browser import BROWSER, OFFER_KIND_FIELD, ChannelMeasurer

        plan = self.plan
        pc = self._pc = make_peer(ice)
        audio, video, gate = make_media_sources()
        Responder(pc, prefix=PREFIX[self.other])
        # The sync channel's listener is attached as soon as the channel exists: a message
        # that arrives before anyone listens is dropped (the client's facts, sent the moment
        # it connected, were lost now and then and the therapist waited 6 s for them).
        sync_channel: asyncio.Future[_Sync] = asyncio.get_running_loop().create_future()
        started = time.monotonic()
        if self.role == CLIENT:  # the client offers
            pc.addTrack(audio)
            pc.addTrack(video)
            measurer = Measurer(pc, plan.measure, prefix=PREFIX[self.role], on_sample=self.sample)
            sync_channel.set_result(_Sync(pc.createDataChannel(SYNC_LABEL, ordered=True)))
            await pc.setLocalDescription(await pc.createOffer())
            await room.send({"type": "offer", "sdp": pc.localDescription.sdp})
            answer = await room.receive("answer", plan.connect_timeout_s)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=str(answer.get("sdp")), type="answer"))
        else:
            def on_channel(channel: RTCDataChannel) -> None:
                if channel.label == SYNC_LABEL and not sync_channel.done():
                    sync_channel.set_result(_Sync(channel))

            pc.on("datachannel", on_channel)
            offer = await room.receive("offer", plan.connect_timeout_s)
            if offer.get(OFFER_KIND_FIELD) == BROWSER:  # the page ``serve`` hosts at /join
                self._sides[CLIENT].kind = BROWSER
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=str(offer.get("sdp")), type="offer"))
            except Exception as e:
                raise TestEnded("protocol_error", f"the client's offer could not be used: {e}") from None
            pc.addTrack(audio)
            pc.addTrack(video)
            kind = ChannelMeasurer if self._sides[CLIENT].kind == BROWSER else Measurer
            measurer = kind(pc, plan.measure, prefix=PREFIX[self.role], on_sample=self.sample)
            await pc.setLocalDescription(await pc.createAnswer())
            await room.send({"type": "answer", "sdp": pc.localDescription.sdp})
        room.ended.add_done_callback(lambda f: measurer.stop(f.result().detail))
        try:
            await self._guard(wait_connected(pc, plan.connect_timeout_s), plan.connect_timeout_s + 1, "connect")
            for ch in (measurer.ctl, measurer.probe, measurer.bulk):
                await self._guard(wait_open(ch, plan.connect_timeout_s), plan.connect_timeout_s + 1, "connect")
            sync = await self._guard(sync_channel, plan.connect_timeout_s, "open the test channel")
            channel = sync.channel
            await self._guard(wait_open(channel, plan.connect_timeout_s), plan.connect_timeout_s + 1, "connect")
        except PeerConnectError as e:
            raise TestEnded("connect_failed", str(e)) from None
        self.timings["connected"] = time.monotonic()
        self.record("connect_s", round(time.monotonic() - started, 3), "s")
        pair = selected_pair(pc)
        if pair is not None:
            from ..probes.path import _transport

            self.record("candidate_type", pair.local_type)
            self.record("remote_candidate_type", pair.remote_type)
            self.record("transport", _transport(pair.local_type, pair.transport, list(ice)))
        if self._turn_url is not None:
            self.record("turn_url", self._turn_url)
        relayed = pair is not None and "relay" in (pair.local_type, pair.remote_type)
        self.progress(0.1, "connected_relay" if relayed else "connected_direct")
        facts = self._spawn(self._send_facts(sync, system))
        try:
            await self._phases(measurer, sync, gate)
        except ResponderStopped as e:
            if room.ended.done():
                raise room.ended.result() from None
            raise TestEnded("peer_silent", f"the other side stopped answering: {e}") from None
        await facts
        await self._exchange(sync)

    async def _send_facts(self, sync: _Sync, system: asyncio.Task[None]) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(system), 8.0)
        me = self._sides[self.role]
        sync.send({"op": "facts", "role": self.role, "host": redact_host(me.host),
                   "system": measurements_to_wire(me.system)})

    def _take_facts(self, msg: dict[str, Any]) -> None:
        other = self._sides[self.other]
        host = msg.get("host")
        if isinstance(host, dict):
            other.host = redact_host(
                {str(k): v for k, v in host.items() if v is None or isinstance(v, str | int | float | bool)})
        other.system = measurements_from_wire(msg.get("system"), "system.")

    async def _phases(self, m: Measurer, sync: _Sync, gate: asyncio.Event) -> None:
        facts_task = self._spawn(sync.next("facts"))
        facts_task.add_done_callback(lambda t: None if t.cancelled() else self._take_facts(t.result()))
        timeout = self.plan.phase_timeout_s
        if self.role == THERAPIST:
            p = m.plan  # the timing, for a peer (a browser) that has no plan of its own
            sync.send({"op": "go", "phase": "idle", "plan": {
                "ping_interval_s": p.ping_interval_s, "throughput_max_s": p.throughput_max_s,
                "throughput_min_s": p.throughput_min_s, "window_s": p.window_s,
                "loaded_ping_interval_s": p.loaded_ping_interval_s, "media_s": p.media_s}})
            await self._idle(m)
            sync.send({"op": "done", "phase": "idle"})
            # the client's upload first, on a quiet path (it is usually the slow one)
            sync.send({"op": "go", "phase": "upload"})
            await self._guard(sync.next("done", phase="upload"), timeout, "finish its upload test")
            await self._upload(m)
            sync.send({"op": "go", "phase": "media"})
            await self._media(m, gate)
            await self._guard(sync.next("done", phase="media"), timeout, "finish the call test")
        else:
            # The therapist's idle phase measures delay, jitter and loss in both directions;
            # meanwhile the client only pings (its own view of the delay): two sets of paced
            # streams at once would load a slow upload and inflate the very delay measured.
            await self._guard(sync.next("go", phase="idle"), timeout, "start the test")
            await self._pings_only(m, sync)
            await self._guard(sync.next("go", phase="upload"), timeout, "finish the delay test")
            await self._upload(m)
            sync.send({"op": "done", "phase": "upload"})
            await self._guard(sync.next("go", phase="media"), timeout, "finish its upload test")
            await self._media(m, gate)
            sync.send({"op": "done", "phase": "media"})
        with contextlib.suppress(Exception):
            await self._guard(asyncio.shield(facts_task), self.plan.exchange_timeout_s, "send its facts")

    async def _exchange(self, sync: _Sync) -> None:
        me = self._sides[self.role]
        me.reported = True
        me.duration_s = round(time.monotonic() - self.timings.get("paired", 0.0), 2)
        sync.send({"op": "results", "role": self.role, "duration_s": me.duration_s,
                   "measurements": measurements_to_wire(me.measurements)})
        msg = await self._guard(sync.next("results"), self.plan.exchange_timeout_s, "send its results")
        other = self._sides[self.other]
        other.measurements = measurements_from_wire(msg.get("measurements"), f"peer.{self.other}.")
        other.reported = True
        if isinstance(msg.get("duration_s"), int | float):
            other.duration_s = float(msg["duration_s"])
        if other.kind == "browser":  # a page has no catalogue: send it its own wording
            sync.send({"op": "verdict", **self._wording_for_browser()})
        sync.send({"op": "got"})
        # The other side's "got" says our results reached it: closing the connection before
        # then could drop them while aiortc still has them queued.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sync.next("got"), self.plan.exchange_timeout_s)
        self.progress(1.0, "done")

    def _wording_for_browser(self) -> dict[str, str]:
        """The combined report as the client's copy would show it (redacted, client's words)."""
        from ..model import Audience
        from ..report import redact_report, render_text

        result = combined_result(self.test_id, self._sides, self.outcome, self.detail,
                                 self.settings.thresholds)
        created = self._created or datetime.now(UTC).isoformat(timespec="seconds")
        report = redact_report(combined_report(result, self._sides, created))
        return {"verdict": report.verdict.value, "text": render_text(report, Audience.CLIENT)}

    # --- phases -------------------------------------------------------------------------------

    async def _idle(self, m: Measurer) -> None:
        from ..rtc.measure.timing import percentile

        self.progress(0.15, "idle")
        m.last_heard = time.monotonic()
        idle = await m.idle()
        self.record("pings", len(idle.rtts_ms), "count")
        if idle.pings_sent:
            lost = 100.0 * (idle.pings_sent - len(idle.rtts_ms)) / idle.pings_sent
            self.record("pings_lost_pct", round(lost, 2), "%")
        if idle.rtts_ms:
            med = statistics.median(idle.rtts_ms)
            self.record("rtt_ms", round(med, 2), "ms", [round(r, 3) for r in idle.rtts_ms])
            self.record("rtt_p95_ms", round(percentile(idle.rtts_ms, 95), 2), "ms")
        for key, value in (("jitter_up_ms", idle.jitter_up_ms), ("jitter_down_ms", idle.jitter_down_ms),
                           ("loss_up_pct", idle.loss_up_pct), ("loss_down_pct", idle.loss_down_pct)):
            if value is not None:
                self.record(key, round(value, 2), "%" if key.startswith("loss") else "ms")
        self.record("paced_packets", idle.paced_up_sent, "count")

    async def _pings_only(self, m: Measurer, sync: _Sync) -> None:
        from ..rtc.measure.timing import percentile

        self.progress(0.15, "idle")
        m.last_heard = time.monotonic()
        t0 = time.monotonic()
        done = asyncio.Event()
        pinger = asyncio.ensure_future(m._ping_loop(m.plan.ping_interval_s, done))
        try:
            await self._guard(sync.next("done", phase="idle"), self.plan.phase_timeout_s,
                              "finish the delay test")
        finally:
            done.set()
            pinger.cancel()
        await asyncio.sleep(0.1)  # the last answers
        rtts = m.rtts_since(t0)
        self.record("pings", len(rtts), "count")
        if rtts:
            self.record("rtt_ms", round(statistics.median(rtts), 2), "ms", [round(r, 3) for r in rtts])
            self.record("rtt_p95_ms", round(percentile(rtts, 95), 2), "ms")

    async def _upload(self, m: Measurer) -> None:
        self.progress(0.35 if self.role == CLIENT else 0.6, f"{self.role}_upload")
        m.last_heard = time.monotonic()
        result = await m.upload()
        self.record("up_kbps", round(result.kbps, 1), "kbps", [round(r, 1) for r in result.windows_kbps])
        self.record("up_test_s", round(result.duration_s, 2), "s")
        if result.loaded_rtts_ms:
            loaded = statistics.median(result.loaded_rtts_ms)
            self.record("loaded_rtt_up_ms", round(loaded, 2), "ms", [round(r, 3) for r in result.loaded_rtts_ms])
            idle = next((x.value for x in self._sides[self.role].measurements
                         if x.key == f"peer.{self.role}.rtt_ms"), None)
            if isinstance(idle, int | float):
                self.record("loaded_rtt_delta_ms", round(max(0.0, loaded - float(idle)), 2), "ms")
        # What the send buffer still holds would keep flowing into the next phase (the other
        # side's upload, whose acknowledgements share this path): let it drain first.
        drain_until = time.monotonic() + DRAIN_MAX_S
        while m.bulk.bufferedAmount > 0 and m.bulk.readyState == "open" and time.monotonic() < drain_until:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)

    async def _media(self, m: Measurer, gate: asyncio.Event) -> None:
        from ..rtc.measure.media import run_media

        self.progress(0.8, "media")
        m.last_heard = time.monotonic()
        media = await run_media(m, gate, m.plan.media_s)
        seconds = media.seconds
        self.record("media.seconds", seconds, "s")
        for kind in ("audio", "video"):
            s = media.sent.get(kind, {})
            r = media.received.get(kind)
            if s:
                self.record(f"media.{kind}_sent_kbps", round(s["bytes_sent"] * 8 / 1000 / seconds, 1), "kbps")
                self.record(f"media.{kind}_packets_sent", s["packets_sent"], "count")
            if not isinstance(r, dict):
                continue
            got = int(r.get("packets_received") or 0)
            lost = int(r.get("packets_lost") or 0)
            self.record(f"media.{kind}_packets_received", got, "count")
            if got + lost:
                self.record(f"media.{kind}_loss_pct", round(100.0 * lost / (got + lost), 2), "%")
            if isinstance(r.get("jitter_ms"), int | float):
                self.record(f"media.{kind}_jitter_ms", round(float(r["jitter_ms"]), 2), "ms")
            self.record(f"media.{kind}_frames", int(r.get("frames") or 0), "count")
            if kind == "video":
                if r.get("width"):
                    self.record("media.video_resolution", f"{r['width']}x{r['height']}")
                self.record("media.video_fps", round(int(r.get("frames") or 0) / seconds, 1), "fps")


def host(settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    """The therapist's side: open a room on ``server``; its code arrives as :class:`RoomCreated`."""
    return PeerTest(THERAPIST, settings, server, plan=plan)


def join(code: str, settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    """The client's side: join the room with ``code`` (any case, dashes optional).

    Raises :class:`~sessioncheck.peer.codes.BadCode` at once when ``code`` cannot be a code.
    """
    from .codes import normalise

    return PeerTest(CLIENT, settings, server, code=normalise(code), plan=plan)
