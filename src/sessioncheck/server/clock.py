"""The time the server's limits run on: test deadlines, code expiry, throttles.

:class:`MonotonicClock` in ``serve``; :class:`ManualClock` where a test or a simulation moves
time on by hand (a 15-minute code expiry checked in a millisecond, a ``retry_after_s`` that is
exactly what the limit says).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once :meth:`now` has reached ``deadline`` (at once if it has)."""
        ...


class MonotonicClock:
    """``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))


class ManualClock:
    """Time that moves only when :meth:`advance` says so; sleepers wake in deadline order."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self.t:
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._order), woken))
        await woken

    def advance(self, seconds: float) -> None:
        """Move time on and wake every sleeper whose deadline has come."""
        self.t += seconds
        while self._sleepers and self._sleepers[0][0] <= self.t:
            _, _, woken = heapq.heappop(self._sleepers)
            if not woken.done():
                woken.set_result(None)

    @property
    def sleeping(self) -> int:
        """Sleepers still waiting (cancelled ones included until their deadline passes)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())
