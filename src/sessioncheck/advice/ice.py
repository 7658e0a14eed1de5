"""Rules for the ``ice`` probe: could this computer reach the servers a call needs?

Reads the keys documented in ``probes/ice.py``. In order:

1. Nothing answered (every check ended in ``dns_failed``, ``timeout``, ``unreachable`` or
   ``refused``): with the public default servers that is ``ice.offline`` and nothing else
   (one clear message, not one per public server); with configured servers it is
   ``ice.servers_unreachable``, followed by the per-check findings below.
2. With the public default servers, failures of single servers are not the user's
   business; only ``ice.stun_slow`` can follow.
3. Per check, one finding per (code, URL), transports joined: ``dns_failed`` →
   ``ice.dns_failed``; ``timeout``/``unreachable`` → ``ice.no_answer``; ``refused`` →
   ``ice.tcp_refused`` (TCP/TLS) or ``ice.udp_refused`` (UDP: ICMP port unreachable);
   ``tls_rejected`` → ``ice.tls_rejected``; ``auth_failed`` → ``ice.turn_auth_failed``;
   ``quota`` → ``ice.turn_quota``; ``error`` → ``ice.server_error``.
   When UDP checks got no answer while no UDP check worked but a TCP/TLS check did, those
   UDP timeouts become one ``ice.udp_blocked`` instead.
4. ``ice.stun_slow`` when the best STUN round trip exceeds ``stun_rtt_slow_ms``.

When the probe itself timed out (``timed_out``), checks without an outcome count as
timeouts; otherwise (the probe broke) they are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model import Finding, Value
from ..settings import Thresholds
from .rules import Measures, finding

NO_ANSWER = frozenset({"dns_failed", "timeout", "unreachable", "refused"})
"""Outcomes that mean the server never responded at the STUN/TURN or TLS level."""

_PER_CHECK_CODE = {
    "dns_failed": "ice.dns_failed",
    "timeout": "ice.no_answer",
    "unreachable": "ice.no_answer",
    "tls_rejected": "ice.tls_rejected",
    "auth_failed": "ice.turn_auth_failed",
    "quota": "ice.turn_quota",
    "error": "ice.server_error",
}


@dataclass
class _Check:
    index: int
    values: dict[str, Value] = field(default_factory=dict)

    def text(self, name: str, default: str = "") -> str:
        v = self.values.get(name)
        return v if isinstance(v, str) else default

    def num(self, name: str) -> float | None:
        v = self.values.get(name)
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        return float(v)

    @property
    def outcome(self) -> str | None:
        v = self.values.get("outcome")
        return v if isinstance(v, str) else None

    @property
    def transport(self) -> str:
        return self.text("transport", "udp")

    def evidence(self) -> dict[str, Value]:
        keep = ("url", "transport", "outcome", "detail", "code", "reason", "rtt_ms", "username")
        return {f"ice.check{self.index}.{k}": self.values[k] for k in keep if k in self.values}


def _checks(m: Measures, timed_out: bool) -> list[_Check]:
    by_index: dict[int, _Check] = {}
    for key, value in m.with_prefix("ice.check").items():
        head, _, name = key[len("ice.check") :].partition(".")
        if not head.isdigit() or not name:
            continue
        i = int(head)
        by_index.setdefault(i, _Check(i)).values[name] = value
    checks = [by_index[i] for i in sorted(by_index)]
    if timed_out:
        for c in checks:
            if c.outcome is None:
                c.values["outcome"] = "timeout"
                c.values.setdefault("detail", "the check did not finish in time")
    return [c for c in checks if c.outcome is not None]


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    checks = _checks(m, timed_out)
    if not checks:
        return []
    defaults = m.value("ice.defaults_used") is True
    out: list[Finding] = []

    if all(c.outcome in NO_ANSWER for c in checks):
        out.append(_nothing_answered(checks, defaults))
        if defaults:
            return out

    if not defaults:
        out.extend(_per_check(checks))
    slow = _stun_slow(m, checks, t)
    if slow is not None:
        out.append(slow)
    return out


def _nothing_answered(checks: list[_Check], defaults: bool) -> Finding:
    dns = sum(c.outcome == "dns_failed" for c in checks)
    timeouts = sum(c.outcome in ("timeout", "unreachable") for c in checks)
    servers = ", ".join(dict.fromkeys(f"{c.text('host')}:{_int(c.num('port'))}" for c in checks))
    evidence: dict[str, Value] = {"ice.checks": len(checks), "ice.defaults_used": defaults}
    for c in checks:
        evidence.update(c.evidence())
    return finding(
        "ice.offline" if defaults else "ice.servers_unreachable",
        evidence,
        tried=len(checks),
        dns=dns,
        timeouts=timeouts,
        other=len(checks) - dns - timeouts,
        servers=servers,
    )


def _int(v: float | None) -> str:
    return "" if v is None else str(int(v))


def _per_check(checks: list[_Check]) -> list[Finding]:
    udp_ok = any(c.transport == "udp" and c.outcome == "ok" for c in checks)
    stream_ok = [c for c in checks if c.transport in ("tcp", "tls") and c.outcome == "ok"]
    udp_silent = [c for c in checks if c.transport == "udp" and c.outcome == "timeout"]
    udp_blocked = bool(udp_silent) and bool(stream_ok) and not udp_ok

    grouped: dict[tuple[str, str], list[_Check]] = {}
    for c in checks:
        outcome = c.outcome
        if outcome == "ok" or (udp_blocked and c in udp_silent):
            continue
        if outcome == "refused":
            code = "ice.udp_refused" if c.transport == "udp" else "ice.tcp_refused"
        else:
            code = _PER_CHECK_CODE.get(outcome or "", "ice.server_error")
        key = (code, c.text("host") if code == "ice.dns_failed" else c.text("url"))
        grouped.setdefault(key, []).append(c)

    out: list[Finding] = []
    if udp_blocked:
        evidence: dict[str, Value] = {}
        for c in [*udp_silent, *stream_ok]:
            evidence.update(c.evidence())
        out.append(finding("ice.udp_blocked", evidence, udp_failed=len(udp_silent), tcp_ok=len(stream_ok)))
    for (code, _), group in grouped.items():
        out.append(_check_finding(code, group))
    return out


def _check_finding(code: str, group: list[_Check]) -> Finding:
    first = group[0]
    evidence: dict[str, Value] = {}
    for c in group:
        evidence.update(c.evidence())
    transports = ", ".join(dict.fromkeys(c.transport for c in group))
    port = _int(first.num("port"))
    values: Mapping[str, object] = {
        "url": first.text("url"),
        "host": first.text("host"),
        "transport": transports,
        "port": port,
        "detail": first.text("detail") or first.outcome or "",
        "code": _int(first.num("code")),
        "reason": first.text("reason"),
        "username": first.text("username"),
    }
    return finding(code, evidence, **values)


def _stun_slow(m: Measures, checks: list[_Check], t: Thresholds) -> Finding | None:
    best = m.num("ice.best_rtt_ms")
    if best is None or best <= t.stun_rtt_slow_ms:
        return None
    url = next((c.text("url") for c in checks if c.num("rtt_ms") == best), "")
    return finding(
        "ice.stun_slow",
        {"ice.best_rtt_ms": best},
        rtt_ms=best,
        url=url,
        threshold=t.stun_rtt_slow_ms,
    )
