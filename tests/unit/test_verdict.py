"""The verdict rule as a table: never "ready" over a failure or over something not tested."""

from __future__ import annotations

import pytest

from sessioncheck.advice import catalogue, rules
from sessioncheck.advice.verdict import NEEDED_FOR_CHECK, NEEDED_FOR_PEER, decide
from sessioncheck.model import Finding, ProbeResult, Status, Verdict


def finding(code: str) -> Finding:
    entry = catalogue.ENTRIES[code]
    return rules.finding(code, {}, **{f: 1.0 for f in entry.fields})


def result(probe: str, *codes: str, status: Status | None = None) -> ProbeResult:
    findings = tuple(finding(c) for c in codes)
    if status is None:
        worst = max((f.severity.rank for f in findings), default=0)
        status = (Status.PASS, Status.WARN, Status.FAIL)[worst]
    return ProbeResult(probe=probe, status=status, duration_s=1.0, findings=findings)


def full(**override: ProbeResult | None) -> list[ProbeResult]:
    """Every probe the check's verdict needs, passing, with some replaced (None: left out)."""
    out = []
    for p in NEEDED_FOR_CHECK:
        r = override.get(p, result(p))
        if r is not None:
            out.append(r)
    return out


SKIPPED_PATH = ProbeResult(probe="path", status=Status.SKIP, duration_s=0.0, skip_reason="no server")

CASES = [
    # (name, results, interrupted, verdict, complete, untested, words in the reason)
    ("everything tested and fine", full(), False, Verdict.VIDEO, True, (), "Everything needed"),
    (
        "info findings are fine",
        full(path=result("path", "network.summary"), system=result("system", "system.on_wifi")),
        False,
        Verdict.VIDEO,
        True,
        (),
        "Everything needed",
    ),
    (
        "a warning that rules nothing out",
        full(system=result("system", "system.cpu_busy")),
        False,
        Verdict.VIDEO,
        True,
        (),
        "Everything needed",
    ),
    (
        "no check server: the clinic connection is untested",
        full(path=SKIPPED_PATH),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "could not test your connection to the clinic",
    ),
    (
        "path left out of the plan",
        full(path=None),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "check server refused the connection",
        full(path=result("path", "network.server_unreachable")),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "check server busy",
        full(path=result("path", "network.server_busy")),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "wrong access token",
        full(path=result("path", "network.server_auth_failed")),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "server stopped mid-test",
        full(path=result("path", "network.server_stopped")),
        False,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "wrong TURN password: a failure stands",
        full(ice=result("ice", "ice.turn_auth_failed")),
        False,
        Verdict.VIDEO,
        False,
        (),
        "refused our login",
    ),
    (
        "a probe broke",
        full(ice=result("ice", status=Status.ERROR)),
        False,
        Verdict.VIDEO,
        False,
        ("ice",),
        "the clinic's call servers",
    ),
    (
        "speaker could not be checked",
        full(speaker=result("speaker", "speaker.unverified")),
        False,
        Verdict.VIDEO,
        False,
        ("speaker",),
        "your speaker",
    ),
    (
        "camera and microphone skipped",
        full(camera=None, microphone=None),
        False,
        Verdict.VIDEO,
        False,
        ("camera", "microphone"),
        "your camera and your microphone",
    ),
    ("stopped early with everything done", full(), True, Verdict.VIDEO, False, (), "stopped before it finished"),
    (
        "stopped early, path cancelled",
        full(path=ProbeResult(probe="path", status=Status.SKIP, duration_s=0.0, skip_reason="stopped")),
        True,
        Verdict.VIDEO,
        False,
        ("path",),
        "your connection to the clinic",
    ),
    (
        "no camera: audio only, and says what was not tested",
        full(camera=result("camera", "camera.missing"), path=None),
        False,
        Verdict.AUDIO_ONLY,
        False,
        ("path",),
        "Use audio only",
    ),
    (
        "no microphone: phone",
        full(microphone=result("microphone", "microphone.missing")),
        False,
        Verdict.PHONE,
        False,
        (),
        "by phone",
    ),
    (
        "phone even when little was tested",
        [result("system", "system.no_network")],
        False,
        Verdict.PHONE,
        False,
        ("ice", "camera", "microphone", "speaker", "path"),
        "by phone",
    ),
]


@pytest.mark.parametrize(
    ("results", "interrupted", "verdict", "complete", "untested", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_check_verdict(
    results: list[ProbeResult],
    interrupted: bool,
    verdict: Verdict,
    complete: bool,
    untested: tuple[str, ...],
    words: str,
) -> None:
    d = decide(results, interrupted=interrupted)
    assert (d.verdict, d.complete, d.untested) == (verdict, complete, untested)
    assert words in d.reason
    title = catalogue.verdict_title(d.verdict, complete=d.complete)
    if not complete:
        assert not title.startswith("Ready for a video"), title


@pytest.mark.parametrize(
    ("codes", "complete"),
    [
        (("peer.summary",), True),
        (("peer.server_lost",), False),
        (("peer.client_left",), False),
        (("peer.therapist_left",), False),
        (("peer.code_expired",), False),
        (("peer.rate_limited",), False),
    ],
)
def test_peer_verdict(codes: tuple[str, ...], complete: bool) -> None:
    d = decide([result("peer", *codes)], needed=NEEDED_FOR_PEER)
    assert d.verdict is Verdict.VIDEO
    assert d.complete is complete
    assert d.untested == (() if complete else ("peer",))


def test_titles() -> None:
    assert catalogue.verdict_title(Verdict.VIDEO, complete=True) == "Ready for a video session"
    assert catalogue.verdict_title(Verdict.VIDEO, complete=False) == "Partly checked"
    assert catalogue.verdict_title(Verdict.PHONE, complete=False).startswith("Not ready")


def test_nothing_needed_was_tested_says_so() -> None:
    d = decide([result("path", "network.server_unreachable")])
    assert (d.verdict, d.complete) == (Verdict.VIDEO, False)
    assert "Everything else" not in d.reason
    assert "Run the whole check" in d.reason


def test_a_probe_that_ran_and_broke_counts_though_the_check_does_not_need_it() -> None:
    d = decide([*full(), result("loopback", status=Status.ERROR)])
    assert (d.verdict, d.complete, d.untested) == (Verdict.VIDEO, False, ("loopback",))
    assert "video calling on this computer" in d.reason
