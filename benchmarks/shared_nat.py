"""The room-code lock-out's trade-off: a clinic's shared Wi-Fi against an attacker.

Many people behind one NAT share one address. One of them types a wrong code again and
again; how long are the others, who have the right codes, kept waiting? Against that: how
many guesses a second does one address get, and how long does guessing a 44-bit code take
through the global budget when an attacker rotates addresses?

The simulation drives the server's own throttle (:class:`sessioncheck.server.limits.Throttle`)
on a simulated clock; the policy before issue 11 (5 failures per sliding 60 s window) is
replayed beside it. Run: ``python benchmarks/shared_nat.py``.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sessioncheck.peer import codes
from sessioncheck.server import rooms
from sessioncheck.server.limits import Throttle

MINUTES = 10
COLLEAGUES = 20
RUNS = 200


class SlidingWindow:
    """The throttle before issue 11: ``limit`` failures per sliding ``window_s``."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.q: deque[float] = deque()

    def wait_s(self, group: str) -> int:
        now = self.clock()
        while self.q and self.q[0] <= now - self.window_s:
            self.q.popleft()
        if len(self.q) < self.limit:
            return 0
        return max(1, math.ceil(self.q[-self.limit] + self.window_s - now))

    def fail(self, group: str) -> None:
        self.q.append(self.clock())


@dataclass
class Outcome:
    refused_share: float
    """Colleagues refused at least once."""
    median_delay_s: float
    """Median wait of those refused."""
    max_delay_s: float


def shared_nat(
    make: Callable[[Callable[[], float]], Throttle | SlidingWindow], retype_s: float, seed: int
) -> tuple[int, list[float]]:
    """One run: a mistyper retries about every ``retype_s``; colleagues arrive at random
    and retry when told ``retry_after_s``."""
    rng = random.Random(seed)
    now = [0.0]
    t = make(lambda: now[0])
    events: list[tuple[float, str]] = []
    at = 0.0
    while at < MINUTES * 60:  # a person, not a metronome: 0.5 to 1.5 times retype_s apart
        events.append((at, "mistype"))
        at += retype_s * rng.uniform(0.5, 1.5)
    arrivals = sorted(rng.uniform(0, MINUTES * 60) for _ in range(COLLEAGUES))
    pending = [(a, f"c{i}") for i, a in enumerate(arrivals)]
    first = {who: a for a, who in pending}
    events += pending
    refused: set[str] = set()
    delays: list[float] = []
    while events:
        events.sort()
        at, who = events.pop(0)
        now[0] = at
        wait = t.wait_s("nat")
        if who == "mistype":
            if wait == 0:
                t.fail("nat")
            continue
        if wait:
            refused.add(who)
            events.append((at + wait, who))
            continue
        if who in refused:
            delays.append(at - first[who])
    return len(refused), delays


def outcome(make: Callable[[Callable[[], float]], Throttle | SlidingWindow], retype_s: float) -> Outcome:
    refused = 0
    delays: list[float] = []
    for seed in range(RUNS):
        n, d = shared_nat(make, retype_s, seed)
        refused += n
        delays += d
    return Outcome(
        refused / (RUNS * COLLEAGUES), statistics.median(delays) if delays else 0.0, max(delays, default=0.0)
    )


def years(seconds: float) -> float:
    return seconds / (365.25 * 86400)


def bucket(interval_s: float) -> Callable[[Callable[[], float]], Throttle | SlidingWindow]:
    def make(clock: Callable[[], float]) -> Throttle | SlidingWindow:
        return Throttle(rooms.JOIN_FAILURES, interval_s, clock=clock)

    return make


def main() -> None:
    policies: list[tuple[str, float, Callable[[Callable[[], float]], Throttle | SlidingWindow]]] = [
        ("before: 5 per sliding 60 s", 5 / 60, lambda c: SlidingWindow(5, 60.0, c)),
    ]
    for interval in (2.0, rooms.JOIN_INTERVAL_S, 10.0, 30.0):
        policies.append(
            (
                f"burst {rooms.JOIN_FAILURES}, then 1 per {interval:g} s",
                1 / interval,
                bucket(interval),
            )
        )
    print(
        f"{COLLEAGUES} colleagues behind one NAT over {MINUTES} min, one person retyping a wrong code; {RUNS} runs each"
    )
    print(f"{'policy':34} {'attacker/address':>16} {'retype':>7} {'refused':>8} {'median wait':>12} {'max wait':>9}")
    for name, rate, make in policies:
        for retype in (3.0, 10.0):
            o = outcome(make, retype)
            print(
                f"{name:34} {rate:13.3f}/s {retype:6g}s {o.refused_share:8.1%} {o.median_delay_s:10.1f} s "
                f"{o.max_delay_s:7.1f} s"
            )
    space = len(codes.ALPHABET) ** codes.LENGTH
    global_rate = 1 / rooms.JOIN_GLOBAL_INTERVAL_S
    print(
        f"\ncode space {space:.3e} ({codes.ENTROPY_BITS:.1f} bits); expected guesses to hit one of k open rooms: "
        "space / k"
    )
    for label, rate in (
        ("before, rotating addresses (measured)", 3163.0),
        (f"global budget, {global_rate:g}/s", global_rate),
    ):
        for k in (1, 100):
            print(f"  {label}: k={k}: {years(space / k / rate):,.0f} years")
    per_address = 1 / rooms.JOIN_INTERVAL_S
    print(
        f"addresses an attacker needs to use up the global budget (and so block joins for everyone): "
        f"{global_rate / per_address:g}"
    )


if __name__ == "__main__":
    main()
