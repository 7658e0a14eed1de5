"""Probe registry. Probe modules are imported only when used (they pull in heavy libraries)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from ..errors import SessioncheckError
from ..settings import Settings
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

DEFAULT_PLAN: tuple[str, ...] = ("system", "ice", "camera", "microphone", "speaker", "loopback", "path", "media_loop")
"""Every probe a check may run when no ``--probes`` is given; :func:`plan_ids` leaves out
those another probe in the plan covers. Order of running follows each probe's ``after`` and
``measure_after``: devices first (path connects meanwhile), then the CPU-sensitive
measurements."""

COVERED_BY: dict[str, str] = {"loopback": "path", "media_loop": "path"}
"""Probe → the probe that measures the same thing better when the check has a server.

``path`` runs real WebRTC peers (ICE, DTLS, SCTP, data channels: what ``loopback`` tests on
this computer alone) against the clinic's check server, and its media leg encodes 720p video
on this computer, timed per frame with the computer's CPU use (what ``media_loop`` measured;
its CPU findings are judged from path's ``path.media.*`` keys, see advice/media_loop.py).
Left out of the plan, they are not "untested": another test covered them."""


def has_server(settings: Settings) -> bool:
    return bool((settings.server or "").strip())


def plan_ids(settings: Settings) -> tuple[str, ...]:
    """The probes a check with these settings runs: ``settings.probes`` as given, else
    :data:`DEFAULT_PLAN` without the probes :data:`COVERED_BY` another when a check
    server is configured (decided here, before the run: nothing is measured twice)."""
    if settings.probes:
        return tuple(dict.fromkeys(settings.probes))
    if has_server(settings):
        return tuple(p for p in DEFAULT_PLAN if p not in COVERED_BY)
    return DEFAULT_PLAN


class UnknownProbeError(SessioncheckError, ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no probe called {name!r}; choose from: {', '.join(sorted(PROBES))}")
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


def critical_path_s(probes: Sequence[Probe], settings: Settings) -> float:
    """The most a run of ``probes`` can take: the longest chain of time limits through the plan.

    A probe starts once the probes it ``depends_on`` and runs ``after`` (those in the plan)
    have finished, and may use its whole time limit. Its ``measure_after`` probes do not
    delay its start, but it may wait for them at any moment with its clock stopped, so at
    worst it finishes a whole time limit after the last of them: for the bound they count as
    ordering too. Probes not in the plan are not waited for (as the runner does).
    """
    by_id = {p.id: p for p in probes}
    finish: dict[str, float] = {}

    def finished_by(pid: str, path: tuple[str, ...]) -> float:
        if pid in path:
            return 0.0  # a cycle: the runner refuses such a plan (PlanError) before it runs
        if pid not in finish:
            probe = by_id[pid]
            before = (*probe.depends_on, *probe.after, *probe.measure_after)
            start = max((finished_by(d, (*path, pid)) for d in before if d in by_id), default=0.0)
            finish[pid] = start + (settings.probe_timeout_s or probe.timeout_s or 0.0)  # open-ended: no bound
        return finish[pid]

    return max((finished_by(p, ()) for p in by_id), default=0.0)


def longest_wait_s(plan: Sequence[str], settings: Settings) -> int:
    """:func:`critical_path_s` of the plan's probe ids, in whole seconds (imports the probes)."""
    return round(critical_path_s([load_probe(p) for p in dict.fromkeys(plan)], settings))


__all__ = [
    "COVERED_BY",
    "DEFAULT_PLAN",
    "PROBES",
    "Probe",
    "ProbeContext",
    "ProbeSkipped",
    "critical_path_s",
    "has_server",
    "load_plan",
    "load_probe",
    "longest_wait_s",
    "plan_ids",
]
