"""Run scenarios for real: build the link, run ``sessioncheck check``, compare with [expect].

For a scenario with a ``[network]`` table: a fresh :class:`~.netns.Lab`, the impairment in
its router, ``sessioncheck serve`` in the server namespace (and coturn when the scenario
wants TURN), and the real ``sessioncheck check --format json --server ws://...`` in the
client namespace. A scenario without ``[network]`` (camera, microphone) runs the check
directly, with its own ``probes`` and ``args``; with ``[virtual_audio]`` (speaker) it runs
against a private PulseAudio started for it (:mod:`.pulse`), so it needs no sound hardware and
no sound server of the user's.
"""

from __future__ import annotations

import json
import math
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import measure, shaping
from .netns import SERVER_IP, Lab, LabCommandError, LabUnavailable
from .pulse import PulseError, VirtualAudio
from .scenario import Scenario, VirtualAudioSpec
from .turn import LabTurn

SERVE_PORT = 8765
SERVE_READY_TIMEOUT_S = 20.0


@dataclass
class Check:
    """One comparison of a scenario: a measurement range, a finding, or the verdict."""

    what: str
    """``path.rtt_ms``, ``finding network.loss_high``, ``absent network.rtt_high``, ``verdict``."""
    expected: str
    measured: str
    ok: bool


@dataclass
class ScenarioOutcome:
    """What running one scenario gave."""

    scenario: Scenario
    checks: list[Check] = field(default_factory=list)
    measurements: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    verdict: str | None = None
    probe_duration_s: dict[str, float] = field(default_factory=dict)
    probe_status: dict[str, str] = field(default_factory=dict)
    references: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    """Why the scenario could not run or its check produced no report."""
    elapsed_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "file": str(self.scenario.path),
            "passed": self.passed,
            "error": self.error,
            "truth": self.scenario.truth(),
            "measurements": self.measurements,
            "findings": self.findings,
            "verdict": self.verdict,
            "probe_duration_s": self.probe_duration_s,
            "probe_status": self.probe_status,
            "references": {k: _finite(v) for k, v in self.references.items()},
            "checks": [c.__dict__ for c in self.checks],
            "elapsed_s": round(self.elapsed_s, 2),
        }


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.0f}"
    return str(v)


def compare(scenario: Scenario, report: Mapping[str, Any], outcome: ScenarioOutcome) -> None:
    """Fill ``outcome`` from a JSON report and check it against the scenario's [expect]."""
    values: dict[str, Any] = {}
    codes: list[str] = []
    for r in report.get("results", []):
        outcome.probe_status[r.get("probe", "?")] = r.get("status", "?")
        outcome.probe_duration_s[r.get("probe", "?")] = r.get("duration_s", 0.0)
        for m in r.get("measurements", []):
            values[m["key"]] = m["value"]
        codes.extend(f["code"] for f in r.get("findings", []))
        if r.get("status") in ("error", "skip"):
            why = r.get("error") or r.get("skip_reason") or ""
            outcome.checks.append(
                Check(f"probe {r.get('probe')}", "ran", f"{r.get('status')}: {why}", r.get("status") != "error")
            )
    outcome.measurements = values
    outcome.findings = codes
    outcome.verdict = report.get("verdict")
    exp = scenario.expect
    for key, want in exp.measurements.items():
        v = values.get(key)
        shown = "missing" if v is None else _fmt(v)
        if isinstance(want, str):
            outcome.checks.append(Check(key, want, shown, v == want))
            continue
        lo, hi = want
        ok = isinstance(v, int | float) and not isinstance(v, bool) and lo <= v <= hi
        if not ok and isinstance(v, int | float) and not isinstance(v, bool):
            spread = loss_spread(key, scenario.truth().get(key), values)
            if spread is not None and abs(float(v) - spread[0]) <= spread[1]:
                ok = True
                shown = f"{shown} (binomial noise: {spread[0]:g} ± {spread[1]:.2f})"
        outcome.checks.append(Check(key, f"{lo:g} … {hi:g}", shown, ok))
    for code in exp.findings:
        outcome.checks.append(
            Check(f"finding {code}", "reported", "reported" if code in codes else "not reported", code in codes)
        )
    for code in exp.absent:
        outcome.checks.append(
            Check(f"absent {code}", "not reported", "reported" if code in codes else "not reported", code not in codes)
        )
    if exp.verdict is not None:
        outcome.checks.append(Check("verdict", exp.verdict, str(outcome.verdict), outcome.verdict == exp.verdict))


