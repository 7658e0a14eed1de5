"""A web browser as the client: headless Chromium joins through the page `serve` hosts at /join.

`serve` and `sessioncheck host` run as subprocesses; Chromium (Debian package ``chromium``)
loads ``/join?code=...&auto=1`` with fake camera and microphone and runs the client's side of
the peer test in JavaScript. The therapist's report must hold both sides' numbers, with the
client marked as a browser.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import Proc, sessioncheck

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian package chromium")


class Browser:
    """Headless Chromium in its own process group with a fresh profile; console log to a file."""

    def __init__(self, url: str, log: Path) -> None:
        self.profile = tempfile.mkdtemp(prefix="sessioncheck-chromium-")
        self.log = log
        self._log_file = log.open("w")
        self.p = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                "--enable-logging=stderr",
                "--v=0",
                url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            start_new_session=True,  # Chromium's helpers share its process group: killed together
        )

    def console(self) -> str:
        """What the page logged: Chromium's own log lines start with "[pid:tid:..." and are left
        out unless they carry the page's console output (whose messages may span lines)."""
        return "\n".join(
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if not line.startswith("[") or ":CONSOLE" in line
        )

    def kill(self) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.p.wait(timeout=10)
        # helpers outliving the main process still hold the group id
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log_file.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def started() -> Iterator[list[Proc | Browser]]:
    running: list[Proc | Browser] = []
    yield running
    for p in reversed(running):
        p.kill()


