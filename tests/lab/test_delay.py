"""The userspace NFQUEUE delay stage: delay, jitter, order, and what happens when it dies."""

from __future__ import annotations

import math
import signal

import pytest

from sessioncheck.lab import Lab, LabCommandError
from sessioncheck.lab.delay import DelayStage, expected_ping_rtt, expected_rfc3550_jitter
from sessioncheck.lab.measure import start_echo_server, udp_echo
from sessioncheck.lab.shaping import Direction, Impairment, apply

pytestmark = pytest.mark.usefixtures("nfqueue_ok")


def test_per_direction_delay_within_2_ms(lab: Lab) -> None:
    apply(lab, Impairment(up=Direction(delay_ms=40), down=Direction(delay_ms=10)))
    start_echo_server(lab)
    r = udp_echo(lab, count=150, interval_ms=10)
    assert r.received == 150
    assert abs(r.up_owd_mean_ms - 40) <= 2, r
    assert abs(r.down_owd_mean_ms - 10) <= 2, r
    assert abs(r.rtt_median_ms - 50) <= 2, r
    assert r.up_owd_sd_ms < 1 and r.down_owd_sd_ms < 1  # no jitter configured: little spread


def test_uniform_jitter_has_the_configured_spread(lab: Lab) -> None:
    j = 10.0
    apply(lab, Impairment(up=Direction(delay_ms=30, jitter_ms=j), down=Direction()))
    start_echo_server(lab)
    # Spaced wider than 2J: FIFO never holds a packet back, so delays are exactly d ± U(J).
    r = udp_echo(lab, count=250, interval_ms=25)
    assert r.received == 250
    assert abs(r.up_owd_mean_ms - 30) <= 2, r
    assert abs(r.up_owd_sd_ms - j / math.sqrt(3)) <= 1.0, r  # uniform: sd = J/√3 = 5.8 ms
    assert abs(r.up_jitter_ms - 2 * j / 3) <= 3.0, r  # RFC 3550: 2J/3 = 6.7 ms
    assert r.down_owd_sd_ms < 1, r
    assert r.reordered == 0


def test_fifo_mode_keeps_order_and_reorder_mode_does_not(lab: Lab) -> None:
    apply(
        lab,
        Impairment(up=Direction(delay_ms=20, jitter_ms=10), down=Direction(delay_ms=20, jitter_ms=10), reorder=True),
    )
    start_echo_server(lab)
    r = udp_echo(lab, count=300, interval_ms=2)
    assert r.reordered > 20, r  # packets 2 ms apart with ± 10 ms overtake each other often
    with Lab() as fifo:
        apply(fifo, Impairment(up=Direction(delay_ms=20, jitter_ms=10), down=Direction(delay_ms=20, jitter_ms=10)))
        start_echo_server(fifo)
        r2 = udp_echo(fifo, count=300, interval_ms=2)
        assert r2.received == 300 and r2.reordered == 0, r2


def test_a_dead_delay_stage_is_detected(lab: Lab) -> None:
    applied = apply(lab, Impairment(up=Direction(delay_ms=5)))
    applied.check_alive()
    applied.delay_procs["upload"].send_signal(signal.SIGKILL)
    applied.delay_procs["upload"].wait(timeout=5)
    with pytest.raises(LabCommandError, match="upload delay stage died"):
        applied.check_alive()


def test_expected_rfc3550_jitter_model() -> None:
    # Sparse packets: 2J/3. Dense packets in FIFO: less (they queue behind each other).
    assert expected_rfc3550_jitter(10, 25) == pytest.approx(20 / 3, rel=0.03)
    assert expected_rfc3550_jitter(15, 5) < 0.7 * 10
    assert expected_rfc3550_jitter(0, 5) == 0.0


def test_stage_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="cannot be larger"):
        DelayStage(1, delay_ms=5, jitter_ms=10)
    with pytest.raises(ValueError, match="negative"):
        DelayStage(1, delay_ms=-1)


def test_expected_ping_rtt_model() -> None:
    """Without jitter the RTT is the two delays; FIFO jitter adds; reordering adds nothing."""
    assert expected_ping_rtt((60, 0), (60, 0), 12, 52) == 120
    fifo = expected_ping_rtt((60, 15), (60, 15), 12, 52)
    assert 122.5 < fifo < 124.0
    assert expected_ping_rtt((60, 15), (60, 15), 12, 52, reorder=True) == pytest.approx(120, abs=0.5)
    # spaced wider than 2J, no ping waits for another
    assert expected_ping_rtt((60, 15), (60, 15), 40, 52) == pytest.approx(120, abs=0.5)


def test_scenario_ping_spacing_is_the_path_probes() -> None:
    """The lab's model of the probe's pings must follow the probe's own plan."""
    from sessioncheck.lab.scenario import PROBE_PACED_INTERVAL_MS, PROBE_PING_INTERVAL_MS, PROBE_QUIET_PINGS
    from sessioncheck.rtc.measure.results import Plan

    plan = Plan()
    assert plan.ping_interval_s * 1000 == pytest.approx(PROBE_PING_INTERVAL_MS)
    assert plan.quiet_pings == PROBE_QUIET_PINGS
    assert plan.paced_interval_ms == PROBE_PACED_INTERVAL_MS
