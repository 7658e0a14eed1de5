"""Pins every aiortc / aioice behaviour that :mod:`sessioncheck.rtc.aiortc_private` relies on.

Real peers on this machine, no mocks. When aiortc or aioice is upgraded and one of these
fails, the private attribute it names moved: fix ``aiortc_private`` (the only module that
touches them), then update ``VERIFIED`` there and the bound in ``pyproject.toml``.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from aiortc import RTCDataChannel, RTCPeerConnection

from sessioncheck.rtc import aiortc_private as ap
from sessioncheck.rtc.cpuwatch import DropCounter
from sessioncheck.rtc.measure.meters import BlastMeter, FrameCounter
from sessioncheck.rtc.measure.wire import BLAST_HEADER, BLAST_MAGIC, BLAST_SIZE, PROBE_MAGIC, WIRE_OVERHEAD
from sessioncheck.rtc.peer import (
    SCTP_RTO_INITIAL_S,
    SCTP_RTO_MIN_S,
    close_all,
    make_peer,
    negotiate,
    selected_pair,
    wait_connected,
    wait_open,
)

WAIT_S = 5.0


async def until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Await ``condition`` (checked every few ms), failing with ``what`` after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.005)
    except TimeoutError:
        pytest.fail(f"{what}: not within {timeout_s:g} s")


@dataclass
class Pair:
    offerer: RTCPeerConnection
    answerer: RTCPeerConnection
    sent: RTCDataChannel
    """The offerer's unreliable channel."""
    got: RTCDataChannel
    """The answerer's end of it."""


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    offerer, answerer = make_peer(), make_peer()
    arrived: asyncio.Future[RTCDataChannel] = asyncio.get_running_loop().create_future()
    answerer.on("datachannel", lambda ch: arrived.done() or arrived.set_result(ch))
    sent = offerer.createDataChannel("probe", ordered=False, maxRetransmits=0)
    try:
        await negotiate(offerer, answerer)
        await wait_connected(offerer)
        await wait_open(sent)
        async with asyncio.timeout(WAIT_S):
            got = await arrived
        yield Pair(offerer, answerer, sent, got)
    finally:
        await close_all(offerer, answerer)


def test_installed_versions_are_the_verified_ones() -> None:
    from importlib.metadata import version

    def minor(v: str) -> tuple[int, int]:
        major, minor_, *_ = v.split(".")
        return int(major), int(minor_)

    for package, (low, high) in ap.VERIFIED.items():
        installed = version(package)
        assert minor(low) <= minor(installed) <= minor(high), (
            f"{package} {installed} is outside the verified {low}-{high}: run this module, fix "
            "aiortc_private, then update VERIFIED and the bound in pyproject.toml"
        )


# --- the DTLS transport: raw records and receive counters -------------------------------------


async def test_raw_probe_records_travel_beside_sctp_and_reach_the_tap(pair: Pair) -> None:
    got: list[tuple[bytes, float]] = []

    async def handler(packet: bytes, arrived_ms: float) -> None:
        got.append((packet, arrived_ms))

    assert ap.dtls_transport(pair.sent) is pair.offerer.sctp.transport  # type: ignore[union-attr]
    assert ap.install_probe_tap(pair.got, handler)
    assert ap.install_probe_tap(pair.got, handler)  # idempotent: one handler, not two
    assert ap.probe_tap_installed(pair.got)
    assert not ap.probe_tap_installed(pair.sent)
    rx0 = ap.transport_rx(pair.got)
    assert rx0 is not None and rx0[1] > 0  # the handshake and SCTP's set-up were counted
    assert await ap.send_raw_probe(pair.sent, b"ping-1")
    await until(lambda: len(got) >= 1, "the raw probe arrived")
    assert [p for p, _ in got] == [b"ping-1"]  # magic stripped, delivered once
    rx1 = ap.transport_rx(pair.got)
    assert rx1 is not None
    # IP bytes: the DTLS record (PROBE_MAGIC + payload + 37 bytes of DTLS) plus 28 of IP/UDP
    assert rx1[1] - rx0[1] >= 1
    assert rx1[0] - rx0[0] >= len(PROBE_MAGIC + b"ping-1") + WIRE_OVERHEAD
    # SCTP still works beside the tap
    echoed: asyncio.Future[str | bytes] = asyncio.get_running_loop().create_future()
    pair.got.on("message", lambda m: echoed.done() or echoed.set_result(m))
    pair.sent.send(b"through sctp")
    async with asyncio.timeout(WAIT_S):
        assert await echoed == b"through sctp"


