"""Events a run emits while it runs: a check, a peer test, later a monitor. Every front end
consumes the same stream, ending with :class:`RunFinished`.

The probe events (:class:`ProbeStarted`, :class:`Sample`, :class:`Progress`,
:class:`ProbeFinished`) come from every probe the runner runs; the peer test's probe adds
:class:`RoomCreated` and :class:`PeerJoined`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import ProbeResult, Report, Role


@dataclass(frozen=True)
class ProbeStarted:
    """A probe began measuring."""

    probe: str
    title: str
    """What the probe checks, in plain words."""
    timeout_s: float | None
    """Its time limit; None for a probe that runs until it is done or stopped."""


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
class RoomCreated:
    """Peer test: the therapist's room exists: read ``display`` to the client."""

    code: str
    """Canonical code, e.g. ``4KQ7PZM2X``."""
    display: str
    """The code in groups, e.g. ``4KQ-7PZ-M2X``."""
    expires_in_s: float


@dataclass(frozen=True)
class PeerJoined:
    """Peer test: the other side is here; the test starts. Both sides share ``test_id``."""

    test_id: str
    role: Role
    """Who this side is."""


@dataclass(frozen=True)
class RunFinished:
    """The whole run ended; ``report`` is complete or, when interrupted, partial."""

    report: Report


Event = ProbeStarted | Sample | Progress | ProbeFinished | RoomCreated | PeerJoined | RunFinished
