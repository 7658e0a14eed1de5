"""A userspace delay and jitter stage on an NFQUEUE: this kernel has no netem.

Run it inside the router namespace, one process per direction (one queue number each)::

    ip netns exec ROUTER python -m sessioncheck.lab.delay --queue 1 --delay-ms 60 --jitter-ms 15

It binds the queue, prints ``ready`` on stdout, and from then on holds every packet the
kernel queues to it until ``arrival + delay + U(-jitter, +jitter)`` and accepts it then.
Only after ``ready`` may the iptables ``NFQUEUE`` rule be added: with nothing bound to the
queue the kernel drops every packet.

The loop is single-threaded: the held packets sit on a heap ordered by due time; the
process waits on the queue's socket (epoll) until the next packet is due minus
:data:`EARLY_WAKE_S`, and sleeps the rest, which keeps the added error well under a
millisecond (measured: 50 ms set → 50.2–50.7 ms).

Jitter is uniform in ``[-jitter, +jitter]`` around ``delay``. By default a packet never
overtakes the one before it (``due = max(due, previous due)``), as in a real FIFO link such
as Wi-Fi, so TCP and SCTP throughput are not ruined by reordering. ``--reorder`` draws every
packet's delay independently instead; packets then overtake each other whenever they are
closer together than twice the jitter. With packets spaced more than ``2 × jitter`` apart
both modes give the same one-way delays, whose RFC 3550 interarrival jitter is ``2J/3``.
"""

from __future__ import annotations

import argparse
import functools
import heapq
import itertools
import math
import random
import select
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

MAX_QUEUE_LEN = 65536
"""Packets the kernel may hold for us before it drops (NFQUEUE max length)."""
EARLY_WAKE_S = 0.001
"""Wake this long before a packet is due, then sleep precisely for the rest."""
SOCKET_BUFFER = 8 * 1024 * 1024
IDLE_WAIT_S = 0.5