async def test_blast_records_are_counted_and_dropped_before_sctp(pair: Pair) -> None:
    meters = {3: BlastMeter(channel=pair.got)}
    others = {3: BlastMeter()}
    assert ap.install_blast_tap(pair.got, meters)
    assert ap.install_blast_tap(pair.got, meters)  # idempotent
    assert ap.install_blast_tap(pair.got, others)  # a second side on the same transport
    send = ap.dtls_sender(pair.sent)
    assert send is not None
    pad = b"\x00" * (BLAST_SIZE - BLAST_HEADER.size)
    for seq in range(10):
        await send(BLAST_HEADER.pack(BLAST_MAGIC, 3, seq, 1000.0 + seq) + pad)
    await send(BLAST_HEADER.pack(BLAST_MAGIC, 9, 0, 0.0) + pad)  # a stream nobody counts
    await until(lambda: meters[3].packets >= 10, "ten blast packets counted")
    assert (meters[3].packets, meters[3].seq, meters[3].sent_ms) == (10, 9, 1009.0)
    assert meters[3].bytes == 10 * (BLAST_SIZE + WIRE_OVERHEAD)
    assert others[3].packets == 10
    snap = meters[3].snapshot()
    assert snap["all_bytes"] >= snap["bytes"]  # the transport's own count, with everything else
    # nothing reached SCTP: a data-channel message still arrives, and no error closed it
    echoed: asyncio.Future[str | bytes] = asyncio.get_running_loop().create_future()
    pair.got.on("message", lambda m: echoed.done() or echoed.set_result(m))
    pair.sent.send("after the blast")
    async with asyncio.timeout(WAIT_S):
        assert await echoed == "after the blast"
    assert pair.got.readyState == "open"


async def test_helpers_degrade_quietly_without_a_transport() -> None:
    assert ap.dtls_transport(None) is None
    assert ap.dtls_sender(None) is None
    assert ap.transport_rx(None) is None
    assert not await ap.send_raw_probe(None, b"x")


# --- SCTP timers -------------------------------------------------------------------------------


async def test_sctp_timers_are_module_settings_read_by_every_rto_update(pair: Pair) -> None:
    import aiortc.rtcsctptransport as sctp

    assert (sctp.SCTP_RTO_INITIAL, sctp.SCTP_RTO_MIN) == (SCTP_RTO_INITIAL_S, SCTP_RTO_MIN_S)
    fresh = make_peer()
    try:
        fresh.createDataChannel("x")
        assert fresh.sctp is not None and fresh.sctp._rto == SCTP_RTO_INITIAL_S  # before any RTT
    finally:
        await close_all(fresh)
    # after acknowledged data on loopback (RTT ~0) the RTO is the minimum we set
    got: list[str | bytes] = []
    pair.got.on("message", got.append)
    for i in range(5):
        pair.sent.send(f"m{i}")
    await until(lambda: len(got) >= 5, "five messages")
    transport = pair.offerer.sctp
    assert transport is not None
    await until(lambda: transport._srtt is not None, "an RTT measured")
    assert transport._rto == SCTP_RTO_MIN_S


# --- ICE: nominated pair and sockets -----------------------------------------------------------


async def test_nominated_pair_and_udp_sockets(pair: Pair) -> None:
    nominated = ap.nominated_pair(pair.offerer)
    assert nominated is not None
    local, remote = nominated
    assert (local.type, remote.type, local.transport.lower()) == ("host", "host", "udp")
    chosen = selected_pair(pair.offerer)
    assert chosen is not None
    assert chosen.local_address == f"{local.host}:{local.port}"
    assert chosen.remote_address == f"{remote.host}:{remote.port}"
    socks = ap.udp_sockets(pair.sent)
    assert socks and all(s.type == socket.SOCK_DGRAM for s in socks)
    assert any(s.getsockname()[1] == local.port for s in socks)
    assert DropCounter(pair.sent).read() == 0  # the sockets are found in /proc/net/udp


