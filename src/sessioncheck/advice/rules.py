"""Dispatch from a probe's measurements to that probe's rules.

Each probe's rules live in ``advice/<probe>.py`` and expose
``judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]``. Rules are pure:
same measurements and thresholds, same findings.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..model import Finding, Measurement, Severity, Status, Value
from ..settings import Thresholds
from . import catalogue
from .severity import SEVERITY

RULE_MODULES: dict[str, str] = {
    "system": "sessioncheck.advice.system",
    "ice": "sessioncheck.advice.ice",
    "loopback": "sessioncheck.advice.loopback",
    "path": "sessioncheck.advice.path",
    "peer": "sessioncheck.advice.peer",  # peer test (issue 6)
    # devices (issue 4)
    "camera": "sessioncheck.advice.camera",
    "microphone": "sessioncheck.advice.microphone",
    "speaker": "sessioncheck.advice.speaker",
    "media_loop": "sessioncheck.advice.media_loop",
}
"""Probe id → module holding its ``judge`` function."""


class Measures(Mapping[str, Measurement]):
    """Read-only access to one probe's measurements by key, with typed getters."""

    def __init__(self, measurements: Iterable[Measurement]) -> None:
        self._by_key = {m.key: m for m in measurements}

    def __getitem__(self, key: str) -> Measurement:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def value(self, key: str) -> Value:
        m = self._by_key.get(key)
        return None if m is None else m.value

    def num(self, key: str) -> float | None:
        """The value as a float, or None when absent or not a number."""
        v = self.value(key)
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        return float(v)

    def text(self, key: str) -> str | None:
        v = self.value(key)
        return v if isinstance(v, str) else None

    def names(self, key: str) -> tuple[str, ...]:
        """A list value (programs, processes, interfaces); empty when absent or not a list."""
        v = self.value(key)
        return v if isinstance(v, tuple) else ()

    def with_prefix(self, prefix: str) -> dict[str, Value]:
        return {k: m.value for k, m in self._by_key.items() if k.startswith(prefix)}


def judge(
    probe_id: str,
    measurements: Sequence[Measurement],
    thresholds: Thresholds,
    *,
    timed_out: bool = False,
) -> list[Finding]:
    """Findings for one probe's measurements; probes without rules have none."""
    module_name = RULE_MODULES.get(probe_id)
    if module_name is None:
        return []
    module = importlib.import_module(module_name)
    findings: list[Finding] = module.judge(Measures(measurements), thresholds, timed_out)
    return sorted(findings, key=lambda f: -f.severity.rank)


def status_for(findings: Iterable[Finding]) -> Status:
    worst = max((f.severity.rank for f in findings), default=0)
    if worst >= Severity.FAIL.rank:
        return Status.FAIL
    if worst >= Severity.WARN.rank:
        return Status.WARN
    return Status.PASS


def finding(code: str, evidence: Mapping[str, Value], /, **values: Any) -> Finding:
    """The finding ``code``: its level from :data:`~.severity.SEVERITY`, its words from the
    catalogue formatted with ``values`` (the template fields the rule must supply)."""
    wording = catalogue.wording(code, **values)
    severity, impact = SEVERITY[code]
    return Finding(code=code, severity=severity, impact=impact, wording=wording, evidence=dict(evidence))
