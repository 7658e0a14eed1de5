"""Measurement protocols over WebRTC data channels, between a *measurer* and a *responder*.

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
  blast arriving (see *capacity blast* below), reported every ``RX_REPORT_S`` as
  ``{"op": "blast_rx", "stream": S, "t_ms", "packets", "bytes", "all_bytes", "seq", "sent_ms", "cpu"}``.
* ``{"op": "blast_tx", "stream": S, "kbps": K, "max_s": T}``: blast downstream at K kbit/s
  (K = 0 stops).
* ``{"op": "media_report", "req": R}``: answered with ``{"op": "media_report", "req": R, ...}``
  holding the responder's receive statistics for the measurer's audio and video.

Phases of a path test (:class:`Measurer`): quiet pings (RTT) → paced packets both ways
(jitter, loss) → upload capacity → download capacity, with an upload loss stream → media
leg, with a download loss stream. Loss counts every sequence-numbered packet of a
direction (see :func:`loss_stream_pps`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import math
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .cpuwatch import CpuWatch, DropCounter, WaitMeter

if TYPE_CHECKING:
    import av
    from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")

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
_HEADER = struct.Struct("!BIId")

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
BULK_MESSAGE_MAX = 16 * 1024
BULK_MESSAGE_MIN = 1024
BUFFER_TARGET_S = 0.025
"""Flow control: keep about this much data (at the current rate) in our own send buffer,
so a ping sent during the load waits for the network's queue, not for ours."""
BUFFER_MIN = 4 * 1024
BUFFER_MAX = 1024 * 1024
STALL_S = 3.0
REQUEST_TIMEOUT_S = 8.0
"""A control request waits this long for its answer (while pings show the responder is
alive): aiortc's SCTP retransmitted after 3 s at first (0.5 s now, see ``rtc.peer``), so at
8 % loss a 3 s limit ended one heavy-loss test in six on a request or answer that was merely
retransmitted."""
KEEPALIVE_PING_S = 0.1
"""No message at all from the responder for this long means it stopped answering."""


class ResponderStopped(Exception):
    """The other side stopped answering (closed, killed or unreachable) mid-test."""


def now_ms() -> float:
    return time.monotonic() * 1000.0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]


def pack(kind: int, stream: int, seq: int, ts_ms: float, size: int) -> bytes:
    head = _HEADER.pack(kind, stream, seq, ts_ms)
    return head + b"\x00" * max(0, size - len(head))


def unpack(data: bytes) -> tuple[int, int, int, float] | None:
    if len(data) < _HEADER.size:
        return None
    kind, stream, seq, ts = _HEADER.unpack_from(data)
    return int(kind), int(stream), int(seq), float(ts)


@dataclass
class JitterMeter:
    """RFC 3550 section 6.4.1 interarrival jitter and loss for one paced stream, in ms."""

    received: int = 0
    max_seq: int = -1
    jitter_ms: float = 0.0
    _last: tuple[float, float] | None = None
    """(arrival, send time) of the previous packet in arrival order."""
    _seen: set[int] = field(default_factory=set)

    def add(self, seq: int, sent_ms: float, arrived_ms: float) -> None:
        if seq in self._seen:
            return
        self._seen.add(seq)
        self.received += 1
        self.max_seq = max(self.max_seq, seq)
        if self._last is not None:
            # D(i,j) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16
            d = (arrived_ms - self._last[0]) - (sent_ms - self._last[1])
            self.jitter_ms += (abs(d) - self.jitter_ms) / 16.0
        self._last = (arrived_ms, sent_ms)


class BulkSender:
    """Keeps a reliable channel busy with adaptive flow control on ``bufferedAmount``."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.queued = 0
        self._drained = asyncio.Event()
        channel.bufferedAmountLowThreshold = 0
        channel.on("bufferedamountlow", self._drained.set)

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        """Send until ``stop`` or ``max_s``. The send-buffer limit doubles whenever the
        transport drained it completely (we were the bottleneck) and halves when it drained
        too slowly (our own queue would delay pings), between ``BUFFER_MIN`` and ``BUFFER_MAX``."""
        started = time.monotonic()
        high = BUFFER_MIN
        payloads: dict[int, bytes] = {}
        while not stop.is_set() and time.monotonic() - started < max_s:
            if self.channel.readyState != "open":
                return
            size = int(min(BULK_MESSAGE_MAX, max(BULK_MESSAGE_MIN, high // 4)))
            payload = payloads.get(size) or payloads.setdefault(size, b"\x5a" * size)
            while self.channel.bufferedAmount < high:
                self.channel.send(payload)
                self.queued += size
            self.channel.bufferedAmountLowThreshold = high // 2
            self._drained.clear()
            woke_early = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BUFFER_TARGET_S):
                    await self._drained.wait()
                    woke_early = True
            if self.channel.bufferedAmount == 0:
                high = min(BUFFER_MAX, high * 2)
            elif not woke_early:
                high = max(BUFFER_MIN, high // 2)


# --- capacity blast ------------------------------------------------------------------------
#
# Capacity is measured the way UDP speed tests do it: the sender paces packets at a rising
# rate, and the receiver counts what arrives. Once the offered rate exceeds the bottleneck,
# its queue is never empty and what comes out of it - the receive rate - is the link's
# capacity. The packets do NOT go through aiortc's SCTP, for three measured reasons:
#
# * its congestion window halves on every loss and grows by one chunk per round trip, so
#   a reliable bulk transfer settles far below the link rate (4.5 of 8 Mbit/s);
# * all data channels share one FIFO send queue, so pings sat behind up to 1 MB of bulk
#   data (+150 ms of false "bufferbloat" on an idle 50 Mbit/s link);
# * under the loss a blast causes, its receive side re-sorts every out-of-order TSN per
#   packet and its send side scans the whole send queue per acknowledgement: CPU-bound
#   at a few Mbit/s.
#
# Instead each blast packet is one DTLS application record on the same transport (same
# 5-tuple, same path, same encryption cost as data-channel traffic), starting with
# ``BLAST_MAGIC``. A tap on the receiver's SCTP input counts and drops them before SCTP
# parses anything; a peer without the tap drops them as invalid SCTP (bad checksum).

BLAST_MAGIC = b"SCBL"
PROBE_MAGIC = b"SCPR"
"""Pings, pongs and paced packets also travel as raw DTLS records (see ``send_raw_probe``):
through aiortc's SCTP they waited for its congestion window (a 600 ms path read 1.6 s)."""
_BLAST = struct.Struct("!4sIId")
BLAST_SIZE = 1188
"""DTLS plaintext per blast packet: the size of a full SCTP packet of aiortc's."""
WIRE_OVERHEAD = 65
"""Bytes on the wire around each DTLS plaintext: IPv4 20 + UDP 8 + DTLS 1.2 record with
AES-128-GCM 37. Rates are reported at the IP layer, so they compare with a link's rate
(link-layer framing, e.g. Ethernet's 14 bytes, is not counted: ~1 % below a rate set on an
Ethernet shaper)."""
BLAST_TICK_S = 0.002
BLAST_START_KBPS = 300.0
BLAST_GROWTH = 1.6
"""Offered rate multiplies by this every ``BLAST_STEP_S`` until the link saturates."""
BLAST_STEP_S = 0.1
BLAST_MAX_KBPS = 150_000.0
BLAST_SATURATED = 0.8
"""A window whose receive rate is below this fraction of its send rate is saturated."""
BLAST_OVERDRIVE = 1.25
"""Once saturated, offer this multiple of the receive rate, so the queue stays full."""
BLAST_HOLD_S = 0.45
"""Measure this long (receiver clock) at overdrive, after one round trip to settle."""
BLAST_HOLD_PACKETS = 40
"""...and at least this many packets (a slow link needs longer for a precise count)."""
BLAST_SENDER_LAG = 0.85
"""A sender achieving less than this fraction of its target is lagging..."""
BLAST_LAG_WINDOWS = 5
"""...and CPU-bound when this many windows in a row lag (fewer: a passing stall)."""
BLAST_UNSATURATED = 0.88
"""A held window receiving this fraction of what was sent was not saturated after all
(random loss up to ~10 % stays above it; overdrive's 1 / 1.25 = 0.8 does not)."""
CPU_BOUND = 0.85
"""A process using this fraction of one core during the measurement is CPU-bound."""
GENTLE_MAX_KBPS = 3000.0
"""Gentle mode's cap: about what a 720p call needs, so a test beside a live call only
shows whether that much more fits, instead of swamping it with up to ``BLAST_MAX_KBPS``."""
CAPPED_GENTLE = "gentle_cap"
RECEIVER_DROPS = 20
"""A download test during which our sockets dropped more datagrams than this was limited by
this computer reading too slowly (CPU), not by the link: its rate is a lower bound, and the
pongs that waited in our own socket buffer are no measure of the network's queue."""
"""``ThroughputResult.capped_why`` when the gentle cap, not the link, ended the ramp."""


