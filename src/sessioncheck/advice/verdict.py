"""The report's verdict: ready for video, audio only, or call by phone — and how far to trust it.

The verdict keeps its three values. Two more facts say whether it can be trusted: whether
everything it depends on was tested (``complete``), and which probes it needed that did
not run, were skipped, broke, were interrupted, or could not measure (``untested``). A
front end shows green only for a complete video verdict: never while a ``fail`` finding
stands or a test the verdict depends on did not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..model import Audience, Finding, Impact, ProbeResult, Report, Severity, Status, Verdict
from . import catalogue

NEEDED_FOR_CHECK: tuple[str, ...] = ("system", "ice", "camera", "microphone", "speaker", "path")
"""What a "ready for video" verdict of a check stands on: the computer, the call servers, the
devices and the connection to the clinic. ``loopback`` and ``media_loop`` are not here: they
test this computer only, and ``path`` covers both when a check server is configured."""

NEEDED_FOR_PEER: tuple[str, ...] = ("peer",)
"""What the verdict of a peer test (therapist ↔ client) stands on."""

UNTESTED_CODES: frozenset[str] = frozenset(
    {
        # the check server could not be used, so the connection to the clinic was not measured
        "network.server_address_invalid",
        "network.server_unreachable",
        "network.server_auth_failed",
        "network.server_busy",
        "network.server_stopped",
        # the peer test did not get to measure, or stopped before it finished
        "peer.server_lost",
        "peer.server_ended",
        "peer.code_invalid",
        "peer.code_expired",
        "peer.code_used",
        "peer.rate_limited",
        "peer.server_unreachable",
        "peer.client_left",
        "peer.therapist_left",
        # a device could not be read or checked
        "camera.source_invalid",
        "microphone.source_invalid",
        "speaker.unavailable",
        "speaker.unverified",
    }
)
"""Findings that mean "this could not be measured", not "this is bad": the probe ran, but the
thing the verdict needs from it was not tested."""

NO_TEST_OUTCOMES: frozenset[str] = frozenset(
    {
        # the server refused the room or the code
        "bad_code",
        "expired",
        "used",
        "rate_limited",
        "auth_failed",
        "busy",
        "version",
        # the server could not be reached or spoke nonsense
        "bad_url",
        "server_unreachable",
        "protocol_error",
        "bad_message",
        "timeout",
    }
)
"""Peer-test outcomes (``peer.session``'s ``outcome``, plain strings or their ``StrEnum``) where
no test ran at all: the front end says why in one line and keeps no report, exit
:attr:`~sessioncheck.errors.ExitCode.USAGE`. Every other outcome ends with a report."""


def no_test_ran(outcome: str) -> bool:
    """True when a peer test with this outcome never started measuring (:data:`NO_TEST_OUTCOMES`)."""
    return outcome in NO_TEST_OUTCOMES


@dataclass(frozen=True)
class Decision:
    """What advice decided about a set of results."""

    verdict: Verdict
    reason: str
    """Why, in the client's words; says plainly what was not tested."""
    complete: bool
    """True only when nothing the verdict needs went untested and no ``fail`` finding stands."""
    untested: tuple[str, ...]
    """Probe ids the verdict needed that did not run, were skipped, broke, were interrupted, or
    could not measure, in plan order."""
    top_fixes: tuple[str, ...] = ()
    """Codes of the findings to act on first (:func:`top_fixes`), for :attr:`Report.top_fixes`."""


def _rank(f: Finding) -> tuple[int, int]:
    impact_rank = {Impact.NONE: 0, Impact.VIDEO: 1, Impact.CALL: 2}[f.impact]
    return impact_rank, f.severity.rank


def untested_probes(results: Sequence[ProbeResult], needed: Sequence[str]) -> tuple[str, ...]:
    """The probes in ``needed`` whose results do not stand: missing, skipped, broken or unmeasured."""
    by_id = {r.probe: r for r in results}
    out = []
    for probe in needed:
        r = by_id.get(probe)
        if r is None or r.status in (Status.SKIP, Status.ERROR) or any(f.code in UNTESTED_CODES for f in r.findings):
            out.append(probe)
    return tuple(out)


def decide(
    results: Sequence[ProbeResult],
    *,
    needed: Sequence[str] = NEEDED_FOR_CHECK,
    interrupted: bool = False,
) -> Decision:
    """The worst impact among all findings decides; untested needs and standing failures qualify it.

    Every probe in ``results`` counts as needed as well as those in ``needed``. ``interrupted``
    marks a run that was stopped early: every needed probe that did not finish
    is untested, and the verdict is never complete.
    """
    # A probe that was run is needed too: if it broke or could not measure, the verdict lacks it.
    needed = (*needed, *(r.probe for r in results if r.probe not in needed))
    findings = [f for r in results for f in r.findings]
    worst = max(findings, key=_rank, default=None)
    untested = untested_probes(results, needed)
    failures = [f for f in findings if f.severity is Severity.FAIL]
    complete = not untested and not failures and not interrupted
    gaps = _gaps_sentence(untested, failures, interrupted=interrupted)
    fixes = fix_codes(results)

    if worst is not None and worst.impact is Impact.CALL:
        reason = catalogue.phrase("verdict.phone", reason=_sentence(worst.for_audience(Audience.CLIENT).title))
        return Decision(Verdict.PHONE, reason, complete, untested, fixes)
    if worst is not None and worst.impact is Impact.VIDEO:
        reason = catalogue.phrase("verdict.audio_only", reason=_sentence(worst.for_audience(Audience.CLIENT).title))
        if gaps:
            reason = f"{reason} {gaps}"
        return Decision(Verdict.AUDIO_ONLY, reason, complete, untested, fixes)
    if complete:
        return Decision(Verdict.VIDEO, catalogue.phrase("verdict.video"), True, (), fixes)
    key = "verdict.partly" if len(untested) < len(needed) else "verdict.partly_nothing"
    return Decision(Verdict.VIDEO, catalogue.phrase(key, gaps=gaps), False, untested, fixes)


def _gaps_sentence(untested: Sequence[str], failures: Sequence[Finding], *, interrupted: bool) -> str:
    """One or two plain sentences: what could not be tested, and the worst standing failure."""
    parts = []
    if untested:
        names = [
            catalogue.phrase(f"verdict.untested.{p}")
            if f"verdict.untested.{p}" in catalogue.PHRASES
            else catalogue.PHRASES.get(f"probe.{p}", p).lower()
            for p in untested
        ]
        parts.append(catalogue.phrase("verdict.not_tested", what=_join(names)))
    elif interrupted:
        parts.append(catalogue.phrase("verdict.stopped_early"))
    if failures:
        worst = max(failures, key=_rank)
        parts.append(_sentence(worst.for_audience(Audience.CLIENT).title))
    return " ".join(parts)


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return catalogue.phrase("verdict.list_and", first=", ".join(names[:-1]), last=names[-1])


def decide_verdict(results: Sequence[ProbeResult]) -> tuple[Verdict, str]:
    """The verdict and its reason for a check's results (see :func:`decide` for the whole decision)."""
    d = decide(results)
    return d.verdict, d.reason


def _sentence(title: str) -> str:
    return title if title.endswith((".", "!", "?")) else title + "."


def top_fixes(results: Sequence[ProbeResult], limit: int = 3) -> list[Finding]:
    """The findings that matter most, worst first, at most ``limit``, info excluded."""
    findings = [f for r in results for f in r.findings if f.severity.rank > 0]
    findings.sort(key=_rank, reverse=True)
    return findings[:limit]


TOP_FIXES = 3
"""How many fixes a report puts first: the client reads at most three."""


def fix_codes(results: Sequence[ProbeResult], limit: int = TOP_FIXES) -> tuple[str, ...]:
    """The codes of :func:`top_fixes`, as a report stores them (:attr:`Report.top_fixes`)."""
    return tuple(f.code for f in top_fixes(results, limit))


def redecide(report: Report, results: Sequence[ProbeResult], *, interrupted: bool) -> Report:
    """``report`` with new ``results``, and its verdict and top fixes decided again for them."""
    d = decide(results, interrupted=interrupted)
    return replace(
        report,
        results=tuple(results),
        verdict=d.verdict,
        verdict_reason=d.reason,
        verdict_complete=d.complete,
        untested=d.untested,
        top_fixes=d.top_fixes,
        interrupted=interrupted,
    )


def merge_rerun(base: Report, new: Report) -> Report:
    """``base`` after some of its probes were run again (``new``): each re-run result replaces
    the old one in place (a probe ``base`` lacked is added at the end), and the verdict and
    top fixes are decided again for the merged results.

    The merged report counts as interrupted only when both runs were: a re-run that was
    stopped leaves the first run's finished results standing, and a stopped first run whose
    missing probe was re-run to the end is no longer stopped short.
    """
    fresh = {r.probe: r for r in new.results}
    results = [fresh.pop(r.probe, r) for r in base.results] + list(fresh.values())
    return redecide(base, results, interrupted=base.interrupted and new.interrupted)
