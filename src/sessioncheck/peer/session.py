"""One side of a peer test: the therapist hosts a room, the client joins it.

A peer test is a run like a check (:class:`~sessioncheck.runner.Runner`): its plan is the
``system`` probe (this computer's facts) and the ``peer`` probe (:class:`PeerProbe`), which
drives the session below; :class:`PeerTest` folds the two into the one combined report.

Flow (both sides run this module; the server only introduces them):

1. Signalling: the therapist opens a room and gets a code; the client joins with it; the
   server tells both the shared test id (see :mod:`sessioncheck.server.rooms`).
2. The ``system`` probe runs at once, beside the peer probe, which waits for it only where
   its facts are needed (the client before joining, so its measurement is taken while the
   therapist is idle); given more than one TURN URL, the peer probe checks them directly
   (the ``ice`` probe, run through ``ctx.run_probe``) so that the one that answers from
   here goes first: aiortc relays only through the first (``turn_url``).
3. The client offers, the therapist answers (candidates gathered in full, relayed by the
   server). Each side runs a :class:`~sessioncheck.rtc.measure.measurer.Measurer` on its own
   channels (``th-*`` / ``cl-*``) and a :class:`~sessioncheck.rtc.measure.responder.Responder` for
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
import logging
import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..advice.verdict import NEEDED_FOR_PEER
from ..events import PeerJoined, RoomCreated
from ..model import Measurement, ProbeResult, Report, Role, Value
from ..probes.base import Probe, ProbeContext
from ..probes.recorders import (
    LoadedDelay,
    first_turn_url,
    record_idle,
    record_media,
    record_pair,
    record_pings,
    record_throughput,
)
from ..report.redact import redact_host
from ..runner import Runner, assemble_report, host_facts, result_of
from ..settings import IceServer, Settings
from ..signalling import RoomClient, RoomRefused, SignallingError, TestEnded
from .combine import (
    PeerOutcome,
    SideData,
    combined_duration,
    combined_host,
    combined_measurements,
    measurements_from_wire,
    measurements_to_wire,
)
from .sync import SYNC_LABEL, Message, SyncChannel

if TYPE_CHECKING:
    from aiortc import RTCDataChannel, RTCPeerConnection

    from ..rtc.measure.measurer import Measurer
    from ..rtc.measure.results import Plan

logger = logging.getLogger(__name__)
T = TypeVar("T")

THERAPIST = Role.THERAPIST
CLIENT = Role.CLIENT
PREFIX = {THERAPIST: "th", CLIENT: "cl"}
"""Channel label prefix of each side's measurer."""
DRAIN_MAX_S = 4.0
"""Longest wait, after an upload phase, for the bulk data still buffered to leave."""
ICE_CHECK_S = 3.5
"""Longest wait for the TURN check before connecting (the ice probe ends within 2.5 s)."""
FACTS_WAIT_S = 8.0
"""Longest wait for this computer's ``system`` probe before going on without its facts."""


@dataclass
class PeerPlan:
    """Timing limits of one peer test. Tests may shorten them."""

    measure: Plan | None = None
    """Protocol timing (:class:`sessioncheck.rtc.measure.results.Plan`); None: the defaults."""
    connect_timeout_s: float = 10.0
    """Offer/answer and ICE + DTLS + data channels."""
    phase_timeout_s: float = 15.0
    """Longest wait for the other side to finish one phase."""
    exchange_timeout_s: float = 6.0
    """Longest wait for the other side's facts and results at the end."""
    join_wait_s: float | None = None
    """How long the therapist waits for the client; None: until the code expires."""


