"""Results as the real probes and advice produce them, for the app's tests.

The measurements come from real runs (``data/real_check.json``: every probe of
``sessioncheck check`` against coturn and ``sessioncheck serve``; ``data/real_peer.json``: a
real ``host``/``join`` peer test). Variants change a few measured values, the way a worse
connection or device would. Findings are never written by hand: :func:`judged` runs the real
advice rules (``advice.rules.judge``) and decides the status the way the runner does, so the
app is shown exactly what it would be shown in use, ``info`` findings included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sessioncheck.advice import catalogue
from sessioncheck.advice.rules import judge, status_for
from sessioncheck.model import Measurement, ProbeResult, Severity, Status, Value
from sessioncheck.settings import Thresholds

DATA = Path(__file__).parent / "data"
CHECK_PLAN = ("system", "ice", "camera", "microphone", "speaker", "loopback", "path", "media_loop")


@cache
def _captured(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def measured(probe: str) -> tuple[tuple[Measurement, ...], float]:
    """What the real run measured for ``probe`` (``peer``: the peer test), and how long it took."""
    data = _captured("real_peer.json" if probe == "peer" else "real_check.json")["probes"][probe]
    return tuple(Measurement.from_dict(m) for m in data["measurements"]), float(data["duration_s"])


def judged(
    probe: str,
    changes: Mapping[str, Value] | None = None,
    *,
    drop: Sequence[str] = (),
    error: str | None = None,
    skip_reason: str | None = None,
    timed_out: bool = False,
) -> ProbeResult:
    """The real measurements of ``probe`` with ``changes`` (and without ``drop``), judged for real.

    Status, findings, skip and error follow ``Runner._result``: a skipped probe has no findings,
    a broken one keeps its measurements and findings and is ``error``.
    """
    base, duration = measured(probe)
    changes = dict(changes or {})
    ms = [
        Measurement(m.key, changes.pop(m.key), m.unit) if m.key in changes else m
        for m in base
        if m.key not in drop and not any(m.key.startswith(d + ".") for d in drop)
    ]
    ms += [Measurement(k, v) for k, v in changes.items()]
    if skip_reason is not None:
        return ProbeResult(probe, Status.SKIP, 0.0, skip_reason=skip_reason)
    findings = judge(probe, ms, Thresholds(), timed_out=timed_out)
    status = Status.ERROR if error is not None else status_for(findings)
    return ProbeResult(probe, status, duration, tuple(ms), tuple(findings), error=error)


# --- one function per condition; the comment says what the real rules make of it ----------


def system_ok() -> ProbeResult:
    """Ethernet, idle enough: pass, no findings."""
    return judged("system", {"system.cpu_others_pct": 12.0, "system.cpu_load_pct": 20.0})


def system_wifi() -> ProbeResult:
    """A laptop on Wi-Fi: ``system.on_wifi`` (info), status pass."""
    return judged(
        "system",
        {"system.cpu_others_pct": 12.0, "system.interfaces": "wlan0:wifi", "system.iface.wlan0.kind": "wifi"},
        drop=("system.iface.eth0",),
    )


def ice_ok() -> ProbeResult:
    """STUN and TURN over UDP and TCP answered: pass."""
    return judged("ice")


def ice_wrong_password() -> ProbeResult:
    """The clinic's TURN server refused our password on both transports: fail."""
    changes: dict[str, Value] = {}
    drop = []
    for n in (2, 3):
        p = f"ice.check{n}."
        changes |= {p + "outcome": "auth_failed", p + "code": 401, p + "reason": "Unauthorized"}
        drop += [p + "relayed", p + "allocate_ms", p + "reflexive"]
    changes["ice.ok"] = 1
    return judged("ice", changes, drop=drop)


def camera_no_face() -> ProbeResult:
    """The real virtual camera shows a test picture: ``camera.no_face`` (info), pass."""
    return judged("camera")


def camera_covered() -> ProbeResult:
    """A lens cover: a black picture."""
    return judged(
        "camera",
        {
            "camera.mean_luma": 3.0,
            "camera.subject_luma": 3.0,
            "camera.black_pct": 100.0,
            "camera.covered_pct": 100.0,
            "camera.under_pct": 100.0,
            "camera.blur_var": 0.4,
        },
    )


def camera_missing() -> ProbeResult:
    """No camera found: the probe measures ``camera.outcome = missing``."""
    keep = ("camera.os", "camera.requested_width", "camera.requested_height", "camera.requested_fps")
    base, _ = measured("camera")
    return judged(
        "camera",
        {"camera.outcome": "missing", "camera.detail": "no camera was found"},
        drop=[m.key for m in base if m.key not in keep and m.key != "camera.outcome"],
    )


