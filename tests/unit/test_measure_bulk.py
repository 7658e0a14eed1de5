"""The reliable-channel throughput ramp."""

from __future__ import annotations

import pytest

from sessioncheck.rtc.measure.bulk import sustained_kbps


def test_sustained_rate_skips_the_first_window_and_takes_the_best_three() -> None:
    # (start ms, end ms, bytes): a burst first, then 1000 kbit/s (125 bytes/ms), then 500
    windows = (
        [(0.0, 200.0, 100_000)]
        + [(200.0 * i, 200.0 * (i + 1), 25_000) for i in range(1, 5)]
        + [(1000.0, 1200.0, 12_500)]
    )
    assert sustained_kbps(windows) == pytest.approx(1000.0)
