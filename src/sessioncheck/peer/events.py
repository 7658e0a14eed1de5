"""Events a peer test adds to the runner's stream (:mod:`sessioncheck.events`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..events import Event


@dataclass(frozen=True)
class RoomCreated:
    """The therapist's room exists: read ``display`` to the client."""

    code: str
    """Canonical code, e.g. ``4KQ7PZM2X``."""
    display: str
    """The code in groups, e.g. ``4KQ-7PZ-M2X``."""
    expires_in_s: float


@dataclass(frozen=True)
class PeerJoined:
    """The other side is here; the test starts. Both sides share ``test_id``."""

    test_id: str
    role: str
    """Who this side is: ``therapist`` or ``client``."""


PeerEvent = Event | RoomCreated | PeerJoined
