"""Impairments applied inside the lab's router: rate, queue, delay, jitter, loss, blocked UDP.

* **Rate** per direction: ``tc tbf`` on the router's egress interface — ``rs`` (towards the
  server) limits the client's *upload*, ``rc`` (towards the client) its *download*. The
  burst is at least three full frames (a burst below one frame silently drops every
  full-size packet) and a few milliseconds of the rate.
* **Queue** per direction: the tbf ``limit`` holds ``queue_ms`` of traffic at the rate. A deep
  queue (hundreds of ms) is bufferbloat: latency climbs when the link is saturated.
* **Delay / jitter** per direction: the userspace NFQUEUE stage (:mod:`.delay`), one process
  and one queue number per direction, hooked with ``iptables -t mangle -A FORWARD -i DEV``.
* **Loss**: nftables in the router's forward hook, ``numgen random mod 100000 < N`` on UDP
  only (dropping TCP too would kill control connections, which real links rarely lose).
* **Blocked UDP**: nftables drops all forwarded UDP, both ways; TCP still passes, so a
  client must fall back to TURN over TCP/TLS.

Rates are on-the-wire bytes (Ethernet frames), as tc counts them: a TCP payload rate is
``rate × 1448 / 1514`` at full-size segments (see :func:`tcp_goodput_kbit`).
"""

from __future__ import annotations

import math
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import SessioncheckError
from .netns import ROUTER_CLIENT_DEV, ROUTER_SERVER_DEV, Lab, LabCommandError

MTU_FRAME = 1514
"""Bytes of a full-size Ethernet frame as tc counts it (1500 + 14)."""
TCP_PAYLOAD = 1448
"""TCP payload of a full-size segment with timestamps (1500 - 20 - 32)."""
DEFAULT_QUEUE_MS = 50.0
"""Queue depth (at the shaped rate) of an ordinary router."""
MIN_QUEUE_BYTES = 16 * 1024
"""Never less queue than this: about ten full frames."""
BURST_FRAMES = 3
BURST_S = 0.004
LOSS_SCALE = 100_000
"""Loss resolution: 1 / LOSS_SCALE (0.001 %)."""
UP_QUEUE_NUM = 1
DOWN_QUEUE_NUM = 2
NFT_TABLE = "sclab"
DELAY_READY_TIMEOUT_S = 10.0


class ImpairmentError(SessioncheckError, ValueError):
    """An impairment's settings make no sense (negative rate, jitter above delay...)."""

    title_key = "error.title.lab"


@dataclass(frozen=True)
class Direction:
    """What one direction of the link does to packets."""

    rate_kbit: float | None = None
    """Bottleneck rate, kbit/s on the wire; None: unshaped."""
    delay_ms: float = 0.0
    """One-way delay added, ms."""
    jitter_ms: float = 0.0
    """Uniform ± variation of the delay, ms (≤ delay)."""
    loss_pct: float = 0.0
    """Random UDP loss, percent."""
    queue_ms: float = DEFAULT_QUEUE_MS
    """Bottleneck queue depth in ms at the rate (deep: bufferbloat)."""

    def validate(self, name: str) -> None:
        if self.rate_kbit is not None and not (8 <= self.rate_kbit <= 10_000_000):
            raise ImpairmentError(f"{name} rate {self.rate_kbit} kbit/s is outside 8-10000000")
        if self.delay_ms < 0 or self.jitter_ms < 0 or self.queue_ms <= 0:
            raise ImpairmentError(f"{name}: delay and jitter must be ≥ 0, queue > 0")
        if self.jitter_ms > self.delay_ms:
            raise ImpairmentError(f"{name}: jitter {self.jitter_ms} ms cannot exceed the delay {self.delay_ms} ms")
        if not 0 <= self.loss_pct <= 100:
            raise ImpairmentError(f"{name}: loss {self.loss_pct} % is outside 0-100")


@dataclass(frozen=True)
class Impairment:
    """The whole link, as seen from the client: ``up`` is client → server."""

    up: Direction = field(default_factory=Direction)
    down: Direction = field(default_factory=Direction)
    block_udp: bool = False
    """Drop every forwarded UDP packet (TCP still works: TURN over TCP/TLS is the way out)."""
    reorder: bool = False
    """Jitter lets packets overtake each other (see :mod:`.delay`)."""

    def validate(self) -> None:
        self.up.validate("upload")
        self.down.validate("download")


def tbf_params(rate_kbit: float, queue_ms: float) -> tuple[int, int]:
    """(burst bytes, limit bytes) for a tbf at ``rate_kbit`` with ``queue_ms`` of queue."""
    rate_bytes = rate_kbit * 1000 / 8
    burst = max(BURST_FRAMES * MTU_FRAME, math.ceil(rate_bytes * BURST_S))
    limit = max(MIN_QUEUE_BYTES, math.ceil(rate_bytes * queue_ms / 1000))
    return burst, limit