LOSS_NOISE_Z = 3.29
"""A loss figure outside its scenario's ±1 point is still right when it is within this many
standard deviations (two-sided 99.9 %) of the configured loss for the packets counted: at
8 % loss ±1 point holds in 99 % of tests only from ~4945 packets a direction, more than a
9-second test carries (see ``rtc.measure.timing.LOSS_CONFIDENCE_Z``)."""
LOSS_NOISE_MIN_PACKETS = 1000
"""...and only with at least this many packets: a test that counted too few still misses."""


def loss_spread(key: str, truth: float | None, values: Mapping[str, Any]) -> tuple[float, float] | None:
    """(configured loss %, allowed binomial spread in points) for a ``path.loss_*_pct`` key,
    or None when it does not apply (not a loss key, no truth, too few packets)."""
    if not (key.startswith("path.loss_") and key.endswith("_pct")) or truth is None:
        return None
    packets = values.get(key[: -len("_pct")] + "_packets")
    if not isinstance(packets, int) or isinstance(packets, bool) or packets < LOSS_NOISE_MIN_PACKETS:
        return None
    p = truth / 100.0
    return truth, 100.0 * LOSS_NOISE_Z * math.sqrt(p * (1.0 - p) / packets)


def _read_line(proc: subprocess.Popen[Any], timeout: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            return ""
        line: str = proc.stdout.readline()
        return line
    finally:
        sel.close()


def start_serve(lab: Lab, port: int = SERVE_PORT, extra: Sequence[str] = ()) -> str:
    """Start ``sessioncheck serve`` in the server namespace and return its URL."""
    import tempfile

    # Its stderr goes to a file: a pipe nobody reads could fill up and stall it.
    with tempfile.TemporaryFile(mode="w+") as errlog:
        proc = lab.spawn(
            lab.ns.server,
            lab.python_argv("sessioncheck", "serve", "--host", SERVER_IP, "--port", str(port), *extra),
            stderr=errlog,
        )
        line = _read_line(proc, SERVE_READY_TIMEOUT_S).strip()
        if not line.startswith(("ws://", "wss://")):
            proc.kill()
            proc.wait()
            errlog.seek(0)
            err = errlog.read().strip()
            raise LabCommandError(f"`sessioncheck serve` did not start in the lab: {err[-500:] or line or 'no output'}")
    return line


def _check_argv(scenario: Scenario, values: Mapping[str, str], base: Sequence[str]) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "sessioncheck",
        "check",
        "--format",
        "json",
        "--quiet",
        "--probes",
        ",".join(scenario.probes),
        *base,
    ]
    values = {**values, "scenario_dir": str(scenario.path.parent.resolve())}
    argv += [a.format_map(values) for a in scenario.args]
    return argv


def _parse_report(out: str, err: str, code: int) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(out)
        return data
    except json.JSONDecodeError:
        tail = (err or out).strip().splitlines()[-3:]
        raise LabCommandError(f"`sessioncheck check` gave no JSON report (exit {code}): {' | '.join(tail)}") from None


def run_scenario(
    scenario: Scenario,
    references: bool = False,
    log: Callable[[str], None] | None = None,
) -> ScenarioOutcome:
    """Run one scenario; never raises for a scenario problem (see ``outcome.error``).

    ``references``: also measure the same link with iperf3 and the UDP echo (benchmark).
    """
    outcome = ScenarioOutcome(scenario)
    start = time.monotonic()
    try:
        if scenario.network is not None:
            _run_network(scenario, outcome, references, log)
        elif scenario.virtual_audio is not None:
            with start_virtual_audio(scenario.virtual_audio) as audio:
                _run_direct(scenario, outcome, audio.env)
        else:
            _run_direct(scenario, outcome, None)
    except subprocess.TimeoutExpired:
        outcome.error = f"`sessioncheck check` took longer than {scenario.timeout_s:g} s"
    except PulseError as e:
        outcome.error = f"the virtual speaker and microphone cannot run here: {e}"
    except (LabCommandError, LabUnavailable) as e:
        outcome.error = str(e)
    outcome.elapsed_s = time.monotonic() - start
    return outcome


def start_virtual_audio(spec: VirtualAudioSpec) -> VirtualAudio:
    """A private PulseAudio set up as the scenario's [virtual_audio] table says."""
    audio = VirtualAudio.start()
    try:
        apply_virtual_audio(audio, spec)
    except BaseException:
        audio.stop()
        raise
    return audio


def apply_virtual_audio(audio: VirtualAudio, spec: VirtualAudioSpec) -> None:
    """Set the virtual speaker's volume and mute as ``spec`` says."""
    audio.set_speaker_volume(round(spec.speaker_volume_pct))
    audio.mute_speaker(spec.speaker_muted)


