"""Rules for the peer test: whose side the trouble is on.

Every direction of the path belongs to its sender: what the client sends travels over the
client's upload, so trouble on it is blamed on the client's side (``peer.client_*``), with
the client's own facts (Wi-Fi, VPN, a busy computer) added as hints. The delay is shared
(``peer.rtt_high``). Levels are the path probe's (settings thresholds).

Inputs are the combined report's keys (see :mod:`sessioncheck.peer.combine`). A direction's
loss and jitter are the mean of the sender's view (its ``*_up``, measured at the receiver)
and the receiver's view (its ``*_down``), whichever exist.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Finding, Impact, Severity, Value
from ..settings import Thresholds
from . import catalogue
from .quality import audio_mos, needed_kbps, r_factor, recommended_tier
from .rules import Measures, finding

SIDES = ("therapist", "client")
OTHER = {"therapist": "client", "client": "therapist"}

_REFUSALS = {
    "bad_code": "peer.code_invalid",
    "expired": "peer.code_expired",
    "used": "peer.code_used",
    "bad_url": "peer.server_unreachable",
    "server_unreachable": "peer.server_unreachable",
    "auth_failed": "peer.server_unreachable",
    "busy": "peer.server_unreachable",
    "protocol_error": "peer.server_unreachable",
    "bad_message": "peer.server_unreachable",
    "version": "peer.server_unreachable",
    "timeout": "peer.server_unreachable",
}


def _mean(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _kinds(m: Measures, side: str) -> dict[str, list[str]]:
    """Interface kind → names, from that side's system facts."""
    prefix = f"peer.{side}.system.iface."
    out: dict[str, list[str]] = {}
    for key, value in m.with_prefix(prefix).items():
        if key.endswith(".kind") and isinstance(value, str):
            out.setdefault(value, []).append(key[len(prefix) : -len(".kind")])
    return {k: sorted(v) for k, v in out.items()}


def _cpu(m: Measures, side: str) -> float | None:
    v = m.num(f"peer.{side}.system.cpu_others_pct")
    return v if v is not None else m.num(f"peer.{side}.system.cpu_load_pct")


def _hint(m: Measures, side: str, t: Thresholds) -> str:
    """Local facts that may explain trouble on ``side``'s direction (therapist's words)."""
    kinds = _kinds(m, side)
    parts = []
    if "wifi" in kinds:
        parts.append(catalogue.phrase(f"peer.hint.{side}.wifi"))
    if "vpn" in kinds:
        parts.append(catalogue.phrase(f"peer.hint.{side}.vpn"))
    cpu = _cpu(m, side)
    if cpu is not None and cpu >= t.cpu_busy_pct:
        parts.append(catalogue.phrase(f"peer.hint.{side}.cpu"))
    return "".join(parts)


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    outcome = m.text("peer.outcome") or ("timed_out" if timed_out else None)
    detail = m.text("peer.detail") or ""
    evidence: dict[str, Value] = {"peer.outcome": outcome, "peer.detail": detail}
    if outcome == "rate_limited":
        retry = m.num("peer.retry_after_s") or 60.0
        return [finding("peer.rate_limited", evidence, retry_s=retry, detail=detail or outcome)]
    if outcome in _REFUSALS:
        return [finding(_REFUSALS[outcome], evidence, detail=detail or outcome)]

    out: list[Finding] = []
    if outcome == "connect_failed":
        out.append(finding("peer.connect_failed", evidence, detail=detail or outcome))
    elif outcome == "server_lost":
        out.append(finding("peer.server_lost", evidence, detail=detail))
    elif outcome == "server_ended":
        out.append(finding("peer.server_ended", evidence, detail=detail))
    elif outcome in ("peer_left", "peer_silent", "timed_out"):
        why = detail or catalogue.phrase("network.timed_out")
        for side in SIDES:
            if m.value(f"peer.{side}.reported") is False:
                out.append(finding(f"peer.{side}_left", {**evidence, f"peer.{side}.reported": False}, detail=why))

    for side in SIDES:
        out.extend(_direction(m, t, side))
        out.extend(_local(m, t, side))
    out.extend(_route(m))
    rtt = _mean(*(m.num(f"peer.{s}.rtt_ms") for s in SIDES))
    if rtt is not None and rtt > t.rtt_fair_ms:
        f = finding(
            "peer.rtt_high",
            {f"peer.{s}.rtt_ms": m.value(f"peer.{s}.rtt_ms") for s in SIDES},
            rtt_ms=rtt,
            rtt_s=rtt / 1000.0,
            fair=t.rtt_fair_ms,
            poor=t.rtt_poor_ms,
        )
        out.append(replace(f, severity=Severity.FAIL, impact=Impact.VIDEO) if rtt > t.rtt_poor_ms else f)
    summary = _summary(m, t, rtt)
    if summary is not None:
        out.append(summary)
    return out


