"""The app driving the real Runner against real local components: this machine's system
facts, two real aiortc peers (loopback) and a real coturn (ice)."""

from __future__ import annotations

import socket
import threading
import time

from sessioncheck.advice import catalogue
from sessioncheck.media.live import DeviceFeeds
from sessioncheck.model import Audience, Status
from sessioncheck.settings import IceServer, Settings
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.dialogs import QuitScreen
from sessioncheck.tui.screens.network import NetworkScreen
from sessioncheck.tui.screens.results import SEVERITY_MARKS, ResultsScreen
from sessioncheck.tui.widgets import VerdictBanner
from support.coturn import Coturn

from .helpers import until

PLAN = ("system", "ice", "loopback")


async def test_real_runner_with_coturn_system_and_loopback(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers(), ca_file=str(coturn.ca_file))
    app = SessionCheckApp(settings, plan=PLAN, feeds=DeviceFeeds())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=60)
        network = app.network
        assert isinstance(network, NetworkScreen)
        report = app.report
        assert report is not None and not report.interrupted
        statuses = {r.probe: r.status for r in report.results}
        assert statuses["ice"] in (Status.PASS, Status.WARN), report.result("ice")
        assert statuses["loopback"] in (Status.PASS, Status.WARN), report.result("loopback")
        # Live samples from the real loopback peers reached the sparklines.
        assert ("loopback", "rtt_ms") in network.series
        assert len(network.series[("loopback", "rtt_ms")].values) > 3
        banner = str(app.screen.query_one(VerdictBanner).render())
        # devices and the clinic connection were not in this plan: never "Ready"
        assert not report.verdict_complete
        assert catalogue.verdict_title(report.verdict, complete=False) in banner
        await pilot.press("q")
    assert not [t for t in threading.enumerate() if t.name.startswith("probe")]


async def test_real_wrong_turn_password_reaches_the_results(coturn: Coturn) -> None:
    settings = Settings(ice_servers=coturn.ice_servers(password="not-the-password"), ca_file=str(coturn.ca_file))
    app = SessionCheckApp(settings, plan=("ice",), feeds=DeviceFeeds(), audience=Audience.SUPPORT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=30)
        assert app.report is not None
        codes = [f.code for f in app.report.findings]
        assert "ice.turn_auth_failed" in codes
        fixes = "\n".join(str(s.render()) for s in app.screen.query(".fix"))
        auth = next(f for f in app.report.findings if f.code == "ice.turn_auth_failed")
        assert auth.for_audience(Audience.SUPPORT).title in fixes


async def test_quitting_a_real_run_cancels_it_and_leaves_nothing_behind() -> None:
    # A STUN server that never answers (a bound UDP socket nobody reads) keeps the real ice
    # probe waiting: quit in the middle of it.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    settings = Settings(ice_servers=(IceServer(urls=(f"stun:127.0.0.1:{port}",)),))
    try:
        app = SessionCheckApp(settings, plan=("system", "ice"), feeds=DeviceFeeds())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("k")
            await until(
                pilot, lambda: isinstance(app.screen, NetworkScreen) and app.screen.rows["ice"].running, timeout=20
            )
            run = app.current_run
            assert run is not None
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, QuitScreen), timeout=5)
            started = time.monotonic()
            await pilot.click("#quit")
            await until(pilot, lambda: run.done.is_set(), timeout=20)
            stopped_in = time.monotonic() - started
    finally:
        silent.close()
    assert stopped_in < 2.0, stopped_in
    assert run.final_report is not None and run.final_report.interrupted
    assert run.final_report.result("ice").status is Status.SKIP  # type: ignore[union-attr]
    assert app.return_value == 130
    assert not [t for t in threading.enumerate() if t.name.startswith(("probe", "check"))]


async def test_real_path_to_a_real_check_server_reaches_the_results(coturn: Coturn) -> None:
    # The path probe always ends in an info finding (network.summary): the results screen once
    # crashed on it. A real `sessioncheck serve` on loopback, real coturn, the real runner.
    import re
    import subprocess
    import sys

    serve = subprocess.Popen(
        [sys.executable, "-m", "sessioncheck", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serve.stdout is not None
        found = re.search(r"ws://\S+/ws", serve.stdout.readline())
        assert found, "sessioncheck serve did not say where it listens"
        settings = Settings(ice_servers=coturn.ice_servers(), ca_file=str(coturn.ca_file), server=found.group(0))
        app = SessionCheckApp(settings, plan=("system", "ice", "path"), feeds=DeviceFeeds(), audience=Audience.SUPPORT)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("k")
            await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=60)
            report = app.report
            assert report is not None and app.crashed is None
            path = report.result("path")
            assert path is not None and path.status in (Status.PASS, Status.WARN, Status.FAIL), path
            assert "network.summary" in [f.code for f in path.findings]
            text = "\n".join(str(s.render()) for s in app.screen.query("#details-path .finding"))
            for f in path.findings:
                assert f"{SEVERITY_MARKS[f.severity]} {f.for_audience(Audience.SUPPORT).title}" in text
            await pilot.press("q")
    finally:
        serve.terminate()
        serve.wait(10)
