"""Timing and loss rules (pure): how long to wait, how many packets to count.

The budgets and timeouts scale with the path's round trip; the loss rules size the
loss-counting streams and the confidence of their figures. Module constants so tests
can shorten them."""

from __future__ import annotations

import math

from .wire import HEADER, PROBE_MAGIC, WIRE_OVERHEAD

STALL_S = 3.0
"""No message at all from the responder for this long means it stopped answering (longer
on long paths, see :func:`stall_timeout_s`)."""
REQUEST_TIMEOUT_S = 8.0
"""A control request waits this long for its answer (while pings show the responder is
alive): aiortc's SCTP retransmitted after 3 s at first (0.5 s now, see ``rtc.peer``), so at
8 % loss a 3 s limit ended one heavy-loss test in six on a request or answer that was merely
retransmitted."""
KEEPALIVE_PING_S = 0.1
"""Ping interval while a control request waits for its answer (the pongs show the
responder is alive)."""


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]


LOSS_STREAM_SHARE = 0.5
"""A loss-counting stream uses this share of the measured capacity: the bottleneck never
queues, so every packet lost is the path's random loss, not congestion we caused (the
direction carries only our pings and rate commands besides, < 10 % of a 512 kbit/s link)."""
LOSS_STREAM_MAX_PPS = 2000.0
"""...and at most this many packets per second (CPU on both ends)."""
LOSS_SIZE = HEADER.size
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


def loss_packets_needed(
    loss_pct: float, half_width_pct: float = LOSS_HALF_WIDTH_PCT, z: float = LOSS_CONFIDENCE_Z
) -> int:
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
