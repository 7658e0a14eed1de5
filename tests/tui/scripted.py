"""Deterministic runs and reports for the app's tests.

Results come from :mod:`.realistic` (real measurements judged by the real advice rules) and
verdicts from ``advice.verdict``, as the runner builds them, so the app is shown the same
shapes the real runner produces.
"""

from __future__ import annotations

from collections.abc import Sequence

from sessioncheck.advice import catalogue
from sessioncheck.advice.verdict import NEEDED_FOR_CHECK, NEEDED_FOR_PEER, decide
from sessioncheck.events import Event, ProbeFinished, ProbeStarted, Progress, RunFinished, Sample
from sessioncheck.model import ProbeResult, Report, Status
from sessioncheck.tui.source import ScriptedRun, Step

from .realistic import ice_ok, ice_wrong_password, loopback_ok, loopback_slow, system_ok

__all__ = [
    "ice_ok",
    "ice_wrong_password",
    "loopback_ok",
    "loopback_slow",
    "report_of",
    "script",
    "scripted_factory",
    "system_ok",
]

CREATED = "2026-11-25T10:00:00+00:00"
HOST = {"os": "Linux", "python": "3.11.7", "sessioncheck": "0.1.0"}


def title(probe: str) -> str:
    """What the runner announces when ``probe`` starts (its title)."""
    from sessioncheck.probes import PROBES, load_probe

    return load_probe(probe).title if probe in PROBES else probe


def report_of(results: Sequence[ProbeResult], *, interrupted: bool = False) -> Report:
    """The report as the runner (or, for a peer test, ``peer.combine``) builds it."""
    needed = NEEDED_FOR_PEER if [r.probe for r in results] == ["peer"] else NEEDED_FOR_CHECK
    d = decide(results, needed=needed, interrupted=interrupted)
    return Report(
        tool_version="0.1.0",
        created=CREATED,
        host=HOST,
        verdict=d.verdict,
        verdict_reason=d.reason,
        verdict_complete=d.complete,
        untested=d.untested,
        top_fixes=d.top_fixes,
        results=tuple(results),
        interrupted=interrupted,
        redacted=False,
    )


def script(
    results: Sequence[ProbeResult], delay_s: float = 0.0, rtts: Sequence[float] = (1.0, 1.4, 0.9, 1.2, 2.5, 1.1)
) -> list[Step]:
    """Events as the runner sends them: start, progress and samples, finish, run finished."""
    steps: list[Step] = []
    for r in results:
        steps.append(Step(ProbeStarted(r.probe, title(r.probe), 10.0), delay_s))
        if r.probe == "loopback":
            for i, rtt in enumerate(rtts):
                steps.append(Step(Sample("loopback", "rtt_ms", rtt, "ms"), delay_s))
                steps.append(Step(Sample("loopback", "throughput_kbps", 20000.0 + 9000 * i, "kbps")))
        steps.append(Step(Progress(r.probe, 0.5, "half way"), delay_s))
        steps.append(Step(ProbeFinished(r), delay_s))
    steps.append(Step(RunFinished(report_of(results)), delay_s))
    return steps


def scripted_factory(  # type: ignore[no-untyped-def]
    results: Sequence[ProbeResult],
    delay_s: float = 0.0,
    extra: Sequence[Step | Event] = (),
    *,
    hang_after: int | None = None,
):
    """A run factory replaying ``results`` (only those asked for, like a real plan).

    Cancelled, a run ends as the runner's does: the results that finished are kept, every other
    planned probe is skipped as stopped, and the report is interrupted. ``hang_after=N``: after
    the first N results, the next planned probe starts and never finishes (until cancelled).
    """
    made: list[ScriptedRun] = []

    def make(probe_ids: tuple[str, ...]) -> ScriptedRun:
        chosen = [r for r in results if r.probe in probe_ids]
        steps = [*extra, *script(chosen, delay_s)]
        if hang_after is not None:
            shown = chosen[:hang_after]
            steps = [*extra, *script(shown, delay_s)][:-1]
            rest = [p for p in probe_ids if p not in {r.probe for r in shown}]
            if rest:
                steps.append(Step(ProbeStarted(rest[0], title(rest[0]), 60.0)))
            steps.append(Step(RunFinished(report_of(shown)), 3600.0))

        def partial() -> Report:
            finished = {e.result.probe: e.result for e in run.emitted if isinstance(e, ProbeFinished)}
            return report_of(
                [
                    finished.get(p) or ProbeResult(p, Status.SKIP, 0.0, skip_reason=catalogue.phrase("skip.cancelled"))
                    for p in probe_ids
                ],
                interrupted=True,
            )

        run = ScriptedRun(steps, on_cancel=partial)
        made.append(run)
        return run

    make.made = made  # type: ignore[attr-defined]
    return make
