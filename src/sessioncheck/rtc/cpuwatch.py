"""Was this process given the CPU it needed while it measured?

A measurer that is starved of CPU (other programs, or other tests, busy on the same cores)
reads packets late and sends them late: its socket buffer overflows and looks like packet
loss, its timestamps come late and look like jitter and round-trip spikes. Two figures say
so, per phase of a test:

* **waited**: the share of the time the main thread was ready to run but waited for a
  CPU (Linux ``/proc/thread-self/schedstat``, the scheduler's run-queue delay; ``None``
  elsewhere). High only when *other* work held the cores: a process that is merely busy
  itself does not wait.
* **lag**: how late a short timer fires on the event loop (p95 and max, ms): what every
  timestamp taken on this loop suffers, from starvation or from the loop's own work.
* **busy**: this process's CPU time per wall time (all threads; 1.0 = one core).
* **drops**: datagrams the kernel dropped because this process did not read its UDP
  sockets in time (Linux ``/proc/net/udp``, the connection's own sockets): loss that
  happened inside this computer, not on the link.

Timing constants at module level so tests can shorten them.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .aiortc_private import udp_sockets

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

LAG_INTERVAL_S = 0.01
"""The lag timer sleeps this long and notes how late it woke."""


def _schedstat_path() -> Path | None:
    """The calling thread's schedstat file (the event loop's thread), if this OS has one."""
    p = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
    return p if p.exists() else None


def run_delay_s(path: Path | None) -> float | None:
    """Seconds the thread has waited on a run queue so far (None: not available)."""
    if path is None:
        return None
    try:
        fields = path.read_text().split()
        return int(fields[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def udp_socket_inodes(channel: RTCDataChannel | None) -> set[int]:
    """Inodes of the UDP sockets under a data channel's ICE connection (empty when they are
    not where we look, see :func:`~.aiortc_private.udp_sockets`)."""
    inodes: set[int] = set()
    if channel is None:
        return inodes
    with contextlib.suppress(OSError):
        for sock in udp_sockets(channel):
            inodes.add(os.fstat(sock.fileno()).st_ino)
    return inodes


def udp_drops(inodes: set[int]) -> int | None:
    """Datagrams dropped so far on these sockets (their receive buffers overflowed);
    None when the OS does not tell."""
    if not inodes:
        return None
    total, found = 0, False
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            # sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
            if len(cols) >= 13 and cols[9].isdigit() and int(cols[9]) in inodes:
                total += int(cols[12])
                found = True
    return total if found else None


class DropCounter:
    """Drops on a channel's UDP sockets since the counter was made (see :func:`udp_drops`)."""

    def __init__(self, channel: RTCDataChannel | None) -> None:
        self._inodes = udp_socket_inodes(channel)
        self._base = udp_drops(self._inodes)

    def read(self) -> int | None:
        now = udp_drops(self._inodes)
        return None if now is None or self._base is None else max(0, now - self._base)


@dataclass(frozen=True)
class PhaseCpu:
    """What one phase of a test got from the CPU."""

    name: str
    wall_s: float
    busy: float
    """This process's CPU time / wall time (1.0 = one whole core)."""
    waited: float | None
    """Share of the wall time the event loop's thread waited for a CPU (None: unknown)."""
    lag_p95_ms: float | None
    lag_max_ms: float | None
    """Lateness of the loop's timer, p95 and worst (None: too short to tell)."""
    drops: int | None = None
    """Datagrams our sockets dropped during the phase (None: unknown)."""


@dataclass
class _Mark:
    name: str
    wall: float
    cpu: float
    delay: float | None
    drops: int | None
    lags: list[float] = field(default_factory=list)


class CpuWatch:
    """Follows the event loop's timer lateness and the run-queue delay, phase by phase.

    ``start()`` (on the loop whose thread is measured), ``phase(name)`` at each phase's
    start, ``stop()`` at the end; ``phases`` then holds one :class:`PhaseCpu` per phase."""

    def __init__(self, interval_s: float | None = None, drops: Callable[[], int | None] | None = None) -> None:
        """``drops``: reads a cumulative count of datagrams our sockets dropped (optional)."""
        self.interval_s = LAG_INTERVAL_S if interval_s is None else interval_s
        self.drops = drops or (lambda: None)
        self.phases: list[PhaseCpu] = []
        self._path: Path | None = None
        self._mark: _Mark | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, name: str) -> None:
        self._path = _schedstat_path()
        self._mark = self._new(name)
        self._task = asyncio.ensure_future(self._lag_loop())

    def _new(self, name: str) -> _Mark:
        return _Mark(name, time.monotonic(), time.process_time(), run_delay_s(self._path), self.drops())

    def phase(self, name: str) -> None:
        """End the current phase and start ``name``."""
        self._close()
        self._mark = self._new(name)

    def stop(self) -> list[PhaseCpu]:
        self._close()
        self._mark = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return self.phases

    def _close(self) -> None:
        m = self._mark
        if m is None:
            return
        wall = time.monotonic() - m.wall
        if wall <= 0:
            return
        busy = (time.process_time() - m.cpu) / wall
        delay = run_delay_s(self._path)
        waited = None if delay is None or m.delay is None else max(0.0, min(1.0, (delay - m.delay) / wall))
        lags = sorted(m.lags)
        p95 = lags[max(0, math.ceil(0.95 * len(lags)) - 1)] if len(lags) >= 5 else None
        drops = self.drops()
        self.phases.append(
            PhaseCpu(
                m.name,
                round(wall, 3),
                round(busy, 3),
                None if waited is None else round(waited, 3),
                None if p95 is None else round(p95, 2),
                round(lags[-1], 2) if len(lags) >= 5 else None,
                None if drops is None or m.drops is None else max(0, drops - m.drops),
            )
        )

    async def _lag_loop(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                due = time.monotonic() + self.interval_s
                await asyncio.sleep(self.interval_s)
                late = max(0.0, time.monotonic() - due) * 1000.0
                if self._mark is not None:
                    self._mark.lags.append(late)


class WaitMeter:
    """The run-queue share and socket drops since it was made, for a responder's report
    (no timer: cheap)."""

    def __init__(self, drops: DropCounter | None = None) -> None:
        self._drops = drops
        self._drops0 = drops.read() if drops is not None else None
        self._path = _schedstat_path()
        self._t0 = time.monotonic()
        self._d0 = run_delay_s(self._path)
        self._c0 = time.process_time()

    def read(self) -> dict[str, float]:
        """``{"busy": share, "waited": share}`` (``waited`` left out when unknown)."""
        wall = max(1e-6, time.monotonic() - self._t0)
        out = {"busy": round((time.process_time() - self._c0) / wall, 3)}
        d = run_delay_s(self._path)
        if d is not None and self._d0 is not None:
            out["waited"] = round(max(0.0, min(1.0, (d - self._d0) / wall)), 3)
        dropped = self._drops.read() if self._drops is not None else None
        if dropped is not None and self._drops0 is not None:
            out["drops"] = max(0, dropped - self._drops0)
        return out