def test_no_pair_before_connecting() -> None:
    pc = make_peer()
    assert ap.nominated_pair(pc) is None
    assert ap.video_encoder(pc) is None


# --- RTP: receive statistics and the encoder -----------------------------------------------------


async def test_rtp_receive_statistics_and_the_video_encoder() -> None:
    from sessioncheck.rtc.measure.media import make_media_sources

    sender, receiver = make_peer(), make_peer()
    counters: list[FrameCounter] = []
    receiver.on("track", lambda track: counters.append(FrameCounter(track)))
    audio, video, gate = make_media_sources(320, 240, 15)
    sender.addTrack(audio)
    sender.addTrack(video)
    try:
        await negotiate(sender, receiver)
        await wait_connected(sender)
        assert ap.video_encoder(sender) is None  # made with the first frame
        gate.set()
        await until(lambda: ap.video_encoder(sender) is not None, "the video encoder made")
        encoder = ap.video_encoder(sender)
        assert hasattr(encoder, "target_bitrate")
        ap.raise_video_bitrate(sender, 1_200_000)
        assert encoder.target_bitrate == 1_200_000
        await until(lambda: len(counters) == 2 and all(c.frames >= 3 for c in counters), "frames decoded")
        by_kind = {r.track.kind: r for r in receiver.getReceivers() if r.track is not None}
        assert set(by_kind) == {"audio", "video"}
        for kind, clock in (("audio", 48000.0), ("video", 90000.0)):
            r = by_kind[kind]
            streams = ap.receiver_rtp_streams(r)
            assert streams is not None and len(streams) == 1, kind
            stream = streams[0]
            assert int(stream.packets_received) > 0 and int(stream.packets_lost) >= 0
            assert float(stream.jitter) >= 0.0
            assert ap.stream_clock_rate(stream) == clock
            assert any(c.mimeType.lower().startswith(kind) and c.clockRate == clock for c in ap.receiver_codecs(r))
        # RTX is negotiated for video: {rtx ssrc: media ssrc}, the media stream among the counted
        rtx = by_kind["video"]._RTCRtpReceiver__rtx_ssrc
        remote = by_kind["video"]._RTCRtpReceiver__remote_streams
        assert isinstance(rtx, dict) and isinstance(remote, dict) and rtx
        assert set(rtx.values()) <= set(remote)
    finally:
        gate.clear()
        for c in counters:
            c.stop()
        await close_all(sender, receiver)


# --- undocumented modules imported elsewhere -----------------------------------------------------


def test_undocumented_modules_used_elsewhere() -> None:
    from aioice import stun
    from aioice.ice import get_host_addresses
    from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.mediastreams import MediaStreamError

    assert isinstance(get_host_addresses(use_ipv4=True, use_ipv6=True), list)
    for proto in (TurnClientUdpProtocol, TurnClientTcpProtocol):
        params = inspect.signature(proto.__init__).parameters
        assert {"server", "username", "password", "lifetime", "channel_refresh_time"} <= set(params)
    for name in ("Message", "Method", "Class", "TransactionError", "TransactionFailed", "TransactionTimeout"):
        assert hasattr(stun, name), name
    for name in ("request", "connect", "delete", "relayed_address"):
        assert hasattr(TurnClientUdpProtocol, name) or name == "relayed_address", name
    encoder = Vp8Encoder()
    encoder.target_bitrate = 800_000
    assert encoder.target_bitrate == 800_000
    assert callable(vp8_depayload) and callable(Vp8Decoder().decode)
    frame = JitterFrame(data=b"", timestamp=0)
    assert (frame.data, frame.timestamp) == (b"", 0)
    assert issubclass(MediaStreamError, Exception)
