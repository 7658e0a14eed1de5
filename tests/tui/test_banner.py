"""The verdict banner claims no more than was tested.

Green ("Ready for a video session") only for a complete video verdict; amber "Partly checked"
for a video verdict with something untested or a failure standing; amber for audio only; red
for phone. An anxious client reads only the banner.
"""

from __future__ import annotations

import pytest
from textual.widgets import Button

from sessioncheck.advice import catalogue
from sessioncheck.media.live import DeviceFeeds
from sessioncheck.model import ProbeResult, Verdict
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.screens.network import NetworkScreen
from sessioncheck.tui.screens.results import ResultsScreen
from sessioncheck.tui.widgets import VerdictBanner

from . import realistic as R
from .helpers import until
from .scripted import report_of, scripted_factory

READY = catalogue.verdict_title(Verdict.VIDEO)
PARTLY = catalogue.verdict_title(Verdict.VIDEO, complete=False)
STATES = ("-video", "-partly", "-audio_only", "-phone")


def banner_state(app: SessionCheckApp) -> tuple[str, str]:
    """The banner's one state class and its text."""
    banner = app.screen.query_one(VerdictBanner)
    states = [c for c in STATES if banner.has_class(c)]
    assert len(states) == 1, states
    return states[0], str(banner.render())


async def whole_check(results: list[ProbeResult], *, skip_devices: bool = False) -> SessionCheckApp:
    app = SessionCheckApp(plan=R.CHECK_PLAN, run_factory=scripted_factory(results), feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        if skip_devices:
            await pilot.press("k")
        else:
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
            await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        app.banner = banner_state(app)  # type: ignore[attr-defined]
        await pilot.press("q")
    return app


CASES = {
    "everything_tested_and_fine": (R.whole_check(), "-video", f"✔ {READY}", 0),
    "no_check_server": (R.whole_check(path=R.path_no_server()), "-partly", f"! {PARTLY}", 5),
    "wrong_turn_password": (R.whole_check(ice=R.ice_wrong_password()), "-partly", f"! {PARTLY}", 5),
    "microphone_muted": (R.whole_check(microphone=R.microphone_muted()), "-partly", f"! {PARTLY}", 5),
    "a_probe_broke": (R.whole_check(loopback=R.loopback_timed_out()), "-partly", f"! {PARTLY}", 5),
    "computer_too_slow": (
        R.whole_check(loopback=R.loopback_slow()),
        "-audio_only",
        f"! {catalogue.verdict_title(Verdict.AUDIO_ONLY)}",
        1,
    ),
    "packets_lost": (R.whole_check(path=R.path_lossy()), "-phone", f"✖ {catalogue.verdict_title(Verdict.PHONE)}", 2),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_banner_says_only_what_was_tested(case: str) -> None:
    results, state, title, code = CASES[case]
    app = await whole_check(results)
    shown_state, text = app.banner  # type: ignore[attr-defined]
    assert (shown_state, text.splitlines()[0]) == (state, title)
    assert app.report is not None and app.report.verdict_reason in " ".join(text.split())
    assert app.return_value == code
    if state != "-video":
        assert READY not in text


async def test_skipping_camera_and_sound_is_partly_checked() -> None:
    app = await whole_check(R.whole_check(), skip_devices=True)
    assert app.banner[0] == "-partly"  # type: ignore[attr-defined]
    assert app.report is not None and app.report.untested == ("camera", "microphone", "speaker")
    assert catalogue.phrase("verdict.untested.camera") in app.report.verdict_reason
    assert app.return_value == 5


async def test_no_check_server_names_the_untested_connection() -> None:
    app = await whole_check(R.whole_check(path=R.path_no_server()))
    assert app.report is not None and app.report.untested == ("path",)
    assert catalogue.phrase("verdict.untested.path") in app.banner[1]  # type: ignore[attr-defined]


async def test_a_check_stopped_midway_is_never_ready() -> None:
    # Four tests finished and fine, then the user stops the check: the banner must not say ready.
    make = scripted_factory(R.whole_check(), hang_after=4)
    app = SessionCheckApp(plan=R.CHECK_PLAN, run_factory=make, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen) and app.screen.rows["speaker"].running)
        await pilot.click("#skip")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        state, text = banner_state(app)
        assert app.report is not None and app.report.interrupted and not app.report.verdict_complete
        assert [r.status.value for r in app.report.results][:5] == ["pass"] * 4 + ["skip"]
        assert state == "-partly" and READY not in text
        assert catalogue.phrase("report.interrupted") in text
        await pilot.press("q")
    assert app.return_value == 130


async def test_running_the_failed_test_again_recomputes_the_banner() -> None:
    runs = [
        scripted_factory(R.whole_check(ice=R.ice_wrong_password())),
        scripted_factory([R.ice_ok()]),
        scripted_factory([R.ice_wrong_password()]),
    ]
    asked: list[tuple[str, ...]] = []

    def factory(ids: tuple[str, ...]):  # type: ignore[no-untyped-def]
        asked.append(ids)
        return runs[len(asked) - 1](ids)

    app = SessionCheckApp(plan=R.CHECK_PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert banner_state(app)[0] == "-partly"
        for expected in ("-video", "-partly"):
            before = app.report
            app.screen.query_one("#details-ice").collapsed = False  # type: ignore[attr-defined]
            await pilot.pause()
            button = app.screen.query_one("#rerun-ice", Button)
            button.focus()
            await pilot.pause()
            await pilot.click(button)
            await until(pilot, lambda b=before: app.report is not b and isinstance(app.screen, ResultsScreen))
            assert banner_state(app)[0] == expected
            assert app.report is not None and app.report.verdict_complete is (expected == "-video")
        await pilot.press("q")
    assert asked == [R.CHECK_PLAN, ("ice",), ("ice",)]
    assert app.return_value == 5


@pytest.mark.parametrize(
    ("results", "state"),
    [([R.peer_ok()], "-video"), ([R.peer_connect_failed()], "-phone")],
    ids=["peer_ok", "peer_failed"],
)
async def test_an_opened_peer_report_has_its_own_needs(results: list[ProbeResult], state: str) -> None:
    app = SessionCheckApp(report=report_of(results))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert banner_state(app)[0] == state
