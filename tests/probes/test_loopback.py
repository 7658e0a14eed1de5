"""The loopback probe: two real aiortc peers on this machine."""

from __future__ import annotations

from sessioncheck.events import Sample
from sessioncheck.model import Status
from sessioncheck.probes.loopback import PINGS, LoopbackProbe, percentile
from sessioncheck.runner import Runner


async def test_two_real_peers_connect_and_measure() -> None:
    runner = Runner([LoopbackProbe()])
    samples = [e async for e in runner.events() if isinstance(e, Sample)]
    assert runner.report is not None
    r = runner.report.results[0]
    assert r.status in (Status.PASS, Status.WARN), r.error or r.findings
    values = {m.key: m.value for m in r.measurements}
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
