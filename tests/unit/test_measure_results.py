"""What the phases return: loss counts and their intervals."""

from __future__ import annotations

import pytest

from sessioncheck.rtc.measure import timing as T
from sessioncheck.rtc.measure.results import IdleResult, LossCount


def test_loss_count_pct_and_sum() -> None:
    assert LossCount(0, 0).pct is None
    total = LossCount(200, 194) + LossCount(1800, 1646)
    assert total == LossCount(2000, 1840)
    assert total.pct == pytest.approx(8.0)


def test_idle_result_loss_counts() -> None:
    idle = IdleResult(
        rtts_ms=[20.0],
        pings_sent=1,
        jitter_up_ms=None,
        jitter_down_ms=None,
        loss_up_pct=3.0,
        loss_down_pct=5.0,
        paced_up_sent=200,
        paced_down_received=190,
        paced_up_received=194,
    )
    assert idle.loss_up == LossCount(200, 194)
    assert idle.loss_down == LossCount(200, 190)


def test_short_by_counts_what_is_missing_at_the_loss_seen() -> None:
    assert LossCount(0, 0).short_by == 0
    assert LossCount(1000, 1000).short_by == 0  # no loss: nothing more needed
    assert LossCount(720, 698).short_by == T.loss_packets_needed(100 * 22 / 720) - 720
    assert LossCount(5000, 4600).short_by == 0


def test_wilson_interval() -> None:
    assert T.wilson_interval(0, 0) is None
    low, high = LossCount(1000, 970).interval() or (0.0, 0.0)
    assert (round(low, 2), round(high, 2)) == (2.11, 4.25)  # textbook Wilson 95 % for 30/1000
    low, high = LossCount(500, 500).interval() or (0.0, 0.0)
    assert low == 0.0 and 0.7 < high < 0.8  # 0 of 500: honest upper bound, not 0 ± 0
    assert LossCount(10, 0).interval() == (pytest.approx(72.25, abs=0.01), 100.0)
