"""Time to verdict: `sessioncheck check` as a real subprocess (interpreter start-up included).

Cases (``--cases``, default all):

* reachable: ``--probes system,ice,loopback`` with a local coturn (started here with a
  generated config) answering STUN and TURN over UDP, TCP and TLS — target <= 3 s;
* silent: the same probes, every configured server a socket that never answers (UDP bound
  but mute, TCP accepted but mute) — target <= 4 s;
* full: the default plan (no ``--probes``) with every device and a check server: a
  `sessioncheck serve` on loopback, the coturn above as ICE servers, a virtual camera
  (``lavfi:testsrc2``) and a private PulseAudio with a virtual speaker and microphone —
  targets: whole check <= 12 s, first result (the first probe finished) <= 1 s after start.

Prints medians (min, max) of ``--runs`` runs and the ratio silent / reachable. With
``--before SRC`` the full case also runs with ``PYTHONPATH=SRC`` (another checkout's
``src``), the two alternating run by run, and prints both medians and after / before.
Needs coturn, pulseaudio(-utils) and ffmpeg's lavfi (PyAV).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sessioncheck.lab.pulse import VirtualAudio
from support.coturn import start_coturn

RUNS = 5
CAMERA = "lavfi:testsrc2=size=1280x720:rate=30"
FULL_TARGET_S = 12.0
FIRST_TARGET_S = 1.0


def run_check(ice_file: Path, ca_file: str | None) -> tuple[float, str]:
    cmd = [
        sys.executable,
        "-m",
        "sessioncheck",
        "check",
        "--probes",
        "system,ice,loopback",
        "--ice-servers",
        str(ice_file),
        "--format",
        "json",
        "--quiet",
    ]
    if ca_file:
        cmd += ["--ca-file", ca_file]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HOME": "/nonexistent"})
    elapsed = time.perf_counter() - started
    verdict = json.loads(out.stdout)["verdict"] if out.stdout.startswith("{") else f"exit {out.returncode}"
    return elapsed, verdict


def measure(label: str, ice_file: Path, ca_file: str | None, target: float, runs: int) -> float:
    times, verdicts = [], []
    for _ in range(runs):
        t, v = run_check(ice_file, ca_file)
        times.append(t)
        verdicts.append(v)
    med = statistics.median(times)
    print(
        f"{label:<10} median {med:5.2f} s  min {min(times):5.2f}  max {max(times):5.2f}  "
        f"verdicts {sorted(set(verdicts))}  target <= {target:g} s: {'met' if med <= target else 'MISSED'}"
    )
    return med


# --- the full plan ----------------------------------------------------------------------------


@contextlib.contextmanager
def start_server(env: dict[str, str]) -> Iterator[str]:
    """``sessioncheck serve`` on a free loopback port; yields its ws:// URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sessioncheck", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("ws"):
            raise RuntimeError(f"sessioncheck serve did not start (got {url!r})")
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class FullRun:
    total_s: float
    first_s: float | None
    """Start → the first probe-finished line on stderr."""
    verdict: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    """Every progress line with its time since start."""


