"""Worked values for the E-model MOS simplification and the resolution tiers."""

from __future__ import annotations

import pytest

from sessioncheck.advice.quality import (
    audio_mos,
    mos_from_r,
    needed_kbps,
    r_factor,
    recommended_tier,
)
from sessioncheck.settings import Thresholds


@pytest.mark.parametrize(
    ("rtt", "jitter", "loss", "r", "mos"),
    [
        # el = 20 + 2*5 + 10 = 40 < 160: R = 93.2 - 40/40 = 92.2
        # MOS = 1 + 0.035*92.2 + 7e-6*92.2*32.2*7.8 = 4.3891
        (20.0, 5.0, 0.0, 92.2, 4.3891),
        # el = 200 + 40 + 10 = 250: R = 93.2 - 130/10 - 2.5*2 = 75.2; MOS = 3.8304
        (200.0, 20.0, 2.0, 75.2, 3.8304),
        # satellite: el = 670: R = 93.2 - 55 - 20 = 18.2; MOS = 1 + 0.637 - 0.4356 = 1.2014
        (600.0, 30.0, 8.0, 18.2, 1.2014),
        # el exactly 160 takes the second branch; both branches give 89.2 there
        (150.0, 0.0, 0.0, 89.2, 4.3189),
        # perfect path: el = 10, R = 92.95
        (0.0, 0.0, 0.0, 92.95, 4.4044),
    ],
)
def test_worked_values(rtt: float, jitter: float, loss: float, r: float, mos: float) -> None:
    assert r_factor(rtt, jitter, loss) == pytest.approx(r, abs=1e-9)
    assert audio_mos(rtt, jitter, loss) == pytest.approx(mos, abs=5e-5)


def test_branches_meet_at_160_ms() -> None:
    below = r_factor(149.999, 0.0, 0.0)
    at = r_factor(150.0, 0.0, 0.0)
    assert below == pytest.approx(at, abs=1e-3)


@pytest.mark.parametrize(("r", "mos"), [(-35.0, 1.0), (0.0, 1.0), (100.0, 4.5), (120.0, 4.5)])
def test_mos_is_clamped(r: float, mos: float) -> None:
    assert mos_from_r(r) == mos


def test_mos_falls_with_each_impairment() -> None:
    base = audio_mos(50, 5, 0.5)
    assert audio_mos(300, 5, 0.5) < base
    assert audio_mos(50, 40, 0.5) < base
    assert audio_mos(50, 5, 5.0) < base


@pytest.mark.parametrize(
    ("kbps", "tier"),
    [
        (50_000.0, "1080p"),
        (5_334.0, "1080p"),  # 0.75 * 5334 = 4000.5 >= 4000
        (5_332.0, "720p"),
        (3_334.0, "720p"),  # 2500.5
        (3_333.0, "540p"),  # 2499.75
        (1_600.0, "540p"),
        (1_599.0, "360p"),
        (667.0, "360p"),
        (666.0, "270p"),
        (400.0, "270p"),
        (200.0, "180p"),
        (199.0, None),
        (0.0, None),
    ],
)
def test_recommended_tier(kbps: float, tier: str | None) -> None:
    got = recommended_tier(kbps, Thresholds().video_headroom)
    assert (got.name if got else None) == tier


def test_needed_kbps() -> None:
    assert needed_kbps("720p", Thresholds().video_headroom) == pytest.approx(2500 / 0.75)
    with pytest.raises(KeyError):
        needed_kbps("4k", Thresholds().video_headroom)


def test_sustained_rate_over_three_windows() -> None:
    from sessioncheck.rtc.measure.bulk import sustained_kbps

    # (start ms, end ms, bytes): 200 ms windows; 25 000 B per 200 ms = 1000 kbit/s
    ramp = [
        (0.0, 200.0, 50_000),
        (200.0, 400.0, 5_000),
        (400.0, 600.0, 25_000),
        (600.0, 800.0, 25_000),
        (800.0, 1000.0, 25_000),
        (1000.0, 1200.0, 20_000),
    ]
    assert sustained_kbps(ramp) == pytest.approx(1000.0)
    assert sustained_kbps([]) == 0.0
