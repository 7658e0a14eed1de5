"""Snapshots of key states at 80×24, built from scripted events and catalogue findings.

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from sessioncheck.media.live import DeviceFeeds
from sessioncheck.model import Audience
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.screens.network import NetworkScreen
from sessioncheck.tui.screens.results import ResultsScreen

from . import realistic as R
from .helpers import until
from .scripted import ice_ok, ice_wrong_password, loopback_ok, loopback_slow, report_of, scripted_factory, system_ok

PLAN = ("system", "ice", "loopback")
Snap = Callable[..., bool]


def checked_app(results: list[Any]) -> SessionCheckApp:
    return SessionCheckApp(plan=PLAN, run_factory=scripted_factory(results), feeds=DeviceFeeds())


async def to_results(pilot: Pilot[Any]) -> None:
    await pilot.press("k")
    await until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))


def test_all_good(snap_compare: Snap) -> None:
    # The banner's green state: every test of the whole check ran and nothing fails.
    assert snap_compare(whole_check_app(R.whole_check()), run_before=expand())


def test_no_camera(snap_compare: Snap) -> None:
    async def to_devices(pilot: Pilot[Any]) -> None:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(pilot.app.screen, DevicesScreen))

    assert snap_compare(checked_app([]), run_before=to_devices)


def test_wrong_turn_password(snap_compare: Snap) -> None:
    assert snap_compare(checked_app([system_ok(), ice_wrong_password(), loopback_ok()]), run_before=to_results)


def test_audio_only_verdict(snap_compare: Snap) -> None:
    assert snap_compare(checked_app([system_ok(), ice_ok(), loopback_slow()]), run_before=to_results)


def test_support_view(snap_compare: Snap) -> None:
    async def support_details(pilot: Pilot[Any]) -> None:
        await to_results(pilot)
        await pilot.press("w", "w")
        app = pilot.app
        assert isinstance(app, SessionCheckApp) and app.audience is Audience.SUPPORT
        await until(pilot, lambda: bool(app.screen.query("#audience-support.-active")))
        await pilot.pause()

    assert snap_compare(checked_app([system_ok(), ice_wrong_password(), loopback_ok()]), run_before=support_details)


def test_high_contrast_large_terminal(snap_compare: Snap) -> None:
    async def contrast(pilot: Pilot[Any]) -> None:
        await to_results(pilot)
        await pilot.press("c")

    assert snap_compare(
        checked_app([system_ok(), ice_wrong_password(), loopback_slow()]), run_before=contrast, terminal_size=(120, 40)
    )


# --- every probe, every severity and status (results from real measurements, judged for real) ---


def whole_check_app(results: list[Any]) -> SessionCheckApp:
    return SessionCheckApp(plan=R.CHECK_PLAN, run_factory=scripted_factory(results), feeds=DeviceFeeds())


def expand(*probes: str, top: bool = True, end: bool = False) -> Callable[[Pilot[Any]], Any]:
    """Run the whole check (devices step included), open the details of ``probes``, scroll up
    (or to the ``end``)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        if not isinstance(app.screen, ResultsScreen):
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        for p in probes:
            app.screen.query_one(f"#details-{p}").collapsed = False  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        if top or end:
            scroll = app.screen.query_one("#results")
            scroll.scroll_end(animate=False) if end else scroll.scroll_home(animate=False)
            await pilot.pause()

    return run_before


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


def test_every_probe_real_run(snap_compare: Snap) -> None:
    # info (Wi-Fi, no face, the connection summary), warn and fail findings; every probe passes or warns.
    assert snap_compare(whole_check_app(REAL_RUN), run_before=expand("system", "camera"), terminal_size=(100, 60))


def test_connection_summary(snap_compare: Snap) -> None:
    # The path probe's warn and info findings, scrolled to as a click on its row would.
    assert snap_compare(whole_check_app(REAL_RUN), run_before=expand("path", top=False), terminal_size=(100, 40))


def test_every_probe_bad_day_support(snap_compare: Snap) -> None:
    # fail, error (timed out) and skip (stopped) results, with the support wording, at the end.
    results = [
        R.system_ok(),
        R.ice_wrong_password(),
        R.camera_covered(),
        R.microphone_ok(),
        R.speaker_ok(),
        R.loopback_timed_out(),
        R.path_lossy(),
        R.cancelled("media_loop"),
    ]

    async def support(pilot: Pilot[Any]) -> None:
        await expand()(pilot)
        await pilot.press("w", "w")
        await until(pilot, lambda: bool(pilot.app.screen.query("#audience-support.-active")))
        await expand("loopback", "media_loop", end=True)(pilot)

    assert snap_compare(whole_check_app(results), run_before=support, terminal_size=(100, 60))


def test_quiet_day_no_server(snap_compare: Snap) -> None:
    # No check server: the connection to the clinic is skipped; no camera; a slow computer.
    results = [
        R.system_ok(),
        R.ice_ok(),
        R.camera_missing(),
        R.microphone_ok(),
        R.speaker_ok(),
        R.loopback_slow(),
        R.path_no_server(),
        R.media_loop_ok(),
    ]
    assert snap_compare(whole_check_app(results), run_before=expand("path"), terminal_size=(100, 50))


def test_peer_report_opened(snap_compare: Snap) -> None:
    # `sessioncheck report show` of a real peer test's report (its summary is an info finding).
    app = SessionCheckApp(report=report_of([R.peer_ok()]), audience=Audience.THERAPIST)
    assert snap_compare(app, run_before=expand("peer"), terminal_size=(100, 40))


# --- the verdict banner's four states (green and audio only are test_all_good and test_audio_only_verdict) ---


def test_partly_checked_without_check_server(snap_compare: Snap) -> None:
    assert snap_compare(whole_check_app(R.whole_check(path=R.path_no_server())), run_before=expand())


def test_phone_verdict(snap_compare: Snap) -> None:
    assert snap_compare(whole_check_app(R.whole_check(path=R.path_lossy())), run_before=expand())


def test_stopped_midway_is_partly_checked(snap_compare: Snap) -> None:
    # Four tests done and fine, then "Skip" on the network step: never "Ready".
    async def stop(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NetworkScreen) and app.screen.rows["speaker"].running)
        await pilot.click("#skip")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))

    app = SessionCheckApp(
        plan=R.CHECK_PLAN, run_factory=scripted_factory(R.whole_check(), hang_after=4), feeds=DeviceFeeds()
    )
    assert snap_compare(app, run_before=stop)
