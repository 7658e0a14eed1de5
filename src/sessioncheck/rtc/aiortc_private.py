"""Every use of aiortc's and aioice's private API, in one place.

aiortc has no public API for what the measurements need (raw records beside SCTP, the
transport's receive counters, per-SSRC receive statistics, the encoder's bitrate, the
nominated candidate pair, the sockets, SCTP's timers). Each helper here reaches into one
private attribute and degrades quietly (None / False / no effect) when it is not where
we look, so an aiortc upgrade costs figures, never a crash. ``tests/unit/test_aiortc_private.py``
pins every behaviour relied on with real peers, so an upgrade that moves one fails there
first, loudly.

Verified on aiortc 1.9 to 1.16 with aioice 0.9 to 0.13 (see :data:`VERIFIED`; the installed
versions here are aiortc 1.16.0 and aioice 0.13.0). Private attributes used:

=====================================================  ==========================================
attribute                                              used by
=====================================================  ==========================================
``RTCDtlsTransport._send_data(data)`` (coroutine)      :func:`send_raw_probe`, :func:`dtls_sender`:
                                                       one DTLS application record beside SCTP
``RTCDtlsTransport._RTCDtlsTransport__rx_bytes`` and   :func:`transport_rx`: all bytes and packets
``__rx_packets``                                       the transport received
``RTCSctpTransport._handle_data(data)`` (coroutine,    :func:`install_blast_tap`: wrapped to take
replaced on the instance)                              our raw records out before SCTP parses them
``RTCSctpTransport._sessioncheck_taps`` /              ours: the tap's state, stored on the
``_sessioncheck_probe_handlers`` (we add them)         transport so every side sharing it sees it
``aiortc.rtcsctptransport.SCTP_RTO_INITIAL`` /         :func:`set_sctp_timers`: module settings
``SCTP_RTO_MIN``                                       read by every RTO update
``RTCIceTransport._connection`` (aioice                :func:`nominated_pair`, :func:`udp_sockets`
``Connection``)
``Connection._nominated[1]`` (aioice ``CandidatePair``) :func:`nominated_pair`
``Connection._protocols[i].transport``                 :func:`udp_sockets`
``RTCRtpReceiver._RTCRtpReceiver__remote_streams``     :func:`receiver_rtp_streams`: per-SSRC
(``{ssrc: StreamStatistics}``) and ``__rtx_ssrc``      statistics, RTX left out
(``{rtx ssrc: media ssrc}``)
``StreamStatistics._clockrate``                        :func:`stream_clock_rate`
``RTCRtpReceiver._RTCRtpReceiver__codecs``             :func:`receiver_codecs`
``RTCRtpSender._RTCRtpSender__encoder``                :func:`video_encoder`,
                                                       :func:`raise_video_bitrate`
=====================================================  ==========================================

Undocumented but not underscore-private (imported where used, pinned by the same test):
``aioice.stun``, ``aioice.turn.TurnClientUdpProtocol`` / ``TurnClientTcpProtocol``
(``probes/ice.py``), ``aioice.ice.get_host_addresses`` (``probes/loopback.py``),
``aiortc.codecs.vpx.Vp8Encoder`` / ``Vp8Decoder`` / ``vp8_depayload`` and
``aiortc.jitterbuffer.JitterFrame`` (``probes/media_loop.py``), the encoder's
``target_bitrate`` and ``StreamStatistics.packets_received`` / ``packets_lost`` / ``jitter``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .measure.wire import BLAST_HEADER, BLAST_MAGIC, PROBE_MAGIC, now_ms

if TYPE_CHECKING:
    from asyncio.trsock import TransportSocket

    from aioice.candidate import Candidate
    from aiortc import RTCDataChannel, RTCDtlsTransport, RTCPeerConnection, RTCRtpCodecParameters, RTCRtpReceiver
    from aiortc.rtcrtpreceiver import StreamStatistics

VERIFIED = {"aiortc": ("1.9", "1.16"), "aioice": ("0.9", "0.13")}
"""Lowest and highest minor series every helper here was verified on: the pin test (and the
path probe's tests) pass on aiortc 1.16.0 with aioice 0.13.0 and on aiortc 1.9.0 with aioice
0.9.0; the private attributes were also read in the sources of aiortc 1.12.0, 1.14.0 and
1.15.0. ``pyproject.toml`` pins the same range; the pin test fails outside it."""

ProbeHandler = Callable[[bytes, float], Awaitable[None]]
"""Called with a raw probe packet (magic stripped) and its arrival time (ms)."""


class PacketCounter(Protocol):
    """What a blast tap feeds (:class:`sessioncheck.rtc.measure.meters.BlastMeter`)."""

    def add(self, seq: int, sent_ms: float, size: int) -> None: ...


# --- the DTLS transport under a data channel ------------------------------------------------


def dtls_transport(channel: RTCDataChannel | None) -> RTCDtlsTransport | None:
    """The DTLS transport under a data channel (public attributes; None before SCTP is up)."""
    with contextlib.suppress(AttributeError):
        return channel.transport.transport  # type: ignore[union-attr]
    return None


def dtls_sender(channel: RTCDataChannel | None) -> Callable[[bytes], Awaitable[None]] | None:
    """A coroutine function sending one DTLS application record on the channel's transport,
    beside SCTP (no congestion window, no shared send queue); None if not possible."""
    send: Callable[[bytes], Awaitable[None]] | None = getattr(dtls_transport(channel), "_send_data", None)
    return send


def transport_rx(channel: RTCDataChannel | None) -> tuple[int, int] | None:
    """(IP bytes, packets) received so far on the channel's whole DTLS transport: blast,
    pings, acknowledgements and media all share the bottleneck, so capacity counts them."""
    dtls: Any = dtls_transport(channel)
    with contextlib.suppress(AttributeError, TypeError):
        packets = int(dtls._RTCDtlsTransport__rx_packets)
        return int(dtls._RTCDtlsTransport__rx_bytes) + 28 * packets, packets
    return None


async def send_raw_probe(channel: RTCDataChannel | None, packet: bytes) -> bool:
    """Send a probe packet as its own DTLS record, beside SCTP: no congestion window, no
    send queue shared with other channels, no acknowledgements. False if not possible."""
    dtls: Any = dtls_transport(channel)
    if dtls is None:
        return False
    try:
        await dtls._send_data(PROBE_MAGIC + packet)
    except (ConnectionError, AttributeError):
        return False
    return True


# --- the tap on SCTP's input ----------------------------------------------------------------


def install_blast_tap(channel: RTCDataChannel, meters: Mapping[int, PacketCounter]) -> bool:
    """Count (and drop) blast packets arriving on ``channel``'s transport into ``meters``
    by stream id. Idempotent; several sides sharing one connection each add their dict.
    False if aiortc's internals are not as expected."""
    sctp: Any = getattr(channel, "transport", None)
    if sctp is None or not hasattr(sctp, "_handle_data"):
        return False
    taps: list[Mapping[int, PacketCounter]] | None = getattr(sctp, "_sessioncheck_taps", None)
    if taps is not None:
        if not any(t is meters for t in taps):
            taps.append(meters)
        return True
    taps = [meters]
    handlers: list[ProbeHandler] = []
    original = sctp._handle_data

    async def handle(data: bytes) -> None:
        if data[:4] == BLAST_MAGIC and len(data) >= BLAST_HEADER.size:
            _, stream, seq, sent = BLAST_HEADER.unpack_from(data)
            for t in taps:
                meter = t.get(stream)
                if meter is not None:
                    meter.add(seq, sent, len(data))
            return
        if data[:4] == PROBE_MAGIC:
            arrived = now_ms()
            for h in handlers:
                await h(data[4:], arrived)
            return
        await original(data)

    sctp._handle_data = handle
    sctp._sessioncheck_taps = taps
    sctp._sessioncheck_probe_handlers = handlers
    return True


def install_probe_tap(channel: RTCDataChannel, handler: ProbeHandler) -> bool:
    """Deliver probe packets (pings, pongs, paced) sent with :func:`send_raw_probe` on this
    channel's transport to ``handler(packet, arrival_ms)``."""
    if not install_blast_tap(channel, {}):
        return False
    handlers = getattr(channel.transport, "_sessioncheck_probe_handlers", None)
    if handlers is None:
        return False
    if handler not in handlers:
        handlers.append(handler)
    return True


def probe_tap_installed(channel: RTCDataChannel) -> bool:
    """True once :func:`install_probe_tap` took on this channel's transport (the other side
    of it then answers raw probes too)."""
    return getattr(channel.transport, "_sessioncheck_probe_handlers", None) is not None


# --- SCTP timers ------------------------------------------------------------------------------


def set_sctp_timers(rto_initial_s: float, rto_min_s: float) -> None:
    """Set SCTP's initial and least retransmission timeout for every peer made from now on
    (aiortc keeps them as module settings, read at each RTO update)."""
    import aiortc.rtcsctptransport as sctp

    sctp.SCTP_RTO_INITIAL = rto_initial_s
    sctp.SCTP_RTO_MIN = rto_min_s  # type: ignore[assignment]  # an int in aiortc


# --- ICE: the nominated pair and the sockets ---------------------------------------------------


def _ice_connection(pc: RTCPeerConnection) -> Any:
    """aioice's ``Connection`` behind the peer's SCTP transport (None before it exists)."""
    ice_transport = pc.sctp.transport.transport if pc.sctp else None
    return None if ice_transport is None else ice_transport._connection


def nominated_pair(pc: RTCPeerConnection) -> tuple[Candidate, Candidate] | None:
    """(local, remote) aioice candidates of the pair ICE nominated for component 1; None
    before nomination. Raises AttributeError if aioice's internals changed."""
    connection = _ice_connection(pc)
    if connection is None:
        return None
    pair = connection._nominated.get(1)
    if pair is None:
        return None
    return pair.local_candidate, pair.remote_candidate


def udp_sockets(channel: RTCDataChannel) -> list[TransportSocket]:
    """The UDP sockets of the ICE connection under a data channel (empty when they are not
    where we look)."""
    out: list[TransportSocket] = []
    with contextlib.suppress(AttributeError, OSError, TypeError):
        connection: Any = channel.transport.transport.transport._connection
        for protocol in connection._protocols:
            sock = protocol.transport.get_extra_info("socket")
            if sock is not None:
                out.append(sock)
    return out


# --- RTP: receive statistics and the video encoder ---------------------------------------------


def receiver_rtp_streams(receiver: RTCRtpReceiver) -> list[StreamStatistics] | None:
    """The receiver's per-SSRC RTP statistics (aiortc ``StreamStatistics``), retransmission
    (RTX) streams left out; None when this aiortc does not keep them where we look.

    aiortc's ``getStats`` gives every SSRC of a receiver the same stats id, so the RTX
    stream, created by the first retransmission, overwrites the media stream's entry: on a
    lossy link the media leg read "3 packets received, 0 % lost" from the RTX stream."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", None)
    rtx = getattr(receiver, "_RTCRtpReceiver__rtx_ssrc", None)
    if not isinstance(streams, dict) or not isinstance(rtx, dict):
        return None
    return [stream for ssrc, stream in streams.items() if ssrc not in rtx]


def stream_clock_rate(stream: StreamStatistics) -> float:
    """A ``StreamStatistics``' RTP clock rate (0 when unknown)."""
    return float(getattr(stream, "_clockrate", 0) or 0)


def receiver_codecs(receiver: RTCRtpReceiver) -> list[RTCRtpCodecParameters]:
    """The receiver's negotiated codecs (``RTCRtpCodecParameters``; empty when unknown)."""
    codecs = getattr(receiver, "_RTCRtpReceiver__codecs", {})
    return list(codecs.values()) if isinstance(codecs, dict) else []


def video_encoder(pc: RTCPeerConnection) -> object | None:
    """The video sender's encoder; None before its first frame (or if aiortc changed)."""
    for sender in pc.getSenders():
        if sender.track is not None and sender.track.kind == "video":
            return getattr(sender, "_RTCRtpSender__encoder", None)
    return None


def raise_video_bitrate(pc: RTCPeerConnection, bitrate: int) -> None:
    """Start the video encoder at a call bitrate instead of aiortc's cautious 500 kbit/s.

    aiortc exposes no API for this; the encoder is reached through the sender's private
    attribute and left alone if that changes. Receiver feedback (REMB) still adapts it.
    """
    for sender in pc.getSenders():
        if sender.track is None or sender.track.kind != "video":
            continue
        encoder = getattr(sender, "_RTCRtpSender__encoder", None)
        if encoder is not None and hasattr(encoder, "target_bitrate"):
            encoder.target_bitrate = bitrate