def _dtls(channel: RTCDataChannel | None) -> Any:
    with contextlib.suppress(AttributeError):
        return channel.transport.transport  # type: ignore[union-attr]
    return None


def transport_rx(channel: RTCDataChannel | None) -> tuple[int, int] | None:
    """(IP bytes, packets) received so far on the channel's whole DTLS transport: blast,
    pings, acknowledgements and media all share the bottleneck, so capacity counts them."""
    dtls = _dtls(channel)
    with contextlib.suppress(AttributeError, TypeError):
        packets = int(dtls._RTCDtlsTransport__rx_packets)
        return int(dtls._RTCDtlsTransport__rx_bytes) + 28 * packets, packets
    return None


def install_blast_tap(channel: RTCDataChannel, meters: dict[int, BlastMeter]) -> bool:
    """Count (and drop) blast packets arriving on ``channel``'s transport into ``meters``
    by stream id. Idempotent; several sides sharing one connection each add their dict.
    False if aiortc's internals are not as expected."""
    sctp: Any = getattr(channel, "transport", None)
    if sctp is None or not hasattr(sctp, "_handle_data"):
        return False
    taps: list[dict[int, BlastMeter]] | None = getattr(sctp, "_sessioncheck_taps", None)
    if taps is not None:
        if not any(t is meters for t in taps):
            taps.append(meters)
        return True
    taps = [meters]
    handlers: list[Callable[[bytes, float], Awaitable[None]]] = []
    original = sctp._handle_data

    async def handle(data: bytes) -> None:
        if data[:4] == BLAST_MAGIC and len(data) >= _BLAST.size:
            _, stream, seq, sent = _BLAST.unpack_from(data)
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


def install_probe_tap(channel: RTCDataChannel, handler: Callable[[bytes, float], Awaitable[None]]) -> bool:
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


async def send_raw_probe(channel: RTCDataChannel | None, packet: bytes) -> bool:
    """Send a probe packet as its own DTLS record, beside SCTP: no congestion window, no
    send queue shared with other channels, no acknowledgements. False if not possible."""
    dtls = _dtls(channel)
    if dtls is None:
        return False
    try:
        await dtls._send_data(PROBE_MAGIC + packet)
    except (ConnectionError, AttributeError):
        return False
    return True


class BlastSender:
    """Paces ``BLAST_SIZE`` DTLS records on a channel's transport at ``target_kbps`` (IP layer)."""

    def __init__(self, channel: RTCDataChannel, stream: int) -> None:
        self.channel = channel
        self.stream = stream
        self.target_kbps = 0.0
        self.sent = 0
        self.behind = False
        """True when the last pacing interval could not keep up (CPU-bound sender)."""

    async def run(self, stop: asyncio.Event, max_s: float) -> None:
        dtls = _dtls(self.channel)
        if dtls is None:
            return
        wire_bits = (BLAST_SIZE + WIRE_OVERHEAD) * 8
        started = last = time.monotonic()
        credit = 0.0
        pad = b"\x00" * (BLAST_SIZE - _BLAST.size)
        while not stop.is_set() and last - started < max_s:
            await asyncio.sleep(BLAST_TICK_S)
            now = time.monotonic()
            elapsed, last = now - last, now
            if self.channel.readyState != "open":
                return
            credit += self.target_kbps * 1000.0 * elapsed / wire_bits
            # a tick that came late (CPU) is not made up by a burst beyond 20 ms
            cap = max(4.0, self.target_kbps * 1000.0 * 0.02 / wire_bits)
            self.behind = credit > cap
            credit = min(credit, cap)
            try:
                while credit >= 1.0:
                    await dtls._send_data(_BLAST.pack(BLAST_MAGIC, self.stream, self.sent, now_ms()) + pad)
                    self.sent += 1
                    credit -= 1.0
            except ConnectionError:
                return


