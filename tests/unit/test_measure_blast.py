"""The capacity blast's rules: receive windows, rates, saturation and the hold."""

from __future__ import annotations

from typing import Any

import pytest

from sessioncheck.rtc.measure import blast as B
from sessioncheck.rtc.measure.blast import (
    BlastWindow,
    blast_kbps,
    blast_rate_fit,
    blast_window,
    hold_done,
    windows_unsaturated,
)
from sessioncheck.rtc.measure.wire import BLAST_SIZE, WIRE_OVERHEAD

PACKET_BITS = (BLAST_SIZE + WIRE_OVERHEAD) * 8


def snap(t_ms: float, packets: int, seq: int, sent_ms: float, *, extra_bytes: int = 0) -> dict[str, Any]:
    """A receiver snapshot after ``packets`` blast packets, the newest ``seq`` sent at ``sent_ms``."""
    size = packets * (BLAST_SIZE + WIRE_OVERHEAD)
    return {
        "t_ms": t_ms,
        "packets": packets,
        "bytes": size,
        "all_bytes": size + extra_bytes,
        "seq": seq,
        "sent_ms": sent_ms,
        "cpu": 0.1,
    }


def test_window_below_capacity_is_not_saturated() -> None:
    # 100 packets sent over 200 ms (4.8 Mbit/s), all 100 arrived in 200 ms
    w = blast_window(snap(0.0, 0, 0, 0.0), snap(200.0, 100, 100, 200.0))
    assert w is not None and w.send_kbps is not None
    assert w.recv_kbps == pytest.approx(100 * PACKET_BITS / 200.0)
    assert w.send_kbps == pytest.approx(w.recv_kbps)
    assert not w.saturated


def test_window_receiving_less_than_sent_is_saturated() -> None:
    # sent 150 packets in 200 ms, 100 arrived: the ramp overshot, the queue is full
    w = blast_window(snap(0.0, 0, 0, 0.0), snap(200.0, 100, 150, 200.0))
    assert w is not None and w.saturated


def test_random_loss_alone_does_not_look_saturated() -> None:
    # 8 % random loss: 92 of 100 arrive at the rate they were sent
    w = blast_window(snap(0.0, 0, 0, 0.0), snap(200.0, 92, 100, 200.0))
    assert w is not None and not w.saturated
    assert w.send_kbps is not None and w.recv_kbps >= B.BLAST_UNSATURATED * w.send_kbps


def test_window_with_too_few_packets_has_no_send_rate() -> None:
    w = blast_window(snap(0.0, 0, 0, 0.0), snap(200.0, 3, 3, 200.0))
    assert w is not None and w.send_kbps is None and not w.saturated
    assert blast_window(snap(100.0, 0, 0, 0.0), snap(100.0, 3, 3, 0.0)) is None


def test_blast_kbps_counts_everything_the_transport_received() -> None:
    a, b = snap(0.0, 0, 0, 0.0), snap(500.0, 100, 100, 500.0, extra_bytes=5000)
    assert blast_kbps(a, b) == pytest.approx((100 * (BLAST_SIZE + WIRE_OVERHEAD) + 5000) * 8 / 500.0)
    del a["all_bytes"], b["all_bytes"]
    assert blast_kbps(a, b) == pytest.approx(100 * PACKET_BITS / 500.0)


def test_rate_fit_is_robust_to_a_stalled_first_snapshot() -> None:
    # 1000 packets/s steady; the first snapshot was taken after a stall, before the
    # 30 packets queued meanwhile were read
    snaps = [snap(100.0 * i, 100 * i, 100 * i, 100.0 * i) for i in range(7)]
    true_kbps = 1000 * PACKET_BITS / 1000.0
    assert blast_rate_fit(snaps) == pytest.approx(true_kbps)
    snaps[0] = snap(0.0, -30, 0, 0.0)
    two_point = blast_kbps(snaps[0], snaps[-1])
    fitted = blast_rate_fit(snaps)
    assert abs(fitted - true_kbps) < abs(two_point - true_kbps) / 4
    assert blast_rate_fit(snaps[:2]) == pytest.approx(blast_kbps(snaps[0], snaps[1]))
    assert blast_rate_fit(snaps[:1]) == 0.0


def test_held_windows_are_judged_pooled() -> None:
    # 8 % random loss on a few packets per window: one window dips below the mark by chance
    lossy = [
        BlastWindow(0.0, 200.0, 850.0, 1000.0, 0.1),
        BlastWindow(100.0, 300.0, 960.0, 1000.0, 0.1),
        BlastWindow(200.0, 400.0, 950.0, 1000.0, 0.1),
    ]
    assert windows_unsaturated(lossy)
    # overdrive into a full queue: 1 / 1.25 of what is sent arrives
    full = [BlastWindow(100.0 * i, 100.0 * i + 200, 800.0, 1000.0, 0.1) for i in range(3)]
    assert not windows_unsaturated(full)
    assert not windows_unsaturated([BlastWindow(0.0, 200.0, 800.0, None, 0.1)])


def test_hold_needs_time_and_packets() -> None:
    start = snap(0.0, 0, 0, 0.0)
    assert not hold_done(start, snap(B.BLAST_HOLD_S * 1000 - 1, 500, 500, 0.0))  # too short
    assert not hold_done(start, snap(B.BLAST_HOLD_S * 1000, B.BLAST_HOLD_PACKETS - 1, 0, 0.0))  # slow link
    assert hold_done(start, snap(B.BLAST_HOLD_S * 1000, B.BLAST_HOLD_PACKETS, 0, 0.0))


def test_blast_window_is_frozen_data() -> None:
    w = BlastWindow(0.0, 100.0, 750.0, 1000.0, 0.1)
    assert w.saturated
    with pytest.raises(AttributeError):
        w.recv_kbps = 1.0  # type: ignore[misc]
