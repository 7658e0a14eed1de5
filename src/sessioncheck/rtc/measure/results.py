"""What a path test's phases return, and the plan that times them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .blast import BLAST_MAX_KBPS
from .timing import REPORT_Z, loss_packets_needed, wilson_interval


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
    """Per kind, what our senders sent during the leg (``packets_sent``, ``bytes_sent``)."""
    received: dict[str, Any]
    """Per kind, what the far side reports it received (its JSON, unchecked: the keys of
    :class:`.media.ReceiveStats` from a sessioncheck responder)."""
