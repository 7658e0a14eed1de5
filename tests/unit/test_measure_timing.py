"""Pure timing and loss rules: percentiles, loss-stream sizes, and the timing that
scales with the round trip."""

from __future__ import annotations

import pytest

from sessioncheck.rtc.measure import timing as T
from sessioncheck.rtc.measure.timing import (
    capacity_budget_s,
    drain_wait_s,
    loss_stream_pps,
    paced_margin_s,
    percentile,
    stall_timeout_s,
)
from sessioncheck.rtc.measure.wire import KIND_PACED, pack


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0


def test_loss_stream_stays_well_below_capacity() -> None:
    assert loss_stream_pps(None) == 0.0
    assert loss_stream_pps(0.0) == 0.0
    slow = loss_stream_pps(800.0)
    assert slow * T.LOSS_PACKET_BITS / 1000.0 == pytest.approx(T.LOSS_STREAM_SHARE * 800.0)
    assert slow * T.LOSS_PACKET_BITS / 1000.0 <= 0.5 * 800.0
    assert loss_stream_pps(50_000.0) == T.LOSS_STREAM_MAX_PPS


def test_loss_packets_are_the_bare_header_so_a_slow_link_carries_many() -> None:
    assert T.LOSS_SIZE == len(pack(KIND_PACED, 5, 1, 0.0, T.LOSS_SIZE))
    assert T.LOSS_PACKET_BITS == 86 * 8
    assert loss_stream_pps(800.0) == pytest.approx(581.4, abs=0.1)


@pytest.mark.parametrize(
    ("loss_pct", "needed"),
    [(0.0, 0), (3.0, 1932), (8.0, 4886), (0.5, 331)],
)
def test_packets_needed_for_one_point_at_99_percent(loss_pct: float, needed: int) -> None:
    # normal approximation n = z² p (1 - p) / d²; the exact binomial needs 1975 at 3 % and
    # 4945 at 8 % (computed with scipy.stats.binom for the issue)
    assert T.loss_packets_needed(loss_pct) == pytest.approx(needed, abs=2)


@pytest.mark.parametrize(
    ("rtts_ms", "margin_s"),
    [
        ([], 0.1),  # no round trips: the plain margin
        ([20.0] * 50, 0.1),  # no jitter: nothing to add
        ([100.0 + (i % 30) for i in range(60)], 0.1 + 0.028),  # p95 128 - min 100
        ([600.0] * 40 + [1800.0] * 10, 0.5),  # capped
    ],
)
def test_paced_margin_adds_the_spread_of_round_trips(rtts_ms: list[float], margin_s: float) -> None:
    assert paced_margin_s(rtts_ms) == pytest.approx(margin_s)


def test_capacity_budget_grows_with_rtt_up_to_the_limit() -> None:
    assert capacity_budget_s(2.6, 0.02) == pytest.approx(2.66)
    assert capacity_budget_s(2.6, 0.6) == T.CAPACITY_MAX_S


def test_stall_timeout_scales_with_the_worst_rtt() -> None:
    assert stall_timeout_s([]) == T.STALL_S
    assert stall_timeout_s([20.0, 30.0]) == T.STALL_S
    assert stall_timeout_s([600.0, 1500.0]) == pytest.approx(8.0)


def test_drain_wait_bounds() -> None:
    assert drain_wait_s([]) == pytest.approx(0.2)
    assert drain_wait_s([300.0, 400.0]) == pytest.approx(0.6)
    assert drain_wait_s([5000.0]) == pytest.approx(1.5)
