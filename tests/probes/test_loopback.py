"""The loopback probe: two real aiortc peers on this machine."""

from __future__ import annotations

from sessioncheck.events import Sample
from sessioncheck.model import Status
from sessioncheck.probes.loopback import PINGS, LoopbackProbe, percentile
from sessioncheck.runner import Runner
from sessioncheck.settings import Thresholds


async def test_two_real_peers_connect_and_measure() -> None:
    runner = Runner([LoopbackProbe()])
    samples = [e async for e in runner.events() if isinstance(e, Sample)]
    assert runner.report is not None
    r = runner.report.results[0]
    values = {m.key: m.value for m in r.measurements}
    # On one machine every finding is about its CPU: exactly those its figures cross, each a warning.
    t = Thresholds()
    expected = [
        code
        for code, crossed in (
            ("loopback.connect_slow", float(values["loopback.connect_s"]) > t.loopback_connect_slow_s),  # type: ignore[arg-type]
            ("loopback.rtt_high", float(values["loopback.rtt_p95_ms"]) > t.loopback_rtt_slow_ms),  # type: ignore[arg-type]
            ("loopback.throughput_low", float(values["loopback.throughput_kbps"]) < t.loopback_throughput_low_kbps),  # type: ignore[arg-type]
        )
        if crossed
    ]
    assert sorted(f.code for f in r.findings) == sorted(expected), (r.error, values)
    assert r.status is (Status.WARN if expected else Status.PASS), (r.error, r.findings)
    assert values["loopback.outcome"] == "ok"
    assert values["loopback.pings"] == PINGS >= 100
    rtt = r.measurement("loopback.rtt_median_ms")
    assert rtt is not None and rtt.samples is not None and len(rtt.samples) == PINGS
    assert 0 < float(values["loopback.rtt_median_ms"]) <= float(values["loopback.rtt_p95_ms"])  # type: ignore[arg-type]
    assert float(values["loopback.throughput_kbps"]) > 1000  # type: ignore[arg-type]
    assert 0 < float(values["loopback.connect_s"]) < 6  # type: ignore[arg-type]
    assert {s.key for s in samples} >= {"rtt_ms", "throughput_kbps"}


def test_percentile_nearest_rank() -> None:
    data = [float(x) for x in range(1, 101)]
    assert percentile(data, 95) == 95.0
    assert percentile(data, 50) == 50.0
    assert percentile([7.0], 95) == 7.0
