"""``path``: the connection between this computer and the clinic's check server.

Connects to ``sessioncheck serve`` (``settings.server``: ``ws://``/``wss://`` URL, or
``local`` for a reflector started inside this process), then measures over WebRTC data
channels (see :mod:`sessioncheck.rtc.measure`) and a short media leg. Everything is
recorded as soon as it is known, so a server that stops answering leaves partial results.

Measurement keys (all under ``path.``):

* ``server_kind`` (``remote``/``local``), ``outcome`` (``ok``, ``bad_url``,
  ``server_unreachable``, ``auth_failed``, ``busy``, ``protocol_error``, ``connect_failed``,
  ``server_stopped``), ``detail``, ``retry_after_s``, ``connect_s``
* ``candidate_type`` / ``remote_candidate_type`` (host, srflx, prflx, relay), ``transport``
* ``turn_url`` (the TURN URL given to aiortc first), ``connect_attempts``
* ``rtt_ms`` (median, with samples), ``rtt_p95_ms``, ``pings``, ``pings_lost_pct``: pings
  sent on a quiet path (``Plan.quiet_pings``) before any paced packet
* ``jitter_up_ms``, ``jitter_down_ms`` (RFC 3550, paced packets every 5 ms), ``paced_packets``
* ``loss_up_pct``, ``loss_down_pct``: lost share of every sequence-numbered packet counted
  in that direction: the paced packets plus a loss stream at 40 % of the measured capacity
  (at most 2000 packets/s) while that direction is otherwise idle (upload: during the
  download test; download: during the media leg); ``loss_up_packets``,
  ``loss_down_packets``: how many packets the figure is based on
* ``up_kbps``, ``down_kbps`` (IP layer), ``up_test_s``, ``down_test_s``,
  ``up_kbps_capped``/``down_kbps_capped`` (True: a process's CPU, not the link, limited the
  rate, so it is a lower bound; ``up_kbps_capped_why``/``down_kbps_capped_why`` say why),
  ``loaded_rtt_up_ms``, ``loaded_rtt_down_ms``,
  ``loaded_rtt_delta_ms`` (worst of the two minus idle median)
* ``loaded_rtt_not_judged``: why the delay under load is not a verdict on the network's
  queue (set on TCP/TLS relays, whose own buffers fill under a saturating test)
* ``media.audio_*`` / ``media.video_*``: what the far side received of our audio and 720p
  video: packets, loss %, jitter (ms), frames decoded, and our send bitrate;
  ``media.video_target_kbps``: what the encoder aimed at (70 % of the measured upload).
* what sending that video cost this computer (``probes.media_loop.SendMeter``; judged by
  ``advice.media_loop``): ``media.target_fps``, ``media.video_encode_fps``,
  ``media.video_encode_ms``, ``media.cpu_pct``, ``media.cpu_headroom_pct``,
  ``media.top_processes``; below 12 frames per second also ``media.fps_480p``,
  ``media.encode_ms_480p``, ``media.decode_ms_480p`` (the in-memory 480p loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from ..advice import catalogue
from ..model import ProbeResult
from ..settings import IceServer, parse_ice_url
from .base import Probe, ProbeContext, ProbeSkipped
from .recorders import LoadedDelay, first_turn_url, record_idle, record_media, record_pair, record_throughput

if TYPE_CHECKING:
    from ..rtc.cpuwatch import PhaseCpu
    from ..rtc.measure.measurer import Measurer
    from ..rtc.measure.results import LossCount, Plan, ThroughputResult
    from ..signalling import Signalling

CONNECT_TIMEOUT_S = 8.0
FALLBACK_ATTEMPT_S = 4.0
"""When the ice probe did not say which TURN URL works, each URL but the last gets this
long to connect before a fresh connection tries the next (aiortc uses only the first
TURN URL it is given)."""
NEGOTIATED_ID = 0
"""With a server that announces ``negotiated_channels``, the measurement channels are
negotiated out of band on SCTP streams 0-2 (the offer message tells the reflector): they
open with SCTP, a round trip sooner, and no channel open message can be lost on the way."""
MEDIA_SHARE = 0.7
"""The media leg's video aims at this share of the measured upload (at most 1.5 Mbit/s)."""
MEDIA_MIN_BPS = 50_000
_TRANSPORT_ORDER = {"udp": 0, "tcp": 1, "tls": 2}
STREAM_LOSS_UP = 5
STREAM_LOSS_DOWN = 6
"""Stream ids of the loss-counting streams (1-4: paced and capacity streams)."""
LOSS_PHASES_DOWN = ("idle", "extra", "media")
"""Phases (``Measurer.cpu``) in which this computer receives download loss packets."""
LOSS_STREAM_MAX_S = 4.0
"""The upload loss stream never outlasts this (it stops when the download test ends)."""
LOADED_RTT_TCP_RELAY = "tcp_relay"
"""Why ``path.loaded_rtt_delta_ms`` is not judged as bufferbloat on a TCP/TLS relay (a code)."""
STALE_WAIT_S = 8.0
"""Connected, the probe waits for the device tests (``measure_after``; about 4 s) before it
measures. After a wait longer than this it connects again: the server's time for one test
(30 s by default, counted from the hello) may not leave enough for a slow path's ~15 s."""


