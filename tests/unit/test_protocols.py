"""Pure pieces of the measurement protocols: packets, jitter, capacity windows, loss counting
and the timing rules that scale with the round trip."""

from __future__ import annotations

from typing import Any

import pytest

from sessioncheck.rtc import protocols as P
from sessioncheck.rtc.protocols import (
    BlastWindow,
    IdleResult,
    JitterMeter,
    LossCount,
    blast_kbps,
    blast_rate_fit,
    blast_window,
    capacity_budget_s,
    drain_wait_s,
    hold_done,
    loss_stream_pps,
    paced_margin_s,
    pack,
    percentile,
    stall_timeout_s,
    sustained_kbps,
    unpack,
    windows_unsaturated,
)

PACKET_BITS = (P.BLAST_SIZE + P.WIRE_OVERHEAD) * 8


def snap(t_ms: float, packets: int, seq: int, sent_ms: float, *, extra_bytes: int = 0) -> dict[str, Any]:
    """A receiver snapshot after ``packets`` blast packets, the newest ``seq`` sent at ``sent_ms``."""
    size = packets * (P.BLAST_SIZE + P.WIRE_OVERHEAD)
    return {"t_ms": t_ms, "packets": packets, "bytes": size, "all_bytes": size + extra_bytes,
            "seq": seq, "sent_ms": sent_ms, "cpu": 0.1}


# --- packets and percentiles ----------------------------------------------------------------


def test_pack_unpack_round_trip_and_padding() -> None:
    data = pack(P.KIND_PACED, 7, 12345, 987.5, 64)
    assert len(data) == 64
    assert unpack(data) == (P.KIND_PACED, 7, 12345, 987.5)
    assert unpack(data[:5]) is None


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0


# --- RFC 3550 jitter ------------------------------------------------------------------------


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


# --- capacity windows -----------------------------------------------------------------------


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
    assert w.send_kbps is not None and w.recv_kbps >= P.BLAST_UNSATURATED * w.send_kbps


def test_window_with_too_few_packets_has_no_send_rate() -> None:
    w = blast_window(snap(0.0, 0, 0, 0.0), snap(200.0, 3, 3, 200.0))
    assert w is not None and w.send_kbps is None and not w.saturated
    assert blast_window(snap(100.0, 0, 0, 0.0), snap(100.0, 3, 3, 0.0)) is None


def test_blast_kbps_counts_everything_the_transport_received() -> None:
    a, b = snap(0.0, 0, 0, 0.0), snap(500.0, 100, 100, 500.0, extra_bytes=5000)
    assert blast_kbps(a, b) == pytest.approx((100 * (P.BLAST_SIZE + P.WIRE_OVERHEAD) + 5000) * 8 / 500.0)
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
    lossy = [BlastWindow(0.0, 200.0, 850.0, 1000.0, 0.1), BlastWindow(100.0, 300.0, 960.0, 1000.0, 0.1),
             BlastWindow(200.0, 400.0, 950.0, 1000.0, 0.1)]
    assert windows_unsaturated(lossy)
    # overdrive into a full queue: 1 / 1.25 of what is sent arrives
    full = [BlastWindow(100.0 * i, 100.0 * i + 200, 800.0, 1000.0, 0.1) for i in range(3)]
    assert not windows_unsaturated(full)
    assert not windows_unsaturated([BlastWindow(0.0, 200.0, 800.0, None, 0.1)])


def test_hold_needs_time_and_packets() -> None:
    start = snap(0.0, 0, 0, 0.0)
    assert not hold_done(start, snap(P.BLAST_HOLD_S * 1000 - 1, 500, 500, 0.0))  # too short
    assert not hold_done(start, snap(P.BLAST_HOLD_S * 1000, P.BLAST_HOLD_PACKETS - 1, 0, 0.0))  # slow link
    assert hold_done(start, snap(P.BLAST_HOLD_S * 1000, P.BLAST_HOLD_PACKETS, 0, 0.0))


def test_blast_window_is_frozen_data() -> None:
    w = BlastWindow(0.0, 100.0, 750.0, 1000.0, 0.1)
    assert w.saturated
    with pytest.raises(AttributeError):
        w.recv_kbps = 1.0  # type: ignore[misc]


def test_sustained_rate_skips_the_first_window_and_takes_the_best_three() -> None:
    # (start ms, end ms, bytes): a burst first, then 1000 kbit/s (125 bytes/ms), then 500
    windows = [(0.0, 200.0, 100_000)] + [(200.0 * i, 200.0 * (i + 1), 25_000) for i in range(1, 5)] \
        + [(1000.0, 1200.0, 12_500)]
    assert sustained_kbps(windows) == pytest.approx(1000.0)


# --- loss counting ----------------------------------------------------------------------------


def test_loss_count_pct_and_sum() -> None:
    assert LossCount(0, 0).pct is None
    total = LossCount(200, 194) + LossCount(1800, 1646)
    assert total == LossCount(2000, 1840)
    assert total.pct == pytest.approx(8.0)


