"""Rules for the ``path`` probe: the client's connection to the clinic's check server.

Levels use the thresholds in settings (RTT 100/250/400 ms, jitter 10/30 ms, loss 1/3/8 %).
Severity and impact rise with the level (``dataclasses.replace`` on the catalogue's
finding; the wording stays the catalogue's):

* RTT above fair: warn; above poor: fail, video off (audio only keeps queues short).
* Jitter (worst direction) above good: warn; above fair: fail, video off.
* Loss (worst direction) above good: warn; above fair: warn, video off; above poor: fail, call off.
* Upload/download below what 720p needs: warn; no tier from 360p up fits: fail, video off;
  below ``AUDIO_MIN_KBPS``: fail, call off.
* Latency under load above ``BUFFERBLOAT_MS``: warn, unless the probe recorded why it
  cannot be judged (``path.loaded_rtt_not_judged``, e.g. through a TCP/TLS relay).
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Finding, Impact, Severity, Value
from ..settings import Thresholds
from . import catalogue, media_loop
from .catalogue import finding
from .quality import audio_mos, needed_kbps, r_factor, recommended_tier
from .rules import Measures

BUFFERBLOAT_MS = 100.0
"""Extra delay under load that people notice in conversation."""
AUDIO_MIN_KBPS = 100.0
"""Below this, even an audio call (≈ 40–80 kbit/s with overhead) will break up."""
VIDEO_MIN_TIER = "360p"
"""The smallest picture still worth sending; below it, audio only."""

_OUTCOME_CODES = {
    "bad_url": "network.server_address_invalid",
    "server_unreachable": "network.server_unreachable",
    "protocol_error": "network.server_unreachable",
    "auth_failed": "network.server_auth_failed",
    "busy": "network.server_busy",
    "connect_failed": "network.connect_failed",
}


def _escalate(f: Finding, severity: Severity, impact: Impact) -> Finding:
    return replace(f, severity=severity, impact=impact)


def _fmt(v: float | None, unit: str) -> str:
    return "not measured" if v is None else f"{v:.1f} {unit}"


def _direction(up: float | None, down: float | None, limit: float) -> tuple[str, float]:
    """Which direction is over ``limit`` (client's words) and the worst value."""
    up_bad = up is not None and up > limit
    down_bad = down is not None and down > limit
    worst = max(v for v in (up, down) if v is not None)
    if up_bad and down_bad:
        return catalogue.phrase("network.both"), worst
    if up_bad:
        return catalogue.phrase("network.upload"), worst
    return catalogue.phrase("network.download"), worst


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    out: list[Finding] = []
    outcome = m.text("path.outcome")
    detail = m.text("path.detail") or ""
    if outcome in _OUTCOME_CODES:
        code = _OUTCOME_CODES[outcome]
        evidence: dict[str, Value] = {"path.outcome": outcome, "path.detail": detail}
        if outcome == "busy":
            retry = m.num("path.retry_after_s") or 30.0
            return [finding(code, evidence, retry_s=retry, detail=detail or "busy")]
        return [finding(code, evidence, detail=detail or outcome)]
    if outcome == "server_stopped" or (outcome is None and timed_out):
        why = detail or catalogue.phrase("network.timed_out")
        out.append(finding("network.server_stopped", {"path.outcome": outcome or "timed_out"}, detail=why))

    out.extend(_candidate(m))
    rtt = m.num("path.rtt_ms")
    if rtt is not None and rtt > t.rtt_fair_ms:
        f = finding(
            "network.rtt_high",
            {"path.rtt_ms": rtt, "path.rtt_p95_ms": m.value("path.rtt_p95_ms")},
            rtt_ms=rtt, rtt_s=rtt / 1000.0, rtt_p95_ms=m.num("path.rtt_p95_ms") or rtt,
            pings=int(m.num("path.pings") or 0), fair=t.rtt_fair_ms, poor=t.rtt_poor_ms,
        )
        out.append(_escalate(f, Severity.FAIL, Impact.VIDEO) if rtt > t.rtt_poor_ms else f)

    j_up, j_down = m.num("path.jitter_up_ms"), m.num("path.jitter_down_ms")
    if any(v is not None and v > t.jitter_good_ms for v in (j_up, j_down)):
        direction, worst = _direction(j_up, j_down, t.jitter_good_ms)
        f = finding(
            "network.jitter_high",
            {"path.jitter_up_ms": j_up, "path.jitter_down_ms": j_down},
            direction=direction, jitter_ms=worst, jitter_up=_fmt(j_up, "ms"),
            jitter_down=_fmt(j_down, "ms"), good=t.jitter_good_ms, fair=t.jitter_fair_ms,
        )
        out.append(_escalate(f, Severity.FAIL, Impact.VIDEO) if worst > t.jitter_fair_ms else f)

    l_up, l_down = m.num("path.loss_up_pct"), m.num("path.loss_down_pct")
    if any(v is not None and v > t.loss_good_pct for v in (l_up, l_down)):
        direction, worst = _direction(l_up, l_down, t.loss_good_pct)
        f = finding(
            "network.loss_high",
            {"path.loss_up_pct": l_up, "path.loss_down_pct": l_down},
            direction=direction, loss_pct=worst, loss_up=_fmt(l_up, "%"), loss_down=_fmt(l_down, "%"),
            packets=int(m.num("path.paced_packets") or 0),
            good=t.loss_good_pct, fair=t.loss_fair_pct, poor=t.loss_poor_pct,
        )
        if worst > t.loss_poor_pct:
            f = _escalate(f, Severity.FAIL, Impact.CALL)
        elif worst > t.loss_fair_pct:
            f = _escalate(f, Severity.WARN, Impact.VIDEO)
        out.append(f)

    for key, code in (("path.up_kbps", "network.upload_low"), ("path.down_kbps", "network.download_low")):
        kbps = m.num(key)
        if kbps is None or kbps >= needed_kbps("720p"):
            continue
        if m.value(key.replace("_kbps", "_kbps_capped")) is True:
            continue  # our own CPU, not the link, set this figure: it is only a lower bound
        tier = recommended_tier(kbps)
        f = finding(
            code, {key: kbps}, kbps=kbps, mbps=kbps / 1000.0,
            resolution=tier.name if tier else catalogue.phrase("network.no_video"),
            needed_kbps=needed_kbps("720p"),
        )
        if kbps < AUDIO_MIN_KBPS:
            f = _escalate(f, Severity.FAIL, Impact.CALL)
        elif kbps < needed_kbps(VIDEO_MIN_TIER):
            f = _escalate(f, Severity.FAIL, Impact.VIDEO)
        out.append(f)

    out.extend(_bufferbloat(m, rtt))
    summary = _summary(m, rtt, j_up, j_down, l_up, l_down, t)
    if summary is not None:
        out.append(summary)
    out.extend(media_loop.judge_media_leg(m))  # the media leg encoded 720p on this computer
    return out


def _candidate(m: Measures) -> list[Finding]:
    if m.text("path.candidate_type") != "relay":
        return []
    transport = m.text("path.transport") or "udp"
    evidence: dict[str, Value] = {"path.candidate_type": "relay", "path.transport": transport}
    if transport in ("tcp", "tls"):
        return [finding("network.udp_blocked", evidence, transport=transport.upper())]
    return [finding("network.relay_used", evidence, transport=transport.upper())]


def _bufferbloat(m: Measures, idle: float | None) -> list[Finding]:
    delta = m.num("path.loaded_rtt_delta_ms")
    if delta is None or idle is None or delta <= BUFFERBLOAT_MS:
        return []
    if m.value("path.loaded_rtt_not_judged") is not None:
        return []  # e.g. a TCP relay: the test filled TCP's buffers, not the network's queue
    up, down = m.num("path.loaded_rtt_up_ms"), m.num("path.loaded_rtt_down_ms")
    worst_up = up is not None and (down is None or up >= down)
    loaded = up if worst_up else down
    return [
        finding(
            "network.bufferbloat",
            {"path.loaded_rtt_delta_ms": delta, "path.rtt_ms": idle,
             "path.loaded_rtt_up_ms": up, "path.loaded_rtt_down_ms": down},
            direction=catalogue.phrase("network.upload" if worst_up else "network.download"),
            delta_ms=delta, delta_s=delta / 1000.0, idle_ms=idle,
            loaded_ms=loaded if loaded is not None else idle + delta,
            threshold=BUFFERBLOAT_MS,
        )
    ]


def _summary(
    m: Measures,
    rtt: float | None,
    j_up: float | None,
    j_down: float | None,
    l_up: float | None,
    l_down: float | None,
    t: Thresholds,
) -> Finding | None:
    """MOS and the recommended resolution, once delay, jitter and loss are known."""
    if rtt is None:
        return None
    jitter = max((v for v in (j_up, j_down) if v is not None), default=0.0)
    loss = max((v for v in (l_up, l_down) if v is not None), default=0.0)
    r = r_factor(rtt, jitter, loss)
    mos = audio_mos(rtt, jitter, loss)
    up, down = m.num("path.up_kbps"), m.num("path.down_kbps")
    limiting = min((v for v in (up, down) if v is not None), default=None)
    if limiting is None:
        resolution = "?"
    else:
        tier = recommended_tier(limiting)
        resolution = tier.name if tier else catalogue.phrase("network.no_video")
    if rtt > t.rtt_fair_ms or jitter > t.jitter_fair_ms or loss > t.loss_fair_pct:
        quality = "poor"
    elif rtt > t.rtt_good_ms or jitter > t.jitter_good_ms or loss > t.loss_good_pct:
        quality = "fair"
    else:
        quality = "good"
    kind = m.text("path.server_kind") or "remote"
    return finding(
        "network.summary",
        {"path.mos": round(mos, 2), "path.recommended_resolution": resolution, "path.server_kind": kind},
        quality=catalogue.phrase(f"network.quality.{quality}"), mos=mos, r=r, resolution=resolution,
        rtt_ms=rtt, jitter_ms=jitter, loss_pct=loss, up_kbps=up or 0.0, down_kbps=down or 0.0,
        server_kind=kind,
        local_note=catalogue.phrase("network.local_note") if kind == "local" else "",
    )