@dataclass
class BlastMeter:
    """Receive side of a blast: counts, the newest packet's sequence and send time."""

    packets: int = 0
    bytes: int = 0
    seq: int = -1
    sent_ms: float = 0.0
    channel: RTCDataChannel | None = None
    """The receiving channel, to count everything its transport received (optional)."""
    _cpu0: tuple[float, float] = field(default_factory=lambda: (time.process_time(), time.monotonic()))

    def add(self, seq: int, sent_ms: float, size: int) -> None:
        self.packets += 1
        self.bytes += size + WIRE_OVERHEAD
        if seq > self.seq:
            self.seq, self.sent_ms = seq, sent_ms

    def snapshot(self) -> dict[str, Any]:
        """Cumulative counters now, and this process's CPU use since the last snapshot."""
        cpu_t, wall_t = time.process_time(), time.monotonic()
        cpu = (cpu_t - self._cpu0[0]) / max(1e-6, wall_t - self._cpu0[1])
        self._cpu0 = (cpu_t, wall_t)
        rx = transport_rx(self.channel)
        return {"t_ms": now_ms(), "packets": self.packets, "bytes": self.bytes,
                "all_bytes": rx[0] if rx else self.bytes,
                "seq": self.seq, "sent_ms": self.sent_ms, "cpu": round(cpu, 3)}


@dataclass(frozen=True)
class BlastWindow:
    """Between two receiver snapshots: what arrived, and how fast it had been sent."""

    t0_ms: float
    t1_ms: float
    recv_kbps: float
    send_kbps: float | None
    """IP-layer rate at which the packets that arrived were sent (None: too few)."""
    cpu: float

    @property
    def saturated(self) -> bool:
        return self.send_kbps is not None and self.recv_kbps < BLAST_SATURATED * self.send_kbps


def blast_kbps(a: dict[str, Any], b: dict[str, Any]) -> float:
    """IP-layer receive rate between two snapshots, counting all the transport received."""
    span = float(b["t_ms"]) - float(a["t_ms"])
    key = "all_bytes" if "all_bytes" in a and "all_bytes" in b else "bytes"
    return (int(b[key]) - int(a[key])) * 8 / span if span > 0 else 0.0


def blast_rate_fit(snaps: list[dict[str, Any]]) -> float:
    """Receive rate (kbit/s) over receiver snapshots: the median of the slopes between every
    pair (Theil-Sen). A process that stalls for a moment on a shared machine takes its
    next snapshot before it has read the packets that queued meanwhile; a rate from the
    two end points alone then reads up to 10 % high or low over a short hold."""
    if len(snaps) < 2:
        return 0.0
    key = "all_bytes" if all("all_bytes" in s for s in snaps) else "bytes"
    slopes = sorted(
        (float(b[key]) - float(a[key])) * 8 / (float(b["t_ms"]) - float(a["t_ms"]))
        for i, a in enumerate(snaps) for b in snaps[i + 1:]
        if float(b["t_ms"]) > float(a["t_ms"])
    )
    if not slopes:
        return 0.0
    mid = len(slopes) // 2
    rate = slopes[mid] if len(slopes) % 2 else (slopes[mid - 1] + slopes[mid]) / 2
    return max(0.0, rate)  # bytes/ms * 8 = kbit/s


def windows_unsaturated(windows: list[BlastWindow]) -> bool:
    """True when, taken together, the windows received ``BLAST_UNSATURATED`` of what was sent:
    the link was not saturated after all. Pooled, not window by window: at a few packets
    per window, random loss alone pushes single windows below the mark."""
    judged = [w for w in windows if w.send_kbps is not None]
    sent = sum(w.send_kbps or 0.0 for w in judged)
    return bool(judged) and sent > 0 and sum(w.recv_kbps for w in judged) >= BLAST_UNSATURATED * sent


def hold_done(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Enough measured between two receiver snapshots at the held rate: ``BLAST_HOLD_S``
    and ``BLAST_HOLD_PACKETS`` (so a 0.5 Mbit/s link is counted to ±2.5 %, not ±5 %)."""
    span = float(b["t_ms"]) - float(a["t_ms"])
    if "packets" not in a or "packets" not in b:
        return span >= BLAST_HOLD_S * 1000.0
    packets = int(b["packets"]) - int(a["packets"])
    return span >= BLAST_HOLD_S * 1000.0 and packets >= BLAST_HOLD_PACKETS


def blast_window(a: dict[str, Any], b: dict[str, Any]) -> BlastWindow | None:
    span = float(b["t_ms"]) - float(a["t_ms"])
    if span <= 0:
        return None
    recv = (int(b["bytes"]) - int(a["bytes"])) * 8 / span  # bits/ms = kbit/s
    send: float | None = None
    sent_span = float(b["sent_ms"]) - float(a["sent_ms"])
    seqs = int(b["seq"]) - int(a["seq"])
    if seqs >= 4 and sent_span > 0 and int(a["seq"]) >= 0:
        send = seqs * (BLAST_SIZE + WIRE_OVERHEAD) * 8 / sent_span
    return BlastWindow(float(a["t_ms"]), float(b["t_ms"]), recv, send, float(b.get("cpu", 0.0)))


# --- timing and loss rules (pure) ---------------------------------------------------------

LOSS_STREAM_SHARE = 0.5
"""A loss-counting stream uses this share of the measured capacity: the bottleneck never
queues, so every packet lost is the path's random loss, not congestion we caused (the
direction carries only our pings and rate commands besides, < 10 % of a 512 kbit/s link)."""
LOSS_STREAM_MAX_PPS = 2000.0
"""...and at most this many packets per second (CPU on both ends)."""
LOSS_SIZE = _HEADER.size
"""A loss-stream packet is the bare header (17 bytes): what is counted is packets, so the
smallest packet gives the most of them for the share of a slow link (86 bytes on the wire
where 64-byte paced packets take 133: 1.55 times as many)."""
LOSS_PACKET_BITS = (len(PROBE_MAGIC) + LOSS_SIZE + WIRE_OVERHEAD) * 8
"""IP-layer size of one loss-stream packet, in bits."""
LOSS_HALF_WIDTH_PCT = 1.0
LOSS_CONFIDENCE_Z = 2.576
"""A loss figure should be within ``LOSS_HALF_WIDTH_PCT`` points of the truth in 99 % of
tests (two-sided z for 99 %): at 3 % loss that takes ~1975 packets, at 8 % ~4945 (exact
binomial; the normal approximation :func:`loss_packets_needed` gives 1932 and 4883)."""
LOSS_EXTEND_MAX_S = 1.0
"""When the loss streams have not counted enough packets for that by the end of the
download test, both go on (before the media leg) for at most this long."""
REPORT_Z = 1.96
"""The loss interval in reports is a 95 % Wilson score interval."""
PACED_CATCHUP_S = 0.02
"""A sender that woke late sends at most this much of the owed stream at once."""
CAPACITY_MAX_S = 4.0
"""Never measure one direction's capacity longer than this."""


