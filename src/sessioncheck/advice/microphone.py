"""Rules for the ``microphone`` probe: will the other person hear a clean voice?"""

from __future__ import annotations

from ..model import DeviceErrorKind, Finding
from ..settings import Thresholds
from .devices_common import device_problem, permission_setting
from .rules import Measures, finding


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
        out.append(
            finding(
                "microphone.muted",
                {"microphone.digital_silence": True},
                seconds=seconds,
                device=device,
                setting=permission_setting("microphone", m.text("microphone.os")),
            )
        )
        return out
    if peak < t.microphone_silent_peak_dbfs:
        out.append(
            finding(
                "microphone.silent",
                {"microphone.peak_dbfs": peak},
                peak_dbfs=peak,
                threshold=t.microphone_silent_peak_dbfs,
                device=device,
            )
        )
        return out

    clip = m.num("microphone.clip_pct") or 0.0
    if clip > t.microphone_clip_pct:
        out.append(
            finding(
                "microphone.clipping",
                {"microphone.clip_pct": clip, "microphone.peak_dbfs": peak},
                clip_pct=clip,
                threshold=t.microphone_clip_pct,
                peak_dbfs=peak,
            )
        )

    floor = m.num("microphone.noise_floor_dbfs")
    if floor is not None and floor > t.microphone_noise_floor_dbfs:
        snr = m.num("microphone.snr_db") or 0.0
        out.append(
            finding(
                "microphone.noisy",
                {"microphone.noise_floor_dbfs": floor, "microphone.snr_db": snr},
                noise_floor_dbfs=floor,
                threshold=t.microphone_noise_floor_dbfs,
                snr_db=snr,
            )
        )

    hum_hz = m.num("microphone.hum_hz")
    prominence = m.num("microphone.hum_prominence_db") or 0.0
    hum_level = _num(m, "microphone.hum_dbfs", -200.0)
    if hum_hz is not None and prominence >= t.microphone_hum_prominence_db and hum_level >= t.microphone_hum_min_dbfs:
        out.append(
            finding(
                "microphone.hum",
                {
                    "microphone.hum_hz": hum_hz,
                    "microphone.hum_prominence_db": prominence,
                    "microphone.hum_dbfs": hum_level,
                },
                hum_hz=hum_hz,
                prominence_db=prominence,
                hum_dbfs=hum_level,
            )
        )

    rate = int(m.num("microphone.sample_rate") or 0)
    channels = int(m.num("microphone.channels") or 0)
    hf = m.num("microphone.hf_ratio_db")
    by_device = rate in t.microphone_narrowband_rates and channels == 1
    by_sound = hf is not None and hf < t.microphone_narrowband_hf_db
    if by_device or by_sound:
        out.append(
            finding(
                "microphone.narrowband",
                {"microphone.sample_rate": rate, "microphone.channels": channels, "microphone.hf_ratio_db": hf},
                sample_rate=rate,
                channels=channels,
                hf_ratio="not measurable" if hf is None else f"{hf:.0f} dB",
            )
        )
    return out
