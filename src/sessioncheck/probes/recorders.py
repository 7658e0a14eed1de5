"""Measurement recorders shared by the probes that measure over WebRTC data channels.

The ``path`` probe (against the clinic's server) and the ``peer`` probe (between therapist
and client) run the same phases of :class:`~sessioncheck.rtc.measure.measurer.Measurer` and record
their results under the same key names, each under its own prefix (``path.`` /
``peer.<role>.``). A recorder is anything called like :meth:`ProbeContext.record
<sessioncheck.probes.base.ProbeContext.record>`; a long run (a monitor) records a phase
again and the newer value replaces the older.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from ..model import Value
from ..settings import IceServer, parse_ice_url

if TYPE_CHECKING:
    from ..rtc.measure.results import IdleResult, MediaResult, ThroughputResult
    from ..rtc.peer import SelectedPair

MEDIA_KINDS = ("audio", "video")


class Record(Protocol):
    """Where a measurement goes: ``record(key, value, unit, samples)``."""

    def __call__(self, key: str, value: Value, unit: str = "", samples: Iterable[float] | None = None) -> object: ...


def _percentile(values: Sequence[float], pct: float) -> float:
    from ..rtc.measure.timing import percentile

    return percentile(list(values), pct)


def record_pings(record: Record, prefix: str, rtts_ms: Sequence[float], sent: int | None = None) -> float | None:
    """``pings``, ``pings_lost_pct`` (when ``sent`` is known), ``rtt_ms`` (median, with the
    samples) and ``rtt_p95_ms``; returns the median (None without answers)."""
    record(f"{prefix}pings", len(rtts_ms), "count")
    if sent:
        lost = 100.0 * (sent - len(rtts_ms)) / sent
        record(f"{prefix}pings_lost_pct", round(lost, 2), "%")
    if not rtts_ms:
        return None
    median = statistics.median(rtts_ms)
    record(f"{prefix}rtt_ms", round(median, 2), "ms", [round(r, 3) for r in rtts_ms])
    record(f"{prefix}rtt_p95_ms", round(_percentile(rtts_ms, 95), 2), "ms")
    return median


def record_idle(record: Record, prefix: str, idle: IdleResult) -> float | None:
    """The idle phase: pings (:func:`record_pings`), ``jitter_up_ms`` / ``jitter_down_ms``
    and ``paced_packets``; returns the idle median delay."""
    median = record_pings(record, prefix, idle.rtts_ms, idle.pings_sent)
    for key, value in (("jitter_up_ms", idle.jitter_up_ms), ("jitter_down_ms", idle.jitter_down_ms)):
        if value is not None:
            record(f"{prefix}{key}", round(value, 2), "ms")
    record(f"{prefix}paced_packets", idle.paced_up_sent, "count")
    return median


def record_throughput(record: Record, prefix: str, direction: str, result: ThroughputResult) -> None:
    """``<direction>_kbps`` (with the windows' rates) and ``<direction>_test_s``."""
    record(f"{prefix}{direction}_kbps", round(result.kbps, 1), "kbps", [round(r, 1) for r in result.windows_kbps])
    record(f"{prefix}{direction}_test_s", round(result.duration_s, 2), "s")


class LoadedDelay:
    """Delay under load per direction (``loaded_rtt_<direction>_ms``) and the worst rise over
    the idle median (``loaded_rtt_delta_ms``), re-recorded as each direction arrives."""

    def __init__(self, record: Record, prefix: str, idle_ms: float | None) -> None:
        self.record = record
        self.prefix = prefix
        self.idle_ms = idle_ms
        self.by_direction: dict[str, list[float]] = {}

    def add(self, direction: str, rtts_ms: Sequence[float]) -> None:
        if not rtts_ms:
            return
        self.by_direction[direction] = list(rtts_ms)
        self.record(
            f"{self.prefix}loaded_rtt_{direction}_ms",
            round(statistics.median(rtts_ms), 2),
            "ms",
            [round(r, 3) for r in rtts_ms],
        )
        if self.idle_ms is not None:
            worst = max(statistics.median(r) for r in self.by_direction.values()) - self.idle_ms
            self.record(f"{self.prefix}loaded_rtt_delta_ms", round(max(0.0, worst), 2), "ms")


def record_media(record: Record, prefix: str, media: MediaResult) -> None:
    """What the far side received of our audio and video (``media.*`` under ``prefix``):
    packets, loss %, jitter, frames, and our send bitrate."""
    seconds = media.seconds
    record(f"{prefix}media.seconds", seconds, "s")
    for kind in MEDIA_KINDS:
        key = f"{prefix}media.{kind}"
        s = media.sent.get(kind, {})
        r = media.received.get(kind)
        if s:
            record(f"{key}_sent_kbps", round(s["bytes_sent"] * 8 / 1000 / seconds, 1), "kbps")
            record(f"{key}_packets_sent", s["packets_sent"], "count")
        if not isinstance(r, dict):
            continue
        got = int(r.get("packets_received") or 0)
        lost = int(r.get("packets_lost") or 0)
        record(f"{key}_packets_received", got, "count")
        if got + lost:
            record(f"{key}_loss_pct", round(100.0 * lost / (got + lost), 2), "%")
        if isinstance(r.get("jitter_ms"), int | float):
            record(f"{key}_jitter_ms", round(float(r["jitter_ms"]), 2), "ms")
        record(f"{key}_frames", int(r.get("frames") or 0), "count")
        if kind == "video":
            if r.get("width"):
                record(f"{prefix}media.video_resolution", f"{r['width']}x{r['height']}")
            record(f"{prefix}media.video_fps", round(int(r.get("frames") or 0) / seconds, 1), "fps")


def record_pair(record: Record, prefix: str, pair: SelectedPair, servers: Sequence[IceServer]) -> str:
    """``candidate_type``, ``remote_candidate_type`` and ``transport`` of the nominated pair;
    returns the transport (:func:`pair_transport`)."""
    transport = pair_transport(pair.local_type, pair.transport, servers)
    record(f"{prefix}candidate_type", pair.local_type)
    record(f"{prefix}remote_candidate_type", pair.remote_type)
    record(f"{prefix}transport", transport)
    return transport


def first_turn_url(servers: Sequence[IceServer]) -> str | None:
    """The TURN URL aiortc relays through: the first one it is given."""
    for s in servers:
        for u in s.urls:
            if u.strip().lower().startswith("turn"):
                return u
    return None


def pair_transport(local_type: str, transport: str, servers: Sequence[IceServer]) -> str:
    """udp, tcp, or for a relay candidate the transport to the TURN server (udp/tcp/tls):
    aiortc relays only through the first TURN URL it was given."""
    if local_type != "relay":
        return transport
    first = first_turn_url(servers)
    if first is None:
        return transport
    try:
        return parse_ice_url(first).transport
    except ValueError:
        return transport
