"""Judgements the front ends used to make, now in the core: plan duration, re-run merging with
the verdict decided again, top fixes stored in the report, the exit code of a report."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from sessioncheck.advice import catalogue, rules
from sessioncheck.advice.verdict import (
    NEEDED_FOR_CHECK,
    decide,
    fix_codes,
    merge_rerun,
    no_test_ran,
    top_fixes,
)
from sessioncheck.errors import ExitCode
from sessioncheck.model import ProbeResult, Report, Status, Verdict
from sessioncheck.probes import Probe, ProbeContext, critical_path_s, longest_wait_s
from sessioncheck.report.io import report_from_json, report_to_json
from sessioncheck.settings import Settings

# --- plan duration: the critical path through depends_on, after and measure_after ----------


def probe(
    pid: str,
    timeout: float,
    *,
    depends_on: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
    measure_after: tuple[str, ...] = (),
) -> Probe:
    class P(Probe):
        id: ClassVar[str] = pid
        title: ClassVar[str] = pid
        timeout_s: ClassVar[float] = timeout

        async def run(self, ctx: ProbeContext) -> None:
            return None

    P.depends_on, P.after, P.measure_after = depends_on, after, measure_after
    return P()


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param([], 0.0, id="empty"),
        pytest.param([probe("a", 5)], 5.0, id="one"),
        pytest.param([probe("a", 5), probe("b", 7)], 7.0, id="independent-run-together"),
        pytest.param([probe("a", 5), probe("b", 7, depends_on=("a",))], 12.0, id="depends_on"),
        pytest.param([probe("a", 5), probe("b", 7, after=("a",))], 12.0, id="after"),
        pytest.param([probe("a", 5), probe("b", 7, measure_after=("a",))], 12.0, id="measure_after"),
        pytest.param(
            [probe("a", 2), probe("b", 3, after=("a",)), probe("c", 4, measure_after=("b",)), probe("d", 1)],
            9.0,
            id="chain-of-all-kinds",
        ),
        pytest.param(
            [probe("a", 10), probe("b", 1), probe("c", 3, after=("a",), measure_after=("b",))],
            13.0,
            id="the-longest-branch-counts",
        ),
        pytest.param([probe("b", 7, after=("missing",))], 7.0, id="a-probe-not-in-the-plan-is-not-waited-for"),
    ],
)
def test_critical_path_follows_every_ordering(plan: list[Probe], expected: float) -> None:
    assert critical_path_s(plan, Settings()) == expected


def test_a_timeout_override_applies_to_every_probe() -> None:
    plan = [probe("a", 5), probe("b", 70, after=("a",))]
    assert critical_path_s(plan, Settings(probe_timeout_s=2.0)) == 4.0


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        # speaker after microphone; path after ice, measuring after the devices (4+... < 10+10)
        (("system", "ice", "camera", "microphone", "speaker", "path"), 10 + 10 + 30),
        # without a server: loopback after camera and speaker, path after loopback, media_loop last
        (
            ("system", "ice", "camera", "microphone", "speaker", "loopback", "path", "media_loop"),
            10 + 10 + 12 + 30 + 15,
        ),
        (("system",), 5),
    ],
)
def test_longest_wait_of_the_real_plans(plan: tuple[str, ...], expected: int) -> None:
    """Before, only ``depends_on`` counted: the default plan said 30 s, the longest single probe."""
    assert longest_wait_s(plan, Settings()) == expected


# --- re-run merging and the verdict decided again --------------------------------------------


def result(pid: str, *codes: str, status: Status = Status.PASS) -> ProbeResult:
    findings = tuple(rules.finding(c, {}, **dict.fromkeys(catalogue.ENTRIES[c].fields, 1)) for c in codes)
    return ProbeResult(pid, status, 0.5, findings=findings)


def report_of(results: list[ProbeResult], *, interrupted: bool = False) -> Report:
    d = decide(results, interrupted=interrupted)
    return Report(
        "0.1.0",
        "2026-12-01T00:00:00+00:00",
        {},
        d.verdict,
        d.reason,
        tuple(results),
        interrupted,
        d.complete,
        d.untested,
        top_fixes=d.top_fixes,
    )


def full(**replace: ProbeResult) -> list[ProbeResult]:
    return [replace.get(p, result(p)) for p in NEEDED_FOR_CHECK]


def test_a_rerun_replaces_results_in_place_and_decides_again() -> None:
    bad = result("path", "network.server_unreachable")
    base = report_of(full(path=bad))
    assert base.verdict_complete is False and base.untested == ("path",)
    merged = merge_rerun(base, report_of([result("path")]))
    assert [r.probe for r in merged.results] == list(NEEDED_FOR_CHECK)
    assert merged.result("path") == result("path")
    assert (merged.verdict, merged.verdict_complete, merged.untested) == (Verdict.VIDEO, True, ())
    assert merged.verdict_reason == catalogue.phrase("verdict.video")
    assert merged.top_fixes == ()
    assert ExitCode.for_report(base) is ExitCode.PARTLY_CHECKED
    assert ExitCode.for_report(merged) is ExitCode.VIDEO


def test_a_rerun_that_finds_a_problem_brings_its_fix_first() -> None:
    base = report_of(full())
    merged = merge_rerun(base, report_of([result("ice", "ice.turn_auth_failed", status=Status.FAIL)]))
    assert merged.top_fixes == ("ice.turn_auth_failed",)
    assert [f.code for f in merged.fixes()] == ["ice.turn_auth_failed"]
    assert merged.verdict_complete is False


def test_a_probe_the_first_run_lacked_is_added_at_the_end() -> None:
    base = report_of([result("system")])
    merged = merge_rerun(base, report_of([result("ice")]))
    assert [r.probe for r in merged.results] == ["system", "ice"]


@pytest.mark.parametrize(
    ("first", "again", "interrupted"),
    [(False, False, False), (True, False, False), (False, True, False), (True, True, True)],
)
def test_a_merged_report_is_interrupted_only_when_both_runs_were(first: bool, again: bool, interrupted: bool) -> None:
    merged = merge_rerun(report_of(full(), interrupted=first), report_of([result("ice")], interrupted=again))
    assert merged.interrupted is interrupted
    assert ExitCode.for_report(merged) is (ExitCode.INTERRUPTED if interrupted else ExitCode.VIDEO)


# --- top fixes: decided once, stored, round-tripped, rendered from the store ----------------


def test_top_fixes_are_decided_with_the_verdict_and_stored() -> None:
    results = full(ice=result("ice", "ice.turn_auth_failed", status=Status.FAIL))
    report = report_of(results)
    assert report.top_fixes == fix_codes(results) == ("ice.turn_auth_failed",)
    assert report.fixes() == tuple(top_fixes(results))


def test_top_fixes_reach_the_json_and_come_back() -> None:
    report = report_of(full(ice=result("ice", "ice.turn_auth_failed", status=Status.FAIL)))
    data = json.loads(report_to_json(report))
    assert data["top_fixes"] == ["ice.turn_auth_failed"]
    assert report_from_json(report_to_json(report)) == report


def test_a_report_saved_before_top_fixes_gets_them_from_advice_when_loaded() -> None:
    report = report_of(full(ice=result("ice", "ice.turn_auth_failed", status=Status.FAIL)))
    data = report.to_dict()
    del data["top_fixes"]
    loaded = report_from_json(json.dumps(data))
    assert loaded.top_fixes == ("ice.turn_auth_failed",)
    assert loaded == report


def test_an_undecided_report_stays_undecided_through_a_file() -> None:
    d = decide(full())
    report = Report("0.1.0", "2026-12-01T00:00:00+00:00", {}, d.verdict, d.reason, tuple(full()))
    assert report.top_fixes is None and report.fixes() == ()
    assert report_from_json(report_to_json(report)).top_fixes is None


def test_fixes_resolve_a_code_named_twice_to_distinct_findings() -> None:
    a = result("camera", "camera.source_invalid")
    b = result("microphone", "camera.source_invalid")
    report = report_of([a, b])
    assert report.top_fixes == ("camera.source_invalid", "camera.source_invalid")
    assert report.fixes() == (a.findings[0], b.findings[0])


def test_the_renderers_show_the_stored_fixes_not_their_own() -> None:
    """A report whose stored list is empty shows no fixes even though it has a warning."""
    from dataclasses import replace

    from sessioncheck.model import Audience
    from sessioncheck.report.text import render_text

    report = report_of(full(ice=result("ice", "ice.turn_auth_failed", status=Status.FAIL)))
    assert catalogue.phrase("report.what_to_do") in render_text(report, Audience.CLIENT)
    assert catalogue.phrase("report.what_to_do") not in render_text(replace(report, top_fixes=()), Audience.CLIENT)


# --- the exit code of a report: one map ------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "interrupted", "code"),
    [
        (full(), False, ExitCode.VIDEO),
        (full(path=result("path", "network.server_unreachable")), False, ExitCode.PARTLY_CHECKED),
        (full(ice=result("ice", "ice.turn_auth_failed", status=Status.FAIL)), False, ExitCode.PARTLY_CHECKED),
        (full(camera=result("camera", "camera.missing", status=Status.FAIL)), False, ExitCode.AUDIO_ONLY),
        (full(ice=result("ice", "ice.offline", status=Status.FAIL)), False, ExitCode.PHONE),
        (full(), True, ExitCode.INTERRUPTED),
    ],
)
def test_exit_code_for_report(results: list[ProbeResult], interrupted: bool, code: ExitCode) -> None:
    assert ExitCode.for_report(report_of(results, interrupted=interrupted)) is code


def test_no_report_is_an_interrupted_run() -> None:
    assert ExitCode.for_report(None) is ExitCode.INTERRUPTED


# --- peer outcomes where no test ran ---------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [
        "bad_code",
        "expired",
        "used",
        "rate_limited",
        "auth_failed",
        "busy",
        "bad_url",
        "server_unreachable",
        "protocol_error",
        "bad_message",
        "version",
        "timeout",
    ],
)
def test_a_refused_or_unreachable_peer_test_ran_no_test(outcome: str) -> None:
    assert no_test_ran(outcome)


@pytest.mark.parametrize(
    "outcome",
    [
        "ok",
        "cancelled",
        "timed_out",
        "error",
        "connect_failed",
        "peer_left",
        "peer_silent",
        "server_lost",
        "server_ended",
    ],
)
def test_a_peer_test_that_started_ends_with_a_report(outcome: str) -> None:
    assert not no_test_ran(outcome)


def test_a_hostile_list_of_top_fixes_costs_linear_time() -> None:
    import time

    findings = tuple(
        rules.finding(
            "camera.source_invalid", {}, **dict.fromkeys(catalogue.ENTRIES["camera.source_invalid"].fields, 1)
        )
        for _ in range(20_000)
    )
    report = Report(
        "0.1.0",
        "2026-12-01T00:00:00+00:00",
        {},
        Verdict.VIDEO,
        "",
        (ProbeResult("camera", Status.FAIL, 0.1, findings=findings),),
        top_fixes=("camera.source_invalid",) * 40_000,
    )
    started = time.perf_counter()
    assert len(report.fixes()) == 20_000
    assert time.perf_counter() - started < 5.0  # linear: ~0.02 s; quadratic: ~4e8 steps, minutes
