"""Audio analysis in memory, with numpy: levels, clipping, noise, hum, bandwidth, chirp loops.

Everything here works on float32 mono samples in -1..1 (full scale = 1.0). Nothing is
written anywhere. Two ways in:

* :class:`AudioAnalyzer` takes blocks as they arrive (a live meter reads
  :func:`block_level` for each) and :meth:`AudioAnalyzer.result` sums them up;
* :func:`chirp` and :func:`find_chirp` play and find a test sweep for the speaker loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray[Any, Any]

SILENCE_DBFS = -200.0
"""What digital silence reads as (log of zero, kept finite for reports)."""
BLOCK_SECONDS = 0.02
"""Analysis block: 20 ms, the usual audio frame of a call."""
CLIP_LEVEL = 0.99
"""Samples at or beyond this fraction of full scale count as clipped."""
ACTIVE_MARGIN_DB = 12.0
"""A block is "active" (voice or sound) when it is this much above the noise floor."""
HUM_FREQUENCIES = (50.0, 60.0)
"""Mains frequencies (Europe/most of the world, Americas)."""
NARROWBAND_LOW = (300.0, 3400.0)
NARROWBAND_HIGH = (4200.0, 8000.0)
"""Energy above ``NARROWBAND_HIGH[0]`` vs the telephone band tells wideband from narrowband."""


def dbfs(amplitude: float) -> float:
    """Amplitude (1.0 = full scale) → dBFS, with digital silence as :data:`SILENCE_DBFS`."""
    if amplitude <= 0.0 or not math.isfinite(amplitude):
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(amplitude))


def to_mono(block: Array) -> Array:
    """Any PCM block (frames × channels, or 1-D; int16/int32/float) → float32 mono, -1..1."""
    import numpy as np

    a = np.asarray(block)
    if a.dtype.kind == "i":
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    elif a.dtype.kind == "u":
        info = np.iinfo(a.dtype)
        a = (a.astype(np.float32) - (info.max + 1) / 2) / ((info.max + 1) / 2)
    else:
        a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1, dtype=np.float32)
    return a.reshape(-1)


@dataclass(frozen=True)
class BlockLevel:
    """Level of one block, for live meters."""

    rms_dbfs: float
    peak_dbfs: float


def block_level(samples: Array) -> BlockLevel:
    """RMS and peak level of one mono float block."""
    import numpy as np

    if samples.size == 0:
        return BlockLevel(SILENCE_DBFS, SILENCE_DBFS)
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    peak = float(np.max(np.abs(samples)))
    return BlockLevel(dbfs(rms), dbfs(peak))


@dataclass(frozen=True)
class AudioStats:
    """What a few seconds of microphone input tell. Levels in dBFS, ratios 0..1."""

    sample_rate: int
    duration_s: float
    rms_dbfs: float
    """Level of the active (voiced) blocks; of all blocks when none is active."""
    peak_dbfs: float
    clip_ratio: float
    """Fraction of samples at or beyond :data:`CLIP_LEVEL` of full scale."""
    noise_floor_dbfs: float
    """10th percentile of the 20 ms block levels: the room and the electronics, between words."""
    active_ratio: float
    """Fraction of blocks at least :data:`ACTIVE_MARGIN_DB` above the noise floor."""
    digital_silence: bool
    """Every sample exactly zero: a muted or disconnected input, not a quiet room."""
    hum_hz: float | None
    """50 or 60 when a mains tone stands out, else None."""
    hum_prominence_db: float
    """How far the strongest mains line (or harmonic) stands above its neighbourhood."""
    hum_dbfs: float
    """Level of that line."""
    hf_ratio_db: float | None
    """Energy at 4.2–8 kHz relative to 300–3400 Hz; very low = narrowband (telephone) sound.
    None when the sample rate cannot carry 4.2 kHz or there was no sound to judge."""


@dataclass
class AudioAnalyzer:
    """Accumulates mono float blocks; cheap per block, spectral work once in :meth:`result`."""

    sample_rate: int
    max_seconds: float = 10.0
    """Older audio is not kept beyond this (memory bound for long runs)."""
    _blocks: list[Array] = field(default_factory=list)
    _levels: list[float] = field(default_factory=list)
    _peak: float = 0.0
    _clipped: int = 0
    _count: int = 0
    _nonzero: bool = False
    _pending: Array | None = None

    def add(self, block: Array) -> list[BlockLevel]:
        """Add samples (any length); returns the level of each completed 20 ms block."""
        import numpy as np

        mono = to_mono(block)
        if self._pending is not None and self._pending.size:
            mono = np.concatenate((self._pending, mono))
        step = max(1, int(self.sample_rate * BLOCK_SECONDS))
        full = (mono.size // step) * step
        self._pending = mono[full:].copy()
        out: list[BlockLevel] = []
        if full == 0:
            return out
        frames = mono[:full].reshape(-1, step)
        absf = np.abs(frames)
        self._peak = max(self._peak, float(absf.max()))
        self._clipped += int(np.count_nonzero(absf >= CLIP_LEVEL))
        self._count += full
        self._nonzero = self._nonzero or bool(np.any(frames))
        rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
        peaks = absf.max(axis=1)
        for r, p in zip(rms.tolist(), peaks.tolist(), strict=True):
            level = BlockLevel(dbfs(r), dbfs(p))
            self._levels.append(level.rms_dbfs)
            out.append(level)
        self._blocks.append(mono[:full].copy())
        keep = int(self.max_seconds / BLOCK_SECONDS)
        if len(self._levels) > keep:
            self._levels = self._levels[-keep:]
        kept = sum(b.size for b in self._blocks)
        while self._blocks and kept - self._blocks[0].size >= self.max_seconds * self.sample_rate:
            kept -= self._blocks.pop(0).size
        return out

    @property
    def seconds(self) -> float:
        return self._count / self.sample_rate

    def result(self) -> AudioStats:
        import numpy as np

        samples = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        levels = np.array(self._levels) if self._levels else np.array([SILENCE_DBFS])
        floor = float(np.percentile(levels, 10))
        active = levels >= floor + ACTIVE_MARGIN_DB
        active_ratio = float(np.mean(active)) if self._levels else 0.0
        chosen = levels[active] if np.any(active) else levels
        # level of the chosen blocks: mean power, not mean of dB
        rms = dbfs(math.sqrt(float(np.mean(np.power(10.0, chosen / 10.0)))))
        hum_hz, prominence, hum_level = hum(samples, self.sample_rate)
        hf = hf_ratio_db(samples, self.sample_rate, levels, floor) if active_ratio > 0.05 else None
        return AudioStats(
            sample_rate=self.sample_rate,
            duration_s=self.seconds,
            rms_dbfs=round(rms, 2),
            peak_dbfs=round(dbfs(self._peak), 2),
            clip_ratio=self._clipped / self._count if self._count else 0.0,
            noise_floor_dbfs=round(floor, 2),
            active_ratio=round(active_ratio, 4),
            digital_silence=self._count > 0 and not self._nonzero,
            hum_hz=hum_hz,
            hum_prominence_db=round(prominence, 2),
            hum_dbfs=round(hum_level, 2),
            hf_ratio_db=None if hf is None else round(hf, 2),
        )


def analyse(samples: Array, sample_rate: int) -> AudioStats:
    """Analyse a whole recording at once."""
    a = AudioAnalyzer(sample_rate, max_seconds=max(10.0, len(samples) / sample_rate + 1))
    a.add(samples)
    return a.result()


def _welch(samples: Array, sample_rate: int, seconds: float) -> tuple[Array, Array]:
    """Averaged power spectrum with Hann windows of ``seconds``, 50 % overlap."""
    import numpy as np

    n = min(len(samples), max(256, int(sample_rate * seconds)))
    n = 1 << (n.bit_length() - 1)  # a power of two, for speed
    window = np.hanning(n).astype(np.float32)
    hop = n // 2
    starts = range(0, max(1, len(samples) - n + 1), hop)
    power = np.zeros(n // 2 + 1)
    count = 0
    for s in starts:
        seg = samples[s : s + n]
        if seg.size < n:
            break
        power += np.abs(np.fft.rfft(seg * window)) ** 2
        count += 1
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    scale = float(np.sum(window) ** 2) / 4.0  # a full-scale sine reads 0 dBFS peak ≈ -3 dB RMS
    return freqs, power / max(count, 1) / scale


def hum(samples: Array, sample_rate: int) -> tuple[float | None, float, float]:
    """Mains hum: (50 or 60 or None, prominence dB, level dBFS) of the strongest mains line.

    Looks at the mains fundamental only: its harmonics (100–180 Hz) sit where voices have
    their pitch, and a held vowel makes a sharp line there too, while voices do not go down
    to 50–60 Hz. A line is *prominent* when it stands well above the median of the band
    around it.
    """
    import numpy as np

    if len(samples) < sample_rate // 2 or not np.any(samples):
        return None, 0.0, SILENCE_DBFS
    freqs, power = _welch(samples, sample_rate, 1.0)
    df = freqs[1] - freqs[0]
    best: tuple[float, float, float] = (0.0, -1e9, SILENCE_DBFS)
    for f in HUM_FREQUENCIES:
        line = (freqs >= f - 1.5 * df) & (freqs <= f + 1.5 * df)
        around = (freqs >= f - 25.0) & (freqs <= f + 25.0) & ~((freqs >= f - 4 * df) & (freqs <= f + 4 * df))
        if not np.any(line) or not np.any(around):
            continue
        line_power = float(power[line].sum())
        ref = float(np.median(power[around])) * int(np.count_nonzero(line))
        prominence = 10.0 * math.log10((line_power + 1e-20) / (ref + 1e-20))
        if prominence > best[1]:
            best = (f, prominence, 10.0 * math.log10(line_power + 1e-20))
    base, prominence, level = best
    return (base if prominence > 0 else None), prominence, max(SILENCE_DBFS, level)


def hf_ratio_db(samples: Array, sample_rate: int, levels: Array, floor: float) -> float | None:
    """Energy above 4.2 kHz relative to the telephone band, over the active blocks only."""
    import numpy as np

    if sample_rate < 2 * NARROWBAND_HIGH[0] + 400:
        return None
    step = max(1, int(sample_rate * BLOCK_SECONDS))
    active = np.flatnonzero(levels >= floor + ACTIVE_MARGIN_DB)
    n_blocks = len(samples) // step
    active = active[active < n_blocks]
    if active.size == 0:
        return None
    voiced = samples[: n_blocks * step].reshape(-1, step)[active].reshape(-1)
    freqs, power = _welch(voiced, sample_rate, 0.05)
    lo = power[(freqs >= NARROWBAND_LOW[0]) & (freqs <= NARROWBAND_LOW[1])].sum()
    top = min(NARROWBAND_HIGH[1], sample_rate / 2 - 200)
    hi = power[(freqs >= NARROWBAND_HIGH[0]) & (freqs <= top)].sum()
    if lo <= 0:
        return None
    return 10.0 * math.log10((hi + 1e-20) / lo)


# --- chirp: the speaker → microphone loop -------------------------------------------------

CHIRP_SECONDS = 0.4
CHIRP_LOW_HZ = 300.0
CHIRP_HIGH_HZ = 6000.0
CHIRP_AMPLITUDE = 0.5
"""-6 dBFS peak: clearly audible, far from clipping."""
DETECT_RATIO = 8.0
"""The correlation peak must stand this many times above the median correlation level."""


def chirp(sample_rate: int, seconds: float = CHIRP_SECONDS, amplitude: float = CHIRP_AMPLITUDE) -> Array:
    """A logarithmic sweep with 10 ms fades (float32 mono)."""
    import numpy as np

    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    k = math.log(CHIRP_HIGH_HZ / CHIRP_LOW_HZ)
    phase = 2 * math.pi * CHIRP_LOW_HZ * seconds / k * (np.exp(t / seconds * k) - 1.0)
    x = amplitude * np.sin(phase)
    fade = min(n // 2, int(sample_rate * 0.01))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
    return x.astype(np.float32)


@dataclass(frozen=True)
class ChirpMatch:
    """Where the reference sweep was found in a recording."""

    found: bool
    offset_samples: int
    """Start of the sweep in the recording."""
    gain_db: float
    """Level of the sweep in the recording relative to what was played (0 dB = as loud)."""
    clarity: float
    """Correlation peak over the median correlation level (how sure the match is)."""


def find_chirp(recording: Array, reference: Array) -> ChirpMatch:
    """Locate ``reference`` in ``recording`` by FFT cross-correlation."""
    import numpy as np

    rec = to_mono(recording).astype(np.float64)
    ref = reference.astype(np.float64)
    if rec.size < ref.size or not np.any(rec):
        return ChirpMatch(False, 0, SILENCE_DBFS, 0.0)
    n = 1 << int(rec.size + ref.size - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(ref, n)), n)[: rec.size - ref.size + 1]
    mag = np.abs(corr)
    idx = int(np.argmax(mag))
    median = float(np.median(mag)) + 1e-12
    clarity = float(mag[idx]) / median
    energy = float(np.dot(ref, ref))
    gain = abs(float(corr[idx])) / energy  # least-squares scale of the reference at the peak
    return ChirpMatch(clarity >= DETECT_RATIO, idx, dbfs(gain), round(clarity, 1))
