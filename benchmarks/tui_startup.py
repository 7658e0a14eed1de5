"""Benchmark of the Textual app: launch → first painted frame, and idle CPU while a probe runs.

Runs the real ``sessioncheck`` entry point in a pseudo-terminal (80×24), as a user would:

* **first frame**: from spawning the process to the welcome screen's text arriving on the
  terminal (target ≤ 1 s);
* **idle CPU**: the app on the network screen while a probe is busy and sends nothing (a
  scripted probe that waits), measured from the process's CPU time over a window
  (target ≤ 2 % of one core).

Prints the medians. Usage: ``python benchmarks/tui_startup.py [--runs N] [--idle-s S]``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time

FIRST_FRAME_MARK = b"Your privacy"
"""Text of the welcome screen: seeing it means the first frame was painted."""
NETWORK_MARK = b"Checking your computer"


class Terminal:
    """A child process on a pty whose output is drained (and searched) by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.master = master
        self.output = bytearray()
        self.lock = threading.Lock()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True
        )
        os.close(slave)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.output += data

    def wait_for(self, mark: bytes, timeout: float = 20.0) -> float:
        """Seconds from spawn until ``mark`` appeared in the output."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if mark in self.output:
                    return time.perf_counter() - self.started
            time.sleep(0.002)
        raise TimeoutError(f"{mark!r} did not appear within {timeout} s")

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    env.pop("NO_COLOR", None)
    return env


def first_frame_s() -> float:
    term = Terminal([sys.executable, "-m", "sessioncheck"], child_env())
    try:
        return term.wait_for(FIRST_FRAME_MARK)
    finally:
        term.close()


def idle_cpu_pct(window_s: float) -> float:
    import psutil

    term = Terminal([sys.executable, __file__, "--child-waiting-probe"], child_env())
    try:
        term.wait_for(FIRST_FRAME_MARK)
        term.send(b"k")  # skip camera and sound: straight to the check
        term.wait_for(NETWORK_MARK)
        time.sleep(1.5)  # let the screen settle
        proc = psutil.Process(term.proc.pid)
        before = proc.cpu_times()
        t0 = time.perf_counter()
        time.sleep(window_s)
        after = proc.cpu_times()
        elapsed = time.perf_counter() - t0
        used = (after.user - before.user) + (after.system - before.system)
        return 100.0 * used / elapsed
    finally:
        term.close()


def run_child_waiting_probe() -> None:
    """The app with one probe that starts and then sends nothing for ten minutes."""
    from sessioncheck.events import ProbeStarted, Sample
    from sessioncheck.media.live import DeviceFeeds
    from sessioncheck.settings import Settings
    from sessioncheck.tui.app import SessionCheckApp
    from sessioncheck.tui.source import ScriptedRun, Step

    def factory(ids: tuple[str, ...]) -> ScriptedRun:
        return ScriptedRun(
            [
                Step(ProbeStarted("system", "Checking your computer", 600.0)),
                Step(Sample("system", "cpu_load_pct", 12.0, "%")),
                Step(ProbeStarted("loopback", "waiting", 600.0), 600.0),
            ]
        )

    SessionCheckApp(Settings(), plan=("system", "loopback"), run_factory=factory, feeds=DeviceFeeds()).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--child-waiting-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_waiting_probe:
        run_child_waiting_probe()
        return
    frames = [first_frame_s() for _ in range(args.runs)]
    print(
        f"launch to first painted frame: median {statistics.median(frames):.3f} s "
        f"(min {min(frames):.3f}, max {max(frames):.3f}, {args.runs} runs; target <= 1 s)"
    )
    idle = [idle_cpu_pct(args.idle_s) for _ in range(max(1, args.runs // 2))]
    print(
        f"idle CPU while waiting for a probe: median {statistics.median(idle):.2f} % of a core "
        f"(min {min(idle):.2f}, max {max(idle):.2f}, {len(idle)} runs of {args.idle_s:g} s; "
        "target <= 2 %)"
    )


if __name__ == "__main__":
    main()
