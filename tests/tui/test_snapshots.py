"""Snapshots of key states at 80×24, built from scripted events and catalogue findings.

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from sessioncheck.model import Audience
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.devices import DeviceFeeds
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.screens.results import ResultsScreen

from .helpers import until
from .scripted import ice_ok, ice_wrong_password, loopback_ok, loopback_slow, scripted_factory, system_ok

PLAN = ("system", "ice", "loopback")
Snap = Callable[..., bool]


def checked_app(results: list[Any]) -> SessionCheckApp:
    return SessionCheckApp(plan=PLAN, run_factory=scripted_factory(results), feeds=DeviceFeeds())


async def to_results(pilot: Pilot[Any]) -> None:
    await pilot.press("k")
    await until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))


def test_all_good(snap_compare: Snap) -> None:
    assert snap_compare(checked_app([system_ok(), ice_ok(), loopback_ok()]), run_before=to_results)


def test_no_camera(snap_compare: Snap) -> None:
    async def to_devices(pilot: Pilot[Any]) -> None:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(pilot.app.screen, DevicesScreen))

    assert snap_compare(checked_app([]), run_before=to_devices)


def test_wrong_turn_password(snap_compare: Snap) -> None:
    assert snap_compare(checked_app([system_ok(), ice_wrong_password(), loopback_ok()]),
                        run_before=to_results)


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

    assert snap_compare(checked_app([system_ok(), ice_wrong_password(), loopback_ok()]),
                        run_before=support_details)


def test_high_contrast_large_terminal(snap_compare: Snap) -> None:
    async def contrast(pilot: Pilot[Any]) -> None:
        await to_results(pilot)
        await pilot.press("c")

    assert snap_compare(checked_app([system_ok(), ice_wrong_password(), loopback_slow()]),
                        run_before=contrast, terminal_size=(120, 40))
