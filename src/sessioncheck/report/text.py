"""Plain-text rendering of a report, for the terminal and for pasting into an email."""

from __future__ import annotations

from collections.abc import Mapping

from ..advice import catalogue
from ..model import Audience, Measurement, ProbeResult, Report, Status, Value

_MARK = {
    Status.PASS: "ok",
    Status.WARN: "!!",
    Status.FAIL: "XX",
    Status.SKIP: "--",
    Status.ERROR: "??",
}


def _shown(v: Value) -> str:
    """An evidence value; a list as its items, as the probes once joined them."""
    return ", ".join(v) if isinstance(v, tuple) else str(v)


def _format_value(m: Measurement, related: Mapping[str, Value]) -> str:
    v = m.value
    if isinstance(v, bool):
        text = "yes" if v else "no"
    elif isinstance(v, float):
        text = f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"
    elif v is None:
        text = "-"
    elif isinstance(v, tuple):
        text = ", ".join(v)
    else:
        text = catalogue.value_text(m.key, v, related) or str(v)
    return f"{text} {m.unit}".rstrip() if m.unit and m.unit != "count" else text


def _result_lines(r: ProbeResult, audience: Audience, show_measurements: bool) -> list[str]:
    name = catalogue.PHRASES.get(f"probe.{r.probe}", r.probe)
    label = catalogue.PHRASES[f"status.{r.status.value}"]
    lines = [f"[{_MARK[r.status]}] {name}: {label} ({r.probe}, {r.duration_s:.1f} s)"]
    if r.skip_reason:
        lines.append(f"     {r.skip_reason}")
    if r.error:
        lines.append(f"     {r.error}")
    for f in r.findings:
        w = f.for_audience(audience)
        lines.append(f"     - {w.title}")
        if audience is Audience.SUPPORT:
            lines.append(f"       {f.code} ({f.severity.value}): {w.text}")
            if f.evidence:
                ev = ", ".join(f"{k}={_shown(v)}" for k, v in f.evidence.items())
                lines.append(f"       evidence: {ev}")
    if show_measurements:
        related = {x.key: x.value for x in r.measurements}
        for m in r.measurements:
            lines.append(f"       {m.key} = {_format_value(m, related)}")
    return lines


def render_text(report: Report, audience: Audience = Audience.CLIENT) -> str:
    """The report as text: verdict, at most three fixes, then each test's outcome.

    Support staff also see every measurement and the evidence behind each finding.
    """
    lines = [
        catalogue.verdict_title(report.verdict, complete=report.verdict_complete).upper(),
        report.verdict_reason,
    ]
    if report.interrupted:
        lines.append(catalogue.phrase("report.interrupted"))
    fixes = report.fixes()
    if fixes:
        lines += ["", catalogue.phrase("report.what_to_do")]
        n = 1
        for f in fixes:
            w = f.for_audience(audience)
            lines.append(f"  {w.title}")
            for step in w.steps:
                lines.append(f"    {n}. {step}")
                n += 1
    lines += ["", catalogue.phrase("report.details")]
    for r in report.results:
        lines += _result_lines(r, audience, show_measurements=audience is Audience.SUPPORT)
    lines += [
        "",
        catalogue.phrase(
            "report.footer",
            created=report.created,
            version=report.tool_version,
            redacted=catalogue.phrase("report.redacted" if report.redacted else "report.not_redacted"),
        ),
    ]
    return "\n".join(lines) + "\n"
