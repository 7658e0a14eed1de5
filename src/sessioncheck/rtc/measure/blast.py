"""The capacity blast: a paced, unreliable blast of DTLS records and the rules that read it.

Capacity is measured the way UDP speed tests do it: the sender paces packets at a rising
rate, and the receiver counts what arrives. Once the offered rate exceeds the bottleneck,
its queue is never empty and what comes out of it - the receive rate - is the link's
capacity. The packets do NOT go through aiortc's SCTP, for three measured reasons:

* its congestion window halves on every loss and grows by one chunk per round trip, so
  a reliable bulk transfer settles far below the link rate (4.5 of 8 Mbit/s);
* all data channels share one FIFO send queue, so pings sat behind up to 1 MB of bulk
  data (+150 ms of false "bufferbloat" on an idle 50 Mbit/s link);
* under the loss a blast causes, its receive side re-sorts every out-of-order TSN per
  packet and its send side scans the whole send queue per acknowledgement: CPU-bound
  at a few Mbit/s.

Instead each blast packet is one DTLS application record on the same transport (same
5-tuple, same path, same encryption cost as data-channel traffic), starting with
``BLAST_MAGIC``. A tap on the receiver's SCTP input counts and drops them before SCTP
parses anything; a peer without the tap drops them as invalid SCTP (bad checksum).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..aiortc_private import dtls_sender
from .wire import BLAST_HEADER, BLAST_MAGIC, BLAST_SIZE, WIRE_OVERHEAD, BlastSnapshot, now_ms

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

SnapshotBytes = Literal["all_bytes", "bytes"]

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
"""``ThroughputResult.capped_why`` when the gentle cap, not the link, ended the ramp."""
RECEIVER_DROPS = 20
"""A download test during which our sockets dropped more datagrams than this was limited by
this computer reading too slowly (CPU), not by the link: its rate is a lower bound, and the
pongs that waited in our own socket buffer are no measure of the network's queue."""


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
        send = dtls_sender(self.channel)
        if send is None:
            return
        wire_bits = (BLAST_SIZE + WIRE_OVERHEAD) * 8
        started = last = time.monotonic()
        credit = 0.0
        pad = b"\x00" * (BLAST_SIZE - BLAST_HEADER.size)
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
                    await send(BLAST_HEADER.pack(BLAST_MAGIC, self.stream, self.sent, now_ms()) + pad)
                    self.sent += 1
                    credit -= 1.0
            except ConnectionError:
                return


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


def blast_kbps(a: BlastSnapshot, b: BlastSnapshot) -> float:
    """IP-layer receive rate between two snapshots, counting all the transport received."""
    span = float(b["t_ms"]) - float(a["t_ms"])
    key: SnapshotBytes = "all_bytes" if "all_bytes" in a and "all_bytes" in b else "bytes"
    return (int(b[key]) - int(a[key])) * 8 / span if span > 0 else 0.0


def blast_rate_fit(snaps: list[BlastSnapshot]) -> float:
    """Receive rate (kbit/s) over receiver snapshots: the median of the slopes between every
    pair (Theil-Sen). A process that stalls for a moment on a shared machine takes its
    next snapshot before it has read the packets that queued meanwhile; a rate from the
    two end points alone then reads up to 10 % high or low over a short hold."""
    if len(snaps) < 2:
        return 0.0
    key: SnapshotBytes = "all_bytes" if all("all_bytes" in s for s in snaps) else "bytes"
    slopes = sorted(
        (float(b[key]) - float(a[key])) * 8 / (float(b["t_ms"]) - float(a["t_ms"]))
        for i, a in enumerate(snaps)
        for b in snaps[i + 1 :]
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


def hold_done(a: BlastSnapshot, b: BlastSnapshot) -> bool:
    """Enough measured between two receiver snapshots at the held rate: ``BLAST_HOLD_S``
    and ``BLAST_HOLD_PACKETS`` (so a 0.5 Mbit/s link is counted to ±2.5 %, not ±5 %)."""
    span = float(b["t_ms"]) - float(a["t_ms"])
    if "packets" not in a or "packets" not in b:
        return span >= BLAST_HOLD_S * 1000.0
    packets = int(b["packets"]) - int(a["packets"])
    return span >= BLAST_HOLD_S * 1000.0 and packets >= BLAST_HOLD_PACKETS


def blast_window(a: BlastSnapshot, b: BlastSnapshot) -> BlastWindow | None:
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
