"""The wire format of the measurement protocols: channels, packets and control messages.

The protocols run over WebRTC data channels, between a *measurer* and a *responder*.

The measurer drives the test; the responder (the reflector of ``sessioncheck serve``, or
the other sessioncheck in a peer test) answers. Nothing here knows about signalling or
which side made the offer: the measurer creates three channels on its peer connection
(labels carry a prefix, so two measurers can share one connection in a peer test) and
the responder attaches to them when they arrive.

Channels (``<prefix>`` defaults to ``sc``). They are announced in-band (the data channel
open message) by default; with ``negotiated_id=N`` (the path test: the reflector is told N
in the offer message) both sides create them with SCTP streams N, N+1, N+2 and they open
as soon as SCTP is up: a round trip sooner, and none of the six open/ack messages to
lose on a lossy link.

* ``<prefix>-ctl``: reliable, ordered, JSON text. Requests and reports.
* ``<prefix>-probe``: unreliable, unordered (``ordered=False, maxRetransmits=0``), binary.
  Pings (echoed as pongs) and paced packets carrying a stream id, a sequence number and
  the sender's send time, for RFC 3550 interarrival jitter and loss, each direction.
* ``<prefix>-bulk``: reliable, ordered, binary filler for throughput in either direction.

Binary packet: ``!BIId`` = kind, stream id, sequence number, send time (ms, sender's
monotonic clock), padded to the packet size. Times are only ever differenced on one
clock (RTT on the measurer's; transit differences for jitter on the receiver's).

Control requests (measurer → responder), each answered when it says so:

* ``{"op": "paced_send", "stream": S, "count": N, "interval_ms": I, "size": B}``:
  send N paced packets downstream (at most ``PACED_MAX_COUNT``, no closer than
  ``PACED_MIN_INTERVAL_MS``; streams denser than a ``PACED_TICK_S`` tick go out a tick's
  worth at a time). Used for the idle phase's 5 ms stream (jitter, loss) and for the
  download loss stream during the media leg.
* ``{"op": "paced_report", "stream": S, "req": R, "wait_ms": W}``: answered ``W`` ms
  after it arrives (default 0, at most ``PACED_MARGIN_MAX_S``) with
  ``{"op": "paced_report", "req": R, "received": n, "max_seq": m, "jitter_ms": j}``.
* ``{"op": "rx_start"}`` / ``{"op": "rx_stop"}``: report bulk bytes received every
  ``RX_REPORT_S`` as ``{"op": "rx", "bytes": total, "t_ms": responder_clock_ms}``.
* ``{"op": "tx_start", "max_s": T}`` / ``{"op": "tx_stop"}``: push bulk data downstream.
* ``{"op": "blast_rx_start", "stream": S}`` / ``{"op": "blast_rx_stop"}``: count a capacity
  blast arriving (see *capacity blast* in :mod:`.blast`), reported every ``RX_REPORT_S`` as
  ``{"op": "blast_rx", "stream": S, "t_ms", "packets", "bytes", "all_bytes", "seq", "sent_ms", "cpu"}``.
* ``{"op": "blast_tx", "stream": S, "kbps": K, "max_s": T}``: blast downstream at K kbit/s
  (K = 0 stops).
* ``{"op": "media_report", "req": R}``: answered with ``{"op": "media_report", "req": R, ...}``
  holding the responder's receive statistics for the measurer's audio and video.

Phases of a path test (:class:`~.measurer.Measurer`): quiet pings (RTT) → paced packets both ways
(jitter, loss) → upload capacity → download capacity, with an upload loss stream → media
leg, with a download loss stream. Loss counts every sequence-numbered packet of a
direction (see :func:`~.timing.loss_stream_pps`).
"""

from __future__ import annotations

import struct
import time
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from aiortc import RTCDataChannel, RTCPeerConnection

PROTOCOL_VERSION = 1

STREAM_PACED_UP = 1
STREAM_PACED_DOWN = 2
"""Stream ids of the idle phase's paced packets (3, 4: capacity blasts)."""

KIND_PING = 1
KIND_PONG = 2
KIND_PACED = 3
KIND_BLAST_RATE = 4
"""Raw probe packet setting the responder's blast rate: stream, command sequence, kbit/s in
the time field. Rate changes also go on the control channel, but a lost control message
holds every later one back for a retransmission timeout (≥ 1 s in aiortc's SCTP then, 0.4 s
with ``rtc.peer``'s timers): at 8 % loss a download ramp stalled at 0.5 of 20 Mbit/s. Raw commands are resent every
``RATE_REFRESH_S``; the newest sequence wins whichever way it came."""
RATE_REFRESH_S = 0.05
KIND_BLAST_REPORT = 5
"""Raw probe packet carrying a ``blast_rx`` report (JSON after the header): cumulative, so a
lost one costs nothing, where on the control channel a lost report held the next ones back
for a second and the ramp read the late reports as a sender that could not keep up."""
HEADER = struct.Struct("!BIId")
"""Every probe packet starts with kind, stream id, sequence number, send time (ms)."""

