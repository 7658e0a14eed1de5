"""Quality models: audio MOS from delay, jitter and loss; a video resolution from upload speed.

Pure functions, standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass


def r_factor(rtt_ms: float, jitter_ms: float, loss_pct: float) -> float:
    """The simplified ITU-T G.107 E-model R factor used by WebRTC test tools.

    Formula (as popularised by PingPlotter/VoIP quality calculators and used in WebRTC
    call-quality tools; a simplification of ITU-T G.107):

    * effective latency ``el = RTT + 2 × jitter + 10 ms`` (10 ms codec delay);
    * ``R = 93.2 − el / 40`` if ``el < 160 ms``, else ``R = 93.2 − (el − 120) / 10``;
    * ``R = R − 2.5 × loss`` (loss in percent).
    """
    el = max(0.0, rtt_ms) + 2.0 * max(0.0, jitter_ms) + 10.0
    r = 93.2 - el / 40.0 if el < 160.0 else 93.2 - (el - 120.0) / 10.0
    return r - 2.5 * max(0.0, loss_pct)


def mos_from_r(r: float) -> float:
    """ITU-T G.107 mapping: ``MOS = 1 + 0.035 R + 0.000007 R (R − 60)(100 − R)``, clamped 1..4.5."""
    if r <= 0.0:
        return 1.0
    if r >= 100.0:
        return 4.5
    mos = 1.0 + 0.035 * r + 0.000007 * r * (r - 60.0) * (100.0 - r)
    return max(1.0, min(4.5, mos))


def audio_mos(rtt_ms: float, jitter_ms: float, loss_pct: float) -> float:
    """Estimated audio mean opinion score, 1 (bad) to 4.5 (best narrowband-equivalent)."""
    return mos_from_r(r_factor(rtt_ms, jitter_ms, loss_pct))


@dataclass(frozen=True)
class Tier:
    name: str
    """e.g. ``720p``."""
    kbps: float
    """Target video bitrate at that resolution."""


TIERS: tuple[Tier, ...] = (
    Tier("1080p", 4000.0),
    Tier("720p", 2500.0),
    Tier("540p", 1200.0),
    Tier("360p", 500.0),
    Tier("270p", 300.0),
    Tier("180p", 150.0),
)
"""Video tiers, best first, with their target bitrates (issue 3's table)."""


def recommended_tier(kbps: float, headroom: float) -> Tier | None:
    """The first (best) tier whose target fits in ``headroom`` (a share, e.g. 0.75:
    ``Thresholds.video_headroom``) of ``kbps``; None: no video fits."""
    for tier in TIERS:
        if tier.kbps <= kbps * headroom:
            return tier
    return None


def needed_kbps(tier_name: str, headroom: float) -> float:
    """The measured rate a tier needs (its target divided by the headroom)."""
    for tier in TIERS:
        if tier.name == tier_name:
            return tier.kbps / headroom
    raise KeyError(tier_name)
