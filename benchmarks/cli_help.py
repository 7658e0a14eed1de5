"""How long `sessioncheck --help` takes (target <= 0.3 s): heavy libraries must load lazily.

Prints the median of several runs, and, for scale, the median start-up of a bare Python
interpreter in the same run (the ratio is what stays comparable on a shared machine).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    help_cmd = [sys.executable, "-m", "sessioncheck", "--help"]
    bare_cmd = [sys.executable, "-c", "pass"]
    timed(help_cmd)  # warm the file cache
    helps, bares = [], []
    for _ in range(RUNS):
        helps.append(timed(help_cmd))
        bares.append(timed(bare_cmd))
    h, b = statistics.median(helps), statistics.median(bares)
    print(
        f"sessioncheck --help   median {h * 1000:7.1f} ms  (min {min(helps) * 1000:.1f}, max {max(helps) * 1000:.1f})"
    )
    print(f"python -c pass        median {b * 1000:7.1f} ms")
    print(f"ratio help / bare     {h / b:.2f}")
    print(f"target <= 300 ms: {'met' if h <= 0.3 else 'MISSED'}")


if __name__ == "__main__":
    main()