PING_SIZE = 64
PACED_SIZE = 64
PACED_MAX_COUNT = 20_000
"""A responder sends at most this many paced packets per request."""
PACED_MIN_INTERVAL_MS = 0.25
"""...and no closer together than this (4000 packets/s)."""
PACED_TICK_S = 0.002
"""Streams denser than one packet per tick are sent a tick's worth at a time."""
RX_REPORT_S = 0.1
"""How often a receiving responder reports bulk bytes."""
TX_MAX_S = 6.0
"""A responder never pushes bulk data longer than this, whatever it was asked."""

BLAST_MAGIC = b"SCBL"
"""First bytes of a raw DTLS record that is a capacity blast packet (see :mod:`.blast`)."""
PROBE_MAGIC = b"SCPR"
"""Pings, pongs and paced packets also travel as raw DTLS records (see
:func:`sessioncheck.rtc.aiortc_private.send_raw_probe`): through aiortc's SCTP they waited
for its congestion window (a 600 ms path read 1.6 s)."""
BLAST_HEADER = struct.Struct("!4sIId")
"""Blast packet: magic, stream id, sequence number, send time (ms)."""
BLAST_SIZE = 1188
"""DTLS plaintext per blast packet: the size of a full SCTP packet of aiortc's."""
WIRE_OVERHEAD = 65
"""Bytes on the wire around each DTLS plaintext: IPv4 20 + UDP 8 + DTLS 1.2 record with
AES-128-GCM 37. Rates are reported at the IP layer, so they compare with a link's rate
(link-layer framing, e.g. Ethernet's 14 bytes, is not counted: ~1 % below a rate set on an
Ethernet shaper)."""


Message = dict[str, Any]
"""A control message: JSON from the other side, its values unchecked until read."""


class BlastSnapshot(TypedDict, total=False):
    """A blast receiver's cumulative counts (:meth:`.meters.BlastMeter.snapshot`), the body
    of a ``blast_rx`` report."""

    t_ms: float
    """Receiver's monotonic clock (ms)."""
    packets: int
    bytes: int
    """IP-layer bytes of the blast packets counted."""
    all_bytes: int
    """IP-layer bytes of everything the transport received (absent: unknown)."""
    seq: int
    """Newest packet's sequence number (-1: none yet)..."""
    sent_ms: float
    """...and its send time on the sender's clock."""
    cpu: float
    """Receiving process's CPU share since the previous snapshot (1.0: one core)."""
    op: str
    stream: int
    run: int | None
    local: float
    """Measurer's monotonic time (s) when the report arrived (or was taken)."""


def now_ms() -> float:
    return time.monotonic() * 1000.0


def pack(kind: int, stream: int, seq: int, ts_ms: float, size: int) -> bytes:
    head = HEADER.pack(kind, stream, seq, ts_ms)
    return head + b"\x00" * max(0, size - len(head))


def unpack(data: bytes) -> tuple[int, int, int, float] | None:
    if len(data) < HEADER.size:
        return None
    kind, stream, seq, ts = HEADER.unpack_from(data)
    return int(kind), int(stream), int(seq), float(ts)


NEGOTIATED_ID_MAX = 65_531
"""Highest first stream id for negotiated channels (three streams, ids up to 65533)."""


def create_channels(
    pc: RTCPeerConnection, prefix: str, negotiated_id: int | None = None
) -> tuple[RTCDataChannel, RTCDataChannel, RTCDataChannel]:
    """The ``<prefix>-ctl``, ``-probe`` and ``-bulk`` channels on ``pc``: announced in-band,
    or out of band on SCTP streams ``negotiated_id`` .. ``negotiated_id + 2``."""

    negotiated = negotiated_id is not None

    def stream_id(i: int) -> int | None:
        return None if negotiated_id is None else negotiated_id + i

    return (
        pc.createDataChannel(f"{prefix}-ctl", ordered=True, negotiated=negotiated, id=stream_id(0)),
        pc.createDataChannel(
            f"{prefix}-probe", ordered=False, maxRetransmits=0, negotiated=negotiated, id=stream_id(1)
        ),
        pc.createDataChannel(f"{prefix}-bulk", ordered=True, negotiated=negotiated, id=stream_id(2)),
    )