def loss_packets_needed(loss_pct: float, half_width_pct: float = LOSS_HALF_WIDTH_PCT,
                        z: float = LOSS_CONFIDENCE_Z) -> int:
    """Packets for a loss estimate within ``half_width_pct`` points at loss ``loss_pct``
    with confidence ``z`` (normal approximation of the binomial: n = z² p (1 - p) / d²)."""
    p = min(max(loss_pct, 0.0), 100.0) / 100.0
    d = half_width_pct / 100.0
    return math.ceil(z * z * p * (1.0 - p) / (d * d))


def wilson_interval(lost: int, sent: int, z: float = REPORT_Z) -> tuple[float, float] | None:
    """Wilson score interval of a loss share, in percent (None without packets). Unlike
    p ± z·se it stays inside 0-100 and is honest at 0 lost of a few hundred."""
    if sent <= 0:
        return None
    p = min(max(lost, 0), sent) / sent
    z2 = z * z
    centre = (p + z2 / (2 * sent)) / (1 + z2 / sent)
    half = z * math.sqrt(p * (1 - p) / sent + z2 / (4 * sent * sent)) / (1 + z2 / sent)
    return max(0.0, 100.0 * (centre - half)), min(100.0, 100.0 * (centre + half))


def loss_stream_pps(capacity_kbps: float | None) -> float:
    """Packets per second of a loss-counting stream on a link measured at ``capacity_kbps``
    (0 when the capacity is unknown: without it a stream could congest the link)."""
    if capacity_kbps is None or not capacity_kbps > 0:
        return 0.0
    return min(LOSS_STREAM_MAX_PPS, LOSS_STREAM_SHARE * capacity_kbps * 1000.0 / LOSS_PACKET_BITS)


PACED_MARGIN_S = 0.1
PACED_MARGIN_MAX_S = 0.5


def paced_margin_s(rtts_ms: list[float]) -> float:
    """How long the responder holds its count of a paced stream after our report request
    arrived (right behind our last paced packet), and so how long its own last packets
    have to reach us before the answer does: 100 ms plus the spread of the quiet round
    trips (p95 - min, a bound on how far jitter can hold a packet back), at most 0.5 s."""
    spread = (percentile(rtts_ms, 95) - min(rtts_ms)) / 1000.0 if rtts_ms else 0.0
    return min(PACED_MARGIN_MAX_S, PACED_MARGIN_S + spread)


def capacity_budget_s(base_s: float, rtt_s: float) -> float:
    """Per-direction capacity budget: the ramp needs a few round trips more on long paths."""
    return min(CAPACITY_MAX_S, base_s + 3.0 * rtt_s)


def stall_timeout_s(rtts_ms: list[float]) -> float:
    """Silence that means the responder is gone: ``STALL_S``, longer on long paths (a queue
    full of a satellite link's data takes seconds to drain)."""
    if not rtts_ms:
        return STALL_S
    return max(STALL_S, 4.0 * max(rtts_ms) / 1000.0 + 2.0)


def drain_wait_s(loaded_rtts_ms: list[float]) -> float:
    """Wait after a blast for the pongs of pings sent into the full queue (and for the queue
    to drain before the next phase): 1.5 × the worst loaded RTT, 0.2 to 1.5 s."""
    return min(1.5, max(0.2, 1.5 * max(loaded_rtts_ms, default=0.0) / 1000.0))


# --- media sources -------------------------------------------------------------------------


class _Gate:
    def __init__(self) -> None:
        self.open = asyncio.Event()


def make_media_sources(
    width: int = 1280, height: int = 720, fps: int = 30
) -> tuple[MediaStreamTrack, MediaStreamTrack, asyncio.Event]:
    """An audio tone and a moving 720p test pattern that only flow while the gate is set.

    Returns ``(audio_track, video_track, gate)``. Frames are generated in memory with
    numpy; nothing is recorded.
    """
    import av
    import numpy as np
    from aiortc import MediaStreamTrack

    gate = asyncio.Event()

    class ToneTrack(MediaStreamTrack):
        kind = "audio"
        rate = 48000
        samples = 960

        def __init__(self) -> None:
            super().__init__()
            self._n = 0
            self._start: float | None = None
            t = np.arange(self.rate, dtype=np.float64) / self.rate
            self._tone = (np.sin(2 * np.pi * 440.0 * t) * 8000).astype(np.int16)

        async def recv(self) -> av.AudioFrame:
            await gate.wait()
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._n * self.samples / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            off = (self._n * self.samples) % self.rate
            chunk = np.roll(self._tone, -off)[: self.samples]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = self.rate
            frame.pts = self._n * self.samples
            frame.time_base = fractions.Fraction(1, self.rate)
            self._n += 1
            return frame

    class PatternTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self._n = 0
            self._start: float | None = None
            x = np.arange(width * 2, dtype=np.int32)
            row = ((x * 255) // (width * 2)).astype(np.uint8)
            self._luma = np.tile(row, (height, 1))
            self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)

        async def recv(self) -> av.VideoFrame:
            await gate.wait()
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._n / fps
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            shift = (self._n * 16) % width
            y = self._luma[:, shift : shift + width].copy()
            y[(self._n * 8) % height :: 97, :] = 255  # a moving line
            frame = av.VideoFrame.from_ndarray(np.vstack([y, self._chroma]), format="yuv420p")
            frame.pts = self._n * (90000 // fps)
            frame.time_base = fractions.Fraction(1, 90000)
            self._n += 1
            return frame

    return ToneTrack(), PatternTrack(), gate


class FrameCounter:
    """Consumes a received track (so it is decoded) and counts frames; keeps no media."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.kind = track.kind
        self.frames = 0
        self.width = 0
        self.height = 0
        self._task = asyncio.ensure_future(self._run(track))

    async def _run(self, track: MediaStreamTrack) -> None:
        from aiortc.mediastreams import MediaStreamError

        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                self.frames += 1
                if self.kind == "video":
                    self.width, self.height = frame.width, frame.height  # type: ignore[union-attr]

    def stop(self) -> None:
        self._task.cancel()


_CLOCK_RATES = {"audio": 48000.0, "video": 90000.0}


def _media_streams(receiver: Any) -> list[Any] | None:
    """The receiver's per-SSRC RTP statistics, retransmission (RTX) streams left out; None
    when this aiortc does not keep them where we look.

    aiortc's ``getStats`` gives every SSRC of a receiver the same stats id, so the RTX
    stream, created by the first retransmission, overwrites the media stream's entry: on a
    lossy link the media leg read "3 packets received, 0 % lost" from the RTX stream."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", None)
    rtx = getattr(receiver, "_RTCRtpReceiver__rtx_ssrc", None)
    if not isinstance(streams, dict) or not isinstance(rtx, dict):
        return None
    return [stream for ssrc, stream in streams.items() if ssrc not in rtx]


