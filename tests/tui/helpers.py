"""Small helpers for driving the app with a Pilot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot


async def until(pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Pump the app until ``condition()`` holds; return how long it took. Fails on timeout."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.02)
    await pilot.pause()
    return time.monotonic() - started


async def settle(pilot: Pilot[object]) -> None:
    await pilot.pause()
    await asyncio.sleep(0)