def test_idle_result_loss_counts() -> None:
    idle = IdleResult(rtts_ms=[20.0], pings_sent=1, jitter_up_ms=None, jitter_down_ms=None,
                      loss_up_pct=3.0, loss_down_pct=5.0, paced_up_sent=200, paced_down_received=190,
                      paced_up_received=194)
    assert idle.loss_up == LossCount(200, 194)
    assert idle.loss_down == LossCount(200, 190)


def test_loss_stream_stays_well_below_capacity() -> None:
    assert loss_stream_pps(None) == 0.0
    assert loss_stream_pps(0.0) == 0.0
    slow = loss_stream_pps(800.0)
    assert slow * P.LOSS_PACKET_BITS / 1000.0 == pytest.approx(P.LOSS_STREAM_SHARE * 800.0)
    assert slow * P.LOSS_PACKET_BITS / 1000.0 <= 0.5 * 800.0
    assert loss_stream_pps(50_000.0) == P.LOSS_STREAM_MAX_PPS


def test_loss_packets_are_the_bare_header_so_a_slow_link_carries_many() -> None:
    assert P.LOSS_SIZE == len(pack(P.KIND_PACED, 5, 1, 0.0, P.LOSS_SIZE))
    assert P.LOSS_PACKET_BITS == 86 * 8
    assert loss_stream_pps(800.0) == pytest.approx(581.4, abs=0.1)


@pytest.mark.parametrize(
    ("loss_pct", "needed"),
    [(0.0, 0), (3.0, 1932), (8.0, 4886), (0.5, 331)],
)
def test_packets_needed_for_one_point_at_99_percent(loss_pct: float, needed: int) -> None:
    # normal approximation n = z² p (1 - p) / d²; the exact binomial needs 1975 at 3 % and
    # 4945 at 8 % (computed with scipy.stats.binom for the issue)
    assert P.loss_packets_needed(loss_pct) == pytest.approx(needed, abs=2)


def test_short_by_counts_what_is_missing_at_the_loss_seen() -> None:
    assert LossCount(0, 0).short_by == 0
    assert LossCount(1000, 1000).short_by == 0  # no loss: nothing more needed
    assert LossCount(720, 698).short_by == P.loss_packets_needed(100 * 22 / 720) - 720
    assert LossCount(5000, 4600).short_by == 0


def test_wilson_interval() -> None:
    assert P.wilson_interval(0, 0) is None
    low, high = LossCount(1000, 970).interval() or (0.0, 0.0)
    assert (round(low, 2), round(high, 2)) == (2.11, 4.25)  # textbook Wilson 95 % for 30/1000
    low, high = LossCount(500, 500).interval() or (0.0, 0.0)
    assert low == 0.0 and 0.7 < high < 0.8  # 0 of 500: honest upper bound, not 0 ± 0
    assert LossCount(10, 0).interval() == (pytest.approx(72.25, abs=0.01), 100.0)


# --- timing that scales with the round trip ---------------------------------------------------


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
    assert capacity_budget_s(2.6, 0.6) == P.CAPACITY_MAX_S


def test_stall_timeout_scales_with_the_worst_rtt() -> None:
    assert stall_timeout_s([]) == P.STALL_S
    assert stall_timeout_s([20.0, 30.0]) == P.STALL_S
    assert stall_timeout_s([600.0, 1500.0]) == pytest.approx(8.0)


def test_drain_wait_bounds() -> None:
    assert drain_wait_s([]) == pytest.approx(0.2)
    assert drain_wait_s([300.0, 400.0]) == pytest.approx(0.6)
    assert drain_wait_s([5000.0]) == pytest.approx(1.5)


# --- gentle mode ------------------------------------------------------------------------------


def test_gentle_settings_cap_the_peer_tests_capacity_phases() -> None:
    from sessioncheck.peer.session import THERAPIST, PeerTest
    from sessioncheck.settings import Settings, settings_from_mapping

    assert settings_from_mapping({"gentle": True}, "x.toml").gentle is True
    with pytest.raises(ValueError, match="gentle must be true or false"):
        settings_from_mapping({"gentle": "yes"}, "x.toml")
    gentle = PeerTest(THERAPIST, Settings(gentle=True), "ws://127.0.0.1:1/ws")
    assert gentle.plan.measure is not None and gentle.plan.measure.max_kbps == P.GENTLE_MAX_KBPS
    normal = PeerTest(THERAPIST, Settings(), "ws://127.0.0.1:1/ws")
    assert normal.plan.measure is None  # the protocol's defaults: up to BLAST_MAX_KBPS


def test_check_gentle_flag_sets_the_setting(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from sessioncheck.commands import check

    monkeypatch.setenv("SESSIONCHECK_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    parser = argparse.ArgumentParser()
    check.register(parser.add_subparsers())
    assert check.build_settings(parser.parse_args(["check", "--gentle"])).gentle is True
    assert check.build_settings(parser.parse_args(["check"])).gentle is False