async def receive_stats(pc: RTCPeerConnection, counters: list[FrameCounter]) -> dict[str, Any]:
    """Receive-side statistics per kind: packets, loss, jitter (ms) and frames decoded."""
    out: dict[str, Any] = {}
    for receiver in pc.getReceivers():
        kind = receiver.track.kind if receiver.track else None
        if kind not in _CLOCK_RATES:
            continue
        streams = _media_streams(receiver)
        if streams is not None:
            if streams:
                main = max(streams, key=lambda st: int(st.packets_received))
                clock = float(getattr(main, "_clockrate", 0) or _CLOCK_RATES[kind])
                out[kind] = {
                    "packets_received": sum(int(st.packets_received) for st in streams),
                    "packets_lost": sum(max(0, int(st.packets_lost)) for st in streams),
                    # RTP jitter is in clock units: divide by the clock rate
                    "jitter_ms": float(main.jitter) / clock * 1000.0,
                }
            continue
        report = await receiver.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) != "inbound-rtp":
                continue
            clock = _CLOCK_RATES[kind]
            codec = getattr(receiver, "_RTCRtpReceiver__codecs", {})
            for c in codec.values() if isinstance(codec, dict) else ():
                if getattr(c, "mimeType", "").lower().startswith(kind) and c.clockRate:
                    clock = float(c.clockRate)
                    break
            out[kind] = {
                "packets_received": int(stats.packetsReceived),
                "packets_lost": max(0, int(stats.packetsLost)),
                # getStats jitter is in RTP clock units: divide by the clock rate.
                "jitter_ms": float(stats.jitter) / clock * 1000.0,
            }
    for c in counters:
        entry = out.setdefault(c.kind, {"packets_received": 0, "packets_lost": 0, "jitter_ms": None})
        entry["frames"] = entry.get("frames", 0) + c.frames
        if c.kind == "video":
            entry["width"], entry["height"] = c.width, c.height
    return out


async def send_stats(pc: RTCPeerConnection) -> dict[str, dict[str, int]]:
    """Sender-side packets and bytes per kind."""
    out: dict[str, dict[str, int]] = {}
    for sender in pc.getSenders():
        kind = sender.track.kind if sender.track else None
        if kind is None:
            continue
        report = await sender.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) == "outbound-rtp":
                out[kind] = {"packets_sent": int(stats.packetsSent), "bytes_sent": int(stats.bytesSent)}
    return out


# --- responder -----------------------------------------------------------------------------


NEGOTIATED_ID_MAX = 65_531
"""Highest first stream id for negotiated channels (three streams, ids up to 65533)."""


def create_channels(
    pc: RTCPeerConnection, prefix: str, negotiated_id: int | None = None
) -> tuple[RTCDataChannel, RTCDataChannel, RTCDataChannel]:
    """The ``<prefix>-ctl``, ``-probe`` and ``-bulk`` channels on ``pc``: announced in-band,
    or out of band on SCTP streams ``negotiated_id`` .. ``negotiated_id + 2``."""

    def ids(i: int) -> dict[str, Any]:
        return {} if negotiated_id is None else {"negotiated": True, "id": negotiated_id + i}

    return (
        pc.createDataChannel(f"{prefix}-ctl", ordered=True, **ids(0)),
        pc.createDataChannel(f"{prefix}-probe", ordered=False, maxRetransmits=0, **ids(1)),
        pc.createDataChannel(f"{prefix}-bulk", ordered=True, **ids(2)),
    )


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
        self._tasks: set[asyncio.Task[Any]] = set()
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

    def _spawn(self, coro: Awaitable[Any]) -> None:
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

    def _send(self, message: dict[str, Any]) -> None:
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

    def _handle(self, op: str, msg: dict[str, Any]) -> None:
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
            self._blast_rate(int(msg["stream"]), float(msg["kbps"]),
                             float(msg.get("max_s", TX_MAX_S)), int(msg.get("seq", 0)))
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

    async def _paced_report(self, stream: int, req: Any, wait_s: float) -> None:
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        m = self.meters.get(stream, JitterMeter())
        cpu = self._cpu.get(stream)
        self._send({"op": "paced_report", "req": req, "received": m.received,
                    "max_seq": m.max_seq, "jitter_ms": m.jitter_ms,
                    **({"cpu": cpu.read()} if cpu is not None else {})})

    async def _rx_report(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._send({"op": "rx", "bytes": self.rx_bytes, "t_ms": now_ms()})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RX_REPORT_S):
                    await stop.wait()
        self._send({"op": "rx", "bytes": self.rx_bytes, "t_ms": now_ms(), "final": True})

    async def _blast_report(self, stream: int, stop: asyncio.Event, run: Any = None) -> None:
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

    async def _media_report(self, req: Any) -> None:
        stats = await receive_stats(self.pc, self.counters)
        self._send({"op": "media_report", "req": req, "stats": stats})


# --- measurer ------------------------------------------------------------------------------


@dataclass
class Plan:
    """Timing of one path test. Module-level defaults; tests may shorten them."""

    idle_s: float = 0.6
    """Paced packets both ways (jitter, loss) for this long, after the quiet pings."""
    ping_interval_s: float = 0.012
    quiet_pings: int = 52
    """Pings sent on a quiet path before the paced packets start: RTT is their median (pings
    among paced packets queue behind them in FIFO links and read high)."""
    paced_interval_ms: float = 5.0
    throughput_max_s: float = 2.6
    """Capacity budget per direction on a short path (plus 3 RTT, at most 4 s)."""
    throughput_min_s: float = 0.8
    window_s: float = 0.2
    loaded_ping_interval_s: float = 0.05
    media_s: float = 1.2
    max_kbps: float = BLAST_MAX_KBPS
    """Highest rate a capacity test offers, each direction. ``GENTLE_MAX_KBPS`` where a
    call may be running: a capacity test that fills the link would hurt that call."""


