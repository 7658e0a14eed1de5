"""Rules for the loopback probe, as tables."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.advice.verdict import decide_verdict
from sessioncheck.model import Measurement, ProbeResult, Status, Value, Verdict
from sessioncheck.settings import Thresholds

GOOD: dict[str, Value] = {
    "loopback.outcome": "ok",
    "loopback.connect_s": 0.2,
    "loopback.rtt_median_ms": 0.8,
    "loopback.rtt_p95_ms": 1.2,
    "loopback.pings": 120,
    "loopback.throughput_kbps": 30000.0,
}


@pytest.mark.parametrize(
    ("changes", "expected", "verdict"),
    [
        ({}, set(), Verdict.VIDEO),
        (
            {"loopback.outcome": "connect_failed", "loopback.detail": "no connection after 6 s"},
            {"loopback.connect_failed"},
            Verdict.PHONE,
        ),
        ({"loopback.connect_s": 4.0}, {"loopback.connect_slow"}, Verdict.VIDEO),
        ({"loopback.rtt_p95_ms": 45.0}, {"loopback.rtt_high"}, Verdict.AUDIO_ONLY),
        ({"loopback.throughput_kbps": 2000.0}, {"loopback.throughput_low"}, Verdict.AUDIO_ONLY),
    ],
)
def test_loopback_rules(changes: dict[str, Value], expected: set[str], verdict: Verdict) -> None:
    ms = [Measurement(k, v) for k, v in {**GOOD, **changes}.items()]
    findings = judge("loopback", ms, Thresholds())
    assert {f.code for f in findings} == expected
    got, reason = decide_verdict([ProbeResult("loopback", Status.PASS, 1.0, tuple(ms), tuple(findings))])
    assert got is verdict
    assert reason


def test_thresholds_come_from_settings() -> None:
    ms = [Measurement(k, v) for k, v in GOOD.items()]
    strict = Thresholds(loopback_rtt_slow_ms=1.0)
    assert {f.code for f in judge("loopback", ms, strict)} == {"loopback.rtt_high"}