def run_full(env: dict[str, str], args: list[str]) -> FullRun:
    cmd = [sys.executable, "-m", "sessioncheck", "check", "--format", "json", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append((time.perf_counter() - started, line.rstrip()))

    reader = threading.Thread(target=read_stderr)
    reader.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait()
    total = time.perf_counter() - started
    reader.join()
    # progress lines: "  ... <title>" when a probe starts, "  <status>  <name> (<s> s)" when done
    finished = [
        t for t, line in lines if line.startswith("  ") and not line.startswith("  ...") and line.endswith(" s)")
    ]
    verdict = json.loads(out)["verdict"] if out.startswith("{") else f"exit {proc.returncode}"
    return FullRun(total, finished[0] if finished else None, verdict, lines)


def full_case(runs: int, before: Path | None, verbose: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with start_coturn(folder / "coturn") as turn, VirtualAudio.start(tmp_dir=folder) as audio:
            ice = folder / "ice.json"
            ice.write_text(json.dumps([s.to_dict() for s in turn.ice_servers()]))
            trees = {"after": os.environ.get("PYTHONPATH", "")}
            if before is not None:
                trees = {"before": str(before), **trees}
            results: dict[str, list[FullRun]] = {k: [] for k in trees}
            for _ in range(runs):
                for label, pythonpath in trees.items():  # alternate: load changes hit both alike
                    env = {**os.environ, **audio.variables, "HOME": "/nonexistent", "PYTHONPATH": pythonpath}
                    with start_server(env) as url:
                        r = run_full(
                            env,
                            [
                                "--server",
                                url,
                                "--ice-servers",
                                str(ice),
                                "--ca-file",
                                turn.ca_file,
                                "--camera",
                                CAMERA,
                                "--microphone",
                                "vmic",
                                "--speaker",
                                "vspeaker",
                            ],
                        )
                    results[label].append(r)
                    if verbose:
                        print(f"[{label}] {r.total_s:.2f} s, first {r.first_s}, {r.verdict}")
                        for t, line in r.lines:
                            print(f"   {t:6.2f}  {line}")
    medians: dict[str, float] = {}
    for label, rs in results.items():
        totals = [r.total_s for r in rs]
        firsts = [r.first_s for r in rs if r.first_s is not None]
        medians[label] = statistics.median(totals)
        first = statistics.median(firsts) if firsts else float("nan")
        print(
            f"full {label:<7} median {medians[label]:5.2f} s  min {min(totals):5.2f}  max {max(totals):5.2f}"
            f"  first result {first:4.2f} s  verdicts {sorted({r.verdict for r in rs})}"
            f"  targets <= {FULL_TARGET_S:g} s: {'met' if medians[label] <= FULL_TARGET_S else 'MISSED'},"
            f" first <= {FIRST_TARGET_S:g} s: {'met' if first <= FIRST_TARGET_S else 'MISSED'}"
        )
    if "before" in medians:
        print(f"ratio after / before: {medians['after'] / medians['before']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="reachable,silent,full", help="comma-separated cases to run")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per case (default {RUNS})")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="also run the full case with PYTHONPATH=SRC, alternating, and compare",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print each full run's progress lines")
    args = parser.parse_args()
    cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    for tool in ("pulseaudio", "pactl", "parec") if "full" in cases else ():
        if shutil.which(tool) is None:
            sys.exit(f"the full case needs {tool} (Debian pulseaudio, pulseaudio-utils)")
    r = s = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "reachable" in cases:
            with start_coturn(folder / "coturn") as turn:
                reachable = folder / "reachable.json"
                reachable.write_text(json.dumps([s.to_dict() for s in turn.ice_servers()]))
                r = measure("reachable", reachable, turn.ca_file, 3.0, args.runs)
        if "silent" in cases:
            mute_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            mute_udp.bind(("127.0.0.1", 0))
            mute_tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            mute_tcp.bind(("127.0.0.1", 0))
            mute_tcp.listen(64)
            up, tp = mute_udp.getsockname()[1], mute_tcp.getsockname()[1]
            silent = folder / "silent.json"
            silent.write_text(
                json.dumps(
                    [
                        {"urls": [f"stun:127.0.0.1:{up}"]},
                        {
                            "urls": [
                                f"turn:127.0.0.1:{up}?transport=udp",
                                f"turn:127.0.0.1:{tp}?transport=tcp",
                                f"turns:127.0.0.1:{tp}",
                            ],
                            "username": "u",
                            "credential": "p",
                        },
                    ]
                )
            )
            s = measure("silent", silent, None, 4.0, args.runs)
            mute_udp.close()
            mute_tcp.close()
    if r is not None and s is not None:
        print(f"ratio silent / reachable: {s / r:.2f}")
    if "full" in cases:
        full_case(args.runs, args.before, args.verbose)


if __name__ == "__main__":
    main()