@dataclass
class IdleResult:
    rtts_ms: list[float]
    pings_sent: int
    jitter_up_ms: float | None
    jitter_down_ms: float | None
    loss_up_pct: float | None
    loss_down_pct: float | None
    paced_up_sent: int
    paced_down_received: int
    paced_up_received: int = 0

    @property
    def loss_up(self) -> LossCount:
        return LossCount(self.paced_up_sent, self.paced_up_received)

    @property
    def loss_down(self) -> LossCount:
        sent = self.paced_up_sent  # both directions send the same count
        return LossCount(sent, min(sent, self.paced_down_received))


@dataclass(frozen=True)
class LossCount:
    """Packets sent and received of one or more sequence-numbered streams."""

    sent: int
    received: int

    @property
    def pct(self) -> float | None:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent > 0 else None

    def __add__(self, other: LossCount) -> LossCount:
        return LossCount(self.sent + other.sent, self.received + other.received)

    def recovered(self, dropped: int) -> LossCount:
        """With ``dropped`` packets counted as received: the receiving computer's own socket
        dropped them (it read too slowly), so they crossed the link."""
        return LossCount(self.sent, min(self.sent, self.received + max(0, dropped)))

    def interval(self, z: float = REPORT_Z) -> tuple[float, float] | None:
        """Wilson score interval of :attr:`pct` (see :func:`wilson_interval`)."""
        return wilson_interval(self.sent - self.received, self.sent, z)

    @property
    def short_by(self) -> int:
        """Packets still missing for ±``LOSS_HALF_WIDTH_PCT`` at 99 % at the loss seen so far."""
        pct = self.pct
        return 0 if pct is None else max(0, loss_packets_needed(pct) - self.sent)


@dataclass
class ThroughputResult:
    kbps: float
    windows_kbps: list[float]
    loaded_rtts_ms: list[float]
    duration_s: float
    capped: bool = False
    """True when a process (not the network) limited the rate: ``kbps`` is a lower bound."""
    capped_why: str = ""
    """Why ``capped``, as a code the catalogue words (``value.path.<dir>_kbps_capped_why.<code>``)."""
    loaded_span: tuple[float, float] = (0.0, 0.0)
    """Send times (local monotonic s) of the pings that met the full queue: read
    ``Measurer.rtts_since(*loaded_span)`` again later for pongs that were still queued."""
    socket_drops: int | None = None
    """Download: datagrams our own sockets dropped during the test (None: unknown). More
    than ``RECEIVER_DROPS`` means this computer, not the link, could not take the rate."""


@dataclass
class MediaResult:
    seconds: float
    sent: dict[str, dict[str, int]]
    received: dict[str, Any]


