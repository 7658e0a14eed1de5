"""Rules for the ``path`` probe: the client's connection to the clinic's check server.

Levels use the thresholds in settings (RTT 100/250/400 ms, jitter 10/30 ms, loss 1/3/8 %).
Severity and impact rise with the level (``dataclasses.replace`` on the catalogue's
finding; the wording stays the catalogue's):

* RTT above fair: warn; above poor: fail, video off (audio only keeps queues short).
* Jitter (worst direction) above good: warn; above fair: fail, video off.
* Loss (worst direction) above good: warn; above fair: warn, video off; above poor: fail, call off.
* Upload/download below what 720p needs: warn; no tier from 360p up fits: fail, video off;
  below ``audio_min_kbps``: fail, call off.
* Latency under load above ``bufferbloat_ms``: warn, unless the probe recorded why it
  cannot be judged (``path.loaded_rtt_not_judged``, e.g. through a TCP/TLS relay).
* Loss is judged by its point estimate, but "call by phone" (above poor) also needs the
  95 % interval's lower end above poor: a few packets' noise never sends anyone to the phone.
* A measuring side starved of CPU fakes what the link would be blamed for: its sockets
  drop packets (loss), its timers fire late (delay, jitter, delay under load). Loss of a
  direction whose receiving sockets dropped ``measure_drop_pct`` of its packets, and delay,
  jitter or delay under load measured while this computer's event loop ran more than
  ``measure_lag_ms`` late, are not judged: ``network.measure_busy`` says why instead.
* Gentle mode (``path.capacity_cap_kbps``): a direction that reached the cap is reported
  as "at least" the cap (``network.capacity_at_least``), never as its capacity.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Finding, Impact, Severity, Value
from ..settings import Thresholds
from . import catalogue, media_loop
from .quality import audio_mos, needed_kbps, r_factor, recommended_tier
from .rules import Measures, finding

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
    busy = _starved(m, t)
    if busy is not None:
        out.append(busy.finding)
    rtt = m.num("path.rtt_ms")
    if busy is not None and busy.delay:
        rtt = None  # late timers: the delay figures are this computer's, not the link's
    if rtt is not None and rtt > t.rtt_fair_ms:
        f = finding(
            "network.rtt_high",
            {"path.rtt_ms": rtt, "path.rtt_p95_ms": m.value("path.rtt_p95_ms")},
            rtt_ms=rtt,
            rtt_s=rtt / 1000.0,
            rtt_p95_ms=m.num("path.rtt_p95_ms") or rtt,
            pings=int(m.num("path.pings") or 0),
            fair=t.rtt_fair_ms,
            poor=t.rtt_poor_ms,
        )
        out.append(_escalate(f, Severity.FAIL, Impact.VIDEO) if rtt > t.rtt_poor_ms else f)

    j_up, j_down = m.num("path.jitter_up_ms"), m.num("path.jitter_down_ms")
    if busy is not None and busy.delay:
        j_up = j_down = None
    if any(v is not None and v > t.jitter_good_ms for v in (j_up, j_down)):
        direction, worst = _direction(j_up, j_down, t.jitter_good_ms)
        f = finding(
            "network.jitter_high",
            {"path.jitter_up_ms": j_up, "path.jitter_down_ms": j_down},
            direction=direction,
            jitter_ms=worst,
            jitter_up=_fmt(j_up, "ms"),
            jitter_down=_fmt(j_down, "ms"),
            good=t.jitter_good_ms,
            fair=t.jitter_fair_ms,
        )
        out.append(_escalate(f, Severity.FAIL, Impact.VIDEO) if worst > t.jitter_fair_ms else f)

    l_up, l_down = m.num("path.loss_up_pct"), m.num("path.loss_down_pct")
    if busy is not None:
        l_up = None if "up" in busy.loss else l_up
        l_down = None if "down" in busy.loss else l_down
    if any(v is not None and v > t.loss_good_pct for v in (l_up, l_down)):
        direction, worst = _direction(l_up, l_down, t.loss_good_pct)
        f = finding(
            "network.loss_high",
            {"path.loss_up_pct": l_up, "path.loss_down_pct": l_down},
            direction=direction,
            loss_pct=worst,
            loss_up=_fmt(l_up, "%"),
            loss_down=_fmt(l_down, "%"),
            packets=int(m.num("path.paced_packets") or 0),
            good=t.loss_good_pct,
            fair=t.loss_fair_pct,
            poor=t.loss_poor_pct,
        )
        if worst > t.loss_poor_pct and _surely_above(m, l_up, l_down, t.loss_poor_pct):
            f = _escalate(f, Severity.FAIL, Impact.CALL)
        elif worst > t.loss_fair_pct:
            f = _escalate(f, Severity.WARN, Impact.VIDEO)
        out.append(f)

    out.extend(_at_least(m, t))
    for key, code in (("path.up_kbps", "network.upload_low"), ("path.down_kbps", "network.download_low")):
        kbps = m.num(key)
        if kbps is None or kbps >= needed_kbps("720p", t.video_headroom):
            continue
        if m.value(key.replace("_kbps", "_kbps_capped")) is True:
            continue  # our own CPU, not the link, set this figure: it is only a lower bound
        tier = recommended_tier(kbps, t.video_headroom)
        f = finding(
            code,
            {key: kbps},
            kbps=kbps,
            mbps=kbps / 1000.0,
            resolution=tier.name if tier else catalogue.phrase("network.no_video"),
            needed_kbps=needed_kbps("720p", t.video_headroom),
        )
        if kbps < t.audio_min_kbps:
            f = _escalate(f, Severity.FAIL, Impact.CALL)
        elif kbps < needed_kbps(t.video_min_tier, t.video_headroom):
            f = _escalate(f, Severity.FAIL, Impact.VIDEO)
        out.append(f)

    if busy is None or not busy.bufferbloat:
        out.extend(_bufferbloat(m, t, rtt))
    summary = _summary(m, rtt, j_up, j_down, l_up, l_down, t)
    if summary is not None:
        out.append(summary)
    out.extend(media_loop.judge_media_leg(m, t))  # the media leg encoded 720p on this computer
    return out


def _surely_above(m: Measures, up: float | None, down: float | None, limit: float) -> bool:
    """A direction above ``limit`` whose 95 % interval's lower end is above it too (a
    figure without an interval, from an older probe, counts as sure)."""
    for direction, value in (("up", up), ("down", down)):
        if value is None or value <= limit:
            continue
        low = m.num(f"path.loss_{direction}_ci_low_pct")
        if low is None or low > limit:
            return True
    return False


class _Busy:
    """Which figures a CPU-starved measuring side made unreliable, and the finding."""

    def __init__(self, finding: Finding, loss: set[str], delay: bool, bufferbloat: bool) -> None:
        self.finding = finding
        self.loss = loss
        self.delay = delay
        self.bufferbloat = bufferbloat


def _starved(m: Measures, t: Thresholds) -> _Busy | None:
    """Did this computer (or the server) drop packets itself, or measure with late timers?"""
    loss: set[str] = set()
    facts: list[str] = []
    here = server = False
    down_drops = int(m.num("path.loss_down_socket_drops") or 0)
    down_packets = m.num("path.loss_down_packets") or 0.0
    if down_packets > 0 and 100.0 * down_drops / down_packets >= t.measure_drop_pct:
        loss.add("down")
        here = True
        facts.append(
            f"this computer's sockets dropped {down_drops} of {down_packets:.0f} download "
            f"loss packets (counted as received: loss {_fmt(m.num('path.loss_down_pct'), '%')})"
        )
    up_drops = m.num("path.loss_up_socket_drops") or 0.0
    up_packets = m.num("path.loss_up_packets") or 0.0
    if up_packets > 0 and 100.0 * up_drops / up_packets >= t.measure_drop_pct:
        loss.add("up")
        server = True
        facts.append(
            f"the server's sockets dropped {up_drops:.0f} of {up_packets:.0f} upload loss "
            f"packets (counted as received: loss {_fmt(m.num('path.loss_up_pct'), '%')}; "
            f"server run-queue wait {_fmt(m.num('path.server_cpu_wait_pct'), '%')})"
        )
    idle_lag = m.num("path.cpu.idle.lag_p95_ms")
    delay = idle_lag is not None and idle_lag > t.measure_lag_ms
    if delay:
        here = True
        facts.append(
            f"event-loop lag p95 {idle_lag:.1f} ms while measuring delay and jitter "
            f"(run-queue wait {_fmt(m.num('path.cpu.idle.wait_pct'), '%')})"
        )
    loaded_lags = [(d, m.num(f"path.cpu.{d}.lag_p95_ms")) for d in ("up", "down")]
    late = [(d, v) for d, v in loaded_lags if v is not None and v > t.measure_lag_ms]
    receiver_drops = m.num("path.down_socket_drops") or 0.0
    flooded = receiver_drops > t.download_socket_drops_max
    bufferbloat = (bool(late) or flooded) and (m.num("path.loaded_rtt_delta_ms") or 0.0) > t.bufferbloat_ms
    if bufferbloat:
        here = True
        facts.extend(f"event-loop lag p95 {v:.1f} ms during the {d}load test" for d, v in late)
    if flooded:
        here = True
        facts.append(
            f"this computer's sockets dropped {receiver_drops:.0f} datagrams during the "
            "download test (its speed is a lower bound)"
        )
    if not facts:
        return None
    side = "both" if here and server else "here" if here else "server"
    not_judged = [
        catalogue.phrase(k)
        for k, on in (
            ("network.busy.loss", bool(loss)),
            ("network.busy.delay", delay),
            ("network.busy.bufferbloat", bufferbloat),
            ("network.busy.download", flooded),
        )
        if on
    ]
    evidence: dict[str, Value] = {
        "path.cpu.idle.lag_p95_ms": idle_lag,
        "path.loss_up_socket_drops": up_drops,
        "path.loss_down_socket_drops": down_drops,
        "path.loss_up_pct": m.value("path.loss_up_pct"),
        "path.loss_down_pct": m.value("path.loss_down_pct"),
    }
    f = finding(
        "network.measure_busy",
        evidence,
        where=catalogue.phrase(f"network.busy.{side}"),
        where_title=catalogue.phrase(f"network.busy.{side}_title"),
        not_judged=", ".join(not_judged),
        detail="; ".join(facts),
    )
    return _Busy(f, loss, delay, bufferbloat)


def _at_least(m: Measures, t: Thresholds) -> list[Finding]:
    """Gentle mode: directions that reached the cap are lower bounds."""
    cap = m.num("path.capacity_cap_kbps")
    if cap is None:
        return []
    hit = [d for d in ("up", "down") if _hit_cap(m, t, d)]
    if not hit:
        return []
    name = (
        catalogue.phrase("network.both")
        if len(hit) == 2
        else catalogue.phrase("network.upload" if hit == ["up"] else "network.download")
    )
    return [
        finding(
            "network.capacity_at_least",
            {
                "path.capacity_cap_kbps": cap,
                "path.up_kbps": m.value("path.up_kbps"),
                "path.down_kbps": m.value("path.down_kbps"),
            },
            direction=name,
            cap_kbps=cap,
            cap_mbps=cap / 1000.0,
            up=_rate_text(m, t, "up"),
            down=_rate_text(m, t, "down"),
        )
    ]


def _hit_cap(m: Measures, t: Thresholds, direction: str) -> bool:
    """The gentle cap (not the link) ended this direction's capacity test."""
    cap, kbps = m.num("path.capacity_cap_kbps"), m.num(f"path.{direction}_kbps")
    return (
        cap is not None
        and kbps is not None
        and kbps >= t.gentle_cap_reached * cap
        and m.value(f"path.{direction}_kbps_capped") is True
    )


