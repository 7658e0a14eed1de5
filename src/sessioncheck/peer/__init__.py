"""The peer test: the therapist and the client test the real path between them.

Headless API (what the CLI's ``host``/``join`` and the Textual app use)::

    from sessioncheck.peer import host, join

    test = host(settings, server="wss://clinic.example/ws")      # therapist
    async for event in test.events():                            # the runner's events
        if isinstance(event, RoomCreated): show(event.display)   # read this code aloud
    report = test.report                                         # the combined Report

    test = join("4kq-7pz-m2x", settings, server=...)             # client
    report = await test.run()

A peer test is a :class:`~sessioncheck.runner.Runner` over the ``peer`` probe. See
:mod:`.session` for the flow, :mod:`.combine` for the combined report's keys,
:mod:`sessioncheck.server.rooms` for the signalling. Importing this package is cheap
(aiortc is imported only when a test runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import PeerJoined, RoomCreated

if TYPE_CHECKING:
    from ..settings import Settings
    from .session import PeerPlan, PeerTest


def host(settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    from .session import host as _host

    return _host(settings, server, plan=plan)


def join(code: str, settings: Settings, server: str, *, plan: PeerPlan | None = None) -> PeerTest:
    from .session import join as _join

    return _join(code, settings, server, plan=plan)


__all__ = ["PeerJoined", "RoomCreated", "host", "join"]
