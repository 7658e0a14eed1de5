"""Stop signals, for real: Ctrl-C, SIGTERM and SIGHUP keep the partial report; early ones say "stopped"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sessioncheck.errors import ExitCode
from support.reports import validate

STOP_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HOME": "/nonexistent-home", "SESSIONCHECK_STATE_DIR": str(tmp_path / "state"), **extra}


def _default_signals(ignore: tuple[signal.Signals, ...] = ()) -> Callable[[], None]:
    """For the child: stop signals as in a terminal's foreground job (whatever started pytest)."""

    def setup() -> None:
        for sig in STOP_CODES:
            signal.signal(sig, signal.SIG_IGN if sig in ignore else signal.SIG_DFL)

    return setup


def _start(args: list[str], env: dict[str, str], ignore: tuple[signal.Signals, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sessioncheck", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_default_signals(ignore),
    )


def _read_until(proc: subprocess.Popen[str], seen: Callable[[str], bool]) -> list[str]:
    """stderr lines up to and including the first one for which ``seen`` is true."""
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        if seen(line):
            return lines
    pytest.fail(f"the process ended before the expected line; stderr: {''.join(lines)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_stop_signal_during_check_keeps_the_partial_report(tmp_path: Path, sig: signal.Signals) -> None:
    out_file = tmp_path / "partial.json"
    proc = _start(
        ["check", "--probes", "system,loopback", "--format", "json", "--output", str(out_file)], _env(tmp_path)
    )
    # the first progress line is printed once the run's signal handlers are in place
    before = _read_until(proc, lambda line: line.startswith("  ... "))
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == STOP_CODES[sig], "".join(before) + stderr
    data = json.loads(stdout)
    validate(data)
    assert data["interrupted"] is True
    assert json.loads(out_file.read_text()) == data
    assert "Stopping..." in stderr and "Traceback" not in stderr


def test_a_signal_ignored_at_start_stays_ignored(tmp_path: Path) -> None:
    """`nohup sessioncheck check` (SIGHUP ignored) must survive the terminal closing."""
    proc = _start(["check", "--probes", "system,loopback", "--format", "json"], _env(tmp_path), ignore=(signal.SIGHUP,))
    _read_until(proc, lambda line: line.startswith("  ... "))
    proc.send_signal(signal.SIGHUP)
    stdout, stderr = proc.communicate(timeout=60)
    data = json.loads(stdout)
    assert data["interrupted"] is False and "Stopping" not in stderr
    assert proc.returncode == {"video": 5, "audio_only": 1, "phone": 2}[data["verdict"]], stderr


def _import_hook(tmp_path: Path, module: str, sig: signal.Signals) -> str:
    """A sitecustomize that sends ``sig`` to its own process the moment ``module`` is imported."""
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "import os, sys\n"
        "def _hook(event, args):\n"
        f"    if event == 'import' and args[0] == {module!r}:\n"
        f"        os.kill(os.getpid(), {int(sig)})\n"
        "sys.addaudithook(_hook)\n"
    )
    return os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])


@pytest.mark.parametrize(
    ("module", "sig"),
    [
        ("sessioncheck.cli", signal.SIGINT),  # imported by __main__
        ("argparse", signal.SIGINT),  # the first import of sessioncheck.cli
        ("sessioncheck.probes", signal.SIGINT),  # inside `check`, before its run
        ("sessioncheck.settings", signal.SIGINT),  # reading the settings
        ("sessioncheck.runner", signal.SIGTERM),
        ("sessioncheck.probes", signal.SIGHUP),
    ],
    ids=lambda v: v.name if isinstance(v, signal.Signals) else v,
)
def test_stop_signal_while_importing_says_stopped(tmp_path: Path, module: str, sig: signal.Signals) -> None:
    env = _env(tmp_path, PYTHONPATH=_import_hook(tmp_path, module, sig))
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "check", "--probes", "system"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        preexec_fn=_default_signals(),
    )
    assert out.returncode == STOP_CODES[sig], out.stderr
    assert out.stderr == "sessioncheck: Stopped.\n"
    assert out.stdout == ""


def test_sigterm_while_the_host_waits_keeps_the_report(serve: Any, tmp_path: Path) -> None:
    _, url = serve()
    out_file = tmp_path / "host.json"
    proc = _start(["host", "--server", url, "--format", "json", "-o", str(out_file)], _env(tmp_path))
    _read_until(proc, lambda line: line.startswith("CODE "))
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.TERMINATED, stderr
    data = json.loads(stdout)
    assert data["interrupted"] is True
    assert json.loads(out_file.read_text()) == data
    assert "Traceback" not in stderr


# --- text from the network: a hostile signalling server ---------------------------------------

EVIL = "\x1b]0;owned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x9b2J\nCODE FAKE-FAKE"


class _EvilServer:
    """A WebSocket server that answers every hello with escape sequences in its text."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.url = ""
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(10)

    def _serve(self, ready: Any) -> None:
        from aiohttp import web

        async def ws(request: web.Request) -> web.WebSocketResponse:
            sock = web.WebSocketResponse()
            await sock.prepare(request)
            hello = await sock.receive_json()
            if hello.get("role") == "host":
                await sock.send_json({"type": "room", "code": "4KQ7PZM2X", "display": EVIL, "expires_in_s": 900})
                await sock.receive()  # until the host goes away
            else:
                await sock.send_json({"type": "error", "code": "bad_code", "message": "wrong code" + EVIL})
            return sock

        async def start() -> None:
            app = web.Application()
            app.router.add_get("/room", ws)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"ws://127.0.0.1:{port}/ws"
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()


def _no_controls(text: str) -> None:
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)


def test_server_text_reaches_the_terminal_without_escape_sequences(tmp_path: Path) -> None:
    server = _EvilServer()
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "join", "4KQ-7PZ-M2X", "--server", server.url],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert "wrong code]0;owned]52;c;ZWNobyBoaQ==2J CODE FAKE-FAKE" in out.stderr
    _no_controls(out.stderr)
    proc = _start(["host", "--server", server.url, "-o", str(tmp_path / "h.json")], _env(tmp_path))
    lines = _read_until(proc, lambda line: line.startswith("CODE "))
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    _no_controls("".join(lines) + stderr + stdout)
    assert lines[-1] == "CODE ]0;owned]52;c;ZWNobyBoaQ==2J CODE FAKE-FAKE\n"
