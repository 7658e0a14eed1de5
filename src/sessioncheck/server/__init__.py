"""``sessioncheck serve``: signalling and reflector peers for path tests, rooms for peer tests.

One concept a module; the arrows are the only imports between them (no circle, and nothing
imports :mod:`.app`; ``tests/server/test_modules.py`` checks both):

* :mod:`.config`: ``ServerConfig``, what ``serve``'s flags set.
* :mod:`.clock`: the time every limit runs on (``MonotonicClock``; ``ManualClock`` in tests).
* :mod:`.wire`: the signalling messages: types, error codes, roles, versions (``StrEnum``\\s),
  receiving and refusing.
* :mod:`.limits`: bounded per-address structures (throttles, connection caps, origins).
* :mod:`.guards` → config, clock, limits, wire: access token, origin, connection caps, the
  accepted socket and its hello, shared by the two endpoints.
* :mod:`.candidates`: which ICE candidates of an offer the reflector checks.
* :mod:`.reflector` → guards, candidates, wire: ``/ws``, the far end of a path test.
* :mod:`.rooms` → guards, wire: ``/room``, the peer test's rooms.
* :mod:`.page` → wire: ``/join`` and ``/protocol.json``, the browser's side of a peer test
  (the ES modules in ``static/join/``).
* :mod:`.app` → all of them: the aiohttp application, its routes, ``start_server``.

The clients of ``/ws`` and ``/room`` are in :mod:`sessioncheck.signalling`.
"""
