"""Probe registry. Probe modules are imported only when used (they pull in heavy libraries)."""

from __future__ import annotations

import importlib

from .base import Probe, ProbeContext, ProbeSkipped

PROBES: dict[str, str] = {
    "system": "sessioncheck.probes.system:SystemProbe",
    "ice": "sessioncheck.probes.ice:IceProbe",
    "loopback": "sessioncheck.probes.loopback:LoopbackProbe",
    "path": "sessioncheck.probes.path:PathProbe",
    # devices (issue 4)
    "camera": "sessioncheck.probes.camera:CameraProbe",
    "microphone": "sessioncheck.probes.microphone:MicrophoneProbe",
    "speaker": "sessioncheck.probes.speaker:SpeakerProbe",
    "media_loop": "sessioncheck.probes.media_loop:MediaLoopProbe",
}
"""Probe id → ``module:Class``."""

DEFAULT_PLAN: tuple[str, ...] = (
    "system", "ice", "camera", "microphone", "speaker", "loopback", "path", "media_loop"
)
"""What ``sessioncheck check`` runs when no ``--probes`` is given. Order of running follows
each probe's ``after``: devices first, then the CPU-sensitive network measurements."""


class UnknownProbeError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"there is no probe called {name!r}; choose from: {', '.join(sorted(PROBES))}"
        )
        self.name = name


def load_probe(probe_id: str) -> Probe:
    """Instantiate the probe registered under ``probe_id``."""
    try:
        target = PROBES[probe_id]
    except KeyError:
        raise UnknownProbeError(probe_id) from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    probe: Probe = cls()
    return probe


def load_plan(probe_ids: tuple[str, ...] | None) -> list[Probe]:
    ids = probe_ids if probe_ids else DEFAULT_PLAN
    for p in ids:
        if p not in PROBES:
            raise UnknownProbeError(p)
    return [load_probe(p) for p in dict.fromkeys(ids)]


__all__ = ["DEFAULT_PLAN", "PROBES", "Probe", "ProbeContext", "ProbeSkipped", "load_plan", "load_probe"]
