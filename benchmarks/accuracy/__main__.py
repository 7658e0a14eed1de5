"""Accuracy benchmark: ``python -m benchmarks.accuracy [FILES...] [--no-path]``.

Runs each network scenario (default: ``scenarios/network/*.toml``) in the lab and prints, per
scenario and metric, the configured value, what the ``path`` probe measured and its error,
and the same link measured by reference tools: iperf3 (TCP throughput, ``sum_received``)
for bandwidth, and the lab's UDP echo for RTT, jitter and loss. Each error is checked
against the targets: bandwidth ± 10 % (0.5-20 Mbit/s), RTT ± (2 ms + 5 %), loss ± 1 point,
jitter ± 3 ms, whole path probe ≤ 10 s.

``--no-path`` (or a sessioncheck without the path probe) prints only the reference columns,
which already validates the lab itself. Needs root (or user namespaces) and iperf3.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sessioncheck.lab import LabUnavailable, lab_available
from sessioncheck.lab.netns import Lab
from sessioncheck.lab.runner import reference_measurements, run_scenario
from sessioncheck.lab.scenario import Scenario, ScenarioError, load_scenarios
from sessioncheck.lab.shaping import apply

CATALOGUE = Path(__file__).resolve().parents[2] / "scenarios" / "network"
PATH_PROBE_BUDGET_S = 10.0

METRICS: tuple[tuple[str, str, str], ...] = (
    # (path key, reference key, kind)
    ("path.rtt_ms", "echo.rtt_ms", "rtt"),
    ("path.up_kbps", "iperf3.up_kbps", "bandwidth"),
    ("path.down_kbps", "iperf3.down_kbps", "bandwidth"),
    ("path.loss_up_pct", "echo.loss_up_pct", "loss"),
    ("path.loss_down_pct", "echo.loss_down_pct", "loss"),
    ("path.jitter_up_ms", "echo.jitter_up_ms", "jitter"),
    ("path.jitter_down_ms", "echo.jitter_down_ms", "jitter"),
)


def tolerance(kind: str, truth: float) -> float | None:
    """Allowed absolute error for a metric, or None where the target does not apply."""
    if kind == "rtt":
        return 2.0 + 0.05 * truth
    if kind == "bandwidth":
        return 0.10 * truth if 500 <= truth <= 20000 else None
    if kind == "loss":
        return 1.0
    if kind == "jitter":
        return 3.0
    return None


def reference_truth(kind: str, truth: float, scenario: Scenario, key: str) -> float:
    """What the reference tool should read: iperf3 sees TCP payload, the echo sees 2J/3."""
    from sessioncheck.lab.delay import expected_rfc3550_jitter
    from sessioncheck.lab.shaping import tcp_goodput_kbit

    if kind == "bandwidth":
        return tcp_goodput_kbit(truth)
    if kind == "jitter" and scenario.network is not None:
        d = scenario.network.up if "up" in key else scenario.network.down
        interval = max(10.0, 2.5 * max(scenario.network.up.jitter_ms, scenario.network.down.jitter_ms))
        return expected_rfc3550_jitter(d.jitter_ms, interval, scenario.network.impairment.reorder)
    return truth


def _cell(v: float | None, width: int = 9) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-".rjust(width)
    return f"{v:{width}.2f}" if abs(v) < 1000 else f"{v:{width}.0f}"


def _err(measured: Any, truth: float, tol: float | None) -> tuple[str, bool | None]:
    if not isinstance(measured, int | float) or isinstance(measured, bool) or not math.isfinite(measured):
        return "-".rjust(8), None
    e = float(measured) - truth
    text = f"{e:+8.2f}" if abs(e) < 1000 else f"{e:+8.0f}"
    if tol is None:
        return text + "  ", None
    ok = abs(e) <= tol
    return text + (" ✓" if ok else " ✗"), ok


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__)
    p.add_argument("files", nargs="*", help=f"scenario files (default: {CATALOGUE}/*.toml)")
    p.add_argument(
        "--no-path", action="store_true", help="only the reference measurements (iperf3, UDP echo): validates the lab"
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also save all numbers as JSON")
    args = p.parse_args(argv)
    try:
        scenarios = [s for s in load_scenarios(args.files or [str(CATALOGUE)]) if s.network is not None]
    except ScenarioError as e:
        print(f"accuracy: {e}", file=sys.stderr)
        return 2
    why = lab_available()
    if why is not None:
        print(f"accuracy: the network lab cannot run here: {why}", file=sys.stderr)
        return 3
    with_path = not args.no_path and _path_probe_exists()
    if not with_path and not args.no_path:
        print("accuracy: no path probe in this sessioncheck: printing the reference columns only", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    misses = 0
    for s in scenarios:
        print(f"running {s.name} …", file=sys.stderr, flush=True)
        try:
            if with_path:
                o = run_scenario(s, references=True, log=lambda m: print(m, file=sys.stderr))
                refs, measured, error = o.references, o.measurements, o.error
                duration = o.probe_duration_s.get("path")
            else:
                with Lab() as lab:
                    apply(lab, s.network.impairment)  # type: ignore[union-attr]
                    refs = reference_measurements(lab, s)
                measured, error, duration = {}, None, None
        except LabUnavailable as e:
            print(f"accuracy: {e}", file=sys.stderr)
            return 3
        truth = s.truth()
        print(
            f"\n{s.name}: {s.title}"
            + (f"   [error: {error}]" if error else "")
            + (f"   path probe {duration:.1f} s" if duration is not None else "")
        )
        head = f"  {'metric':<20}{'configured':>11}"
        if with_path:
            head += f"{'path':>10}{'error':>11}"
        head += f"{'reference':>11}{'ref error':>11}"
        print(head)
        for key, ref_key, kind in METRICS:
            if key not in truth:
                continue
            if s.network is not None and s.network.impairment.block_udp and kind != "rtt":
                continue  # UDP references cannot cross a UDP-blocked link
            t = truth[key]
            tol = tolerance(kind, t)
            line = f"  {key:<20}{_cell(t, 11)}"
            row: dict[str, Any] = {"scenario": s.name, "metric": key, "configured": t}
            if with_path:
                m = measured.get(key)
                text, ok = _err(m, t, tol)
                misses += ok is False
                line += f"{_cell(m if isinstance(m, int | float) else None, 10)}{text:>11}"
                row.update(path=m, path_ok=ok)
            r = refs.get(ref_key)
            rt = reference_truth(kind, t, s, key)
            rtext, rok = _err(r, rt, tol)
            line += f"{_cell(r, 11)}{rtext:>11}"
            row.update(reference=r, reference_expected=rt, reference_ok=rok)
            rows.append(row)
            print(line)
        if duration is not None:
            ok_t = duration <= PATH_PROBE_BUDGET_S
            misses += not ok_t
            print(f"  {'path probe time':<20}{PATH_PROBE_BUDGET_S:>11.1f}{duration:>10.2f}{'✓' if ok_t else '✗':>11}")
    print(
        "\nReference errors are against what the tool should see: iperf3 measures TCP payload "
        "(rate × 1448/1514), the echo's jitter is 2J/3-ish at its own packet spacing."
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    if with_path:
        print(f"{misses} measurement(s) outside the accuracy targets")
    return 0


def _path_probe_exists() -> bool:
    from sessioncheck.probes import PROBES

    return "path" in PROBES


if __name__ == "__main__":
    sys.exit(main())
