"""The path test in the lab when the measuring computer is busy, and in gentle mode.

* A CPU hog: real busy processes pinned to the core the check runs on starve it, as four
  path tests and ``serve`` on two cores did in the field ("9.3 % upload loss → call by
  phone"). The check must say the computer was too busy, not blame the link.
* Gentle mode: the capacity tests must never put more than the cap on the lab link
  (counted by the router's own qdisc byte counters), and the result says "at least".
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from sessioncheck.lab import Lab, shaping
from sessioncheck.lab.netns import LabCommandError
from sessioncheck.lab.runner import start_serve
from sessioncheck.lab.shaping import Direction, Impairment

CHECK_TIMEOUT_S = 60.0
HOG = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


def _check_argv(url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sessioncheck",
        "check",
        "--format",
        "json",
        "--quiet",
        "--probes",
        "path",
        "--server",
        url,
        *extra,
    ]


def _run_check(lab: Lab, argv: Sequence[str], core: int | None = None) -> dict[str, Any]:
    proc = lab.spawn(lab.ns.client, argv)
    if core is not None:
        # right after exec, before the interpreter starts any thread: they all inherit it
        os.sched_setaffinity(proc.pid, {core})
    try:
        out, err = proc.communicate(timeout=CHECK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    try:
        report: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON report (exit {proc.returncode}): {err[-800:]}") from None
    return report


def _path(report: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = next(r for r in report["results"] if r["probe"] == "path")
    return {m["key"]: m["value"] for m in result["measurements"]}, result["findings"]


@contextmanager
def _hogs(core: int, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [subprocess.Popen([sys.executable, "-c", HOG, str(core)]) for _ in range(count)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


HOGS = 4
"""Busy processes beside the check on its core: it gets a fifth of the core when it wants
one, less than a 720p encode and a 2000 packets/s loss stream need."""


@pytest.mark.usefixtures("lab_ok")
def test_a_starved_measurer_is_not_blamed_on_the_link(lab: Lab) -> None:
    shaping.apply(lab, Impairment(up=Direction(rate_kbit=10_000), down=Direction(rate_kbit=20_000)))
    url = start_serve(lab)
    core = min(os.sched_getaffinity(0))
    with _hogs(core, HOGS):
        started = time.monotonic()
        report = _run_check(lab, _check_argv(url), core)
        elapsed = time.monotonic() - started
    values, findings = _path(report)
    codes = {f["code"]: f for f in findings}
    why = {k: v for k, v in values.items() if "cpu" in k or "loss" in k or k in ("path.outcome", "path.detail")}
    assert values.get("path.outcome") == "ok", why
    assert "network.measure_busy" in codes, (why, list(codes))
    loss = codes.get("network.loss_high")
    assert loss is None or loss["impact"] != "call", (why, loss)
    assert report["verdict"] != "phone", (why, report["verdict"])
    assert elapsed < CHECK_TIMEOUT_S


class LinkCounter:
    """Samples the bytes the router sent each way (its egress devices' counters) while a
    test runs: the rate the test put on the link, whatever the test itself believes."""

    def __init__(self, lab: Lab, interval_s: float = 0.1) -> None:
        from sessioncheck.lab.netns import ROUTER_CLIENT_DEV, ROUTER_SERVER_DEV

        self.lab = lab
        self.devs = {"up": ROUTER_SERVER_DEV, "down": ROUTER_CLIENT_DEV}
        self.interval_s = interval_s
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for direction, dev in self.devs.items():
            link = json.loads(self.lab.run(self.lab.ns.router, ["ip", "-s", "-j", "link", "show", "dev", dev]))
            out[direction] = int(link[0]["stats64"]["tx"]["bytes"])
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(LabCommandError, ValueError, KeyError, IndexError):
                self.samples.append((time.monotonic(), self._read()))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> LinkCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_kbps(self, direction: str, window_s: float = 0.5) -> float:
        """The highest rate over any ``window_s`` (link layer: Ethernet frames)."""
        best = 0.0
        for i, (t0, a) in enumerate(self.samples):
            for t1, b in self.samples[i + 1 :]:
                if t1 - t0 >= window_s:
                    best = max(best, (b[direction] - a[direction]) * 8 / 1000.0 / (t1 - t0))
                    break
        return best


GENTLE_LINK_KBIT = 50_000
"""A fast link: without the cap the capacity tests would put ~50 Mbit/s on it."""
CAP_TOLERANCE = 1.1
"""Link-layer bytes over the cap's IP-layer rate: Ethernet headers (+1 % on full packets)
and the pings beside the blast; the ramp's ×1.6 overshoot of a 150 Mbit/s test would be far above."""


@pytest.mark.usefixtures("lab_ok")
def test_gentle_mode_never_puts_more_than_the_cap_on_the_link(lab: Lab) -> None:
    from sessioncheck.rtc.measure.blast import GENTLE_MAX_KBPS

    shaping.apply(lab, Impairment(up=Direction(rate_kbit=GENTLE_LINK_KBIT), down=Direction(rate_kbit=GENTLE_LINK_KBIT)))
    url = start_serve(lab)
    with LinkCounter(lab) as link:
        report = _run_check(lab, _check_argv(url, "--gentle"))
    values, findings = _path(report)
    assert values.get("path.outcome") == "ok", values.get("path.detail")
    assert len(link.samples) >= 40, "the router's counters were not read"
    peaks = {d: round(link.peak_kbps(d)) for d in ("up", "down")}
    assert max(peaks.values()) <= CAP_TOLERANCE * GENTLE_MAX_KBPS, peaks
    assert min(peaks.values()) >= 0.7 * GENTLE_MAX_KBPS, peaks  # it did test up to the cap
    assert values["path.capacity_cap_kbps"] == GENTLE_MAX_KBPS
    codes = {f["code"]: f for f in findings}
    at_least = codes["network.capacity_at_least"]
    assert at_least["wording"]["client"]["title"] == "Your connection carries at least 3.0 megabits per second"
    summary = codes["network.summary"]["wording"]["support"]["text"]
    assert "up at least 3000 kbit/s (gentle cap), down at least 3000 kbit/s (gentle cap)" in summary, summary
