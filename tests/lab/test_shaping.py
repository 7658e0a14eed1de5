"""Rate, queue, loss and blocked UDP in the router, measured with iperf3 and the UDP echo."""

from __future__ import annotations

import math
import threading

import pytest

from sessioncheck.lab import Lab
from sessioncheck.lab.measure import (
    iperf3,
    start_echo_server,
    start_iperf3_server,
    udp_echo,
)
from sessioncheck.lab.shaping import (
    MTU_FRAME,
    Direction,
    Impairment,
    ImpairmentError,
    apply,
    tbf_params,
    tcp_goodput_kbit,
)


@pytest.mark.usefixtures("iperf3_ok")
def test_rate_per_direction_within_5_percent(lab: Lab) -> None:
    apply(lab, Impairment(up=Direction(rate_kbit=2000), down=Direction(rate_kbit=8000)))
    start_iperf3_server(lab)
    up = iperf3(lab, "up", seconds=3, omit_s=1)
    down = iperf3(lab, "down", seconds=3, omit_s=1)
    assert up == pytest.approx(tcp_goodput_kbit(2000), rel=0.05)
    assert down == pytest.approx(tcp_goodput_kbit(8000), rel=0.05)
    qdisc = lab.run(lab.ns.router, ["tc", "qdisc", "show", "dev", "rs"])
    assert "tbf" in qdisc and "2Mbit" in qdisc


def test_random_udp_loss_per_direction(lab: Lab) -> None:
    apply(lab, Impairment(up=Direction(loss_pct=5), down=Direction(loss_pct=2)))
    start_echo_server(lab)
    n = 4000
    r = udp_echo(lab, count=n, interval_ms=1, linger_s=0.5)
    # Binomial bounds, 4.5 standard deviations: fails by chance about once in 150 000 runs.
    for measured, p, sent in ((r.up_loss_pct, 0.05, n), (r.down_loss_pct, 0.02, n * 0.95)):
        sd = 100 * math.sqrt(p * (1 - p) / sent)
        assert abs(measured - 100 * p) <= 4.5 * sd, r


@pytest.mark.usefixtures("iperf3_ok")
def test_blocked_udp_is_blocked_and_tcp_still_works(lab: Lab) -> None:
    apply(lab, Impairment(block_udp=True))
    start_echo_server(lab)
    assert udp_echo(lab, count=30, interval_ms=2, linger_s=0.3).received == 0
    start_iperf3_server(lab)
    assert iperf3(lab, "up", seconds=1, omit_s=0) > 10_000  # TCP passes at full speed
    # ...and UDP inside the server namespace (where coturn relays) is untouched.
    lab.run(
        lab.ns.server,
        [
            "python3",
            "-c",
            (
                "import socket; a=socket.socket(2,2); a.bind(('10.77.2.2',0)); b=socket.socket(2,2);"
                "b.sendto(b'x', a.getsockname()); a.settimeout(2); assert a.recv(9)==b'x'"
            ),
        ],
    )


@pytest.mark.usefixtures("iperf3_ok")
def test_deep_queue_builds_latency_under_load(lab: Lab) -> None:
    apply(lab, Impairment(up=Direction(rate_kbit=1000, queue_ms=600)))
    start_echo_server(lab)
    start_iperf3_server(lab)
    idle = udp_echo(lab, count=30, interval_ms=10).rtt_median_ms
    load = threading.Thread(target=iperf3, args=(lab, "up", 4.0, 0.0))
    load.start()
    try:
        import time

        time.sleep(1.5)  # TCP fills the queue within a second at 1 Mbit/s
        loaded = udp_echo(lab, count=100, interval_ms=10, linger_s=1.5).rtt_median_ms
    finally:
        load.join()
    assert idle < 5
    assert 400 <= loaded - idle <= 700, (idle, loaded)  # the queue holds 600 ms at the rate


def test_tbf_parameters() -> None:
    burst, limit = tbf_params(512, 50)
    assert burst >= 2 * MTU_FRAME  # a burst below a frame would drop every full packet
    assert limit >= 10 * MTU_FRAME
    burst, limit = tbf_params(50_000, 1000)
    assert burst >= 50_000 * 1000 / 8 * 0.004
    assert limit == pytest.approx(50_000 * 1000 / 8, rel=0.01)


@pytest.mark.parametrize(
    ("imp", "match"),
    [
        (Impairment(up=Direction(rate_kbit=0)), "rate"),
        (Impairment(down=Direction(delay_ms=5, jitter_ms=6)), "cannot exceed"),
        (Impairment(up=Direction(loss_pct=120)), "outside 0-100"),
        (Impairment(up=Direction(delay_ms=-1)), "≥ 0"),
    ],
)
def test_impossible_impairments_are_refused(imp: Impairment, match: str) -> None:
    with pytest.raises(ImpairmentError, match=match):
        imp.validate()