def _direction(m: Measures, t: Thresholds, side: str) -> list[Finding]:
    """Trouble on what ``side`` sends."""
    other = OTHER[side]
    out: list[Finding] = []
    hint = _hint(m, side, t)
    kbps = m.num(f"peer.{side}.up_kbps")
    if kbps is not None and kbps < needed_kbps("720p", t.video_headroom):
        tier = recommended_tier(kbps, t.video_headroom)
        f = finding(
            f"peer.{side}_upload_low",
            {f"peer.{side}.up_kbps": kbps},
            kbps=kbps,
            mbps=kbps / 1000.0,
            needed_kbps=needed_kbps("720p", t.video_headroom),
            hint=hint,
            resolution=tier.name if tier else catalogue.phrase("network.no_video"),
        )
        if kbps < t.audio_min_kbps:
            f = replace(f, severity=Severity.FAIL, impact=Impact.CALL)
        elif kbps < needed_kbps(t.video_min_tier, t.video_headroom):
            f = replace(f, severity=Severity.FAIL, impact=Impact.VIDEO)
        out.append(f)

    loss = _mean(m.num(f"peer.{side}.loss_up_pct"), m.num(f"peer.{other}.loss_down_pct"))
    if loss is not None and loss > t.loss_good_pct:
        f = finding(
            f"peer.{side}_loss_high",
            {
                f"peer.{side}.loss_up_pct": m.value(f"peer.{side}.loss_up_pct"),
                f"peer.{other}.loss_down_pct": m.value(f"peer.{other}.loss_down_pct"),
            },
            loss_pct=loss,
            good=t.loss_good_pct,
            fair=t.loss_fair_pct,
            poor=t.loss_poor_pct,
            hint=hint,
        )
        if loss > t.loss_poor_pct:
            f = replace(f, severity=Severity.FAIL, impact=Impact.CALL)
        elif loss > t.loss_fair_pct:
            f = replace(f, impact=Impact.VIDEO)
        out.append(f)

    jitter = _mean(m.num(f"peer.{side}.jitter_up_ms"), m.num(f"peer.{other}.jitter_down_ms"))
    if jitter is not None and jitter > t.jitter_good_ms:
        f = finding(
            f"peer.{side}_jitter_high",
            {
                f"peer.{side}.jitter_up_ms": m.value(f"peer.{side}.jitter_up_ms"),
                f"peer.{other}.jitter_down_ms": m.value(f"peer.{other}.jitter_down_ms"),
            },
            jitter_ms=jitter,
            good=t.jitter_good_ms,
            fair=t.jitter_fair_ms,
            hint=hint,
        )
        out.append(replace(f, severity=Severity.FAIL, impact=Impact.VIDEO) if jitter > t.jitter_fair_ms else f)

    delta, idle = m.num(f"peer.{side}.loaded_rtt_delta_ms"), m.num(f"peer.{side}.rtt_ms")
    if delta is not None and idle is not None and delta > t.bufferbloat_ms:
        out.append(
            finding(
                f"peer.{side}_bufferbloat",
                {f"peer.{side}.loaded_rtt_delta_ms": delta, f"peer.{side}.rtt_ms": idle},
                delta_ms=delta,
                delta_s=delta / 1000.0,
                idle_ms=idle,
                threshold=t.bufferbloat_ms,
            )
        )

    video_loss = m.num(f"peer.{side}.media.video_loss_pct")
    if video_loss is not None and video_loss > t.loss_fair_pct:
        out.append(
            finding(
                f"peer.{side}_video_loss",
                {f"peer.{side}.media.video_loss_pct": video_loss},
                loss_pct=video_loss,
                fps=m.num(f"peer.{side}.media.video_fps") or 0.0,
                hint=hint,
            )
        )
    return out


