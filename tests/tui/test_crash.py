"""An unexpected exception in the app: a short apology, the results saved, a redacted log, exit 4.

Never Textual's traceback (it prints local variables: TURN URLs, addresses).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sessioncheck.advice import catalogue
from sessioncheck.errors import ExitCode
from sessioncheck.events import ProbeStarted
from sessioncheck.media.live import DeviceFeeds
from sessioncheck.report import load_report
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.network import NetworkScreen
from sessioncheck.tui.screens.results import ResultsScreen
from sessioncheck.tui.source import Step

from . import realistic as R
from .helpers import until
from .scripted import report_of, scripted_factory

SECRET_ADDRESS = "203.0.113.77"
"""In the exception's message and in a local variable of the code that broke."""


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return home


class Bug(RuntimeError):
    pass


def broken(*_args: object, **_kwargs: object) -> None:
    turn_url = f"turn:{SECRET_ADDRESS}:3478"  # a local Textual's traceback would print
    raise Bug(f"no route to {SECRET_ADDRESS} via {turn_url}")


def assert_apology(app: SessionCheckApp, err: str, *, saved: bool) -> Path | None:
    assert app.return_value == ExitCode.INTERNAL == 4
    crash = app.crashed
    assert crash is not None and isinstance(crash.error, Bug)
    # The terminal shows the apology and nothing of the traceback or its data.
    assert catalogue.phrase("tui.crash.sorry") in " ".join(err.split())
    for leaked in ("Traceback", "locals", SECRET_ADDRESS, "turn_url"):
        assert leaked not in err
    # The log has the details, without the address, readable by the owner only.
    assert crash.log is not None and crash.log.exists()
    assert stat.S_IMODE(crash.log.stat().st_mode) == 0o600
    log = crash.log.read_text()
    assert "Bug: no route to" in log and "test_crash.py" in log and SECRET_ADDRESS not in log
    assert str(crash.log) in err.replace("\n", "")
    if saved:
        assert crash.saved is not None and str(crash.saved) in err.replace("\n", "")
        assert stat.S_IMODE(crash.saved.stat().st_mode) == 0o600
    else:
        assert crash.saved is None
    return crash.saved


async def test_a_crash_on_a_screen_ends_in_an_apology(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ResultsScreen, "compose", broken)
    app = SessionCheckApp(
        plan=("system", "path"), run_factory=scripted_factory([R.system_wifi(), R.path_good()]), feeds=DeviceFeeds()
    )
    with pytest.raises(Bug):  # run_test() re-raises it for tests; a real run returns 4
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("k")
            await until(pilot, lambda: app.crashed is not None)
    saved = assert_apology(app, capfd.readouterr().err, saved=True)
    assert saved is not None
    report = load_report(saved)
    assert report.redacted and [r.probe for r in report.results] == ["system", "path"]


async def test_a_crash_in_the_app_mid_check_saves_the_partial_report(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(SessionCheckApp, "action_toggle_contrast", broken)
    factory = scripted_factory(
        [R.system_ok()], extra=[Step(ProbeStarted("ice", "slow", 60.0)), Step(ProbeStarted("loopback", "x", 1), 60.0)]
    )
    app = SessionCheckApp(plan=("system", "ice", "loopback"), run_factory=factory, feeds=DeviceFeeds())
    with pytest.raises(Bug):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("k")
            await until(pilot, lambda: isinstance(app.screen, NetworkScreen) and app.running)
            run = app.current_run
            assert run is not None
            await pilot.press("c")
            await until(pilot, lambda: app.crashed is not None)
    assert run.done.is_set() and factory.made[0].cancelled
    saved = assert_apology(app, capfd.readouterr().err, saved=True)
    assert saved is not None and load_report(saved).interrupted


async def test_a_crash_in_an_opened_report_saves_nothing_new(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], private_home: Path
) -> None:
    monkeypatch.setattr(ResultsScreen, "compose", broken)
    app = SessionCheckApp(report=report_of([R.peer_ok()]))
    with pytest.raises(Bug):
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.crashed is not None)
    assert_apology(app, capfd.readouterr().err, saved=False)
    assert list(private_home.iterdir()) == []
