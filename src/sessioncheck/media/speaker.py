"""Speaker playback: play a signal on a sound device while a microphone records it.

Both ends must be real sound devices (PortAudio, through sounddevice). The recording stays
in memory and is handed to the caller; nothing is stored. Problems raise
:class:`~.errors.DeviceError` naming the device at fault.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..model import DeviceErrorKind
from .devices import sound_holders
from .errors import STALL_SECONDS, DeviceError, classify_portaudio_error
from .sound import audio_source, resolve_audio_device, sounddevice_module

if TYPE_CHECKING:
    import numpy as np

    Samples = np.ndarray[Any, Any]


class StreamTime(Protocol):
    """The time stamps PortAudio hands each stream callback (seconds, on its own clock)."""

    inputBufferAdcTime: float
    outputBufferDacTime: float


LOOP_MARGIN_S = 0.8
"""Extra recording after the sweep should have ended: sound servers buffer more than the
stream's reported latency, more so on a busy machine."""


@dataclass(frozen=True)
class LoopRecording:
    """What the microphone heard while the speaker played."""

    recording: Samples
    sample_rate: int
    played_at: float
    """Seconds into ``recording`` at which the signal left the speaker (per PortAudio clocks);
    None-like NaN when the host gives no stream times."""
    speaker: str
    microphone: str


def play_and_record(
    signal: Samples,
    sample_rate: int,
    speaker: str | None,
    microphone: str | None,
    *,
    lead_s: float = 0.3,
    tail_s: float = 0.7,
) -> LoopRecording:
    """Play ``signal`` on the speaker once the microphone has recorded ``lead_s`` of sound.

    The lead-in is timed by the recording, not by the samples handed to the speaker: through
    ALSA's PulseAudio plugin, a new output stream may race through its first buffers far
    faster than real time (reporting underflows), so a lead-in of silent samples can last a
    few milliseconds and the signal would play before the recording runs. The signal then
    starts at least ``lead_s`` into the recording, whatever the streams' start-up does.

    Raises :class:`DeviceError` for either device. Blocking; run it in a thread.
    """
    import numpy as np

    sd = sounddevice_module()
    out_src = audio_source(speaker)
    if out_src.kind != "device":
        raise DeviceError(DeviceErrorKind.INVALID, out_src.label, "a speaker must be a sound device")
    out_index, out_info = resolve_audio_device(out_src, "output")
    in_src = audio_source(microphone)
    if in_src.kind != "device":
        raise DeviceError(DeviceErrorKind.INVALID, in_src.label, "only a real microphone can hear the speaker")
    in_index, in_info = resolve_audio_device(in_src, "input")

    rate = sample_rate
    lead = int(lead_s * rate)
    recorded: list[Samples] = []
    count = [0]
    """Samples recorded so far (the input callback's clock)."""
    adc_first: list[float] = []
    dac_start: list[float] = []
    start_at: list[int] = []
    """Output position at which the signal starts (set once the recording covers the lead)."""
    position = [0]
    done = threading.Event()
    """The whole signal has been handed to the speaker."""

    def in_cb(indata: Samples, frames: int, t: StreamTime, status: object) -> None:
        if not adc_first:
            adc_first.append(float(t.inputBufferAdcTime) or time.monotonic())
        recorded.append(indata[:, 0].copy())
        count[0] += frames

    def out_cb(outdata: Samples, frames: int, t: StreamTime, status: object) -> None:
        pos = position[0]
        outdata.fill(0)
        position[0] = pos + frames
        if not start_at:
            if count[0] < lead:
                return
            start_at.append(pos)
            dac_start.append(float(t.outputBufferDacTime) or time.monotonic())
        s0 = pos - start_at[0]
        if s0 < signal.size:
            n = min(frames, signal.size - s0)
            outdata[:n, 0] = signal[s0 : s0 + n]
        else:
            done.set()

    streams: list[Any] = []
    """sounddevice streams (an untyped library)."""
    try:
        try:
            inp = sd.InputStream(
                device=in_index, channels=1, samplerate=rate, dtype="float32", latency="high", callback=in_cb
            )
            streams.append(inp)
            out = sd.OutputStream(
                device=out_index, channels=1, samplerate=rate, dtype="float32", latency="high", callback=out_cb
            )
            streams.append(out)
            inp.start()
            out.start()
        except sd.PortAudioError as e:
            kind = classify_portaudio_error(e)
            holding = sound_holders() if kind is DeviceErrorKind.BUSY else ()
            raise DeviceError(kind, out_info["name"], str(e), holding) from None
        # Wait for the signal to be handed over, then for the recording to cover it plus
        # the tail, the output latency and what sound servers buffer beyond it.
        if not done.wait(lead_s + signal.size / rate + 2 * STALL_SECONDS):
            who = out_info["name"] if count[0] >= lead else in_info["name"]
            raise DeviceError(DeviceErrorKind.UNPLUGGED, who, "the sound stopped mid-test")
        want = count[0] + int((tail_s + float(out.latency) + LOOP_MARGIN_S) * rate)
        deadline = time.monotonic() + (want - count[0]) / rate + STALL_SECONDS
        while count[0] < want:
            if time.monotonic() > deadline:
                raise DeviceError(DeviceErrorKind.UNPLUGGED, in_info["name"], "the sound stopped mid-test")
            time.sleep(0.02)
    finally:
        for s in streams:
            with contextlib.suppress(Exception):
                s.stop()
                s.close()
    rec = np.concatenate(recorded) if recorded else np.zeros(0, np.float32)
    played_at = (dac_start[0] - adc_first[0]) if dac_start and adc_first else float("nan")
    return LoopRecording(rec, rate, played_at, out_info["name"], in_info["name"])
