"""Running `sessioncheck host` / `join` as separate processes and watching their progress."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path


class Proc:
    """A sessioncheck subprocess whose stderr lines are collected as they arrive."""

    def __init__(self, argv: Sequence[str], cwd: Path, prefix: Sequence[str] = ()) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        self.p = subprocess.Popen(
            [*prefix, *argv],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._out: list[str] = []
        threading.Thread(target=self._pump_err, daemon=True).start()
        threading.Thread(target=self._pump_out, daemon=True).start()

    def _pump_err(self) -> None:
        assert self.p.stderr is not None
        for line in self.p.stderr:
            self.err.append(line)
            self.lines.put(line)

    def _pump_out(self) -> None:
        assert self.p.stdout is not None
        self._out.append(self.p.stdout.read())

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s; stderr so far: {''.join(self.err)}")

    def finish(self, timeout: float) -> tuple[int, str, str]:
        try:
            code = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise AssertionError(f"still running after {timeout} s; stderr: {''.join(self.err)}") from None
        time.sleep(0.1)
        return code, "".join(self._out), "".join(self.err)

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def sessioncheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "sessioncheck", *args]