def _rate_text(m: Measures, t: Thresholds, direction: str) -> str:
    kbps = m.num(f"path.{direction}_kbps")
    if kbps is None:
        return _fmt(None, "")
    if _hit_cap(m, t, direction):
        return catalogue.phrase("network.kbps_at_least", kbps=m.num("path.capacity_cap_kbps") or kbps)
    return catalogue.phrase("network.kbps", kbps=kbps)


def _candidate(m: Measures) -> list[Finding]:
    if m.text("path.candidate_type") != "relay":
        return []
    transport = m.text("path.transport") or "udp"
    evidence: dict[str, Value] = {"path.candidate_type": "relay", "path.transport": transport}
    if transport in ("tcp", "tls"):
        return [finding("network.udp_blocked", evidence, transport=transport.upper())]
    return [finding("network.relay_used", evidence, transport=transport.upper())]


def _bufferbloat(m: Measures, t: Thresholds, idle: float | None) -> list[Finding]:
    delta = m.num("path.loaded_rtt_delta_ms")
    if delta is None or idle is None or delta <= t.bufferbloat_ms:
        return []
    if m.value("path.loaded_rtt_not_judged") is not None:
        return []  # e.g. a TCP relay: the test filled TCP's buffers, not the network's queue
    up, down = m.num("path.loaded_rtt_up_ms"), m.num("path.loaded_rtt_down_ms")
    worst_up = up is not None and (down is None or up >= down)
    loaded = up if worst_up else down
    return [
        finding(
            "network.bufferbloat",
            {
                "path.loaded_rtt_delta_ms": delta,
                "path.rtt_ms": idle,
                "path.loaded_rtt_up_ms": up,
                "path.loaded_rtt_down_ms": down,
            },
            direction=catalogue.phrase("network.upload" if worst_up else "network.download"),
            delta_ms=delta,
            delta_s=delta / 1000.0,
            idle_ms=idle,
            loaded_ms=loaded if loaded is not None else idle + delta,
            threshold=t.bufferbloat_ms,
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
        tier = recommended_tier(limiting, t.video_headroom)
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
        quality=catalogue.phrase(f"network.quality.{quality}"),
        mos=mos,
        r=r,
        resolution=resolution,
        rtt_ms=rtt,
        jitter_ms=jitter,
        loss_pct=loss,
        up=_rate_text(m, t, "up"),
        down=_rate_text(m, t, "down"),
        server_kind=kind,
        local_note=catalogue.phrase("network.local_note") if kind == "local" else "",
    )
