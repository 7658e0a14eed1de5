"""Shared fixtures.

Tests that need root or a Debian package skip with a reason naming it. CI sets
``SESSIONCHECK_NO_SKIP=1``: there, every skip is turned into a failure, because CI installs
everything the suite needs and must not silently test less.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from support.coturn import coturn, coturn_factory  # noqa: F401  (fixtures: a real coturn)
from support.media_clips import audio_clips  # noqa: F401  (fixture: espeak-ng/sox clips)
from support.pulse import pulse  # noqa: F401  (fixture: a real PulseAudio)

NO_SKIP = os.environ.get("SESSIONCHECK_NO_SKIP") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {reason}"


# --- `sessioncheck serve` subprocess (path probe and server tests) --------------------------

Serve = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start `sessioncheck serve --port 0 ARGS...`; yields (process, ws URL). Always stopped."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sessioncheck", "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        procs.append(proc)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), (url, proc.stderr.read() if proc.poll() is not None else "")
        return proc, url

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
