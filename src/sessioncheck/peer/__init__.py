"""The peer test: the therapist and the client test the real path between them.

Headless API (what the CLI's ``host``/``join`` and the Textual app use)::

    from sessioncheck.peer import host, join

    test = host(settings, server="wss://clinic.example/ws")      # therapist
    async for event in test.events():                            # runner-style events
        if isinstance(event, RoomCreated): show(event.display)   # read this code aloud
    report = test.report                                         # the combined Report

    test = join("4kq-7pz-m2x", settings, server=...)             # client
    report = await test.run()

See :mod:`.session` for the flow, :mod:`.combine` for the combined report's keys,
:mod:`sessioncheck.server.rooms` for the signalling. Importing this package is cheap
(aiortc is imported only when a test runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import PeerJoined, RoomCreated

if TYPE_CHECKING:
    from .session import PeerTest


def host(*args: Any, **kwargs: Any) -> PeerTest:
    from .session import host as _host

    return _host(*args, **kwargs)


def join(*args: Any, **kwargs: Any) -> PeerTest:
    from .session import join as _join

    return _join(*args, **kwargs)


__all__ = ["PeerJoined", "RoomCreated", "host", "join"]
