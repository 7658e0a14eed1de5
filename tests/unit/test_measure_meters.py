"""Receive-side counters: RFC 3550 interarrival jitter."""

from __future__ import annotations

import pytest

from sessioncheck.rtc.measure.meters import JitterMeter


def test_jitter_zero_for_constant_transit_and_duplicates_ignored() -> None:
    m = JitterMeter()
    for seq in range(50):
        m.add(seq, seq * 5.0, seq * 5.0 + 30.0)
    m.add(10, 50.0, 500.0)  # a duplicate: ignored
    assert m.received == 50 and m.max_seq == 49
    assert m.jitter_ms == pytest.approx(0.0)


def test_jitter_converges_to_the_mean_transit_difference() -> None:
    m = JitterMeter()
    for seq in range(400):  # transit alternates 30 / 34 ms: |D| = 4 ms every packet
        m.add(seq, seq * 5.0, seq * 5.0 + 30.0 + 4.0 * (seq % 2))
    assert m.jitter_ms == pytest.approx(4.0, abs=0.01)
