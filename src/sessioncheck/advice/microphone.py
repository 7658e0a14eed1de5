"""Rules for the ``microphone`` probe: will the other person hear a clean voice?"""

from __future__ import annotations

from ..media.errors import DeviceErrorKind
from ..model import Finding
from ..settings import Thresholds
from .catalogue import finding
from .devices_common import device_problem, permission_setting
from .rules import Measures

SILENT_PEAK_DBFS = -60.0
"""Peak below this over the whole listen: (nearly) nothing reaches the microphone."""
CLIP_PCT = 0.1
"""Samples at full scale (%) above which the voice distorts."""
NOISE_FLOOR_DBFS = -45.0
"""Noise between words above this is distracting background noise."""
HUM_PROMINENCE_DB = 15.0
HUM_MIN_DBFS = -70.0
"""A mains line this far above its neighbourhood, and at least this loud, is audible hum."""
NARROWBAND_RATES = (8000, 16000)
"""Sample rates of Bluetooth hands-free (HFP/HSP) microphones, which are also mono."""
NARROWBAND_HF_DB = -40.0
"""Energy above 4.2 kHz this far below the telephone band: the sound was band-limited."""


def _num(m: Measures, key: str, default: float) -> float:
    v = m.num(key)
    return default if v is None else v


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    problem = device_problem("microphone", "microphone", m)
    out: list[Finding] = [problem] if problem is not None else []
    if m.num("microphone.peak_dbfs") is None:
        return out
    if problem is not None and m.text("microphone.outcome") != DeviceErrorKind.UNPLUGGED:
        return out
    device = m.text("microphone.device") or "microphone"
    seconds = m.num("microphone.seconds") or 0.0
    peak = _num(m, "microphone.peak_dbfs", -200.0)
    if m.value("microphone.digital_silence") is True:
        out.append(finding("microphone.muted", {"microphone.digital_silence": True},
                           seconds=seconds, device=device,
                           setting=permission_setting("microphone", m.text("microphone.os"))))
        return out
    if peak < SILENT_PEAK_DBFS:
        out.append(finding("microphone.silent", {"microphone.peak_dbfs": peak},
                           peak_dbfs=peak, threshold=SILENT_PEAK_DBFS, device=device))
        return out

    clip = m.num("microphone.clip_pct") or 0.0
    if clip > CLIP_PCT:
        out.append(finding("microphone.clipping", {"microphone.clip_pct": clip, "microphone.peak_dbfs": peak},
                           clip_pct=clip, threshold=CLIP_PCT, peak_dbfs=peak))

    floor = m.num("microphone.noise_floor_dbfs")
    if floor is not None and floor > NOISE_FLOOR_DBFS:
        snr = m.num("microphone.snr_db") or 0.0
        out.append(finding("microphone.noisy", {"microphone.noise_floor_dbfs": floor, "microphone.snr_db": snr},
                           noise_floor_dbfs=floor, threshold=NOISE_FLOOR_DBFS, snr_db=snr))

    hum_hz = m.num("microphone.hum_hz")
    prominence = m.num("microphone.hum_prominence_db") or 0.0
    hum_level = _num(m, "microphone.hum_dbfs", -200.0)
    if hum_hz is not None and prominence >= HUM_PROMINENCE_DB and hum_level >= HUM_MIN_DBFS:
        out.append(finding("microphone.hum",
                           {"microphone.hum_hz": hum_hz, "microphone.hum_prominence_db": prominence,
                            "microphone.hum_dbfs": hum_level},
                           hum_hz=hum_hz, prominence_db=prominence, hum_dbfs=hum_level))

    rate = int(m.num("microphone.sample_rate") or 0)
    channels = int(m.num("microphone.channels") or 0)
    hf = m.num("microphone.hf_ratio_db")
    by_device = rate in NARROWBAND_RATES and channels == 1
    by_sound = hf is not None and hf < NARROWBAND_HF_DB
    if by_device or by_sound:
        out.append(finding("microphone.narrowband",
                           {"microphone.sample_rate": rate, "microphone.channels": channels,
                            "microphone.hf_ratio_db": hf},
                           sample_rate=rate, channels=channels,
                           hf_ratio="not measurable" if hf is None else f"{hf:.0f} dB"))
    return out
