"""Pilot-driven tests of the whole flow with scripted event sources."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Button, Static

from sessioncheck.advice import catalogue
from sessioncheck.advice.verdict import merge_rerun
from sessioncheck.errors import ExitCode
from sessioncheck.events import ProbeStarted
from sessioncheck.media.live import DeviceFeeds
from sessioncheck.model import Audience, Status, Verdict
from sessioncheck.report import load_report
from sessioncheck.tui.app import SessionCheckApp, default_save_path
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.screens.dialogs import QuitScreen, SaveScreen
from sessioncheck.tui.screens.help import HelpScreen
from sessioncheck.tui.screens.network import NetworkScreen
from sessioncheck.tui.screens.results import ResultsScreen
from sessioncheck.tui.screens.welcome import WelcomeScreen
from sessioncheck.tui.source import Step
from sessioncheck.tui.widgets import CameraPreview, LevelMeter, VerdictBanner
from sessioncheck.tui.widgets.camera import UPPER_HALF

from .helpers import until
from .scripted import (
    ice_ok,
    ice_wrong_password,
    loopback_ok,
    loopback_slow,
    report_of,
    scripted_factory,
    system_ok,
)

PLAN = ("system", "ice", "loopback")


def text_of(widget: Static) -> str:
    return str(widget.render())


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Reports saved to the default place (~) land in a fresh folder we can inspect."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


async def test_whole_flow_welcome_devices_network_results(private_home: Path) -> None:
    factory = scripted_factory([system_ok(), ice_wrong_password(), loopback_slow()], delay_s=0.01)
    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        welcome = app.screen.query_one("#privacy", Static)
        assert text_of(welcome) == catalogue.phrase("tui.welcome.privacy")
        await pilot.click("#start")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        assert app.screen.query_one("#camera-missing", Static)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        network = app.network
        assert isinstance(network, NetworkScreen)
        assert {p: r.result.status for p, r in network.rows.items() if r.result} == {
            "system": Status.PASS,
            "ice": Status.FAIL,
            "loopback": Status.WARN,
        }
        assert list(network.series) == [("loopback", "rtt_ms"), ("loopback", "throughput_kbps")]
        assert list(network.series[("loopback", "rtt_ms")].values)[-1] == 1.1

        # The verdict and its wording come from the report and the catalogue.
        assert app.report is not None and app.report.verdict is Verdict.AUDIO_ONLY
        banner = app.screen.query_one(VerdictBanner)
        assert catalogue.verdict_title(Verdict.AUDIO_ONLY) in text_of(banner)
        assert banner.has_class("-audio_only")
        fixes = [text_of(s) for s in app.screen.query(".fix").results(Static)]
        assert len(fixes) == 2
        client_titles = [f.for_audience(Audience.CLIENT).title for f in app.report.findings]
        assert all(any(t in fix for fix in fixes) for t in client_titles)

        # Therapist wording, then support wording with the evidence.
        await pilot.press("w")
        fixes = [text_of(s) for s in app.screen.query(".fix").results(Static)]
        assert any(f.for_audience(Audience.THERAPIST).title in fix for f in app.report.findings for fix in fixes)
        await pilot.click("#audience-support")
        await pilot.pause()
        assert app.audience is Audience.SUPPORT
        details = app.screen.query_one("#details-ice")
        body = "\n".join(text_of(s) for s in details.query(".finding").results(Static))
        assert "ice.check2.code = 401" in body

        # Save the report through the dialog.
        target = private_home / "for-the-clinic.json"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        save_input = app.screen.query_one("#save-path")
        save_input.value = str(target)  # type: ignore[attr-defined]
        await pilot.click("#save-ok")
        await until(pilot, lambda: target.exists())
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        saved = load_report(target)
        assert saved.redacted and saved.verdict is Verdict.AUDIO_ONLY
        await pilot.press("q")
    assert app.return_value == 1  # audio only, like `sessioncheck check`


async def test_skip_devices_goes_straight_to_the_check() -> None:
    factory = scripted_factory([system_ok(), ice_ok(), loopback_ok()])
    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.report is not None and app.report.verdict is Verdict.VIDEO
        assert text_of(app.screen.query_one(".fix", Static)) == catalogue.phrase("tui.results.no_fixes")
        # Nothing is wrong, but neither the devices nor the connection to the clinic were tested.
        assert not app.report.verdict_complete
        assert app.report.untested == ("camera", "microphone", "speaker", "path")
        assert app.screen.query_one(VerdictBanner).has_class("-partly")
        await pilot.press("q")
    assert app.return_value == ExitCode.PARTLY_CHECKED


async def test_keys_are_handled_while_a_slow_probe_runs(private_home: Path) -> None:
    # A probe that starts and then takes 60 s: the interface must keep answering.
    factory = scripted_factory(
        [system_ok()], extra=[Step(ProbeStarted("ice", "slow", 60.0)), Step(ProbeStarted("loopback", "x", 1), 60.0)]
    )
    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen) and app.screen.rows["ice"].running)
        assert app.running
        started = time.monotonic()
        await pilot.press("c")
        assert app.theme == "sessioncheck-high-contrast"
        await pilot.press("w")
        assert app.audience is Audience.THERAPIST
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=2.0)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen), timeout=2.0)
        assert time.monotonic() - started < 2.0
        assert app.running  # still measuring

        # Quitting mid-check: the dialog, "quit without saving", run cancelled, nothing saved.
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen), timeout=2.0)
        run = app.current_run
        assert run is not None
        await pilot.click("#quit")
        await until(pilot, lambda: run.done.is_set(), timeout=5.0)
    assert run.cancel_requested and run.done.is_set()
    assert factory.made[0].cancelled
    assert app.return_value == 130
    assert list(private_home.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("check")]


async def test_quit_mid_check_can_save_what_we_have(private_home: Path) -> None:
    factory = scripted_factory(
        [system_ok()], extra=[Step(ProbeStarted("ice", "slow", 60.0)), Step(ProbeStarted("loopback", "x", 1), 60.0)]
    )
    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.click("#save")
        await until(pilot, lambda: bool(list(private_home.iterdir())), timeout=5.0)
    saved = list(private_home.iterdir())
    assert len(saved) == 1 and saved[0].name.startswith("sessioncheck-report-")
    assert load_report(saved[0]).interrupted


async def test_keep_checking_after_quit_dialog_shows_results_that_arrived() -> None:
    # Slow enough that the run is still going when "q" arrives, even on a loaded machine.
    factory = scripted_factory([system_ok(), ice_ok(), loopback_ok()], delay_s=0.3)
    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen))
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await until(pilot, lambda: not app.running)  # the run ends behind the dialog
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))


async def test_skipping_the_network_step_keeps_partial_results() -> None:
    factory = scripted_factory([system_ok(), ice_ok()], extra=[Step(ProbeStarted("ice", "slow", 60.0))], delay_s=30.0)
    app = SessionCheckApp(plan=("system", "ice"), run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen))
        await pilot.click("#skip")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.report is not None and app.report.interrupted
        assert catalogue.phrase("report.interrupted") in text_of(app.screen.query_one(VerdictBanner))


async def test_run_one_probe_again_merges_its_result() -> None:
    runs = [
        scripted_factory([system_ok(), ice_ok(), loopback_slow()]),
        scripted_factory([loopback_ok()]),
    ]
    asked: list[tuple[str, ...]] = []

    def factory(ids: tuple[str, ...]):  # type: ignore[no-untyped-def]
        asked.append(ids)
        return runs[len(asked) - 1](ids)

    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.report is not None and app.report.verdict is Verdict.AUDIO_ONLY
        first = app.report
        app.screen.query_one("#details-loopback").collapsed = False  # type: ignore[attr-defined]
        await pilot.pause()
        rerun = app.screen.query_one("#rerun-loopback", Button)
        rerun.focus()  # keyboard users get there with tab; focusing scrolls it into view
        await pilot.pause()
        await pilot.click(rerun)
        await until(pilot, lambda: app.report is not first and isinstance(app.screen, ResultsScreen))
    assert asked == [PLAN, ("loopback",)]
    assert app.report.verdict is Verdict.VIDEO
    assert [r.probe for r in app.report.results] == list(PLAN)
    assert app.report.result("system") == first.result("system")


def test_merge_rerun_decides_the_verdict_again() -> None:
    base = report_of([system_ok(), loopback_slow()])
    merged = merge_rerun(base, report_of([loopback_ok()]))
    assert base.verdict is Verdict.AUDIO_ONLY and merged.verdict is Verdict.VIDEO
    assert merged.result("loopback") == loopback_ok()


def test_default_save_path_names_the_check_time() -> None:
    assert default_save_path(report_of([system_ok()])) == "~/sessioncheck-report-20261125-100000.json"


async def test_a_broken_run_is_reported_not_crashed() -> None:
    def factory(ids: tuple[str, ...]):  # type: ignore[no-untyped-def]
        raise RuntimeError("no probes could be loaded")

    app = SessionCheckApp(plan=PLAN, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: not app.running)
        await pilot.pause()
        assert any("no probes could be loaded" in str(n.message) for n in app._notifications)
        await pilot.press("w")  # still answering
        assert app.audience is Audience.THERAPIST


async def test_live_camera_microphone_and_speaker() -> None:
    frame = np.zeros((48, 64, 3), dtype=np.uint8)
    frame[:, :32] = (200, 30, 40)
    frame[:, 32:] = (10, 180, 90)
    played = threading.Event()

    async def camera(stop: threading.Event):  # type: ignore[no-untyped-def]
        while not stop.is_set():
            yield frame
            await asyncio.sleep(0.03)

    def microphone(stop: threading.Event):  # type: ignore[no-untyped-def]
        level = -50.0
        while not stop.is_set():
            yield level
            level = min(level + 5, -6.0)
            time.sleep(0.03)

    def tone() -> None:
        time.sleep(0.05)
        played.set()

    feeds = DeviceFeeds(camera=camera, microphone=microphone, speaker=tone)
    app = SessionCheckApp(plan=PLAN, run_factory=scripted_factory([]), feeds=feeds)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        assert isinstance(screen, DevicesScreen)
        preview = screen.query_one(CameraPreview)
        meter = screen.query_one(LevelMeter)
        await until(pilot, lambda: preview.frames_shown >= 3 and (meter.level_db or -99) > -40)
        drawn = [seg for seg in preview.render_line(0) if seg.text.startswith(UPPER_HALF)]
        left, right = drawn[0].style, drawn[-1].style
        assert left is not None and right is not None
        assert left.color.triplet == (200, 30, 40) and left.bgcolor.triplet == (200, 30, 40)
        assert right.color.triplet == (10, 180, 90)
        assert "dB" in str(meter.render())

        await pilot.press("t")
        await until(pilot, lambda: not screen.query_one("#heard").has_class("-hidden"))
        assert played.is_set()
        await pilot.click("#heard-no")
        assert screen.heard is False
        assert text_of(screen.query_one("#tone-status", Static)) == catalogue.phrase("tui.devices.heard_no")
        threads = list(screen._threads)
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, DevicesScreen))
        assert all(t.done.is_set() for t in threads)  # the feeds stopped with the screen


async def test_opened_report_shows_results_without_rerun() -> None:
    report = report_of([system_ok(), ice_wrong_password()])
    app = SessionCheckApp(report=report, audience=Audience.SUPPORT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert not app.screen.query("#again") and not app.screen.query(".rerun")
        assert app.sub_title == catalogue.phrase("tui.results.opened", created=report.created)
        await pilot.press("q")
    assert app.return_value == 0


async def test_command_palette_offers_the_main_actions() -> None:
    app = SessionCheckApp(
        plan=PLAN, run_factory=scripted_factory([system_ok(), ice_ok(), loopback_ok()]), feeds=DeviceFeeds()
    )
    async with app.run_test(size=(80, 24)) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {
            catalogue.phrase("tui.cmd.start"),
            catalogue.phrase("tui.cmd.skip"),
            catalogue.phrase("tui.cmd.contrast"),
            catalogue.phrase("tui.cmd.help"),
        } <= titles
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert catalogue.phrase("tui.cmd.save") in commands
        rerun = catalogue.phrase("tui.cmd.rerun", probe=catalogue.phrase("probe.ice"))
        assert rerun in commands
        support = catalogue.phrase("tui.cmd.audience", audience=catalogue.phrase("tui.audience.support"))
        commands[support].callback()
        await pilot.pause()
        assert app.audience is Audience.SUPPORT


async def test_help_lists_the_keys_of_the_screen() -> None:
    app = SessionCheckApp(plan=PLAN, run_factory=scripted_factory([]), feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = dict((d, k) for k, d in app.screen.keys)  # type: ignore[attr-defined]
        assert keys[catalogue.phrase("tui.key.start")] == "s"
        assert "q" in keys[catalogue.phrase("tui.key.quit")]
        assert keys[catalogue.phrase("tui.key.contrast")] == "c"


async def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    report = report_of([system_ok(), loopback_slow()])
    app = SessionCheckApp(report=report)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        # The verdict still reads without colour: it carries its mark and title.
        assert text_of(app.screen.query_one(VerdictBanner)).startswith(
            "! " + catalogue.verdict_title(Verdict.AUDIO_ONLY)
        )
    assert "NO_COLOR" in os.environ


async def test_buttons_work_with_the_keyboard_alone() -> None:
    app = SessionCheckApp(
        plan=PLAN, run_factory=scripted_factory([system_ok(), ice_ok(), loopback_ok()]), feeds=DeviceFeeds()
    )
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.focused, Button) and app.focused.id == "start"
        await pilot.press("tab", "enter")  # "Skip camera and sound"
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert isinstance(app.focused, Button) and app.focused.id == "save"


async def test_skipping_camera_and_sound_leaves_the_device_tests_out() -> None:
    asked: list[tuple[str, ...]] = []
    inner = scripted_factory([system_ok(), ice_ok(), loopback_ok()])

    def factory(ids: tuple[str, ...]):  # type: ignore[no-untyped-def]
        asked.append(ids)
        return inner(ids)

    plan = ("system", "camera", "microphone", "speaker", "ice", "loopback")
    app = SessionCheckApp(plan=plan, run_factory=factory, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
    assert asked == [("system", "ice", "loopback")]
