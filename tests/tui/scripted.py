"""Deterministic runs and reports for the app's tests, built from real catalogue entries.

Findings come from ``catalogue.finding`` and verdicts from ``advice.verdict``, exactly as
the runner builds them, so the app is shown the same shapes the real runner produces.
"""

from __future__ import annotations

from collections.abc import Sequence

from sessioncheck.advice import catalogue
from sessioncheck.advice.rules import status_for
from sessioncheck.advice.verdict import decide_verdict
from sessioncheck.events import Event, ProbeFinished, ProbeStarted, Progress, RunFinished, Sample
from sessioncheck.model import Finding, Measurement, ProbeResult, Report, Status
from sessioncheck.tui.source import ScriptedRun, Step

CREATED = "2026-11-25T10:00:00+00:00"
HOST = {"os": "Linux", "python": "3.11.7", "sessioncheck": "0.1.0"}
TITLES = {
    "system": "Checking your computer",
    "ice": "Reaching the call servers",
    "loopback": "Testing video calling on this computer",
}


def result(probe: str, measurements: Sequence[Measurement], findings: Sequence[Finding] = (),
           duration_s: float = 1.0) -> ProbeResult:
    return ProbeResult(probe=probe, status=status_for(findings), duration_s=duration_s,
                       measurements=tuple(measurements), findings=tuple(findings))


def report_of(results: Sequence[ProbeResult], *, interrupted: bool = False) -> Report:
    verdict, reason = decide_verdict(results)
    return Report(tool_version="0.1.0", created=CREATED, host=HOST, verdict=verdict,
                  verdict_reason=reason, results=tuple(results), interrupted=interrupted,
                  redacted=False)


def system_ok() -> ProbeResult:
    return result("system", [
        Measurement("system.os", "Linux 6.1"),
        Measurement("system.cpu_count", 2, "count"),
        Measurement("system.cpu_load_pct", 12.5, "%"),
        Measurement("system.memory_available_mb", 3100, "MB"),
    ], duration_s=1.0)


def ice_ok() -> ProbeResult:
    return result("ice", [
        Measurement("ice.servers_tried", 1, "count"),
        Measurement("ice.check1.url", "turn:turn.example.org:3478"),
        Measurement("ice.check1.rtt_ms", 18.25, "ms", (18.25, 19.0, 17.5)),
    ], duration_s=0.4)


def ice_wrong_password() -> ProbeResult:
    auth = catalogue.finding(
        "ice.turn_auth_failed",
        {"ice.check1.url": "turn:turn.example.org:3478", "ice.check1.code": 401},
        url="turn:turn.example.org:3478", transport="udp", code=401, reason="Unauthorized",
        username="clinic",
    )
    return result("ice", [
        Measurement("ice.check1.url", "turn:turn.example.org:3478"),
        Measurement("ice.check1.code", 401),
        Measurement("ice.check1.rtt_ms", 1.5, "ms"),
    ], [auth], duration_s=0.2)


def loopback_ok() -> ProbeResult:
    return result("loopback", [
        Measurement("loopback.connect_s", 0.42, "s"),
        Measurement("loopback.rtt_median_ms", 1.2, "ms", (1.1, 1.2, 1.3)),
        Measurement("loopback.rtt_p95_ms", 1.9, "ms"),
        Measurement("loopback.throughput_kbps", 95000.0, "kbps"),
    ], duration_s=3.0)


def loopback_slow() -> ProbeResult:
    slow = catalogue.finding(
        "loopback.rtt_high",
        {"loopback.rtt_median_ms": 48.0, "loopback.rtt_p95_ms": 130.0},
        rtt_median_ms=48.0, rtt_p95_ms=130.0, pings=50, threshold=20.0,
    )
    return result("loopback", [
        Measurement("loopback.connect_s", 1.1, "s"),
        Measurement("loopback.rtt_median_ms", 48.0, "ms"),
        Measurement("loopback.rtt_p95_ms", 130.0, "ms"),
        Measurement("loopback.throughput_kbps", 40000.0, "kbps"),
    ], [slow], duration_s=4.0)


def script(results: Sequence[ProbeResult], delay_s: float = 0.0,
           rtts: Sequence[float] = (1.0, 1.4, 0.9, 1.2, 2.5, 1.1)) -> list[Step]:
    """Events as the runner sends them: start, progress and samples, finish, run finished."""
    steps: list[Step] = []
    for r in results:
        steps.append(Step(ProbeStarted(r.probe, TITLES.get(r.probe, r.probe), 10.0), delay_s))
        if r.probe == "loopback":
            for i, rtt in enumerate(rtts):
                steps.append(Step(Sample("loopback", "rtt_ms", rtt, "ms"), delay_s))
                steps.append(Step(Sample("loopback", "throughput_kbps", 20000.0 + 9000 * i, "kbps")))
        steps.append(Step(Progress(r.probe, 0.5, "half way"), delay_s))
        steps.append(Step(ProbeFinished(r), delay_s))
    steps.append(Step(RunFinished(report_of(results)), delay_s))
    return steps


def scripted_factory(results: Sequence[ProbeResult], delay_s: float = 0.0,
                     extra: Sequence[Step | Event] = ()):  # type: ignore[no-untyped-def]
    """A run factory replaying ``results`` (only those asked for, like a real plan)."""
    made: list[ScriptedRun] = []

    def make(probe_ids: tuple[str, ...]) -> ScriptedRun:
        chosen = [r for r in results if r.probe in probe_ids]
        done = [r for r in chosen]

        def partial() -> Report:
            return report_of([
                ProbeResult(r.probe, Status.SKIP, 0.0, skip_reason=catalogue.phrase("skip.cancelled"))
                for r in done
            ], interrupted=True)

        run = ScriptedRun([*extra, *script(chosen, delay_s)], on_cancel=partial)
        made.append(run)
        return run

    make.made = made  # type: ignore[attr-defined]
    return make
