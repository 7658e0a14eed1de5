"""``speaker``: play a short sweep and find it in the microphone by cross-correlation.

Hearing the sweep proves sound comes out of ``settings.speaker`` (default output); how loud
it comes back (``echo_db``, 0 dB = as loud as played) says whether the room or the speaker
will echo into the call. When no real microphone can listen (none found, or the microphone
is a file or a virtual source), the outcome is ``unverified`` and the app asks the person.

Measurement keys (all ``speaker.``):

* ``outcome``: ``heard``, ``not_heard``, ``unverified``, or a speaker problem: ``missing``,
  ``busy``, ``permission``, ``unplugged``, ``invalid``; ``detail``, ``holders``, ``os``
* ``device``, ``microphone``: the devices used
* ``heard`` (bool), ``echo_db`` (level of the sweep in the recording vs what was played),
  ``loop_delay_ms`` (speaker → microphone, by the audio system's stream clocks; null with
  ``loop_delay_note`` when those clocks give an impossible negative delay),
  ``clarity`` (correlation peak over its median: how sure the match is),
  ``background_dbfs`` (microphone level before the sweep)
"""

from __future__ import annotations

import asyncio
import math
import platform
from dataclasses import dataclass
from typing import ClassVar

from .base import Probe, ProbeContext

SAMPLE_RATE = 48000
LEAD_SECONDS = 0.5
TAIL_SECONDS = 0.7
ATTEMPTS = 3
"""The sweep plays once the recording has run for :data:`LEAD_SECONDS` (by the recording's
own clock), so it cannot be found earlier in a sound recording. If it is, the recording lost
sound (a dropped block on an overloaded machine), part of the sweep may be missing and its
level would read far too low: play again."""
BACKGROUND_S = 0.4
"""Background level: the start of the recording, before the sweep."""
BACKGROUND_GUARD_S = 0.01


@dataclass
class Loop:
    outcome: str
    detail: str = ""
    holders: tuple[str, ...] = ()
    device: str = ""
    microphone: str = ""
    echo_db: float | None = None
    delay_ms: float | None = None
    clarity: float | None = None
    background_dbfs: float | None = None


def run_loop(speaker: str | None, microphone: str | None) -> Loop:
    """Play the sweep and listen (blocking)."""
    from ..media.audio import block_level, chirp, find_chirp
    from ..media.errors import DeviceError
    from ..media.sound import audio_source, resolve_audio_device
    from ..media.speaker import play_and_record

    try:
        out_src = audio_source(speaker)
        if out_src.kind != "device":
            raise DeviceError("invalid", out_src.label, "a speaker must be a sound device")
        _, out_info = resolve_audio_device(out_src, "output")
    except DeviceError as e:
        return Loop(e.kind, e.detail, e.holders, e.device)
    device = str(out_info["name"])
    try:
        in_src = audio_source(microphone)
        if in_src.kind != "device":
            return Loop(
                "unverified",
                "the microphone given is a file or a virtual source, so it cannot hear the speaker",
                device=device,
                microphone=in_src.label,
            )
        _, in_info = resolve_audio_device(in_src, "input")
    except DeviceError as e:
        return Loop("unverified", f"no microphone could listen: {e.detail}", device=device, microphone=e.device)
    reference = chirp(SAMPLE_RATE)
    for _attempt in range(ATTEMPTS):
        try:
            rec = play_and_record(reference, SAMPLE_RATE, speaker, microphone, lead_s=LEAD_SECONDS, tail_s=TAIL_SECONDS)
        except DeviceError as e:
            if e.device == str(in_info["name"]) and e.device != device:
                return Loop("unverified", f"the microphone failed: {e.detail}", device=device, microphone=e.device)
            return Loop(e.kind, e.detail, e.holders, device, str(in_info["name"]))
        match = find_chirp(rec.recording, reference)
        if not (match.found and match.offset_samples < LEAD_SECONDS * SAMPLE_RATE):
            break  # the whole sweep (or nothing) was recorded: a trustworthy answer
    # Never count the sweep itself as background, wherever it was found.
    end = int(BACKGROUND_S * SAMPLE_RATE)
    if match.found:
        end = min(end, match.offset_samples - int(BACKGROUND_GUARD_S * SAMPLE_RATE))
    lead = rec.recording[: max(0, end)]
    background = block_level(lead).rms_dbfs if lead.size else None
    delay = None
    if match.found and not math.isnan(rec.played_at):
        delay = round((match.offset_samples / SAMPLE_RATE - rec.played_at) * 1000.0, 1)
    return Loop(
        "heard" if match.found else "not_heard",
        device=rec.speaker,
        microphone=rec.microphone,
        echo_db=round(match.gain_db, 2) if match.found else None,
        delay_ms=delay,
        clarity=min(match.clarity, 1e6),
        background_dbfs=background,
    )


class SpeakerProbe(Probe):
    id: ClassVar[str] = "speaker"
    timeout_s: ClassVar[float] = 10.0
    after: ClassVar[tuple[str, ...]] = ("microphone",)
    """The speaker test records from the microphone: let the microphone test finish first."""

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("speaker.os", platform.system())
        ctx.progress(0.1, "playing")
        loop = await asyncio.to_thread(run_loop, ctx.settings.speaker, ctx.settings.microphone)
        ctx.record("speaker.outcome", loop.outcome)
        ctx.record("speaker.heard", loop.outcome == "heard")
        for key, value in (
            ("detail", loop.detail),
            ("holders", loop.holders),
            ("device", loop.device),
            ("microphone", loop.microphone),
        ):
            if value:
                ctx.record(f"speaker.{key}", value)
        if loop.echo_db is not None:
            ctx.record("speaker.echo_db", loop.echo_db, "dB")
            ctx.sample("echo_db", loop.echo_db, "dB")
        if loop.delay_ms is not None and loop.delay_ms >= 0:
            ctx.record("speaker.loop_delay_ms", loop.delay_ms, "ms")
        elif loop.delay_ms is not None:
            # Some audio layers (ALSA's PulseAudio plugin) report stream clocks without their own
            # buffering, which gives an impossible negative delay: say so rather than store it.
            ctx.record("speaker.loop_delay_ms", None, "ms")
            ctx.record("speaker.loop_delay_note", "clocks_unusable")
        if loop.clarity is not None:
            ctx.record("speaker.clarity", round(loop.clarity, 1))
        if loop.background_dbfs is not None:
            ctx.record("speaker.background_dbfs", round(loop.background_dbfs, 2), "dBFS")
        ctx.progress(1.0, "done")
