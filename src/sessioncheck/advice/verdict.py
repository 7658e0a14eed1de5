"""The report's verdict: ready for video, audio only, or call by phone."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Audience, Finding, Impact, ProbeResult, Status, Verdict
from . import catalogue


def _rank(f: Finding) -> tuple[int, int]:
    impact_rank = {Impact.NONE: 0, Impact.VIDEO: 1, Impact.CALL: 2}[f.impact]
    return impact_rank, f.severity.rank


def decide_verdict(results: Sequence[ProbeResult]) -> tuple[Verdict, str]:
    """The worst impact among all findings decides; the reason is in the client's words."""
    findings = [f for r in results for f in r.findings]
    worst = max(findings, key=_rank, default=None)
    if worst is not None and worst.impact is Impact.CALL:
        return Verdict.PHONE, catalogue.phrase(
            "verdict.phone", reason=_sentence(worst.for_audience(Audience.CLIENT).title)
        )
    if worst is not None and worst.impact is Impact.VIDEO:
        return Verdict.AUDIO_ONLY, catalogue.phrase(
            "verdict.audio_only", reason=_sentence(worst.for_audience(Audience.CLIENT).title)
        )
    gaps = [r.probe for r in results if r.status in (Status.ERROR, Status.SKIP)]
    if gaps:
        names = ", ".join(catalogue.PHRASES.get(f"probe.{p}", p).lower() for p in gaps)
        return Verdict.VIDEO, catalogue.phrase("verdict.video_with_gaps", count=len(gaps), probes=names)
    return Verdict.VIDEO, catalogue.phrase("verdict.video")


def _sentence(title: str) -> str:
    return title if title.endswith((".", "!", "?")) else title + "."


def top_fixes(results: Sequence[ProbeResult], limit: int = 3) -> list[Finding]:
    """The findings that matter most, worst first, at most ``limit``, info excluded."""
    findings = [f for r in results for f in r.findings if f.severity.rank > 0]
    findings.sort(key=_rank, reverse=True)
    return findings[:limit]
