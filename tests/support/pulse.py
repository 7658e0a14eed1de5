"""The ``pulse`` fixture: one private PulseAudio (:mod:`sessioncheck.lab.pulse`) per session.

``vspeaker`` is a null sink (its monitor hears what is played); ``vmic`` is a real source fed
from the sink ``vmic_feed`` (``Pulse.play_into_mic``). ALSA names for sounddevice: ``vmic``,
``vspeaker`` and ``vspeaker_monitor``. The fixture points this process (and its subprocesses)
at the server and makes sounddevice list its devices again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from sessioncheck.lab.pulse import PulseUnavailable, VirtualAudio, pulse_missing

Pulse = VirtualAudio
"""What the fixture gives: the running server and how to use it."""


def _reinit_portaudio() -> None:
    """sounddevice lists devices once, at import; re-list them with the new ALSA config."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()  # type: ignore[attr-defined]
        sd._initialize()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    """A private PulseAudio for the whole test session; stopped by PID at the end."""
    why = pulse_missing()
    if why is not None:
        pytest.skip(why)
    try:
        audio = VirtualAudio.start()
    except PulseUnavailable as e:
        pytest.fail(str(e))
    saved = {k: os.environ.get(k) for k in audio.variables}
    os.environ.update(audio.variables)
    _reinit_portaudio()
    try:
        yield audio
    finally:
        audio.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