class PeerTest(Runner):
    """One side of a peer test: a run of the ``system`` and ``peer`` probes whose report is
    the combined one (:mod:`.combine`). ``await run()`` or ``async for event in events()``.

    Events: :class:`~sessioncheck.events.RoomCreated` (therapist: the code to read aloud),
    :class:`~sessioncheck.events.PeerJoined`, and the runner's ``ProbeStarted`` / ``Sample`` /
    ``Progress`` / ``ProbeFinished`` of ``system`` and ``peer``, ending with
    ``RunFinished(report)``. :attr:`report` is the combined report (not redacted: front ends
    redact before showing or saving, as with a check).
    """

    def __init__(
        self,
        role: Role,
        settings: Settings,
        server: str,
        *,
        code: str | None = None,
        plan: PeerPlan | None = None,
    ) -> None:
        from ..probes.system import SystemProbe

        plan = plan or PeerPlan()
        if settings.gentle:
            # a call may be running beside the test: capacity only up to a call's needs
            from ..rtc.measure.blast import GENTLE_MAX_KBPS
            from ..rtc.measure.results import Plan

            plan = replace(plan, measure=replace(plan.measure or Plan(), max_kbps=GENTLE_MAX_KBPS))
        self.session = PeerProbe(role, server, code=code, plan=plan)
        super().__init__([SystemProbe(), self.session], settings, host={}, needed=NEEDED_FOR_PEER)

    # what front ends and benchmarks read of the session
    @property
    def role(self) -> Role:
        return self.session.role

    @property
    def outcome(self) -> PeerOutcome:
        return self.session.outcome

    @property
    def detail(self) -> str:
        return self.session.detail

    @property
    def no_test_ran(self) -> bool:
        """The outcome is a refusal before any measurement (advice's ``NO_TEST_OUTCOMES``)."""
        from ..advice.verdict import no_test_ran

        return no_test_ran(self.outcome)

    @property
    def test_id(self) -> str | None:
        return self.session.test_id

    @property
    def code(self) -> str | None:
        return self.session.code

    @property
    def plan(self) -> PeerPlan:
        return self.session.plan

    @property
    def retry_after_s(self) -> float | None:
        return self.session.retry_after_s

    @property
    def timings(self) -> dict[str, float]:
        return self.session.timings

    def _compose(self, results: Sequence[ProbeResult]) -> Report:
        """Only the ``peer`` result: this side's ``system`` facts are inside it, beside the
        other side's, and both machines' facts are the report's ``host``."""
        peer = [r for r in results if r.probe == PeerProbe.id]
        return assemble_report(
            peer,
            host=combined_host(self.session.sides),
            created=self.session.created or self._created,
            needed=self.needed,
            interrupted=self._cancelled,
        )


