"""``microphone``: a few seconds of what the other person will hear, measured in memory.

The source is ``settings.microphone`` (a device name/index, a media file, or
``lavfi:<graph>``; default: the OS's default input).

Measurement keys (all ``microphone.``):

* ``outcome``: ``ok`` or ``missing``, ``busy``, ``permission``, ``unplugged``, ``invalid``;
  ``detail``, ``holders`` (programs holding a busy device), ``os``, ``device``
* ``sample_rate`` (Hz), ``channels``: what the device offers (8/16 kHz mono is a Bluetooth
  headset in hands-free "call" mode); ``seconds`` listened
* ``rms_dbfs`` (level while sound is present), ``peak_dbfs``, ``clip_pct``,
  ``noise_floor_dbfs`` (between words), ``snr_db``, ``active_pct`` (time with sound),
  ``digital_silence`` (every sample zero: muted or blocked)
* ``hum_hz`` (50/60 when a mains line stands out), ``hum_prominence_db``, ``hum_dbfs``
* ``hf_ratio_db``: energy above 4.2 kHz vs the telephone band (very low: narrowband sound)
"""

from __future__ import annotations

import asyncio
import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .base import Probe, ProbeContext

LISTEN_SECONDS = 3.0
SAMPLE_EVERY = 2
"""Send a live level every this many 20 ms blocks."""

SampleFn = Callable[[str, float, str], None]


@dataclass
class Listening:
    outcome: str = "ok"
    detail: str = ""
    holders: tuple[str, ...] = ()
    device: str = ""
    sample_rate: int = 0
    channels: int = 0
    stats: object | None = None


def listen(spec: str | None, seconds: float, stop: threading.Event, sample: SampleFn) -> Listening:
    """Record ``seconds`` of input into memory and analyse it (blocking)."""
    from ..media.audio import AudioAnalyzer
    from ..media.errors import DeviceError
    from ..media.microphone import open_microphone

    out = Listening()
    analyzer: AudioAnalyzer | None = None
    try:
        with open_microphone(spec, stop=stop) as mic:
            out.device, out.sample_rate, out.channels = mic.name, mic.sample_rate, mic.channels
            analyzer = AudioAnalyzer(mic.sample_rate, max_seconds=seconds + 1)
            n = 0
            for block in mic.blocks():
                for level in analyzer.add(block):
                    n += 1
                    if n % SAMPLE_EVERY == 0:
                        sample("level_dbfs", level.rms_dbfs, "dBFS")
                if analyzer.seconds >= seconds or stop.is_set():
                    break
    except DeviceError as e:
        out.outcome, out.detail, out.holders = e.kind, e.detail, e.holders
        out.device = out.device or e.device
    if analyzer is not None and analyzer.seconds > 0:
        out.stats = analyzer.result()
    return out


class MicrophoneProbe(Probe):
    id: ClassVar[str] = "microphone"
    timeout_s: ClassVar[float] = 10.0

    async def run(self, ctx: ProbeContext) -> None:
        from ..media.audio import AudioStats

        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def sample(key: str, value: float, unit: str) -> None:
            loop.call_soon_threadsafe(ctx.sample, key, value, unit)

        ctx.record("microphone.os", platform.system())
        ctx.progress(0.05, "listening")
        try:
            got = await asyncio.to_thread(listen, ctx.settings.microphone, LISTEN_SECONDS, stop, sample)
        finally:
            stop.set()
        ctx.record("microphone.outcome", got.outcome)
        if got.detail:
            ctx.record("microphone.detail", got.detail)
        if got.holders:
            ctx.record("microphone.holders", got.holders)
        if got.device:
            ctx.record("microphone.device", got.device)
        if got.sample_rate:
            ctx.record("microphone.sample_rate", got.sample_rate, "Hz")
            ctx.record("microphone.channels", got.channels, "count")
        s = got.stats
        if isinstance(s, AudioStats):
            ctx.record("microphone.seconds", round(s.duration_s, 2), "s")
            ctx.record("microphone.rms_dbfs", s.rms_dbfs, "dBFS")
            ctx.record("microphone.peak_dbfs", s.peak_dbfs, "dBFS")
            ctx.record("microphone.clip_pct", round(100 * s.clip_ratio, 3), "%")
            ctx.record("microphone.noise_floor_dbfs", s.noise_floor_dbfs, "dBFS")
            ctx.record("microphone.snr_db", round(s.rms_dbfs - s.noise_floor_dbfs, 2), "dB")
            ctx.record("microphone.active_pct", round(100 * s.active_ratio, 2), "%")
            ctx.record("microphone.digital_silence", s.digital_silence)
            if s.hum_hz is not None:
                ctx.record("microphone.hum_hz", s.hum_hz, "Hz")
            ctx.record("microphone.hum_prominence_db", s.hum_prominence_db, "dB")
            ctx.record("microphone.hum_dbfs", s.hum_dbfs, "dBFS")
            if s.hf_ratio_db is not None:
                ctx.record("microphone.hf_ratio_db", s.hf_ratio_db, "dB")
        ctx.progress(1.0, "done")
