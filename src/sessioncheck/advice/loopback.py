"""Rules for the ``loopback`` probe: the local WebRTC stack and CPU."""

from __future__ import annotations

from ..model import Finding
from ..settings import Thresholds
from .rules import Measures, finding


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    out: list[Finding] = []
    if m.text("loopback.outcome") == "connect_failed":
        detail = m.text("loopback.detail") or "unknown reason"
        return [finding("loopback.connect_failed", {"loopback.detail": detail}, detail=detail)]

    connect = m.num("loopback.connect_s")
    if connect is not None and connect > t.loopback_connect_slow_s:
        out.append(
            finding(
                "loopback.connect_slow",
                {"loopback.connect_s": connect},
                connect_s=connect,
                threshold=t.loopback_connect_slow_s,
            )
        )

    p95 = m.num("loopback.rtt_p95_ms")
    median = m.num("loopback.rtt_median_ms")
    if p95 is not None and median is not None and p95 > t.loopback_rtt_slow_ms:
        out.append(
            finding(
                "loopback.rtt_high",
                {"loopback.rtt_median_ms": median, "loopback.rtt_p95_ms": p95},
                rtt_median_ms=median,
                rtt_p95_ms=p95,
                pings=int(m.num("loopback.pings") or 0),
                threshold=t.loopback_rtt_slow_ms,
            )
        )

    kbps = m.num("loopback.throughput_kbps")
    if kbps is not None and kbps < t.loopback_throughput_low_kbps:
        out.append(
            finding(
                "loopback.throughput_low",
                {"loopback.throughput_kbps": kbps},
                throughput_kbps=kbps,
                threshold=t.loopback_throughput_low_kbps,
            )
        )
    return out