def _run_direct(scenario: Scenario, outcome: ScenarioOutcome, env: Mapping[str, str] | None) -> None:
    done = subprocess.run(
        _check_argv(scenario, {}, ()), capture_output=True, text=True, timeout=scenario.timeout_s, env=env
    )
    compare(scenario, _parse_report(done.stdout, done.stderr, done.returncode), outcome)


def _run_network(
    scenario: Scenario, outcome: ScenarioOutcome, references: bool, log: Callable[[str], None] | None
) -> None:
    assert scenario.network is not None
    with Lab() as lab:
        applied = shaping.apply(lab, scenario.network.impairment)
        turn: LabTurn | None = None
        try:
            if scenario.network.turn:
                turn = LabTurn(lab)
            if references:
                outcome.references = reference_measurements(lab, scenario, log)
            url = start_serve(lab)
            values = {
                "server_ip": SERVER_IP,
                "server_url": url,
                "ice_servers_file": "",
                "ca_file": "",
                "turn_tcp_url": "",
                "turn_tls_url": "",
                "turn_username": "",
                "turn_credential": "",
            }
            base = ["--server", url]
            if turn is not None:
                from .turn import PASSWORD, USERNAME

                ice_file = str(turn.write_ice_servers())
                values.update(
                    ice_servers_file=ice_file,
                    ca_file=str(turn.ca_file),
                    turn_tcp_url=turn.turn_tcp_url,
                    turn_tls_url=turn.turn_tls_url,
                    turn_username=USERNAME,
                    turn_credential=PASSWORD,
                )
                base += ["--ice-servers", ice_file, "--ca-file", str(turn.ca_file)]
            argv = _check_argv(scenario, values, base)
            proc = lab.spawn(lab.ns.client, argv)
            try:
                out, err = proc.communicate(timeout=scenario.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
            applied.check_alive()
            compare(scenario, _parse_report(out, err, proc.returncode), outcome)
        finally:
            if turn is not None:
                turn.close()


def reference_measurements(lab: Lab, scenario: Scenario, log: Callable[[str], None] | None = None) -> dict[str, float]:
    """iperf3 (TCP, each direction) and UDP echo on the scenario's link."""
    out: dict[str, float] = {}
    assert scenario.network is not None
    net = scenario.network
    measure.start_echo_server(lab)
    # Echo packets spaced wider than twice the jitter: RFC 3550 jitter is then 2J/3.
    jit = max(net.up.jitter_ms, net.down.jitter_ms)
    interval = max(10.0, 2.5 * jit)
    count = max(100, min(400, int(4000 / interval)))
    e = measure.udp_echo(
        lab, count=count, interval_ms=interval, linger_s=1.0 + (net.up.delay_ms + net.down.delay_ms) / 1000
    )
    out.update(
        {
            "echo.rtt_ms": e.rtt_median_ms,
            "echo.up_owd_ms": e.up_owd_mean_ms,
            "echo.down_owd_ms": e.down_owd_mean_ms,
            "echo.jitter_up_ms": e.up_jitter_ms,
            "echo.jitter_down_ms": e.down_jitter_ms,
            "echo.loss_up_pct": e.up_loss_pct,
            "echo.loss_down_pct": e.down_loss_pct,
        }
    )
    if not net.impairment.block_udp and measure.iperf3_available():
        measure.start_iperf3_server(lab)
        # No warm-up skipped on short links: iperf3's omit period miscounts what sat in the
        # queue (+10-20 % at 0.5 Mbit/s). Long links need it, or slow start dominates.
        rtt_s = (net.up.delay_ms + net.down.delay_ms) / 1000
        omit = float(round(rtt_s * 8))
        for d in ("up", "down"):
            if getattr(net, d).rate_kbit is not None:
                try:
                    out[f"iperf3.{d}_kbps"] = measure.iperf3(lab, d, seconds=4, omit_s=omit)
                except LabCommandError as err:
                    if log:
                        log(f"iperf3 {d}: {err}")
    return out


def format_outcome(o: ScenarioOutcome) -> str:
    head = f"{'PASS' if o.passed else 'FAIL'}  {o.scenario.name}: {o.scenario.title}  ({o.elapsed_s:.1f} s)"
    lines = [head]
    if o.error:
        lines.append(f"      error: {o.error}")
    width = max([len(c.what) for c in o.checks] + [10])
    for c in o.checks:
        mark = "ok  " if c.ok else "MISS"
        lines.append(f"  {mark} {c.what:<{width}}  measured {c.measured:<14} expected {c.expected}")
    return "\n".join(lines)