class _Stale(Exception):
    """Connected too long ago: connect again before measuring."""


class PathProbe(Probe):
    id: ClassVar[str] = "path"
    timeout_s: ClassVar[float] = 30.0
    """Normal links finish in about 10 s; a satellite link (600 ms RTT) needs ~20 s."""
    after: ClassVar[tuple[str, ...]] = ("ice",)
    """The ice probe says which TURN URL works: connect with that one."""
    measure_after: ClassVar[tuple[str, ...]] = ("camera", "microphone", "speaker", "loopback")
    """The device tests and loopback load the processor: connect while they run (signalling,
    ICE, DTLS and SCTP are mostly waiting), measure after them."""
    plan: Plan | None = None
    """Timing override (tests shorten it); None uses the protocol defaults."""

    async def run(self, ctx: ProbeContext) -> None:
        server = (ctx.settings.server or "").strip()
        if not server:
            raise ProbeSkipped(catalogue.phrase("skip.path_no_server"))
        from ..signalling import SignallingError

        embedded = None
        local = server.lower() == "local"
        ctx.record("path.server_kind", "local" if local else "remote")
        try:
            if local:
                from ..server.app import start_server
                from ..server.config import ServerConfig

                embedded = await start_server(
                    ServerConfig(host="127.0.0.1", port=0, ice_servers=ctx.settings.ice_servers)
                )
                url = embedded.url
            else:
                url = server
            await self._measure(ctx, url)
        except SignallingError as e:
            ctx.record("path.outcome", e.outcome)
            ctx.record("path.detail", e.detail)
            if e.retry_after_s is not None:
                ctx.record("path.retry_after_s", e.retry_after_s, "s")
        finally:
            if embedded is not None:
                await embedded.stop()

    async def _measure(self, ctx: ProbeContext, url: str) -> None:
        from ..rtc.peer import preload_aiortc
        from ..signalling import Signalling

        started = time.monotonic()
        ctx.progress(0.02, "contacting")
        # a path-only check has not imported aiortc yet: meanwhile, not after
        loading = asyncio.ensure_future(asyncio.to_thread(preload_aiortc))
        try:
            sig, welcome = await Signalling.connect(url, ctx.settings.token, ca_file=ctx.settings.ca_file)
        finally:
            await loading
        attempts = ice_attempts(ctx.settings.ice_servers or welcome.ice_servers, ctx.dependencies.get("ice"))
        negotiated = NEGOTIATED_ID if welcome.negotiated_channels else None
        for i, servers in enumerate(attempts):
            last = i == len(attempts) - 1
            turn = first_turn_url(servers)
            if turn is not None:
                ctx.record("path.turn_url", turn)
            ctx.record("path.connect_attempts", i + 1, "count")
            if i > 0:
                sig, _ = await Signalling.connect(url, ctx.settings.token, ca_file=ctx.settings.ca_file)
            while True:
                try:
                    done = await self._attempt(
                        ctx, sig, servers, started, CONNECT_TIMEOUT_S if last else FALLBACK_ATTEMPT_S, last, negotiated
                    )
                    break
                except _Stale:  # the other tests took so long that the server's time may run out
                    sig, _ = await Signalling.connect(url, ctx.settings.token, ca_file=ctx.settings.ca_file)
            if done:
                return

    async def _attempt(
        self,
        ctx: ProbeContext,
        sig: Signalling,
        servers: list[IceServer],
        started: float,
        timeout_s: float,
        last: bool,
        negotiated: int | None,
    ) -> bool:
        """One connection with ``servers``; False when it did not connect and not ``last``.
        ``negotiated``: the first SCTP stream of out-of-band channels, or None (in-band)."""
        from aiortc import RTCSessionDescription

        from ..rtc.measure.core import ResponderStopped
        from ..rtc.measure.measurer import Measurer
        from ..rtc.measure.media import make_media_sources
        from ..rtc.peer import PeerConnectError, close_all, make_peer, selected_pair, wait_connected, wait_open
        from .media_loop import SendMeter

        pc = make_peer(servers)
        watcher: asyncio.Task[str] | None = None
        try:
            measurer = Measurer(pc, self._plan(ctx), negotiated_id=negotiated, on_sample=ctx.sample)
            audio, video, gate = make_media_sources()
            sending = SendMeter()  # what encoding 720p costs this computer (media_loop's question)
            pc.addTrack(audio)
            pc.addTrack(sending.wrap(video))
            deadline = time.monotonic() + timeout_s
            try:
                async with asyncio.timeout(timeout_s + CONNECT_TIMEOUT_S):
                    # gathering through a blocked TURN URL can itself take seconds
                    await pc.setLocalDescription(await pc.createOffer())
                answer = await sig.exchange(pc.localDescription.sdp, CONNECT_TIMEOUT_S, negotiated)
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                await wait_connected(pc, max(1.0, deadline - time.monotonic()))
                for ch in (measurer.ctl, measurer.probe, measurer.bulk):
                    await wait_open(ch, CONNECT_TIMEOUT_S)
            except (PeerConnectError, TimeoutError) as e:
                if not last:
                    return False
                ctx.record("path.outcome", "connect_failed")
                ctx.record("path.detail", str(e) or f"no connection after {timeout_s:g} s")
                return True
            watcher = asyncio.ensure_future(sig.watch())
            watcher.add_done_callback(
                lambda t: measurer.stop(
                    t.result()
                    if not t.cancelled() and t.exception() is None
                    else "the server closed the signalling connection"
                )
            )
            ctx.record("path.connect_s", round(time.monotonic() - started, 3), "s")
            pair = selected_pair(pc)
            relay_tcp = False
            if pair is not None:
                transport = record_pair(ctx.record, "path.", pair, servers)
                relay_tcp = pair.local_type == "relay" and transport in ("tcp", "tls")
            ctx.progress(0.1, "connected")
            if await ctx.ready_to_measure() > STALE_WAIT_S:
                raise _Stale
            try:
                await self._phases(ctx, measurer, gate, relay_tcp)
            except ResponderStopped as e:
                ctx.record("path.outcome", "server_stopped")
                ctx.record("path.detail", str(e))
                return True
            await sending.record(ctx, "path.media", ctx.settings.camera)
            ctx.record("path.outcome", "ok")
            ctx.progress(1.0, "done")
            return True
        finally:
            if watcher is not None:
                watcher.cancel()
            await sig.close()
            await close_all(pc)

    def _plan(self, ctx: ProbeContext) -> Plan | None:
        """``settings.gentle`` (a call may be running): capacity tests stop at the gentle cap."""
        if not ctx.settings.gentle:
            return self.plan
        from dataclasses import replace

        from ..rtc.measure.blast import GENTLE_MAX_KBPS
        from ..rtc.measure.results import Plan

        plan = replace(self.plan or Plan(), max_kbps=GENTLE_MAX_KBPS)
        ctx.record("path.capacity_cap_kbps", plan.max_kbps, "kbps")
        return plan

    async def _phases(self, ctx: ProbeContext, m: Measurer, gate: asyncio.Event, relay_tcp: bool) -> None:
        """``relay_tcp``: relayed over TCP/TLS, where delay under load is not judged."""
        from ..rtc.measure.media import VIDEO_BITRATE, run_media
        from ..rtc.measure.timing import LOSS_EXTEND_MAX_S, drain_wait_s, loss_stream_pps
        from ..rtc.measure.wire import STREAM_PACED_UP

        idle = await m.idle()
        idle_median = record_idle(ctx.record, "path.", idle)
        # loss from the paced packets now (kept if the server stops later); refined below
        loss_up, loss_down = idle.loss_up, idle.loss_down
        self._record_loss(ctx, loss_up, loss_down)
        ctx.progress(0.3, "idle_measured")

        if relay_tcp:
            ctx.record("path.loaded_rtt_not_judged", LOADED_RTT_TCP_RELAY)
        loaded = LoadedDelay(ctx.record, "path.", idle_median)
        rates: dict[str, float] = {}

        def record_capacity(direction: str, result: ThroughputResult) -> None:
            record_throughput(ctx.record, "path.", direction, result)
            ctx.record(f"path.{direction}_kbps_capped", result.capped)
            if result.capped:
                ctx.record(f"path.{direction}_kbps_capped_why", result.capped_why)
            if result.socket_drops is not None:
                ctx.record(f"path.{direction}_socket_drops", result.socket_drops, "count")
            rates[direction] = result.kbps
            loaded.add(direction, result.loaded_rtts_ms)
            ctx.progress(0.55 if direction == "up" else 0.8, f"{direction}_measured")

        record_capacity("up", await m.upload())
        # the upload is idle while the download is measured: count its loss meanwhile
        stop = asyncio.Event()
        up_pps = loss_stream_pps(rates.get("up"))
        up_stream = asyncio.ensure_future(
            m.send_stream(STREAM_LOSS_UP, up_pps, stop, LOSS_STREAM_MAX_S + LOSS_EXTEND_MAX_S)
        )
        try:
            # the media leg sends up only: it need not wait for the download's queue to
            # drain (pongs still in it are read after the media leg)
            down = await m.download(drain=False)
            t_down = time.monotonic()
            record_capacity("down", down)
            down_drain = drain_wait_s(down.loaded_rtts_ms)
            down_pps = loss_stream_pps(rates.get("down"))
            # too few packets for ±1 point at the loss seen so far (a slow link's streams
            # are thin)? Both loss streams go on a little before the media leg.
            extend = 0.0
            if up_pps > 0:
                short_up = (loss_up + await m.stream_progress(STREAM_LOSS_UP)).short_by
                extend = short_up / up_pps
            if down_pps > 0:
                planned = down_pps * max(0.0, m.plan.media_s - down_drain)
                extend = max(extend, (loss_down.short_by - planned) / down_pps)
            extend = min(LOSS_EXTEND_MAX_S, max(0.0, extend - (time.monotonic() - t_down)))
            ctx.record("path.loss_extra_s", round(extend, 2), "s")
            t_media = time.monotonic() + extend

            async def down_loss_stream() -> None:
                # not into the download test's queue while it drains: the first 60 ms of the
                # stream were dropped there (4.4 % "loss" on clean fibre)
                await asyncio.sleep(max(0.0, t_down + down_drain - time.monotonic()))
                m.request_stream(STREAM_LOSS_DOWN, down_pps, t_media + m.plan.media_s - time.monotonic())

            down_stream = asyncio.ensure_future(down_loss_stream())
            if extend > 0:
                m.cpu.phase("extra")
                await m.guard(asyncio.sleep(extend))
        finally:
            stop.set()
            up_sent = await up_stream

        # after the other measurements (no competing traffic for them), at a rate that fits;
        # the download is idle meanwhile (media only goes up): count its loss
        up = rates.get("up") or 0.0
        bitrate = int(min(VIDEO_BITRATE, max(MEDIA_MIN_BPS, MEDIA_SHARE * up * 1000.0)))
        ctx.record("path.media.video_target_kbps", round(bitrate / 1000.0, 1), "kbps")

        # the upload loss stream ended with the download test: ask for its count meanwhile
        up_report = asyncio.ensure_future(m.stream_sent_report(STREAM_LOSS_UP, up_sent))
        try:
            media = await run_media(m, gate, m.plan.media_s, video_bitrate=bitrate)
            record_media(ctx.record, "path.", media)
            loss_up = loss_up + await m.guard(up_report)
        finally:
            up_report.cancel()
            down_stream.cancel()
        loaded.add("down", m.rtts_since(*down.loaded_span))
        paced_down, jitter_down = m.paced_down(idle.paced_up_sent)
        if jitter_down is not None:
            ctx.record("path.jitter_down_ms", round(jitter_down, 2), "ms")
        loss_down = paced_down + m.stream_received(STREAM_LOSS_DOWN)
        # packets that crossed the link but that a busy receiver's socket dropped are not
        # the link's loss: count them as received, and say how many there were
        phases = m.cpu.stop()
        here = sum(p.drops or 0 for p in phases if p.name in LOSS_PHASES_DOWN)
        server = sum(int(m.responder_cpu.get(s, {}).get("drops", 0)) for s in (STREAM_PACED_UP, STREAM_LOSS_UP))
        ctx.record("path.loss_down_socket_drops", here, "count")
        ctx.record("path.loss_up_socket_drops", server, "count")
        self._record_loss(ctx, loss_up.recovered(server), loss_down.recovered(here))
        self._record_cpu(ctx, m, phases)

    def _record_loss(self, ctx: ProbeContext, up: LossCount, down: LossCount) -> None:
        for direction, count in (("up", up), ("down", down)):
            if count.pct is not None:
                ctx.record(f"path.loss_{direction}_pct", round(count.pct, 2), "%")
                ctx.record(f"path.loss_{direction}_packets", count.sent, "count")
                ci = count.interval()
                if ci is not None:
                    ctx.record(f"path.loss_{direction}_ci_low_pct", round(ci[0], 2), "%")
                    ctx.record(f"path.loss_{direction}_ci_high_pct", round(ci[1], 2), "%")

    def _record_cpu(self, ctx: ProbeContext, m: Measurer, phases: list[PhaseCpu]) -> None:
        """How much CPU this computer (and the server, for what it received) gave the test,
        per phase: a starved measurer fakes loss, jitter and delay (see ``rtc.cpuwatch``)."""
        for phase in phases:
            base = f"path.cpu.{phase.name}"
            ctx.record(f"{base}.busy_pct", round(100.0 * phase.busy, 1), "%")
            if phase.waited is not None:
                ctx.record(f"{base}.wait_pct", round(100.0 * phase.waited, 1), "%")
            if phase.lag_p95_ms is not None:
                ctx.record(f"{base}.lag_p95_ms", phase.lag_p95_ms, "ms")
            if phase.drops is not None:
                ctx.record(f"{base}.drops", phase.drops, "count")
        server = m.responder_cpu.values()
        waits = [c["waited"] for c in server if "waited" in c]
        if waits:
            ctx.record("path.server_cpu_wait_pct", round(100.0 * max(waits), 1), "%")


