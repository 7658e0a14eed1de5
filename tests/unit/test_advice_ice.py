"""Rules for the ice probe, as tables of hand-made measurements."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Finding, Measurement, Value
from sessioncheck.settings import Thresholds

Check = tuple[str, str, str | None]
"""(kind, transport, outcome) — outcome None: the check never finished."""


def measurements(
    checks: list[Check],
    *,
    defaults: bool = False,
    best_rtt_ms: float | None = None,
    url: str = "turn:turn.example:3478",
) -> list[Measurement]:
    values: dict[str, Value] = {
        "ice.defaults_used": defaults,
        "ice.checks": len(checks),
        "ice.ok": sum(o == "ok" for _, _, o in checks),
        "ice.timeout_s": 2.5,
    }
    if best_rtt_ms is not None:
        values["ice.best_rtt_ms"] = best_rtt_ms
    for i, (kind, transport, outcome) in enumerate(checks, 1):
        p = f"ice.check{i}."
        host = "turn.example"
        values |= {p + "kind": kind, p + "url": url, p + "host": host, p + "port": 3478, p + "transport": transport}
        if kind == "turn":
            values[p + "username"] = "alice"
        if outcome is None:
            continue
        values[p + "outcome"] = outcome
        if outcome == "ok" and kind == "stun":
            values[p + "rtt_ms"] = best_rtt_ms if best_rtt_ms is not None else 20.0
        if outcome == "auth_failed":
            values |= {p + "code": 401, p + "reason": "Unauthorized"}
        if outcome == "quota":
            values |= {p + "code": 486, p + "reason": "Allocation Quota Reached"}
        if outcome != "ok":
            values[p + "detail"] = f"what happened: {outcome}"
    return [Measurement(k, v) for k, v in values.items()]


def findings(ms: list[Measurement], timed_out: bool = False) -> list[Finding]:
    return judge("ice", ms, Thresholds(), timed_out=timed_out)


def codes(ms: list[Measurement], timed_out: bool = False) -> set[str]:
    return {f.code for f in findings(ms, timed_out)}


STUN_OK: Check = ("stun", "udp", "ok")
UDP_OK: Check = ("turn", "udp", "ok")
TCP_OK: Check = ("turn", "tcp", "ok")
TLS_OK: Check = ("turn", "tls", "ok")


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([STUN_OK, UDP_OK, TCP_OK, TLS_OK], set()),
        ([("stun", "udp", "dns_failed")] * 3, {"ice.servers_unreachable", "ice.dns_failed"}),
        (
            [("stun", "udp", "timeout"), ("turn", "udp", "timeout"), ("turn", "tcp", "timeout")],
            {"ice.servers_unreachable", "ice.no_answer"},
        ),
        ([("stun", "udp", "unreachable")], {"ice.servers_unreachable", "ice.no_answer"}),
        ([("turn", "tcp", "refused")], {"ice.servers_unreachable", "ice.tcp_refused"}),
        ([("turn", "tls", "refused")], {"ice.servers_unreachable", "ice.tcp_refused"}),
        ([("stun", "udp", "refused"), ("turn", "udp", "refused")], {"ice.servers_unreachable", "ice.udp_refused"}),
        ([STUN_OK, ("turn", "udp", "auth_failed"), ("turn", "tcp", "auth_failed")], {"ice.turn_auth_failed"}),
        # The server answered (with a refusal): reachable, so not "unreachable".
        ([("turn", "udp", "auth_failed"), ("turn", "tcp", "auth_failed")], {"ice.turn_auth_failed"}),
        ([STUN_OK, UDP_OK, ("turn", "tls", "tls_rejected")], {"ice.tls_rejected"}),
        ([STUN_OK, ("turn", "udp", "quota")], {"ice.turn_quota"}),
        ([STUN_OK, ("turn", "udp", "error")], {"ice.server_error"}),
        ([STUN_OK, ("turn", "udp", "something_new")], {"ice.server_error"}),
        # UDP silent everywhere, TCP/TLS fine: one "UDP blocked", no per-check no_answer.
        ([("stun", "udp", "timeout"), ("turn", "udp", "timeout"), TCP_OK, TLS_OK], {"ice.udp_blocked"}),
        # Some UDP works: a silent UDP check is that server's problem, not a blocked network.
        ([STUN_OK, ("turn", "udp", "timeout"), TCP_OK], {"ice.no_answer"}),
        ([("turn", "udp", "timeout"), ("turn", "tcp", "timeout")], {"ice.servers_unreachable", "ice.no_answer"}),
        ([STUN_OK, ("stun", "udp", "dns_failed")], {"ice.dns_failed"}),
    ],
)
def test_configured_servers(checks: list[Check], expected: set[str]) -> None:
    assert codes(measurements(checks)) == expected


@pytest.mark.parametrize(
    ("checks", "best", "expected"),
    [
        ([("stun", "udp", "dns_failed")] * 3, None, {"ice.offline"}),
        ([("stun", "udp", "timeout")] * 3, None, {"ice.offline"}),
        ([("stun", "udp", "unreachable"), ("stun", "udp", "dns_failed")], None, {"ice.offline"}),
        # One public server answering is enough; the others' failures are not the user's business.
        ([STUN_OK, ("stun", "udp", "timeout"), ("stun", "udp", "dns_failed")], 30.0, set()),
        ([STUN_OK, STUN_OK, STUN_OK], 300.0, {"ice.stun_slow"}),
        ([STUN_OK], 250.0, set()),  # at the threshold is not slow
    ],
)
def test_default_public_servers(checks: list[Check], best: float | None, expected: set[str]) -> None:
    assert codes(measurements(checks, defaults=True, best_rtt_ms=best)) == expected


@pytest.mark.parametrize(
    ("checks", "defaults", "timed_out", "expected"),
    [
        ([STUN_OK, ("turn", "udp", None)], False, True, {"ice.no_answer"}),
        ([("stun", "udp", None)] * 3, True, True, {"ice.offline"}),
        # The probe broke (not a timeout): unfinished checks are not judged.
        ([STUN_OK, ("turn", "udp", None)], False, False, set()),
        ([("stun", "udp", None)], True, False, set()),
    ],
)
def test_unfinished_checks(checks: list[Check], defaults: bool, timed_out: bool, expected: set[str]) -> None:
    assert codes(measurements(checks, defaults=defaults), timed_out) == expected


def test_no_measurements_no_findings() -> None:
    assert findings([]) == []


def test_configured_slow_stun() -> None:
    assert codes(measurements([STUN_OK, UDP_OK], best_rtt_ms=420.0)) == {"ice.stun_slow"}


def test_auth_failure_is_one_finding_naming_every_transport() -> None:
    (f,) = findings(measurements([STUN_OK, ("turn", "udp", "auth_failed"), ("turn", "tcp", "auth_failed")]))
    support = f.for_audience(Audience.SUPPORT).text
    assert "turn:turn.example:3478 over udp, tcp answered 401 Unauthorized" in support
    assert "'alice'" in support
    assert f.evidence["ice.check2.code"] == 401 and f.evidence["ice.check3.code"] == 401
    assert "401" not in f.for_audience(Audience.CLIENT).text


def test_offline_counts_what_failed() -> None:
    ms = measurements(
        [("stun", "udp", "dns_failed"), ("stun", "udp", "dns_failed"), ("stun", "udp", "timeout")],
        defaults=True,
    )
    (f,) = findings(ms)
    assert f.code == "ice.offline"
    text = f.for_audience(Audience.SUPPORT).text
    assert "0 of 3" in text and "DNS failures: 2" in text and "timeouts: 1" in text
    assert "turn.example:3478" in text
    assert f.evidence["ice.check1.outcome"] == "dns_failed"


def test_udp_blocked_counts() -> None:
    ms = measurements([("stun", "udp", "timeout"), ("turn", "udp", "timeout"), TLS_OK])
    (f,) = findings(ms)
    assert "2 UDP check(s) got no answer while 1 TCP/TLS check(s) succeeded" in f.for_audience(Audience.SUPPORT).text


def test_no_answer_names_port_and_detail() -> None:
    ms = measurements([STUN_OK, ("turn", "udp", "timeout"), TCP_OK])
    (f,) = findings(ms)
    support = f.for_audience(Audience.SUPPORT)
    assert "what happened: timeout" in support.text
    assert "udp port 3478" in support.steps[0]
