"""The CLI ends of the app: ``sessioncheck`` with no command, and ``sessioncheck web``."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessioncheck.advice import catalogue
from sessioncheck.cli import main
from sessioncheck.errors import ExitCode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_command_without_a_terminal_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "needs a terminal" in err and "sessioncheck check" in err


def test_no_command_with_a_broken_config_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("ice_servers = 3\n")
    monkeypatch.setenv("SESSIONCHECK_CONFIG", str(bad))
    assert main([]) == ExitCode.USAGE
    assert capsys.readouterr().err.count("\n") == 1


def test_web_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web", "--port", "70000"]) == ExitCode.USAGE
    assert "70000" in capsys.readouterr().err


async def test_web_serves_the_app_on_loopback() -> None:
    import aiohttp
    import psutil

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sessioncheck", "web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    children: list[psutil.Process] = []
    try:
        async with aiohttp.ClientSession() as session:
            page = ""
            deadline = time.monotonic() + 20
            while not page:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as r:
                        assert r.status == 200
                        page = await r.text()
                except aiohttp.ClientError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        out = proc.stdout.read().decode() if proc.stdout else ""
                        raise AssertionError(f"sessioncheck web did not start: {out}") from None
                    await asyncio.sleep(0.1)
            assert catalogue.phrase("tui.title") in page
            # A browser session runs the real app: its welcome screen arrives on the socket.
            async with session.ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:
                await ws.send_str(json.dumps(["resize", {"width": 80, "height": 24}]))
                received = b""
                mark = catalogue.phrase("tui.welcome.privacy_title").encode()
                while mark not in received:
                    msg = await ws.receive(timeout=20)
                    assert msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), msg
                    received += msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                children = psutil.Process(proc.pid).children(recursive=True)
                assert children  # the app process for this browser session
        # Loopback only by default: the port is not open on other addresses of this machine.
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex(("127.0.0.2", port)) != 0
    finally:
        proc.terminate()
        proc.wait(10)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left behind: {alive}"