def http_base(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://", 1).removesuffix("/ws")


def host_and_browser(url: str, tmp_path: Path, started: list[Proc | Browser]) -> tuple[Proc, Browser, str]:
    (tmp_path / "therapist").mkdir()
    host = Proc(sessioncheck("host", "--server", url, "--format", "json"), tmp_path / "therapist")
    started.append(host)
    code = host.wait_for("CODE ", 20).split()[1]
    browser = Browser(f"{http_base(url)}/join?code={code}&auto=1", tmp_path / "chromium.log")
    started.append(browser)
    return host, browser, code


def report_of(tmp_path: Path) -> dict[str, Any]:
    files = list((tmp_path / "therapist").glob("sessioncheck-peer-*-therapist.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text())  # type: ignore[no-any-return]


def values(report: dict[str, Any]) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in report["results"][0]["measurements"]}


def codes_of(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["results"][0]["findings"]}


def test_the_page_carries_the_catalogue_wording(serve) -> None:  # type: ignore[no-untyped-def]
    from sessioncheck.advice.catalogue import PHRASES

    _, url = serve()
    with urllib.request.urlopen(f"{http_base(url)}/join?code=222-333-444", timeout=5) as r:
        page = r.read().decode()
        assert r.headers["Content-Type"].startswith("text/html")
    assert "/*PHRASES*/{}" not in page
    assert json.dumps(PHRASES["browser.title"]) in page and json.dumps(PHRASES["browser.intro"]) in page
    assert '<script type="module" src="/static/join/main.js">' in page
    with urllib.request.urlopen(f"{http_base(url)}/static/join/main.js", timeout=5) as r:
        assert "PeerTest" in r.read().decode()
    # the channel labels (and every other protocol constant) come from Python, not a copy
    with urllib.request.urlopen(f"{http_base(url)}/protocol.json", timeout=5) as r:
        assert json.loads(r.read())["channels"]["client"]["probe"] == "cl-probe"


@needs_chromium
def test_chromium_joins_and_the_peer_test_completes(serve, tmp_path: Path, started) -> None:  # type: ignore[no-untyped-def]
    _, url = serve()
    t0 = time.monotonic()
    host, browser, _ = host_and_browser(url, tmp_path, started)
    launched = time.monotonic()
    rc, out, err = host.finish(45)
    elapsed = time.monotonic() - launched
    console = browser.console()
    assert rc in (0, 1), (err, console)
    report = report_of(tmp_path)
    assert json.loads(out) == report  # stdout is the same (redacted) report
    v = values(report)
    assert v["peer.outcome"] == "ok", (v.get("peer.detail"), console)
    assert v["peer.client.kind"] == "browser" and "peer.therapist.kind" not in v
    assert report["host"]["client.kind"] == "browser" and report["host"]["client.browser"].startswith("HeadlessChrome")
    for side in ("therapist", "client"):
        assert v[f"peer.{side}.reported"] is True
        assert 0 < float(v[f"peer.{side}.rtt_ms"]) < 100
        assert float(v[f"peer.{side}.up_kbps"]) > 300
        assert v[f"peer.{side}.candidate_type"] == "host" and v[f"peer.{side}.transport"] == "udp"
        # what the other side decoded of this side's media leg
        assert int(v[f"peer.{side}.media.video_frames"]) > 0 and int(v[f"peer.{side}.media.audio_frames"]) > 0
        assert int(v[f"peer.{side}.media.video_packets_received"]) > 0
        assert float(v[f"peer.{side}.media.video_sent_kbps"]) > 0
    # the browser decoded the therapist's 720p; the therapist measured both directions' jitter and loss
    assert v["peer.therapist.media.video_resolution"] == "1280x720"
    for key in ("loss_up_pct", "loss_down_pct", "jitter_up_ms", "jitter_down_ms"):
        assert v[f"peer.therapist.{key}"] is not None
    assert float(v["peer.therapist.loss_up_pct"]) < 5 and float(v["peer.therapist.loss_down_pct"]) < 5
    # what a page can tell about its computer; nothing it cannot
    assert int(v["peer.client.system.cpu_count"]) > 0
    assert "peer.client.system.cpu_load_pct" not in v
    # no latency under load through an SCTP queue shared with the bulk data (see peer/browser.py)
    assert "peer.client.loaded_rtt_delta_ms" not in v and "peer.therapist.loaded_rtt_delta_ms" not in v
    assert "peer.summary" in codes_of(report)
    # the page got the therapist's side's wording for the client, and showed it
    assert "sessioncheck: Done." in console and "The connection between you and your therapist" in console, console
    assert elapsed < 40 and time.monotonic() - t0 < 55
    print(f"browser peer test: {elapsed:.1f} s from launching Chromium to the therapist's report")


@needs_chromium
def test_browser_closed_mid_test_leaves_partial_results(serve, tmp_path: Path, started) -> None:  # type: ignore[no-untyped-def]
    _, url = serve()
    host, browser, _ = host_and_browser(url, tmp_path, started)
    host.wait_for("measuring delay", 25)
    time.sleep(0.5)
    browser.kill()
    killed = time.monotonic()
    _, out, err = host.finish(20)
    assert time.monotonic() - killed < 8, "the therapist's side must notice quickly"
    report = report_of(tmp_path)
    assert json.loads(out) == report
    v = values(report)
    assert v["peer.outcome"] in ("peer_left", "peer_silent"), err
    assert v["peer.client.kind"] == "browser"
    assert v["peer.client.reported"] is False and v["peer.therapist.reported"] is True
    assert "peer.therapist.connect_s" in v
    assert "peer.client_left" in codes_of(report)


@needs_chromium
def test_a_wrong_code_in_the_page_says_so(serve, tmp_path: Path, started) -> None:  # type: ignore[no-untyped-def]
    from sessioncheck.advice.catalogue import PHRASES

    _, url = serve()
    browser = Browser(f"{http_base(url)}/join?code=222-333-444&auto=1", tmp_path / "chromium.log")
    started.append(browser)
    failed = PHRASES["browser.failed"].split("{")[0]
    deadline = time.monotonic() + 20
    while failed not in browser.console() and time.monotonic() < deadline:
        time.sleep(0.2)
    console = browser.console()
    assert f"{failed}no test has this code; check the code and try again" in console, console