def cancelled(probe: str) -> ProbeResult:
    """What the runner puts in place of a probe the user stopped (Ctrl-C, quit, skip)."""
    return ProbeResult(probe, Status.SKIP, 0.0, skip_reason=catalogue.phrase("skip.cancelled"))


def microphone_muted() -> ProbeResult:
    """The real null-sink microphone gives digital silence: ``microphone.muted`` (fail)."""
    return judged("microphone")


def microphone_ok() -> ProbeResult:
    return judged(
        "microphone",
        {
            "microphone.rms_dbfs": -26.0,
            "microphone.peak_dbfs": -7.5,
            "microphone.noise_floor_dbfs": -62.0,
            "microphone.snr_db": 36.0,
            "microphone.active_pct": 64.0,
            "microphone.digital_silence": False,
            "microphone.hum_dbfs": -90.0,
        },
    )


def speaker_not_heard() -> ProbeResult:
    """The real run: the test tone was not heard back: warn."""
    return judged("speaker")


def speaker_ok() -> ProbeResult:
    return judged(
        "speaker",
        {
            "speaker.outcome": "heard",
            "speaker.heard": True,
            "speaker.clarity": 0.93,
            "speaker.background_dbfs": -70.0,
            "speaker.loop_delay_ms": 41.0,
            "speaker.echo_db": -40.0,
        },
    )


def loopback_ok() -> ProbeResult:
    return judged("loopback")


def loopback_slow() -> ProbeResult:
    """A computer too busy for a smooth call: ``loopback.rtt_high`` (warn, rules out video)."""
    return judged("loopback", {"loopback.rtt_median_ms": 48.0, "loopback.rtt_p95_ms": 130.0})


def loopback_timed_out() -> ProbeResult:
    """The probe ran out of time: error, with what it measured so far."""
    return judged(
        "loopback",
        drop=("loopback.throughput_kbps", "loopback.outcome"),
        timed_out=True,
        error=catalogue.phrase("error.timeout", seconds="10"),
    )


def path_bufferbloat() -> ProbeResult:
    """The real run: ``network.bufferbloat`` (warn) and ``network.summary`` (info)."""
    return judged("path")


def path_good() -> ProbeResult:
    """A good connection: only ``network.summary`` (info), pass."""
    return judged(
        "path", {"path.loaded_rtt_up_ms": 4.0, "path.loaded_rtt_down_ms": 5.0, "path.loaded_rtt_delta_ms": 4.3}
    )


def path_lossy() -> ProbeResult:
    """9 % of packets lost both ways: ``network.loss_high`` (fail, rules out any call)."""
    return judged(
        "path",
        {
            "path.loss_up_pct": 9.0,
            "path.loss_down_pct": 9.0,
            "path.loaded_rtt_up_ms": 4.0,
            "path.loaded_rtt_down_ms": 5.0,
            "path.loaded_rtt_delta_ms": 4.3,
        },
    )


def path_no_server() -> ProbeResult:
    """No check server configured: skipped, as the path probe says."""
    return judged("path", skip_reason=catalogue.phrase("skip.path_no_server"))


def media_loop_short() -> ProbeResult:
    """The real run: 720p does not keep up on this machine: ``media_loop.cpu_short`` (warn)."""
    return judged("media_loop")


def media_loop_ok() -> ProbeResult:
    return judged(
        "media_loop",
        {
            "media_loop.fps_720p": 30.0,
            "media_loop.cpu_pct_720p": 45.0,
            "media_loop.cpu_pct_480p": 30.0,
            "media_loop.cpu_headroom_pct": 55.0,
        },
    )


def peer_ok() -> ProbeResult:
    """The real peer test: pass with ``peer.summary`` (info)."""
    return judged("peer")


def peer_connect_failed() -> ProbeResult:
    """The two sides never connected: fail."""
    return judged(
        "peer", {"peer.outcome": "connect_failed", "peer.detail": "ICE failed"}, drop=("peer.therapist", "peer.client")
    )


def whole_check(**replace: ProbeResult) -> list[ProbeResult]:
    """Every probe of the default plan, each from the real run unless replaced by name."""
    made = {
        "system": system_ok(),
        "ice": ice_ok(),
        "camera": camera_no_face(),
        "microphone": microphone_ok(),
        "speaker": speaker_ok(),
        "loopback": loopback_ok(),
        "path": path_good(),
        "media_loop": media_loop_ok(),
    }
    made.update(replace)
    return [made[p] for p in CHECK_PLAN]


def severities(results: Sequence[ProbeResult]) -> set[Severity]:
    return {f.severity for r in results for f in r.findings}
