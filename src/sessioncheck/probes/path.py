"""``path``: the connection between this computer and the clinic's check server.

Connects to ``sessioncheck serve`` (``settings.server``: ``ws://``/``wss://`` URL, or
``local`` for a reflector started inside this process), then measures over WebRTC data
channels (see :mod:`sessioncheck.rtc.protocols`) and a short media leg. Everything is
recorded as soon as it is known, so a server that stops answering leaves partial results.

Measurement keys (all under ``path.``):

* ``server_kind`` (``remote``/``local``), ``outcome`` (``ok``, ``bad_url``,
  ``server_unreachable``, ``auth_failed``, ``busy``, ``protocol_error``, ``connect_failed``,
  ``server_stopped``), ``detail``, ``retry_after_s``, ``connect_s``
* ``candidate_type`` / ``remote_candidate_type`` (host, srflx, prflx, relay), ``transport``
* ``rtt_ms`` (median, with samples), ``rtt_p95_ms``, ``pings``, ``pings_lost_pct``
* ``jitter_up_ms``, ``jitter_down_ms`` (RFC 3550), ``loss_up_pct``, ``loss_down_pct``
* ``up_kbps``, ``down_kbps``, ``loaded_rtt_up_ms``, ``loaded_rtt_down_ms``,
  ``loaded_rtt_delta_ms`` (worst of the two minus idle median)
* ``media.audio_*`` / ``media.video_*``: what the far side received of our audio and 720p
  video: packets, loss %, jitter (ms), frames decoded, and our send bitrate.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from typing import TYPE_CHECKING, Any, ClassVar

from ..advice import catalogue
from .base import Probe, ProbeContext, ProbeSkipped

if TYPE_CHECKING:
    from ..rtc.protocols import Measurer, Plan

CONNECT_TIMEOUT_S = 8.0


class PathProbe(Probe):
    id: ClassVar[str] = "path"
    title: ClassVar[str] = "Your connection to the clinic"
    timeout_s: ClassVar[float] = 20.0
    plan: Plan | None = None
    """Timing override (tests shorten it); None uses the protocol defaults."""

    async def run(self, ctx: ProbeContext) -> None:
        server = (ctx.settings.server or "").strip()
        if not server:
            raise ProbeSkipped(catalogue.phrase("skip.path_no_server"))
        from ..server.client import SignallingError

        embedded = None
        local = server.lower() == "local"
        ctx.record("path.server_kind", "local" if local else "remote")
        try:
            if local:
                from ..server.app import ServerConfig, start_server

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
        from aiortc import RTCSessionDescription

        from ..rtc.peer import PeerConnectError, close_all, make_peer, selected_pair, wait_connected
        from ..rtc.protocols import Measurer, ResponderStopped, make_media_sources
        from ..server.client import Signalling

        started = time.monotonic()
        ctx.progress(0.02, "contacting the check server")
        sig, welcome = await Signalling.connect(url, ctx.settings.token, ca_file=ctx.settings.ca_file)
        pc = make_peer(ctx.settings.ice_servers or welcome.ice_servers)
        watcher: asyncio.Task[str] | None = None
        try:
            measurer = Measurer(pc, self.plan, on_sample=ctx.sample)
            audio, video, gate = make_media_sources()
            pc.addTrack(audio)
            pc.addTrack(video)
            await pc.setLocalDescription(await pc.createOffer())
            answer = await sig.exchange(pc.localDescription.sdp, CONNECT_TIMEOUT_S)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            try:
                await wait_connected(pc, CONNECT_TIMEOUT_S)
                from ..rtc.peer import wait_open

                for ch in (measurer.ctl, measurer.probe, measurer.bulk):
                    await wait_open(ch, CONNECT_TIMEOUT_S)
            except PeerConnectError as e:
                ctx.record("path.outcome", "connect_failed")
                ctx.record("path.detail", str(e))
                return
            watcher = asyncio.ensure_future(sig.watch())
            watcher.add_done_callback(
                lambda t: measurer.stop(t.result() if not t.cancelled() and t.exception() is None
                                        else "the server closed the signalling connection")
            )
            ctx.record("path.connect_s", round(time.monotonic() - started, 3), "s")
            pair = selected_pair(pc)
            if pair is not None:
                ctx.record("path.candidate_type", pair.local_type)
                ctx.record("path.remote_candidate_type", pair.remote_type)
                ctx.record("path.transport", _transport(pair.local_type, pair.transport, pc))
            ctx.progress(0.1, "connected to the check server")
            try:
                await self._phases(ctx, measurer, gate)
            except ResponderStopped as e:
                ctx.record("path.outcome", "server_stopped")
                ctx.record("path.detail", str(e))
                return
            ctx.record("path.outcome", "ok")
            ctx.progress(1.0, "done")
        finally:
            if watcher is not None:
                watcher.cancel()
            await sig.close()
            await close_all(pc)

    async def _phases(self, ctx: ProbeContext, m: Measurer, gate: asyncio.Event) -> None:
        from ..rtc.protocols import percentile, run_media

        idle = await m.idle()
        ctx.record("path.pings", len(idle.rtts_ms), "count")
        if idle.pings_sent:
            lost = 100.0 * (idle.pings_sent - len(idle.rtts_ms)) / idle.pings_sent
            ctx.record("path.pings_lost_pct", round(lost, 2), "%")
        idle_median: float | None = None
        if idle.rtts_ms:
            idle_median = statistics.median(idle.rtts_ms)
            ctx.record("path.rtt_ms", round(idle_median, 2), "ms", [round(r, 3) for r in idle.rtts_ms])
            ctx.record("path.rtt_p95_ms", round(percentile(idle.rtts_ms, 95), 2), "ms")
        for key, value in (
            ("path.jitter_up_ms", idle.jitter_up_ms),
            ("path.jitter_down_ms", idle.jitter_down_ms),
        ):
            if value is not None:
                ctx.record(key, round(value, 2), "ms")
        for key, value in (("path.loss_up_pct", idle.loss_up_pct), ("path.loss_down_pct", idle.loss_down_pct)):
            if value is not None:
                ctx.record(key, round(value, 2), "%")
        ctx.record("path.paced_packets", idle.paced_up_sent, "count")
        ctx.progress(0.3, "delay, jitter and loss measured")

        deltas: list[float] = []
        for direction, phase in (("up", m.upload), ("down", m.download)):
            result = await phase()
            ctx.record(f"path.{direction}_kbps", round(result.kbps, 1), "kbps",
                       [round(r, 1) for r in result.windows_kbps])
            ctx.record(f"path.{direction}_test_s", round(result.duration_s, 2), "s")
            if result.loaded_rtts_ms:
                loaded = statistics.median(result.loaded_rtts_ms)
                ctx.record(f"path.loaded_rtt_{direction}_ms", round(loaded, 2), "ms",
                           [round(r, 3) for r in result.loaded_rtts_ms])
                if idle_median is not None:
                    deltas.append(loaded - idle_median)
                    ctx.record("path.loaded_rtt_delta_ms", round(max(0.0, max(deltas)), 2), "ms")
            ctx.progress(0.55 if direction == "up" else 0.8, f"{direction}load speed measured")
            await asyncio.sleep(0.1)  # let the queue drain between directions

        media = await run_media(m, gate, m.plan.media_s)
        self._record_media(ctx, media.seconds, media.sent, media.received)

    def _record_media(
        self, ctx: ProbeContext, seconds: float, sent: dict[str, dict[str, int]], received: dict[str, Any]
    ) -> None:
        ctx.record("path.media.seconds", seconds, "s")
        for kind in ("audio", "video"):
            s = sent.get(kind, {})
            r = received.get(kind)
            if s:
                ctx.record(f"path.media.{kind}_sent_kbps", round(s["bytes_sent"] * 8 / 1000 / seconds, 1), "kbps")
                ctx.record(f"path.media.{kind}_packets_sent", s["packets_sent"], "count")
            if not isinstance(r, dict):
                continue
            got = int(r.get("packets_received") or 0)
            lost = int(r.get("packets_lost") or 0)
            ctx.record(f"path.media.{kind}_packets_received", got, "count")
            if got + lost:
                ctx.record(f"path.media.{kind}_loss_pct", round(100.0 * lost / (got + lost), 2), "%")
            if isinstance(r.get("jitter_ms"), int | float):
                ctx.record(f"path.media.{kind}_jitter_ms", round(float(r["jitter_ms"]), 2), "ms")
            ctx.record(f"path.media.{kind}_frames", int(r.get("frames") or 0), "count")
            if kind == "video":
                if r.get("width"):
                    ctx.record("path.media.video_resolution", f"{r['width']}x{r['height']}")
                ctx.record("path.media.video_fps", round(int(r.get("frames") or 0) / seconds, 1), "fps")


def _transport(local_type: str, transport: str, pc: Any) -> str:
    """udp, tcp, or for a relay candidate the transport to the TURN server (tcp/tls)."""
    if local_type != "relay":
        return transport
    with contextlib.suppress(AttributeError):
        connection = pc.sctp.transport.transport._connection
        pair = connection._nominated.get(1)
        protocol = pair.protocol
        turn = getattr(protocol, "turn_transport", None) or getattr(protocol, "transport", None)
        name = type(getattr(protocol, "client", protocol)).__name__.lower()
        if "tcp" in name or "tcp" in str(turn).lower():
            return "tcp"
    return transport
