"""What keeps ``sessioncheck serve`` up under hostile load: bounded, O(1) per event.

* :func:`address_group`: the unit every per-address limit counts (an IPv4 address, an IPv6 /64).
* :class:`Throttle`: failed attempts per group and across all groups, as token buckets (GCRA:
  one number per group), with a cap on how many groups are remembered.
* :class:`ConnectionGuard`: open HTTP connections per group and in all, below the fd limit.
* :func:`origin_allowed`: browsers may use ``/ws`` and ``/room`` only from this server's own
  pages (or configured origins); programs, which send no ``Origin``, always may.
* :class:`AddressLabel`: what the log says instead of a client's address.
* :func:`loop_exception_handler`: a full fd table is logged once, not once per ``accept()``.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ipaddress
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger("sessioncheck.server")

MAX_TRACKED_GROUPS = 50_000
"""Address groups a throttle remembers at most; the least recently failing are forgotten first."""


def address_group(address: str | None) -> str:
    """The unit per-address limits count: an IPv4 address, or the /64 of an IPv6 address
    (one home or one phone gets a whole /64, so counting single IPv6 addresses limits
    nobody). An IPv4-mapped IPv6 address counts as its IPv4 address."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Bucket:
    """One token bucket as GCRA: ``burst`` events at once, then one per ``interval_s``.

    ``tat`` (theoretical arrival time) is the only state; a bucket whose ``tat`` has passed
    is full, the same as one never used."""

    __slots__ = ("burst", "interval_s", "tat")

    def __init__(self, burst: int, interval_s: float) -> None:
        self.burst = burst
        self.interval_s = interval_s
        self.tat = 0.0

    def wait_s(self, now: float) -> float:
        """Seconds until one more event is allowed (0: allowed now)."""
        return max(0.0, self.tat - now - (self.burst - 1) * self.interval_s)

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval_s


