"""Which sound device a ``--microphone`` / ``--speaker`` spec names, through PortAudio.

A spec is nothing or ``default`` (the OS's default device), a device index, a device name
(or part of it, e.g. ``vmic``), a media file, or ``lavfi:<graph>`` (an ffmpeg virtual
source). Microphones (:mod:`.microphone`) accept all of them; a speaker (:mod:`.speaker`)
must be a device. Audio devices go through sounddevice (PortAudio) because PyAV cannot play
sound.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, TypedDict

from ..model import DeviceErrorKind
from .errors import AudioSystemUnavailable, DeviceError, lavfi_graph

Direction = Literal["input", "output"]


class DeviceInfo(TypedDict):
    """The parts of PortAudio's description of a device that sessioncheck uses."""

    name: str
    index: int
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float


def device_info(raw: Any) -> DeviceInfo:
    """Copy the fields we use out of ``sounddevice.query_devices(...)`` (an untyped dict)."""
    return DeviceInfo(
        name=str(raw["name"]),
        index=int(raw["index"]),
        max_input_channels=int(raw["max_input_channels"]),
        max_output_channels=int(raw["max_output_channels"]),
        default_samplerate=float(raw["default_samplerate"] or 0.0),
    )


@dataclass(frozen=True)
class AudioSource:
    """A resolved microphone or speaker spec."""

    kind: str
    """``device``, ``file`` or ``lavfi``."""
    target: str | int | None
    """Device index (None = default), file path, or filter graph."""
    label: str


def audio_source(spec: str | None) -> AudioSource:
    """Resolve a sound spec; raises :class:`DeviceError` for an empty graph or a missing file."""
    spec = (spec or "").strip()
    graph = lavfi_graph(spec)
    if graph is not None:
        return AudioSource("lavfi", graph, "virtual microphone")
    if not spec or spec.lower() == "default":
        return AudioSource("device", None, "default")
    if spec.isdigit():
        return AudioSource("device", int(spec), spec)
    path = Path(spec).expanduser()
    if path.is_file():
        return AudioSource("file", str(path), path.name)
    if os.sep in spec or "/" in spec:
        raise DeviceError(DeviceErrorKind.MISSING, spec, "no such file")
    return AudioSource("device", spec, spec)


_ALSA_QUIET: list[object] = []
"""Keeps the silent ALSA error handler alive (ctypes callbacks must outlive their use)."""


def _quiet_alsa() -> None:
    """ALSA prints recoverable hiccups ("underrun occurred") straight to stderr; we measure
    the sound ourselves, so route those messages nowhere. Linux only; harmless elsewhere."""
    if _ALSA_QUIET or platform.system() != "Linux":
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if name is None:
        return
    try:
        lib = ctypes.CDLL(name)
        handler_type = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        handler = handler_type(lambda *_: None)
        lib.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return
    _ALSA_QUIET.append(handler)


def sounddevice_module() -> ModuleType:
    """The sounddevice module (with ALSA's stderr chatter silenced); raises
    :class:`AudioSystemUnavailable` when the PortAudio library is not installed."""
    try:
        import sounddevice
    except OSError as e:
        raise AudioSystemUnavailable(f"the audio library PortAudio is not installed ({e})") from None
    _quiet_alsa()
    module: ModuleType = sounddevice  # untyped library: name what it is
    return module


def resolve_audio_device(source: AudioSource, kind: Direction) -> tuple[int, DeviceInfo]:
    """(index, PortAudio device info) for an input (``kind='input'``) or output device."""
    try:
        sd = sounddevice_module()
    except AudioSystemUnavailable as e:
        raise DeviceError(DeviceErrorKind.MISSING, source.label, str(e)) from None
    what = "microphone" if kind == "input" else "speaker"
    try:
        if source.target is None:
            default = sd.default.device[0 if kind == "input" else 1]
            if default is None or int(default) < 0:
                raise DeviceError(DeviceErrorKind.MISSING, what, f"no {what} was found")
            info = device_info(sd.query_devices(int(default)))
        else:
            info = device_info(sd.query_devices(source.target, kind))
    except ValueError as e:  # no match, several matches, or not an input/output
        raise DeviceError(DeviceErrorKind.MISSING, source.label, str(e)) from None
    except sd.PortAudioError as e:
        raise DeviceError(DeviceErrorKind.MISSING, source.label, str(e)) from None
    channels = info["max_input_channels"] if kind == "input" else info["max_output_channels"]
    if channels < 1:
        raise DeviceError(DeviceErrorKind.MISSING, info["name"], f"it is not a {what}")
    return info["index"], info