def _local(m: Measures, t: Thresholds, side: str) -> list[Finding]:
    """That side's own computer and network (the ``system`` probe's facts)."""
    out: list[Finding] = []
    cpu = _cpu(m, side)
    if cpu is not None and cpu >= t.cpu_busy_pct:
        out.append(
            finding(
                f"peer.{side}_cpu_busy",
                {f"peer.{side}.system.cpu_others_pct": cpu},
                cpu_pct=cpu,
                threshold=t.cpu_busy_pct,
            )
        )
    kinds = _kinds(m, side)
    for kind in ("vpn", "wifi"):
        if kind in kinds:
            names = tuple(kinds[kind])
            out.append(
                finding(
                    f"peer.{side}_on_{kind}", {f"peer.{side}.system.interfaces": names}, interfaces=", ".join(names)
                )
            )
    return out


def _relay_sides(m: Measures) -> list[str]:
    return [s for s in SIDES if m.text(f"peer.{s}.candidate_type") == "relay"]


def _route(m: Measures) -> list[Finding]:
    out = []
    for side in _relay_sides(m):
        transport = m.text(f"peer.{side}.transport") or "udp"
        ev: dict[str, Value] = {f"peer.{side}.candidate_type": "relay", f"peer.{side}.transport": transport}
        code = f"peer.{side}_udp_blocked" if transport in ("tcp", "tls") else f"peer.{side}_relay"
        out.append(finding(code, ev, transport=transport.upper()))
    return out


def _summary(m: Measures, t: Thresholds, rtt: float | None) -> Finding | None:
    if rtt is None:
        return None
    jitters = [_mean(m.num(f"peer.{s}.jitter_up_ms"), m.num(f"peer.{OTHER[s]}.jitter_down_ms")) for s in SIDES]
    losses = [_mean(m.num(f"peer.{s}.loss_up_pct"), m.num(f"peer.{OTHER[s]}.loss_down_pct")) for s in SIDES]
    jitter = max((j for j in jitters if j is not None), default=0.0)
    loss = max((v for v in losses if v is not None), default=0.0)
    rates = {s: m.num(f"peer.{s}.up_kbps") for s in SIDES}

    def tier(kbps: float | None) -> str:
        if kbps is None:
            return "?"
        found = recommended_tier(kbps, t.video_headroom)
        return found.name if found else catalogue.phrase("network.no_video")

    if rtt > t.rtt_fair_ms or jitter > t.jitter_fair_ms or loss > t.loss_fair_pct:
        quality = "poor"
    elif rtt > t.rtt_good_ms or jitter > t.jitter_good_ms or loss > t.loss_good_pct:
        quality = "fair"
    else:
        quality = "good"
    relay = _relay_sides(m)
    types = {s: m.text(f"peer.{s}.candidate_type") for s in SIDES}
    if relay:
        why = catalogue.phrase("peer.path.why." + (relay[0] if len(relay) == 1 else "both"))
        transport = (m.text(f"peer.{relay[0]}.transport") or "udp").upper()
        path_client = catalogue.phrase("peer.path.relay.client")
        path_therapist = catalogue.phrase("peer.path.relay.therapist", transport=transport, why=why)
    elif any(types.values()):
        path_client = catalogue.phrase("peer.path.direct.client")
        path_therapist = catalogue.phrase("peer.path.direct.therapist")
    else:
        path_client = path_therapist = catalogue.phrase("peer.path.unknown")
    path_support = ", ".join(f"{s} {types[s] or '?'}/{m.text(f'peer.{s}.transport') or '?'}" for s in SIDES)
    mos = audio_mos(rtt, jitter, loss)
    return finding(
        "peer.summary",
        {
            "peer.mos": round(mos, 2),
            "peer.resolution_client": tier(rates["client"]),
            "peer.resolution_therapist": tier(rates["therapist"]),
            "peer.path": path_support,
        },
        quality=catalogue.phrase(f"network.quality.{quality}"),
        mos=mos,
        r=r_factor(rtt, jitter, loss),
        rtt_ms=rtt,
        jitter_ms=jitter,
        loss_pct=loss,
        client_kbps=rates["client"] or 0.0,
        therapist_kbps=rates["therapist"] or 0.0,
        resolution_client=tier(rates["client"]),
        resolution_therapist=tier(rates["therapist"]),
        path_client=path_client,
        path_therapist=path_therapist,
        path_support=path_support,
    )