class DelayStage:
    """Holds packets from one NFQUEUE queue for ``delay ± jitter`` and releases them in time."""

    def __init__(
        self, queue: int, delay_ms: float, jitter_ms: float = 0.0, reorder: bool = False, seed: int | None = None
    ) -> None:
        if delay_ms < 0 or jitter_ms < 0:
            raise ValueError("delay and jitter must not be negative")
        if jitter_ms > delay_ms:
            raise ValueError(f"jitter ({jitter_ms} ms) cannot be larger than delay ({delay_ms} ms)")
        self.queue = queue
        self.delay_s = delay_ms / 1000.0
        self.jitter_s = jitter_ms / 1000.0
        self.reorder = reorder
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, Any]] = []
        self._order = itertools.count()
        self._last_due = 0.0
        self._running = True
        self.packets = 0

    def _on_packet(self, pkt: Any) -> None:
        now = time.monotonic()
        due = now + self.delay_s
        if self.jitter_s:
            due += self._rng.uniform(-self.jitter_s, self.jitter_s)
        if not self.reorder:
            due = max(due, self._last_due)
            self._last_due = due
        self.packets += 1
        heapq.heappush(self._heap, (due, next(self._order), pkt))

    def stop(self, *_: object) -> None:
        self._running = False

    def run(self, ready: Any = None) -> None:
        from netfilterqueue import COPY_META, NetfilterQueue

        nfq = NetfilterQueue()
        nfq.bind(self.queue, self._on_packet, max_len=MAX_QUEUE_LEN, mode=COPY_META, sock_len=SOCKET_BUFFER)
        fd = nfq.get_fd()
        poller = select.epoll()
        poller.register(fd, select.EPOLLIN)
        if ready is not None:
            ready()
        heap = self._heap
        try:
            while self._running:
                now = time.monotonic()
                wait = max(0.0, heap[0][0] - now - EARLY_WAKE_S) if heap else IDLE_WAIT_S
                if poller.poll(wait):
                    nfq.run(block=False)
                now = time.monotonic()
                if heap and heap[0][0] - now > 0 and heap[0][0] - now <= EARLY_WAKE_S:
                    time.sleep(heap[0][0] - now)
                    now = time.monotonic()
                while heap and heap[0][0] <= now:
                    heapq.heappop(heap)[2].accept()
        finally:
            for _, _, pkt in heap:  # let what we hold through rather than lose it silently
                try:
                    pkt.accept()
                except Exception:
                    pass
            poller.close()
            nfq.unbind()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sessioncheck.lab.delay",
        description="Delay and jitter stage for one NFQUEUE queue (run inside the router).",
    )
    p.add_argument("--queue", type=int, required=True, help="NFQUEUE queue number")
    p.add_argument("--delay-ms", type=float, required=True, help="one-way delay added, ms")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="uniform ± jitter, ms")
    p.add_argument(
        "--reorder", action="store_true", help="draw each packet's delay independently (packets may overtake)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (reproducible jitter)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        stage = DelayStage(args.queue, args.delay_ms, args.jitter_ms, args.reorder, args.seed)
    except ValueError as e:
        print(f"delay stage: {e}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stage.stop)
    signal.signal(signal.SIGINT, stage.stop)

    def ready() -> None:
        print("ready", flush=True)

    try:
        stage.run(ready)
    except ImportError:
        print(
            "delay stage: the Python package NetfilterQueue is not installed "
            "(pip install NetfilterQueue; needs libnetfilter-queue-dev)",
            file=sys.stderr,
        )
        return 3
    except OSError as e:
        print(
            f"delay stage: cannot bind NFQUEUE queue {args.queue}: {e} "
            "(needs root in the namespace and the nfnetlink_queue module)",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())


def expected_rfc3550_jitter(
    jitter_ms: float, interval_ms: float, reorder: bool = False, packets: int = 20000, seed: int = 1
) -> float:
    """The RFC 3550 interarrival jitter this stage gives packets sent every ``interval_ms``.

    Simulates the stage's own rule (uniform ±J, FIFO unless ``reorder``) on a paced stream
    and runs the RFC 3550 estimator over it in arrival order. For ``interval ≥ 2J`` this is
    ``2J/3``; closer packets queue behind each other (FIFO) or overtake (reorder), and the
    value drops.
    """
    if jitter_ms <= 0:
        return 0.0
    rng = random.Random(seed)
    arrivals: list[tuple[float, float]] = []  # (arrival time, transit)
    last = -math.inf
    for i in range(packets):
        sent = i * interval_ms
        due = sent + rng.uniform(-jitter_ms, jitter_ms)
        if not reorder:
            due = max(due, last)
            last = due
        arrivals.append((due, due - sent))
    arrivals.sort()
    j = 0.0
    total = 0.0
    for (_, a), (_, b) in itertools.pairwise(arrivals):
        j += (abs(b - a) - j) / 16
        total += j
    return total / (len(arrivals) - 1)


@functools.lru_cache(maxsize=64)
def expected_ping_rtt(
    up: tuple[float, float],
    down: tuple[float, float],
    interval_ms: float,
    pings: int,
    reorder: bool = False,
    runs: int = 1000,
    seed: int = 1,
) -> float:
    """The median RTT this stage gives ``pings`` pings sent every ``interval_ms``, averaged.

    ``up`` and ``down`` are ``(delay_ms, jitter_ms)`` of each direction. Simulates the stage's
    own rule both ways: each ping through the up stage, its pong leaving the far end as the
    ping arrives, back through the down stage; the median of each run's RTTs is averaged
    over ``runs`` runs. Without jitter this is ``delay_up + delay_down``. With jitter and FIFO
    order (the default) a packet that drew a short delay waits for the one before it, so
    pings closer together than ``2J`` see more than the configured delay: ±15 ms each way at
    12 ms spacing gives 123.0 ms for 60 + 60 ms, not 120.
    """
    (d_up, j_up), (d_down, j_down) = up, down
    if (j_up <= 0 and j_down <= 0) or pings < 1:
        return d_up + d_down
    rng = random.Random(seed)

    def through(times: list[float], delay: float, jitter: float) -> list[float]:
        last = -math.inf
        out: list[float] = []
        for t in times:
            due = t + delay + (rng.uniform(-jitter, jitter) if jitter else 0.0)
            if not reorder:
                due = max(due, last)
                last = due
            out.append(due)
        return out

    sent = [i * interval_ms for i in range(pings)]
    total = 0.0
    for _ in range(runs):
        back = through(through(sent, d_up, j_up), d_down, j_down)
        rtts = sorted(b - s for b, s in zip(back, sent, strict=True))
        mid = len(rtts) // 2
        total += rtts[mid] if len(rtts) % 2 else (rtts[mid - 1] + rtts[mid]) / 2
    return total / runs