def tcp_goodput_kbit(rate_kbit: float) -> float:
    """TCP payload rate through a ``rate_kbit`` shaper with full-size segments."""
    return rate_kbit * TCP_PAYLOAD / MTU_FRAME


class AppliedImpairment:
    """What :func:`apply` set up; :meth:`check_alive` tells whether the delay stages still run."""

    def __init__(self, lab: Lab, impairment: Impairment) -> None:
        self.lab = lab
        self.impairment = impairment
        self.delay_procs: dict[str, subprocess.Popen[Any]] = {}

    def check_alive(self) -> None:
        for name, p in self.delay_procs.items():
            if p.poll() is not None:
                err = p.stderr.read() if p.stderr else ""
                raise LabCommandError(f"the {name} delay stage died (exit {p.returncode}): {err.strip()}")


def apply(lab: Lab, imp: Impairment) -> AppliedImpairment:
    """Configure the router of ``lab`` to impair the link as ``imp`` says."""
    imp.validate()
    applied = AppliedImpairment(lab, imp)
    router = lab.ns.router
    # upload = client → server: enters the router on rc, leaves on rs.
    legs = (
        ("upload", imp.up, ROUTER_CLIENT_DEV, ROUTER_SERVER_DEV, UP_QUEUE_NUM),
        ("download", imp.down, ROUTER_SERVER_DEV, ROUTER_CLIENT_DEV, DOWN_QUEUE_NUM),
    )
    for _, d, _, egress, _ in legs:
        if d.rate_kbit is not None:
            burst, limit = tbf_params(d.rate_kbit, d.queue_ms)
            lab.run(
                router,
                [
                    "tc",
                    "qdisc",
                    "replace",
                    "dev",
                    egress,
                    "root",
                    "tbf",
                    "rate",
                    f"{d.rate_kbit:.0f}kbit",
                    "burst",
                    str(burst),
                    "limit",
                    str(limit),
                ],
            )
    rules: list[str] = []
    if imp.block_udp:
        rules.append("meta l4proto udp counter drop")
    for _, d, ingress, _, _ in legs:
        if d.loss_pct > 0:
            n = round(d.loss_pct / 100 * LOSS_SCALE)
            rules.append(f'iifname "{ingress}" meta l4proto udp numgen random mod {LOSS_SCALE} < {n} counter drop')
    if rules:
        body = "\n".join(f"    {r}" for r in rules)
        script = (
            f"table ip {NFT_TABLE} {{\n  chain forward {{\n"
            f"    type filter hook forward priority 0; policy accept;\n{body}\n  }}\n}}\n"
        )
        lab.run(router, ["nft", "-f", "-"], input=script)
    for name, d, ingress, _, queue in legs:
        if d.delay_ms > 0 or d.jitter_ms > 0:
            applied.delay_procs[name] = start_delay_stage(lab, queue, ingress, d.delay_ms, d.jitter_ms, imp.reorder)
    return applied


def start_delay_stage(
    lab: Lab, queue: int, ingress: str, delay_ms: float, jitter_ms: float, reorder: bool = False
) -> subprocess.Popen[Any]:
    """Start a delay stage for packets entering the router on ``ingress``, then hook it in.

    The stage must be bound before the NFQUEUE rule exists, or the kernel drops every
    packet; so: start, wait for its ``ready``, add the rule, and check it is still alive.
    """
    argv = lab.python_argv(
        "sessioncheck.lab.delay", "--queue", str(queue), "--delay-ms", f"{delay_ms:g}", "--jitter-ms", f"{jitter_ms:g}"
    )
    if reorder:
        argv.append("--reorder")
    proc = lab.spawn(lab.ns.router, argv)
    assert proc.stdout is not None
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    line = proc.stdout.readline() if sel.select(DELAY_READY_TIMEOUT_S) else ""
    sel.close()
    if line.strip() != "ready":
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise LabCommandError(f"the delay stage did not start: {err.strip() or 'no answer'}")
    lab.run(
        lab.ns.router,
        ["iptables", "-t", "mangle", "-A", "FORWARD", "-i", ingress, "-j", "NFQUEUE", "--queue-num", str(queue)],
    )
    time.sleep(0.05)
    if proc.poll() is not None:
        err = proc.stderr.read() if proc.stderr else ""
        raise LabCommandError(f"the delay stage stopped right after starting: {err.strip()}")
    return proc


def clear(lab: Lab) -> None:
    """Remove every impairment from the router (delay stages keep running until teardown)."""
    router = lab.ns.router
    for dev in (ROUTER_CLIENT_DEV, ROUTER_SERVER_DEV):
        lab.run(router, ["tc", "qdisc", "del", "dev", dev, "root"], check=False)
    lab.run(router, ["nft", "delete", "table", "ip", NFT_TABLE], check=False)
    lab.run(router, ["iptables", "-t", "mangle", "-F", "FORWARD"], check=False)