def _url_transport(url: str) -> str:
    try:
        return parse_ice_url(url).transport
    except ValueError:
        return "udp"


def ice_attempts(servers: Sequence[IceServer], ice: ProbeResult | None) -> list[list[IceServer]]:
    """The ICE server lists to try, in order, each with one TURN URL first.

    aiortc uses only the first TURN URL it is given. With the ice probe's result, the
    TURN URL that worked (udp before tcp before tls) goes first and is the only attempt.
    Without it, one attempt per TURN URL, UDP first and TCP/TLS last, so a network that
    blocks UDP still gets through on a later attempt. STUN URLs stay in every attempt.
    """
    stun: list[IceServer] = []
    turn: list[tuple[str, IceServer]] = []
    for s in servers:
        for u in s.urls:
            single = IceServer(urls=(u,), username=s.username, credential=s.credential)
            if u.strip().lower().startswith("turn"):
                turn.append((u, single))
            else:
                stun.append(single)
    if not turn:
        return [list(servers)]
    turn.sort(key=lambda t: _TRANSPORT_ORDER.get(_url_transport(t[0]), 3))
    if ice is not None:
        values = {m.key: m.value for m in ice.measurements}
        worked = {
            str(values.get(f"ice.check{i}.url"))
            for i in range(64)
            if values.get(f"ice.check{i}.kind") == "turn" and values.get(f"ice.check{i}.outcome") == "ok"
        }
        good = [t for t in turn if t[0] in worked]
        if good:
            first = good[0]
            return [stun + [first[1]] + [t[1] for t in turn if t is not first]]
    return [stun + [t[1]] + [o[1] for o in turn if o is not t] for t in turn]
