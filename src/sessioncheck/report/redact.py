"""Remove IP addresses (v4 and v6) and ICE candidate strings from everything a report shows.

Applied to every rendered or saved report unless the user asks otherwise (``--no-redact``).
Redaction works on the report's values and texts; keys and codes carry no addresses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import replace

from ..model import Audience, Finding, Measurement, ProbeResult, Report, Value, Wording

REDACTED_IP = "[address removed]"
REDACTED_CANDIDATE = "[ICE candidate removed]"

_CANDIDATE = re.compile(r"(?:a=)?candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ \S+(?: [a-z-]+ \S+)*", re.I)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
# Candidate IPv6 spans: hex groups with colons (at least two colons), optional zone / embedded v4.
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?:%\w+)?(?![\w:.])"
)
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.%\w]+)\]")


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def redact_text(text: str) -> str:
    """``text`` with ICE candidates and IP addresses replaced by placeholders."""
    text = _CANDIDATE.sub(REDACTED_CANDIDATE, text)
    text = _BRACKETED.sub(lambda m: REDACTED_IP if _is_ipv6(m.group(1)) else m.group(0), text)
    text = _IPV6.sub(lambda m: REDACTED_IP if _is_ipv6(m.group(0)) else m.group(0), text)
    return _IPV4.sub(lambda m: REDACTED_IP if _is_ipv4(m.group(0)) else m.group(0), text)


def _value(v: Value) -> Value:
    return redact_text(v) if isinstance(v, str) else v


def _wording(w: Wording) -> Wording:
    return Wording(
        title=redact_text(w.title),
        text=redact_text(w.text),
        steps=tuple(redact_text(s) for s in w.steps),
    )


def _finding(f: Finding) -> Finding:
    wording: Mapping[Audience, Wording] = {a: _wording(w) for a, w in f.wording.items()}
    return replace(f, wording=wording, evidence={k: _value(v) for k, v in f.evidence.items()})


def _result(r: ProbeResult) -> ProbeResult:
    return replace(
        r,
        measurements=tuple(
            Measurement(m.key, _value(m.value), m.unit, m.samples) for m in r.measurements
        ),
        findings=tuple(_finding(f) for f in r.findings),
        skip_reason=None if r.skip_reason is None else redact_text(r.skip_reason),
        error=None if r.error is None else redact_text(r.error),
    )


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with every address and candidate removed, marked ``redacted``."""
    return replace(
        report,
        host={k: _value(v) for k, v in report.host.items()},
        verdict_reason=redact_text(report.verdict_reason),
        results=tuple(_result(r) for r in report.results),
        redacted=True,
    )