class PeerProbe(Probe):
    """The ``peer`` probe: one side of the session, its measurements the combined result's.

    Open-ended: the therapist waits for the client as long as the code lives, and stopping
    the test is a normal end whose measurements are judged (``peer.outcome`` ``cancelled``).
    """

    id: ClassVar[str] = "peer"
    timeout_s: ClassVar[float | None] = None
    """Every wait inside is bounded by :class:`PeerPlan` or the room's expiry."""
    open_ended: ClassVar[bool] = True
    measure_after: ClassVar[tuple[str, ...]] = ("system",)
    """This computer's facts: waited for where they are needed (``ctx.ready_to_measure``)."""

    def __init__(self, role: Role, server: str, *, code: str | None = None, plan: PeerPlan | None = None) -> None:
        role = Role(role)
        if role is CLIENT and not code:
            raise ValueError("the client needs the code to join")
        self.role = role
        self.other = role.other
        self.server = server
        self.code = code
        self.plan = plan or PeerPlan()
        self.test_id: str | None = None
        self.created = ""
        """When the server paired the two sides (both copies' ``created``)."""
        self.outcome = PeerOutcome.OK
        self.detail = ""
        self.retry_after_s: float | None = None
        self.timings: dict[str, float] = {}
        """Monotonic times of milestones (``started``, ``paired``, ``connected``,
        ``first_measurement``, ``first_sample``, ``finished``) for benchmarks."""
        self.sides = {role: SideData(role), self.other: SideData(self.other)}
        self._ctx: ProbeContext | None = None
        self._room: RoomClient | None = None
        self._pc: RTCPeerConnection | None = None
        self._background: set[asyncio.Task[object]] = set()
        self._turn_url: str | None = None
        """The TURN URL the ICE check found working here, offered to aiortc first."""

    # --- recording ----------------------------------------------------------------------------

    @property
    def ctx(self) -> ProbeContext:
        assert self._ctx is not None, "the peer probe is not running"
        return self._ctx

    def record(self, key: str, value: Value, unit: str = "", samples: Iterable[float] | None = None) -> None:
        full = f"peer.{self.role}.{key}"
        mine = self.sides[self.role].measurements
        mine[:] = [m for m in mine if m.key != full]
        mine.append(Measurement(full, value, unit, None if samples is None else tuple(float(s) for s in samples)))
        self.timings.setdefault("first_measurement", time.monotonic())

    def sample(self, key: str, value: float, unit: str = "") -> None:
        self.timings.setdefault("first_sample", time.monotonic())
        self.ctx.sample(f"{self.role}.{key}", value, unit)

    def progress(self, fraction: float, note: str) -> None:
        self.ctx.progress(fraction, note)

    def _combined(self) -> list[Measurement]:
        extra = []
        if self.retry_after_s is not None:
            extra.append(Measurement("peer.retry_after_s", self.retry_after_s, "s"))
        return combined_measurements(self.test_id, self.sides, self.outcome, self.detail, extra)

    def _publish(self, ctx: ProbeContext) -> None:
        """The combined measurements become this probe's, with the duration both sides share."""
        self.timings["finished"] = time.monotonic()
        me = self.sides[self.role]
        if not me.reported:  # else: the duration both copies already share
            me.duration_s = self.timings["finished"] - self.timings.get("paired", self.timings["started"])
        me.reported = True  # this copy always holds our own measurements
        ctx.measurements[:] = self._combined()
        ctx.duration_s = combined_duration(self.sides)

    # --- the run ------------------------------------------------------------------------------

    async def run(self, ctx: ProbeContext) -> None:
        self._ctx = ctx
        self.timings["started"] = time.monotonic()
        self.sides[self.role].host = host_facts()
        try:
            await self._main(ctx)
        except asyncio.CancelledError:
            self._set_outcome(PeerOutcome.CANCELLED, "the test was stopped")
            raise
        except SignallingError as e:  # refused, ended by the other side or the server, unreachable
            self._set_outcome(PeerOutcome.of(e.outcome), e.detail)
            if isinstance(e, RoomRefused):
                self.retry_after_s = e.retry_after_s
        except TimeoutError:
            self._set_outcome(PeerOutcome.TIMED_OUT, "the test did not finish in time")
        except Exception as e:  # our bug or an unexpected environment: say so, keep results
            logger.exception("peer test broke")
            self._set_outcome(PeerOutcome.ERROR, f"{type(e).__name__}: {e}")
        finally:
            try:
                await self._cleanup()
            finally:
                self._publish(ctx)

    def _set_outcome(self, outcome: PeerOutcome, detail: str) -> None:
        if self.outcome is PeerOutcome.OK:
            self.outcome, self.detail = outcome, detail

    async def _cleanup(self) -> None:
        from ..rtc.peer import close_all

        for t in list(self._background):
            t.cancel()
        if self._pc is not None:
            await close_all(self._pc)
        if self._room is not None:
            await self._room.close()

    async def _system_facts(self, ctx: ProbeContext) -> None:
        """Wait (at most :data:`FACTS_WAIT_S`) for this computer's ``system`` probe."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.ready_to_measure(), FACTS_WAIT_S)
        system = ctx.dependencies.get("system")
        if system is not None:
            self.sides[self.role].system = list(system.measurements)

    async def _main(self, ctx: ProbeContext) -> None:
        s = ctx.settings
        # Local facts are taken while the other side is idle (the therapist waiting, the client
        # not yet joined), so neither sessioncheck's own work shows up as the other's busy CPU.
        if self.role is CLIENT:
            self.progress(0.01, "checking_system")
            await self._system_facts(ctx)
        self.progress(0.02, "contacting")
        self._room = room = await RoomClient.connect(self.server, ca_file=s.ca_file)
        if self.role is THERAPIST:
            info = await room.host(s.token)
            self.code = info.display
            ctx.emit(RoomCreated(info.code, info.display, info.expires_in_s))
            ordered = self._spawn(self._turn_order(ctx, s.ice_servers or info.ice_servers))
            self.progress(0.02, "waiting")
            paired = await room.wait_peer(self.plan.join_wait_s or info.expires_in_s + 5.0)
        else:
            assert self.code is not None
            paired = await room.join(self.code, s.token)
            ordered = self._spawn(self._turn_order(ctx, s.ice_servers or paired.ice_servers))
        ice = await ordered
        self.timings["paired"] = time.monotonic()
        self.test_id = paired.test_id
        self.created = paired.created
        ctx.emit(PeerJoined(paired.test_id, self.role))
        self.progress(0.05, "setting_up")
        await self._peer(room, ice)

    def _spawn(self, coro: Awaitable[T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _turn_order(self, ctx: ProbeContext, ice: Sequence[IceServer]) -> list[IceServer]:
        """The ICE servers with the TURN URL that answers from here first.

        aiortc relays only through the first TURN URL it is given: behind a firewall that
        blocks UDP a ``turn:…?transport=udp`` URL listed first leaves this side with no
        relay at all. With more than one TURN URL the servers are checked directly first,
        as ``check``'s ice probe does (at most ``ICE_CHECK_S``; with every server silent the
        order is left as the path probe's first attempt would have it)."""
        from ..probes.ice import IceProbe
        from ..probes.path import ice_attempts

        turn_urls = [u for server in ice for u in server.urls if u.strip().lower().startswith("turn")]
        if len(turn_urls) < 2:
            return list(ice)
        result: ProbeResult | None
        try:
            async with asyncio.timeout(ICE_CHECK_S):
                result = await ctx.run_probe(IceProbe(), replace(ctx.settings, ice_servers=tuple(ice)))
        except TimeoutError:
            result = None
        attempts = ice_attempts(ice, result)
        if len(attempts) == 1:  # the check found a TURN URL that works: it goes first
            self._turn_url = first_turn_url(attempts[0])
        return attempts[0]

    async def _guard(self, aw: Awaitable[T], timeout_s: float, what: str) -> T:
        """Await ``aw`` unless the test ends first (other side left, server gone, connection
        failed) or ``timeout_s`` passes."""
        room = self._room
        assert room is not None
        task = asyncio.ensure_future(aw)
        try:
            waiting: set[asyncio.Future[Any]] = {task, room.ended}
            done, _ = await asyncio.wait(waiting, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
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

    async def _peer(self, room: RoomClient, ice: list[IceServer]) -> None:
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
        sync_channel: asyncio.Future[SyncChannel] = asyncio.get_running_loop().create_future()
        started = time.monotonic()
        if self.role is CLIENT:  # the client offers
            pc.addTrack(audio)
            pc.addTrack(video)
            measurer = Measurer(pc, plan.measure, prefix=PREFIX[self.role], on_sample=self.sample)
            sync_channel.set_result(SyncChannel(pc.createDataChannel(SYNC_LABEL, ordered=True)))
            await pc.setLocalDescription(await pc.createOffer())
            await room.send({"type": "offer", "sdp": pc.localDescription.sdp})
            answer = await room.receive("answer", plan.connect_timeout_s)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=str(answer.get("sdp")), type="answer"))
        else:

            def on_channel(channel: RTCDataChannel) -> None:
                if channel.label == SYNC_LABEL and not sync_channel.done():
                    sync_channel.set_result(SyncChannel(channel))

            pc.on("datachannel", on_channel)
            offer = await room.receive("offer", plan.connect_timeout_s)
            if offer.get(OFFER_KIND_FIELD) == BROWSER:  # the page ``serve`` hosts at /join
                self.sides[CLIENT].kind = BROWSER
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=str(offer.get("sdp")), type="offer"))
            except Exception as e:
                raise TestEnded("protocol_error", f"the client's offer could not be used: {e}") from None
            pc.addTrack(audio)
            pc.addTrack(video)
            kind = ChannelMeasurer if self.sides[CLIENT].kind == BROWSER else Measurer
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
            record_pair(self.record, "", pair, ice)
        if self._turn_url is not None:
            self.record("turn_url", self._turn_url)
        relayed = pair is not None and "relay" in (pair.local_type, pair.remote_type)
        self.progress(0.1, "connected_relay" if relayed else "connected_direct")
        facts = self._spawn(self._send_facts(sync))
        try:
            await self._phases(measurer, sync, gate)
        except ResponderStopped as e:
            if room.ended.done():
                raise room.ended.result() from None
            raise TestEnded("peer_silent", f"the other side stopped answering: {e}") from None
        await facts
        await self._exchange(sync)

    async def _send_facts(self, sync: SyncChannel) -> None:
        await self._system_facts(self.ctx)
        me = self.sides[self.role]
        sync.send(
            {"op": "facts", "role": self.role, "host": redact_host(me.host), "system": measurements_to_wire(me.system)}
        )

    def _take_facts(self, msg: Message) -> None:
        other = self.sides[self.other]
        host = msg.get("host")
        if isinstance(host, dict):
            other.host = redact_host(
                {str(k): v for k, v in host.items() if v is None or isinstance(v, str | int | float | bool)}
            )
        other.system = measurements_from_wire(msg.get("system"), "system.")

    async def _phases(self, m: Measurer, sync: SyncChannel, gate: asyncio.Event) -> None:
        facts_task = self._spawn(sync.next("facts"))
        facts_task.add_done_callback(lambda t: None if t.cancelled() else self._take_facts(t.result()))
        timeout = self.plan.phase_timeout_s
        if self.role is THERAPIST:
            p = m.plan  # the timing, for a peer (a browser) that has no plan of its own
            sync.send(
                {
                    "op": "go",
                    "phase": "idle",
                    "plan": {
                        "ping_interval_s": p.ping_interval_s,
                        "throughput_max_s": p.throughput_max_s,
                        "throughput_min_s": p.throughput_min_s,
                        "window_s": p.window_s,
                        "loaded_ping_interval_s": p.loaded_ping_interval_s,
                        "media_s": p.media_s,
                    },
                }
            )
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

    async def _exchange(self, sync: SyncChannel) -> None:
        me = self.sides[self.role]
        me.reported = True
        me.duration_s = round(time.monotonic() - self.timings.get("paired", 0.0), 2)
        sync.send(
            {
                "op": "results",
                "role": self.role,
                "duration_s": me.duration_s,
                "measurements": measurements_to_wire(me.measurements),
            }
        )
        msg = await self._guard(sync.next("results"), self.plan.exchange_timeout_s, "send its results")
        other = self.sides[self.other]
        other.measurements = measurements_from_wire(msg.get("measurements"), f"peer.{self.other}.")
        other.reported = True
        duration = msg.get("duration_s")
        if isinstance(duration, int | float):
            other.duration_s = float(duration)
        from .browser import BROWSER

        if other.kind == BROWSER:  # a page has no catalogue: send it its own wording
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

        result = result_of(
            PeerProbe.id, self._combined(), self.ctx.settings.thresholds, duration_s=combined_duration(self.sides)
        )
        report = redact_report(
            assemble_report(
                [result],
                host=combined_host(self.sides),
                created=self.created,
                needed=NEEDED_FOR_PEER,
                interrupted=False,
            )
        )
        return {"verdict": report.verdict.value, "text": render_text(report, Audience.CLIENT)}

    # --- phases -------------------------------------------------------------------------------

    async def _idle(self, m: Measurer) -> None:
        self.progress(0.15, "idle")
        m.last_heard = time.monotonic()
        idle = await m.idle()
        record_idle(self.record, "", idle)
        for key, value in (("loss_up_pct", idle.loss_up_pct), ("loss_down_pct", idle.loss_down_pct)):
            if value is not None:
                self.record(key, round(value, 2), "%")

    async def _pings_only(self, m: Measurer, sync: SyncChannel) -> None:
        self.progress(0.15, "idle")
        m.last_heard = time.monotonic()
        t0 = time.monotonic()
        done = asyncio.Event()
        pinger = asyncio.ensure_future(m._ping_loop(m.plan.ping_interval_s, done))
        try:
            await self._guard(sync.next("done", phase="idle"), self.plan.phase_timeout_s, "finish the delay test")
        finally:
            done.set()
            pinger.cancel()
        await asyncio.sleep(0.1)  # the last answers
        record_pings(self.record, "", m.rtts_since(t0))

    async def _upload(self, m: Measurer) -> None:
        self.progress(0.35 if self.role is CLIENT else 0.6, f"{self.role}_upload")
        m.last_heard = time.monotonic()
        result = await m.upload()
        record_throughput(self.record, "", "up", result)
        idle = next((x.value for x in self.sides[self.role].measurements if x.key == f"peer.{self.role}.rtt_ms"), None)
        LoadedDelay(self.record, "", float(idle) if isinstance(idle, int | float) else None).add(
            "up", result.loaded_rtts_ms
        )
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
        record_media(self.record, "", await run_media(m, gate, m.plan.media_s))


def host(settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    """The therapist's side: open a room on ``server``; its code arrives as :class:`RoomCreated`."""
    return PeerTest(THERAPIST, settings, server, plan=plan)


def join(code: str, settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    """The client's side: join the room with ``code`` (any case, dashes optional).

    Raises :class:`~sessioncheck.peer.codes.BadCode` at once when ``code`` cannot be a code.
    """
    from .codes import normalise

    return PeerTest(CLIENT, settings, server, code=normalise(code), plan=plan)
