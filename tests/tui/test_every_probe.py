"""The results screen shows what every probe really produces: every severity, every status.

The results come from real measurements judged by the real advice rules (``realistic.py``),
through the whole flow (a scripted run of the default plan) and through an opened report
(``sessioncheck report show``), for a check report and for a peer report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from textual.widgets import Collapsible, Static

from sessioncheck.media.live import DeviceFeeds
from sessioncheck.model import Audience, ProbeResult, Report, Severity, Status
from sessioncheck.report import load_report, save_report
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.screens.results import SEVERITY_MARKS, ResultsScreen
from sessioncheck.tui.widgets.probe_row import STATUS_MARKS

from . import realistic as R
from .helpers import until
from .scripted import report_of, scripted_factory

REAL_RUN = [
    R.system_wifi(),
    R.ice_ok(),
    R.camera_no_face(),
    R.microphone_muted(),
    R.speaker_not_heard(),
    R.loopback_ok(),
    R.path_bufferbloat(),
    R.media_loop_short(),
]
"""What the real check on this machine measured, judged as it is today."""

BAD_DAY = [
    R.system_ok(),
    R.ice_wrong_password(),
    R.camera_covered(),
    R.microphone_ok(),
    R.speaker_ok(),
    R.loopback_timed_out(),
    R.path_lossy(),
    R.cancelled("media_loop"),
]

QUIET = [
    R.system_ok(),
    R.ice_ok(),
    R.camera_missing(),
    R.microphone_ok(),
    R.speaker_ok(),
    R.loopback_slow(),
    R.path_no_server(),
    R.media_loop_ok(),
]

CASES = {"real_run": REAL_RUN, "bad_day": BAD_DAY, "quiet": QUIET}


def test_the_cases_cover_every_probe_severity_and_status() -> None:
    every = [r for case in CASES.values() for r in case]
    assert {r.probe for r in every} == set(R.CHECK_PLAN)
    assert R.severities(every) == set(Severity)
    assert {r.status for r in every} == set(Status)
    assert R.severities([R.peer_ok(), R.peer_connect_failed()]) == {Severity.INFO, Severity.FAIL}


def shown_text(screen: ResultsScreen) -> str:
    return "\n".join(str(s.render()) for s in screen.query(Static).results(Static))


def assert_shows(screen: ResultsScreen, results: Sequence[ProbeResult], audience: Audience) -> None:
    text = shown_text(screen)
    for r in results:
        details = screen.query_one(f"#details-{r.probe}", Collapsible)
        assert details.title.startswith(STATUS_MARKS[r.status]), details.title
        for f in r.findings:
            wording = f.for_audience(audience)
            assert f"{SEVERITY_MARKS[f.severity]} {wording.title}" in text, (r.probe, f.code)
        if r.error:
            assert r.error in text
        if r.skip_reason:
            assert r.skip_reason in text


@pytest.mark.parametrize("case", list(CASES))
async def test_a_whole_check_shows_every_result_for_every_reader(case: str) -> None:
    results = CASES[case]
    app = SessionCheckApp(plan=R.CHECK_PLAN, run_factory=scripted_factory(results), feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.report is not None and [r.probe for r in app.report.results] == list(R.CHECK_PLAN)
        for audience in (Audience.CLIENT, Audience.THERAPIST, Audience.SUPPORT):
            assert app.audience is audience
            screen = app.screen
            assert isinstance(screen, ResultsScreen)
            assert_shows(screen, results, audience)
            await pilot.press("w")
            await pilot.pause()
        await pilot.press("q")
    # The real run's muted microphone fails without ruling video out: partly checked (5).
    assert app.return_value == {"real_run": 5, "bad_day": 2, "quiet": 1}[case]


@pytest.mark.parametrize(
    "results",
    [[R.peer_ok()], [R.peer_connect_failed()], REAL_RUN, BAD_DAY],
    ids=["peer", "peer_failed", "real_run", "bad_day"],
)
async def test_report_show_opens_saved_reports(results: list[ProbeResult], tmp_path: Path) -> None:
    # As `sessioncheck report show FILE` does: the report read back from its file.
    path = tmp_path / "report.json"
    save_report(report_of(results), path)
    report: Report = load_report(path)
    app = SessionCheckApp(report=report, audience=Audience.SUPPORT)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert_shows(screen, report.results, Audience.SUPPORT)
        await pilot.press("q")
    assert app.return_value == 0