class Measurer:
    """Drives the path test over channels it creates on ``pc`` (call before the offer)."""

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
        self._ping_tasks: set[asyncio.Task[Any]] = set()
        self._meters: dict[int, JitterMeter] = {}
        self._replies: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._rx: list[tuple[float, int]] = []
        self._req = 0
        self.down_bytes = 0
        self._blast_reports: dict[int, list[dict[str, Any]]] = {}
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

    def _blast_report(self, msg: dict[str, Any]) -> None:
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
            reports.append({**msg, "local": time.monotonic()})

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
                msg = json.loads(data[_HEADER.size:])
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

    def send(self, message: dict[str, Any]) -> None:
        if self.ctl.readyState != "open":
            self.stop("the control channel closed")
            return
        self.ctl.send(json.dumps(message))

    async def request(self, message: dict[str, Any], timeout_s: float = REQUEST_TIMEOUT_S) -> dict[str, Any]:
        """Send a control request and wait for its answer. Pings go out meanwhile, so a
        responder that is alive keeps answering them while a lost request or answer waits
        for SCTP's retransmission; one that is gone falls silent and the stall watchdog
        ends the wait after ``stall_s``."""
        timeout_s = max(timeout_s, self.stall_s)
        self._req += 1
        req = self._req
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
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
        if getattr(self.probe.transport, "_sessioncheck_probe_handlers", None) is None:
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

    # --- phases -----------------------------------------------------------------------------

    async def idle(self) -> IdleResult:
        """Quiet pings first, then paced packets both ways (no pings among them).

        Pings get the path to themselves: in a FIFO link with jitter a ping queued behind
        paced packets waits for the slowest of them (+10 ms on a ±15 ms link)."""
        p = self.plan
        count = max(10, int(p.idle_s * 1000.0 / p.paced_interval_ms))
        up_stream, down_stream = STREAM_PACED_UP, STREAM_PACED_DOWN
        self.cpu.start("idle")
        self._heard()
        t0 = time.monotonic()
        pings_before = self._ping_seq

        async def quiet_pings() -> None:
            for i in range(max(1, p.quiet_pings)):
                self.ping()
                delay = t0 + (i + 1) * p.ping_interval_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

        await self.guard(quiet_pings())
        t_paced = time.monotonic()
        # not the keepalive pings of the report request below: their pongs are not counted
        pings_sent = self._ping_seq - pings_before
        self.send(
            {"op": "paced_send", "stream": down_stream, "count": count,
             "interval_ms": p.paced_interval_ms, "size": PACED_SIZE}
        )

        async def paced_up() -> None:
            start = time.monotonic()
            for seq in range(count):
                delay = start + seq * p.paced_interval_ms / 1000.0 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.probe.readyState != "open":
                    return
                packet = pack(KIND_PACED, up_stream, seq, now_ms(), PACED_SIZE)
                if not await send_raw_probe(self.probe, packet):
                    self.probe.send(packet)

        await self.guard(paced_up())
        # the request travels right behind our last paced packet, and the responder's last
        # packets leave it as the request arrives: the margin covers jitter both ways
        margin = paced_margin_s(self.rtts_since(t0, t_paced))
        report = await self.request({"op": "paced_report", "stream": up_stream,
                                     "wait_ms": round(margin * 1000.0)})
        self._note_cpu(up_stream, report)
        down = self._meters.get(down_stream, JitterMeter())
        up_received = int(report["received"])
        return IdleResult(
            rtts_ms=self.rtts_since(t0, t_paced),
            pings_sent=pings_sent,
            jitter_up_ms=float(report["jitter_ms"]) if up_received > 1 else None,
            jitter_down_ms=down.jitter_ms if down.received > 1 else None,
            loss_up_pct=100.0 * (count - up_received) / count,
            loss_down_pct=100.0 * (count - down.received) / count,
            paced_up_sent=count,
            paced_down_received=down.received,
            paced_up_received=up_received,
        )

    # --- loss streams -----------------------------------------------------------------------
    #
    # Loss needs thousands of packets for ±1 point at 3-8 %, far more than the paced phase
    # carries. Small sequence-numbered packets at a share of the measured capacity (so the
    # bottleneck never queues and every loss is the path's, not our own congestion) ride
    # along phases that leave that direction idle: upload while the download is measured,
    # download during the media leg (which only sends up).

    async def send_stream(self, stream: int, pps: float, stop: asyncio.Event, max_s: float) -> int:
        """Send paced packets numbered from 0 at ``pps`` until ``stop`` or ``max_s``; the
        number sent. Late ticks are not made up by a burst beyond ``PACED_CATCHUP_S``."""
        if pps <= 0:
            return 0
        sent = 0
        credit = 1.0
        start = last = time.monotonic()
        while not stop.is_set() and not self.stopped.done() and last - start < max_s:
            while credit >= 1.0:
                packet = pack(KIND_PACED, stream, sent, now_ms(), LOSS_SIZE)
                if not await send_raw_probe(self.probe, packet):
                    if self.probe.readyState != "open":
                        return sent
                    self.probe.send(packet)
                sent += 1
                credit -= 1.0
            await asyncio.sleep(PACED_TICK_S)
            now = time.monotonic()
            credit = min(credit + pps * (now - last), max(1.0, pps * PACED_CATCHUP_S))
            last = now
        return sent

    def request_stream(self, stream: int, pps: float, seconds: float) -> int:
        """Ask the responder for ``pps`` paced packets for ``seconds``; the count asked."""
        count = min(PACED_MAX_COUNT, int(pps * seconds))
        if count <= 0:
            return 0
        self.send({"op": "paced_send", "stream": stream, "count": count,
                   "interval_ms": round(1000.0 / pps, 4), "size": LOSS_SIZE})
        return count

    async def stream_sent_report(self, stream: int, sent: int) -> LossCount:
        """Loss of a stream we sent, as the responder counted it."""
        if sent <= 0:
            return LossCount(0, 0)
        report = await self.request({"op": "paced_report", "stream": stream})
        self._note_cpu(stream, report)
        return LossCount(sent, min(sent, int(report["received"])))

    async def stream_progress(self, stream: int) -> LossCount:
        """Loss of a stream we are still sending, as far as the responder has seen it (up to
        its newest packet: those still in flight are not loss)."""
        report = await self.request({"op": "paced_report", "stream": stream})
        seen = int(report["max_seq"]) + 1
        return LossCount(max(0, seen), min(max(0, seen), int(report["received"])))

    def socket_drops(self) -> int | None:
        """Datagrams our connection's sockets dropped since the first call (None: unknown)."""
        if self._drop_counter is None:
            self._drop_counter = DropCounter(self.probe)
        return self._drop_counter.read()

    def _note_cpu(self, stream: int, report: dict[str, Any]) -> None:
        cpu = report.get("cpu")
        if isinstance(cpu, dict):
            self.responder_cpu[stream] = {k: float(v) for k, v in cpu.items() if isinstance(v, int | float)}

    def paced_down(self, sent: int) -> tuple[LossCount, float | None]:
        """The idle phase's download packets as counted now, and their jitter: read again
        later, they include packets that a slow control message (a lost and retransmitted
        ``paced_send``) made the responder send late."""
        meter = self._meters.get(STREAM_PACED_DOWN, JitterMeter())
        jitter = meter.jitter_ms if meter.received > 1 else None
        return LossCount(sent, min(sent, meter.received)), jitter

    def stream_received(self, stream: int) -> LossCount:
        """Loss of a stream the responder sent, up to the newest packet that arrived (a
        responder that fell behind or a tail still in flight is not loss)."""
        meter = self._meters.get(stream)
        if meter is None or meter.max_seq < 0:
            return LossCount(0, 0)
        return LossCount(meter.max_seq + 1, meter.received)

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
        snaps: list[dict[str, Any]] = []
        stop = asyncio.Event()
        max_s = self._max_s()
        tasks: list[asyncio.Future[Any]] = []
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
                self.send({"op": "blast_tx", "stream": stream, "kbps": round(kbps, 1),
                           "max_s": round(max_s + 0.5, 2), "seq": self._rate_seq})
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
            outcome = await self.guard(self._blast_control(set_rate, snaps, f"{direction}_kbps", max_s,
                                                           sender_local=up))
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
        return ThroughputResult(kbps=kbps, windows_kbps=[w.recv_kbps for w in windows],
                                loaded_rtts_ms=loaded, duration_s=t_end - t0, capped=capped,
                                capped_why=why, loaded_span=(loaded_from, t_end), socket_drops=dropped)

    async def _blast_control(
        self, set_rate: Callable[[float], None], snaps: list[dict[str, Any]], key: str, max_s: float,
        *, sender_local: bool = True,
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
            measured = snaps[-max(2, min(len(snaps), 4)):]
        if len(measured) < 2:
            return 0.0, capped, windows, hold_at, why
        a = measured[0]
        kbps = blast_rate_fit(measured)
        hold_windows = [w for w in windows if w.t0_ms >= float(a["t_ms"])]
        if why != CAPPED_GENTLE and any(w.cpu >= CPU_BOUND for w in hold_windows) and \
                len(hold_windows) >= 2 and sum(w.cpu for w in hold_windows) / len(hold_windows) >= CPU_BOUND:
            capped, why = True, "receiver_busy"  # its CPU was the bottleneck
        return kbps, capped, windows, hold_at + min(0.3, rtt_s), why

    async def bulk_upload(self) -> ThroughputResult:
        """Reliable-channel variant (aiortc's congestion control limits it): saturate the
        upload; the responder reports bytes on its clock; ping meanwhile."""
        self._rx.clear()
        self.send({"op": "rx_start"})
        stop = asyncio.Event()
        sender = BulkSender(self.bulk)
        t0 = time.monotonic()
        send_task = asyncio.ensure_future(sender.run(stop, self._max_s() + 0.5))
        pinger = asyncio.ensure_future(self._ping_loop(self.plan.loaded_ping_interval_s, stop))
        try:
            windows = await self.guard(self._ramp(lambda: list(self._rx), "up_kbps"))
        finally:
            stop.set()
            pinger.cancel()
            send_task.cancel()
            if self.ctl.readyState == "open":
                self.send({"op": "rx_stop"})
        return self._result(windows, t0)

    async def bulk_download(self) -> ThroughputResult:
        """Reliable-channel variant: the responder saturates the download; we count bytes; ping meanwhile."""
        samples: list[tuple[float, int]] = []
        stop = asyncio.Event()

        async def sampler() -> None:
            while not stop.is_set():
                samples.append((now_ms(), self.down_bytes))
                await asyncio.sleep(RX_REPORT_S)

        self.send({"op": "tx_start", "max_s": self._max_s() + 0.5})
        t0 = time.monotonic()
        sample_task = asyncio.ensure_future(sampler())
        pinger = asyncio.ensure_future(self._ping_loop(self.plan.loaded_ping_interval_s, stop))
        try:
            windows = await self.guard(self._ramp(lambda: list(samples), "down_kbps"))
        finally:
            stop.set()
            pinger.cancel()
            sample_task.cancel()
            if self.ctl.readyState == "open":
                self.send({"op": "tx_stop"})
        return self._result(windows, t0)

    def _result(self, windows: list[tuple[float, float, int]], t0: float) -> ThroughputResult:
        rates = [b * 8 / (t1 - t0_) for t0_, t1, b in windows if t1 > t0_]  # bits/ms = kbit/s
        kbps = sustained_kbps(windows)
        t_end = time.monotonic()
        # skip the first half second of load: the queue needs time to fill
        loaded = self.rtts_since(t0 + min(0.5, (t_end - t0) / 2), t_end)
        return ThroughputResult(
            kbps=kbps, windows_kbps=rates, loaded_rtts_ms=loaded, duration_s=t_end - t0
        )

    async def _ramp(
        self, samples: Callable[[], list[tuple[float, int]]], key: str
    ) -> list[tuple[float, float, int]]:
        """Cut byte counts into windows until the rate stops growing or time runs out.

        Returns (start ms, end ms, bytes) per window on the receiver's clock.
        """
        p = self.plan
        started = time.monotonic()
        max_s = self._max_s()
        windows: list[tuple[float, float, int]] = []
        while time.monotonic() - started < max_s:
            await asyncio.sleep(RX_REPORT_S)
            pts = samples()
            if len(pts) < 2:
                continue
            windows = _windows(pts, p.window_s * 1000.0)
            if windows:
                t0, t1, b = windows[-1]
                self.on_sample(key, b * 8 / (t1 - t0), "kbps")
            if time.monotonic() - started >= p.throughput_min_s and _plateau(windows):
                break
        return windows


def _windows(pts: list[tuple[float, int]], width_ms: float) -> list[tuple[float, float, int]]:
    """Consecutive windows of at least ``width_ms`` from cumulative (time, bytes) samples."""
    out: list[tuple[float, float, int]] = []
    start_t, start_b = pts[0]
    for t, b in pts[1:]:
        if t - start_t >= width_ms:
            out.append((start_t, t, b - start_b))
            start_t, start_b = t, b
    return out


def sustained_kbps(windows: list[tuple[float, float, int]]) -> float:
    """The best rate held over three consecutive windows (the first window, with the
    shaper's burst and slow start, is left out when there are enough)."""
    usable = windows[1:] if len(windows) > 3 else windows
    best = 0.0
    for i in range(max(1, len(usable) - 2)):
        group = usable[i : i + 3]
        span = sum(t1 - t0 for t0, t1, _ in group)
        if span > 0:
            best = max(best, sum(b for _, _, b in group) * 8 / span)  # bytes/ms*8 = kbit/s
    return best


def _plateau(windows: list[tuple[float, float, int]], growth: float = 0.05) -> bool:
    """True when the last three windows are steady (each within 50 % of their mean) and carry
    no more than ``growth`` over the three before; stalls and bursts keep the ramp going."""
    if len(windows) < 6:
        return False

    def rate(ws: list[tuple[float, float, int]]) -> float:
        span = sum(t1 - t0 for t0, t1, _ in ws)
        return sum(b for _, _, b in ws) / span if span > 0 else 0.0

    last = windows[-3:]
    mean = rate(last)
    steady = mean > 0 and all(abs(b / (t1 - t0) - mean) <= 0.5 * mean for t0, t1, b in last if t1 > t0)
    return steady and mean <= rate(windows[-6:-3]) * (1.0 + growth)


VIDEO_BITRATE = 1_500_000
"""Video send rate for the media leg: a 720p call rate (aiortc's VP8 encoder caps at 1.5 Mbit/s)."""


def _video_encoder(pc: RTCPeerConnection) -> Any:
    for sender in pc.getSenders():
        if sender.track is not None and sender.track.kind == "video":
            return getattr(sender, "_RTCRtpSender__encoder", None)
    return None


def raise_video_bitrate(pc: RTCPeerConnection, bitrate: int = VIDEO_BITRATE) -> None:
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


async def run_media(
    measurer: Measurer, gate: asyncio.Event, seconds: float, video_bitrate: int = VIDEO_BITRATE
) -> MediaResult:
    """Open the media gate for ``seconds``, then read both sides' statistics.

    ``video_bitrate``: what the video encoder aims at; give it what fits the measured
    upload (a leg that floods a slow link measures only its own queue)."""
    measurer.cpu.phase("media")
    before = await send_stats(measurer.pc)
    gate.set()
    try:
        # the encoder exists after the first frame: set its rate as soon as it does
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            await measurer.guard(asyncio.sleep(0.01))
            if _video_encoder(measurer.pc) is not None:
                break
        raise_video_bitrate(measurer.pc, video_bitrate)
        await measurer.guard(asyncio.sleep(max(0.0, seconds - (time.monotonic() - started))))
    finally:
        gate.clear()
    await asyncio.sleep(0.2)  # let the last packets land before the receiver counts
    after = await send_stats(measurer.pc)
    reply = await measurer.request({"op": "media_report"})
    sent = {
        k: {n: v - before.get(k, {}).get(n, 0) for n, v in s.items()} for k, s in after.items()
    }
    received = reply.get("stats")
    return MediaResult(seconds=seconds, sent=sent, received=received if isinstance(received, dict) else {})
