"""Time to verdict for `sessioncheck check --probes system,ice,loopback`.

Two cases, each run several times as a real subprocess (interpreter start-up included):

* reachable: a local coturn (started here with a generated config) answering STUN and
  TURN over UDP, TCP and TLS — target <= 3 s;
* silent: every configured server is a socket that never answers (UDP bound but mute,
  TCP accepted but mute) — target <= 4 s.

Prints medians and the ratio silent / reachable. Needs coturn (Debian `coturn`).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.coturn import start_coturn

RUNS = 5


def run_check(ice_file: Path, ca_file: str | None) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "sessioncheck", "check", "--probes", "system,ice,loopback",
           "--ice-servers", str(ice_file), "--format", "json", "--quiet"]
    if ca_file:
        cmd += ["--ca-file", ca_file]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HOME": "/nonexistent"})
    elapsed = time.perf_counter() - started
    verdict = json.loads(out.stdout)["verdict"] if out.stdout.startswith("{") else f"exit {out.returncode}"
    return elapsed, verdict


def measure(label: str, ice_file: Path, ca_file: str | None, target: float) -> float:
    times, verdicts = [], []
    for _ in range(RUNS):
        t, v = run_check(ice_file, ca_file)
        times.append(t)
        verdicts.append(v)
    med = statistics.median(times)
    print(f"{label:<10} median {med:5.2f} s  min {min(times):5.2f}  max {max(times):5.2f}  "
          f"verdicts {sorted(set(verdicts))}  target <= {target:g} s: {'met' if med <= target else 'MISSED'}")
    return med


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with start_coturn(folder / "coturn") as turn:
            reachable = folder / "reachable.json"
            reachable.write_text(json.dumps([s.to_dict() for s in turn.ice_servers()]))
            r = measure("reachable", reachable, turn.ca_file, 3.0)

        mute_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mute_udp.bind(("127.0.0.1", 0))
        mute_tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        mute_tcp.bind(("127.0.0.1", 0))
        mute_tcp.listen(64)
        up, tp = mute_udp.getsockname()[1], mute_tcp.getsockname()[1]
        silent = folder / "silent.json"
        silent.write_text(json.dumps([
            {"urls": [f"stun:127.0.0.1:{up}"]},
            {"urls": [f"turn:127.0.0.1:{up}?transport=udp", f"turn:127.0.0.1:{tp}?transport=tcp",
                      f"turns:127.0.0.1:{tp}"], "username": "u", "credential": "p"},
        ]))
        s = measure("silent", silent, None, 4.0)
        mute_udp.close()
        mute_tcp.close()
    print(f"ratio silent / reachable: {s / r:.2f}")


if __name__ == "__main__":
    main()
