"""Events the runner emits while a check runs. Every front end consumes the same stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import ProbeResult, Report


@dataclass(frozen=True)
class ProbeStarted:
    """A probe began measuring."""

    probe: str
    title: str
    """What the probe checks, in plain words."""
    timeout_s: float


@dataclass(frozen=True)
class Sample:
    """One live value while a probe runs (for sparklines and meters)."""

    probe: str
    key: str
    value: float
    unit: str = ""


@dataclass(frozen=True)
class Progress:
    """How far a probe has come, 0..1, with an optional note."""

    probe: str
    fraction: float
    note: str = ""
    """A code, worded by ``catalogue.progress_note`` when shown (``progress.<probe>.<note>``)."""
    values: Mapping[str, str | int | float] = field(default_factory=dict)
    """The note's template fields."""


@dataclass(frozen=True)
class ProbeFinished:
    """A probe ended (in any status); its result is final."""

    result: ProbeResult


@dataclass(frozen=True)
class RunFinished:
    """The whole check ended; ``report`` is complete or, when interrupted, partial."""

    report: Report


Event = ProbeStarted | Sample | Progress | ProbeFinished | RunFinished