class Throttle:
    """Failed attempts (wrong room codes, wrong tokens) per address group and in total.

    A group may fail ``burst`` times at once, then once per ``interval_s``: someone who
    mistyped waits at most ``interval_s`` for the next try, and a group behind one NAT is
    blocked no longer than that by one person's mistakes. The global bucket
    (``global_burst``, one per ``global_interval_s``; ``global_burst=0`` turns it off) caps
    the failures of all groups together, so rotating source addresses gains nothing.
    ``wait_s`` and ``fail`` are O(1); at most ``max_groups`` groups are remembered."""

    def __init__(
        self,
        burst: int,
        interval_s: float,
        *,
        global_burst: int = 0,
        global_interval_s: float = 1.0,
        max_groups: int = MAX_TRACKED_GROUPS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.interval_s = interval_s
        self.max_groups = max_groups
        self.clock = clock
        self._groups: OrderedDict[str, Bucket] = OrderedDict()
        self._global = Bucket(global_burst, global_interval_s) if global_burst > 0 else None

    def __len__(self) -> int:
        return len(self._groups)

    def wait_s(self, group: str) -> int:
        """Whole seconds this group must wait before its next attempt (0: may try now)."""
        now = self.clock()
        bucket = self._groups.get(group)
        wait = bucket.wait_s(now) if bucket is not None else 0.0
        if self._global is not None:
            wait = max(wait, self._global.wait_s(now))
        return math.ceil(wait) if wait > 1e-9 else 0  # not 1 s for a rounding error

    def fail(self, group: str) -> None:
        now = self.clock()
        bucket = self._groups.pop(group, None)
        if bucket is None:
            bucket = Bucket(self.burst, self.interval_s)
        bucket.take(now)
        self._groups[group] = bucket  # most recently failing last
        if self._global is not None:
            self._global.take(now)
        # forget groups whose bucket has refilled (oldest first: amortised O(1)), and
        # the oldest beyond the cap
        while self._groups:
            oldest, b = next(iter(self._groups.items()))
            if b.tat > now and len(self._groups) <= self.max_groups:
                break
            del self._groups[oldest]


class ConnectionGuard:
    """Open HTTP connections (idle, half-open or upgraded) per address group and in all.

    A connection beyond a cap is closed as soon as it is accepted, so one address cannot
    hold the file descriptors everyone else needs, and the process never runs out of them
    (which would make ``accept()`` fail for all)."""

    def __init__(self, per_group: int, total: int) -> None:
        self.per_group = per_group
        self.total = total
        self.open: dict[str, int] = {}
        self.count = 0
        self.refused = 0

    def admit(self, group: str) -> bool:
        n = self.open.get(group, 0)
        if n >= self.per_group or self.count >= self.total:
            self.refused += 1
            return False
        self.open[group] = n + 1
        self.count += 1
        return True

    def release(self, group: str) -> None:
        n = self.open.get(group, 0)
        if n <= 1:
            self.open.pop(group, None)
        else:
            self.open[group] = n - 1
        if n > 0:
            self.count -= 1


def fd_limit() -> int:
    """The process's soft limit on open files (a large number where it cannot be read)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1 << 20
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard limit; return the new soft limit."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, OSError, ValueError):
        pass
    return fd_limit()


FDS_PER_TEST = 16
"""File descriptors one reflector test may use (UDP sockets per local address, TURN, DTLS)."""
FDS_RESERVED = 64
"""File descriptors kept free for everything but HTTP connections (logs, imports, listeners)."""


def connection_budget(max_tests: int, limit: int | None = None) -> int:
    """How many HTTP connections may be open at once so that tests still find fds."""
    limit = fd_limit() if limit is None else limit
    return max(8, limit - FDS_RESERVED - FDS_PER_TEST * max_tests)


_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def _host_port(netloc: str, scheme: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    return host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def normalise_origin(origin: str) -> str:
    """``HTTPS://Clinic.example:443/`` → ``https://clinic.example``: for comparison."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def origin_allowed(origin: str | None, hosts: Sequence[str], allowed: frozenset[str]) -> bool:
    """May a request with this ``Origin`` header use the WebSockets?

    No ``Origin``: not a browser (sessioncheck's own clients), allowed. Otherwise the page
    must come from this server: the same host and port as one of ``hosts`` (the request's
    ``Host``, and ``X-Forwarded-Host`` from a reverse proxy, which a web page cannot set on a
    WebSocket), or from one of ``allowed`` (normalised with :func:`normalise_origin`).
    ``null`` (sandboxed frames, files) is refused."""
    if origin is None:
        return True
    if "*" in allowed:
        return True
    text = origin.strip()
    if not text or text == "null":
        return False
    if normalise_origin(text) in allowed:
        return True
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return False
    page = _host_port(parts.netloc, scheme)
    # behind a TLS-terminating proxy the request is plain HTTP while the page is https:
    # compare host and port, with the page's scheme giving the default port of both
    return page is not None and any(page == _host_port(h.strip(), scheme) for h in hosts if h.strip())


class AddressLabel:
    """What the log shows for a client: its address with ``--log-addresses``, otherwise a
    short pseudonym (the same within one run for one address group, so one client's lines can
    be followed, but not reversible without the per-run key)."""

    def __init__(self, show_addresses: bool) -> None:
        self.show_addresses = show_addresses
        self._key = secrets.token_bytes(16)

    def __call__(self, address: str | None) -> str:
        if self.show_addresses:
            return address or "?"
        digest = hashlib.blake2s(address_group(address).encode(), key=self._key, digest_size=3)
        return f"client-{digest.hexdigest()}"


_FD_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class LoopErrors:
    """An event-loop exception handler for ``serve``.

    asyncio reports every failed ``accept()`` with a traceback; with the fd table full that is
    once per attempt, megabytes a minute. Here it is one warning until a connection is accepted
    again. Other errors reported by the loop (often caused by what a client sent) are one line;
    the traceback is logged at debug level only."""

    def __init__(self) -> None:
        self.fd_full = False
        self.fd_full_reports = 0

    def accepted(self) -> None:
        """A connection was accepted: the next full fd table is news again."""
        if self.fd_full:
            self.fd_full = False
            logger.warning("accepting connections again")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _FD_ERRNOS and "accept" in str(context.get("message", "")):
            self.fd_full_reports += 1
            if not self.fd_full:
                self.fd_full = True
                logger.warning(
                    "out of file descriptors (%s, limit %d): new connections wait until others close",
                    exc.strerror or exc,
                    fd_limit(),
                )
            return
        message = context.get("message", "unexpected error")
        logger.warning("%s%s", message, f": {type(exc).__name__}: {exc}" if exc is not None else "")
        if exc is not None:
            logger.debug("details", exc_info=exc)
