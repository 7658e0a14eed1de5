"""``ice``: can this computer reach the STUN/TURN servers a call needs?

Every configured ICE server URL is turned into checks, and all checks run in parallel
against the servers directly with aioice (aiortc hides the cause: with a wrong TURN
password it gathers nothing and waits forever):

=================================  ==========================================================
URL                                checks
=================================  ==========================================================
``stun:host[:port]``               STUN Binding over UDP
``stuns:host[:port]``              STUN Binding over TLS (TCP)
``turn:host[:port]``               STUN Binding over UDP, TURN Allocate over UDP and over TCP
``turn:...?transport=udp``         STUN Binding over UDP, TURN Allocate over UDP
``turn:...?transport=tcp``         TURN Allocate over TCP
``turns:host[:port]``              TURN Allocate over TLS (TCP)
=================================  ==========================================================

TURN servers answer Binding requests, so a ``turn:`` URL that allows UDP also yields a
reflexive address and round-trip time. Identical checks (same kind, transport, host, port
and user) run once. With no servers configured, ``settings.PUBLIC_STUN_SERVERS`` are used.

Host names are resolved here, with their own timeout, so a DNS failure is told apart from
a server that does not answer. The lookup runs in a daemon thread rather than the loop's
executor: a resolver that hangs must not hold up the program's exit. IPv4 addresses are
preferred when a name has both.

Every check ends by :data:`DEADLINE_S` after the probe started, whatever the servers do;
successful TURN allocations are then deleted (at most :data:`CLEANUP_S` more), so the
whole probe stays under 3 seconds. Sockets and transports are always closed.

Measurement keys (``<i>`` numbers the checks from 1, in the order of the servers and
their URLs):

* ``ice.check<i>.kind`` — ``stun`` (Binding) or ``turn`` (Allocate)
* ``ice.check<i>.url`` — the URL as configured
* ``ice.check<i>.host``, ``ice.check<i>.port`` — from the URL
* ``ice.check<i>.transport`` — ``udp``, ``tcp`` or ``tls``
* ``ice.check<i>.username`` — TURN user name (never the credential)
* ``ice.check<i>.outcome`` — one of :data:`OUTCOMES`:
  ``ok``; ``dns_failed`` (name not found, or the resolver did not answer in time);
  ``timeout`` (no answer by the deadline); ``unreachable`` (no route to the network or
  host); ``refused`` (TCP connection refused, or ICMP port unreachable over UDP);
  ``tls_rejected`` (the server's certificate was not trusted); ``auth_failed`` (TURN
  401 after authenticating); ``quota`` (TURN 486 Allocation Quota Reached or 508
  Insufficient Capacity); ``error`` (any other error answer or broken exchange).
* ``ice.check<i>.detail`` — what happened, for support (failures only)
* ``ice.check<i>.code``, ``ice.check<i>.reason`` — the STUN/TURN error code and reason,
  when the server answered with an error
* ``ice.check<i>.elapsed_ms`` — time from the start of the probe to the outcome
* ``ice.check<i>.rtt_ms`` — STUN checks: median Binding round trip (samples: every one)
* ``ice.check<i>.reflexive`` — ``ip:port`` the server saw us as (Binding, or the TURN
  mapped address)
* ``ice.check<i>.connect_ms`` — TCP/TLS checks: time to connect (and handshake)
* ``ice.check<i>.allocate_ms`` — TURN checks: time for the Allocate (with its
  authentication round trip)
* ``ice.check<i>.relayed`` — TURN checks: the relayed ``ip:port`` the server allocated

Summary: ``ice.defaults_used`` (true when the public STUN servers were used),
``ice.checks`` (count), ``ice.ok`` (count of ``ok`` outcomes), ``ice.timeout_s`` (the
deadline), ``ice.best_rtt_ms`` (lowest STUN median round trip, when any succeeded).

Live samples: ``check<i>.rtt_ms`` for every Binding round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
import ssl
import statistics
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from aioice import stun
from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol

from ..settings import PUBLIC_STUN_SERVERS, IceServer, Settings
from .base import Probe, ProbeContext

DEADLINE_S = 2.5
"""Every check has an outcome this long after the probe started."""
DNS_TIMEOUT_S = 1.5
"""How long a host name lookup may take (within the deadline)."""
CLEANUP_S = 0.3
"""How long deleting a successful TURN allocation may take after its check."""
CLOSE_WAIT_S = 0.2
"""How long to wait for a closed socket to be released."""
STUN_PINGS = 3
"""Binding requests per STUN check (the first must succeed; later ones add RTT samples)."""
EXTRA_PING_TIMEOUT_S = 0.5
"""How long each additional Binding request may take."""
ALLOCATION_LIFETIME_S = 60
"""Lifetime asked for the test allocation, should its deletion not get through."""

OUTCOMES = (
    "ok",
    "dns_failed",
    "timeout",
    "unreachable",
    "refused",
    "tls_rejected",
    "auth_failed",
    "quota",
    "error",
)
QUOTA_CODES = (486, 508)
_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}

T = TypeVar("T")


@dataclass(frozen=True)
class IceCheck:
    """One thing to try against one server."""

    kind: str
    """``stun`` (Binding) or ``turn`` (Allocate)."""
    url: str
    host: str
    port: int
    transport: str
    """``udp``, ``tcp`` or ``tls``."""
    username: str | None = None
    credential: str | None = None


@dataclass
class CheckResult:
    outcome: str = "ok"
    detail: str | None = None
    code: int | None = None
    reason: str | None = None
    rtts_ms: list[float] = field(default_factory=list)
    reflexive: str | None = None
    relayed: str | None = None
    connect_ms: float | None = None
    allocate_ms: float | None = None


class _Failed(Exception):
    """A check ended with a known outcome other than ``ok``."""

    def __init__(self, outcome: str, detail: str, code: int | None = None, reason: str | None = None):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.code = code
        self.reason = reason


def plan_checks(servers: tuple[IceServer, ...]) -> tuple[list[IceCheck], bool]:
    """The checks for these servers (public STUN servers when there are none), and whether
    the public defaults were used."""
    defaults = not servers
    if defaults:
        servers = tuple(IceServer(urls=(u,)) for u in PUBLIC_STUN_SERVERS)
    checks: list[IceCheck] = []
    for server in servers:
        for url in server.parsed():
            explicit_transport = "?transport=" in url.url.lower()
            user, cred = server.username, server.credential
            if url.scheme == "stun":
                planned = [IceCheck("stun", url.url, url.host, url.port, "udp")]
            elif url.scheme == "stuns":
                planned = [IceCheck("stun", url.url, url.host, url.port, "tls")]
            elif url.scheme == "turns":
                planned = [IceCheck("turn", url.url, url.host, url.port, "tls", user, cred)]
            else:
                transports = [url.transport] if explicit_transport else ["udp", "tcp"]
                planned = []
                if "udp" in transports:
                    planned.append(IceCheck("stun", url.url, url.host, url.port, "udp"))
                planned += [IceCheck("turn", url.url, url.host, url.port, t, user, cred) for t in transports]
            for c in planned:
                if not any(_same(c, d) for d in checks):
                    checks.append(c)
    return checks, defaults


def _same(a: IceCheck, b: IceCheck) -> bool:
    return (a.kind, a.host, a.port, a.transport, a.username, a.credential) == (
        b.kind,
        b.host,
        b.port,
        b.transport,
        b.username,
        b.credential,
    )


# --- aioice protocols that report transport failures instead of retrying until timeout -----


class _UdpClient(TurnClientUdpProtocol):
    """TURN/STUN over UDP; an ICMP error (port unreachable) fails ``failed`` at once."""

    def __init__(self, server: tuple[str, int], username: str | None, password: str | None) -> None:
        super().__init__(
            server,
            username=username,
            password=password,
            lifetime=ALLOCATION_LIFETIME_S,
            channel_refresh_time=ALLOCATION_LIFETIME_S,
        )
        self.failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def error_received(self, exc: Exception) -> None:
        if not self.failed.done():
            self.failed.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.lost.done():
            self.lost.set_result(None)


class _TcpClient(TurnClientTcpProtocol):
    """TURN/STUN over TCP or TLS; the server closing the connection fails ``failed``."""

    def __init__(self, server: tuple[str, int], username: str | None, password: str | None) -> None:
        super().__init__(
            server,
            username=username,
            password=password,
            lifetime=ALLOCATION_LIFETIME_S,
            channel_refresh_time=ALLOCATION_LIFETIME_S,
        )
        self.failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.failed.done():
            self.failed.set_exception(exc or ConnectionResetError("the server closed the connection"))
        if not self.lost.done():
            self.lost.set_result(None)


_Client = _UdpClient | _TcpClient
_Transport = asyncio.Transport | asyncio.DatagramTransport


async def _shut(transport: _Transport, proto: _Client) -> None:
    """Close at once (no TLS goodbye: nothing is pending) and wait until the socket is gone,
    so no transport outlives the probe, even when the event loop ends right after it."""
    transport.abort()
    if not proto.lost.done():
        await asyncio.wait({proto.lost}, timeout=CLOSE_WAIT_S)
    _settle(proto.failed)


async def _unless_failed(aw: Awaitable[T], failed: asyncio.Future[None]) -> T:
    """Await ``aw``, but raise at once if the transport fails first."""
    task = asyncio.ensure_future(aw)
    try:
        waiting: set[asyncio.Future[object]] = {task, failed}  # type: ignore[arg-type]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        failed.result()  # raises the transport's error
        raise ConnectionError("the connection failed")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _address(value: object) -> str | None:
    if isinstance(value, tuple) and len(value) >= 2:
        host, port = value[0], value[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return None


# --- name lookup ---------------------------------------------------------------------------


class _Resolver:
    """Looks each host up once, in a daemon thread, so a hung resolver never blocks exit."""

    def __init__(self) -> None:
        self._lookups: dict[str, asyncio.Future[str]] = {}

    def _start(self, host: str) -> asyncio.Future[str]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[str] = loop.create_future()
        try:
            fut.set_result(str(ipaddress.ip_address(host)))
            return fut
        except ValueError:
            pass

        def deliver(result: str | None, error: BaseException | None) -> None:
            if fut.done():
                return
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(result or "")

        def work() -> None:
            result: str | None = None
            error: BaseException | None = None
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
                v4 = [i for i in infos if i[0] == socket.AF_INET]
                result = str((v4 or infos)[0][4][0])
            except (OSError, UnicodeError, IndexError) as e:
                error = e
            with contextlib.suppress(RuntimeError):  # the loop may be gone: nobody waits
                loop.call_soon_threadsafe(deliver, result, error)

        threading.Thread(target=work, name=f"sessioncheck-dns-{host}", daemon=True).start()
        return fut

    async def resolve(self, host: str, deadline: float) -> str:
        fut = self._lookups.get(host)
        if fut is None:
            fut = self._lookups[host] = self._start(host)
        loop = asyncio.get_running_loop()
        wait = min(DNS_TIMEOUT_S, deadline - loop.time())
        if not fut.done() and wait > 0:
            await asyncio.wait({fut}, timeout=wait)
        if not fut.done():
            raise _Failed("dns_failed", f"looking up {host} got no answer within {DNS_TIMEOUT_S:g} s")
        error = fut.exception()
        if error is not None:
            raise _Failed("dns_failed", f"looking up {host} failed: {_describe(error)}")
        return fut.result()

    def close(self) -> None:
        for fut in self._lookups.values():
            if not fut.done():
                fut.cancel()
            elif not fut.cancelled():
                fut.exception()  # mark as retrieved


# --- the probe -----------------------------------------------------------------------------


class IceProbe(Probe):
    id: ClassVar[str] = "ice"
    timeout_s: ClassVar[float] = 4.0

    async def run(self, ctx: ProbeContext) -> None:
        checks, defaults = plan_checks(ctx.settings.ice_servers)
        ctx.record("ice.defaults_used", defaults)
        ctx.record("ice.checks", len(checks), "count")
        ctx.record("ice.timeout_s", DEADLINE_S, "s")
        ctx.record("ice.ok", 0, "count")
        for i, c in enumerate(checks, 1):
            p = f"ice.check{i}."
            ctx.record(p + "kind", c.kind)
            ctx.record(p + "url", c.url)
            ctx.record(p + "host", c.host)
            ctx.record(p + "port", c.port)
            ctx.record(p + "transport", c.transport)
            if c.kind == "turn":
                ctx.record(p + "username", c.username)
        ctx.progress(0.0, "trying", checks=len(checks))

        loop = asyncio.get_running_loop()
        started = loop.time()
        runner = _CheckRunner(ctx.settings, started + DEADLINE_S)
        if any(c.transport == "tls" for c in checks):
            runner.prepare_tls()  # loading the certificate store blocks: not inside any timing
        state = {"done": 0, "ok": 0}
        best: list[float] = []

        async def one(i: int, check: IceCheck) -> None:
            def on_rtt(ms: float) -> None:
                ctx.sample(f"check{i}.rtt_ms", ms, "ms")

            result = await runner.run(check, on_rtt)
            p = f"ice.check{i}."
            ctx.record(p + "outcome", result.outcome)
            ctx.record(p + "elapsed_ms", round((loop.time() - started) * 1000, 1), "ms")
            if result.detail is not None:
                ctx.record(p + "detail", result.detail)
            if result.code is not None:
                ctx.record(p + "code", result.code)
                ctx.record(p + "reason", result.reason or "")
            if result.rtts_ms:
                median = round(statistics.median(result.rtts_ms), 2)
                ctx.record(p + "rtt_ms", median, "ms", samples=result.rtts_ms)
                best.append(median)
                ctx.record("ice.best_rtt_ms", min(best), "ms")
            if result.reflexive is not None:
                ctx.record(p + "reflexive", result.reflexive)
            if result.relayed is not None:
                ctx.record(p + "relayed", result.relayed)
            if result.connect_ms is not None:
                ctx.record(p + "connect_ms", result.connect_ms, "ms")
            if result.allocate_ms is not None:
                ctx.record(p + "allocate_ms", result.allocate_ms, "ms")
            state["done"] += 1
            if result.outcome == "ok":
                state["ok"] += 1
                ctx.record("ice.ok", state["ok"], "count")
            ctx.progress(
                state["done"] / len(checks), "check", url=check.url, transport=check.transport, outcome=result.outcome
            )

        try:
            await asyncio.gather(*(one(i, c) for i, c in enumerate(checks, 1)))
        finally:
            runner.close()


class _CheckRunner:
    """Runs single checks against a shared deadline, name cache and TLS context."""

    def __init__(self, settings: Settings, deadline: float) -> None:
        self.settings = settings
        self.deadline = deadline
        """Loop time by which every check has an outcome."""
        self.resolver = _Resolver()
        self._ssl: ssl.SSLContext | _Failed | None = None

    def close(self) -> None:
        self.resolver.close()

    def prepare_tls(self) -> None:
        """Build the TLS context: the system's certificate store plus ``settings.ca_file``."""
        if self._ssl is not None:
            return
        context = ssl.create_default_context()
        if self.settings.ca_file:
            try:
                context.load_verify_locations(cafile=self.settings.ca_file)
            except (OSError, ssl.SSLError) as e:
                self._ssl = _Failed("error", f"cannot use the CA file {self.settings.ca_file}: {_describe(e)}")
                return
        self._ssl = context

    def ssl_context(self) -> ssl.SSLContext:
        self.prepare_tls()
        if isinstance(self._ssl, _Failed):
            raise _Failed(self._ssl.outcome, self._ssl.detail)
        assert self._ssl is not None
        return self._ssl

    async def run(self, check: IceCheck, on_rtt: Callable[[float], None]) -> CheckResult:
        result = CheckResult()
        cleanups: list[Callable[[], Awaitable[None]]] = []
        try:
            try:
                async with asyncio.timeout_at(self.deadline):
                    ip = await self.resolver.resolve(check.host, self.deadline)
                    if check.kind == "stun":
                        await self._stun(check, (ip, check.port), result, on_rtt, cleanups)
                    else:
                        await self._turn(check, (ip, check.port), result, cleanups)
            except TimeoutError:
                hint = " (UDP may be blocked)" if check.transport == "udp" else ""
                raise _Failed("timeout", f"no answer within {DEADLINE_S:g} s{hint}") from None
        except _Failed as f:
            result.outcome, result.detail = f.outcome, f.detail
            result.code, result.reason = f.code, f.reason
        except (stun.TransactionError, OSError, ConnectionError, EOFError) as e:
            classified = _classify(e, check)
            result.outcome, result.detail = classified.outcome, classified.detail
            result.code, result.reason = classified.code, classified.reason
        finally:
            # Outside the deadline: a finished allocation is given back even at the last moment.
            for cleanup in cleanups:
                await cleanup()
        return result

    async def _open(self, check: IceCheck, addr: tuple[str, int]) -> tuple[_Transport, _Client]:
        loop = asyncio.get_running_loop()
        user, cred = (check.username, check.credential) if check.kind == "turn" else (None, None)
        if check.transport == "udp":
            udp_transport, udp_proto = await loop.create_datagram_endpoint(
                lambda: _UdpClient(addr, user, cred), remote_addr=addr
            )
            return udp_transport, udp_proto
        tls = check.transport == "tls"
        context = self.ssl_context() if tls else None
        tcp_transport, tcp_proto = await loop.create_connection(
            lambda: _TcpClient(addr, user, cred),
            host=addr[0],
            port=addr[1],
            ssl=context,
            server_hostname=check.host if tls else None,
        )
        return tcp_transport, tcp_proto

    async def _stun(
        self,
        check: IceCheck,
        addr: tuple[str, int],
        result: CheckResult,
        on_rtt: Callable[[float], None],
        cleanups: list[Callable[[], Awaitable[None]]],
    ) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        transport, proto = await self._open(check, addr)
        cleanups.append(lambda: _shut(transport, proto))
        if check.transport != "udp":
            result.connect_ms = _ms(loop.time() - t0)
        for n in range(STUN_PINGS):
            request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
            sent = loop.time()
            if n == 0:
                response, _ = await _unless_failed(proto.request(request), proto.failed)
            else:
                # Extra samples only while time is left; they never turn an ok into a timeout.
                until = min(self.deadline - 0.1, sent + EXTRA_PING_TIMEOUT_S)
                if until - sent < 0.05:
                    break
                try:
                    async with asyncio.timeout_at(until):
                        response, _ = await _unless_failed(proto.request(request), proto.failed)
                except (TimeoutError, stun.TransactionError, OSError):
                    break
            rtt = _ms(loop.time() - sent)
            result.rtts_ms.append(rtt)
            on_rtt(rtt)
            mapped = response.attributes.get("XOR-MAPPED-ADDRESS") or response.attributes.get("MAPPED-ADDRESS")
            result.reflexive = _address(mapped) or result.reflexive

    async def _turn(
        self,
        check: IceCheck,
        addr: tuple[str, int],
        result: CheckResult,
        cleanups: list[Callable[[], Awaitable[None]]],
    ) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        transport, proto = await self._open(check, addr)

        async def cleanup() -> None:
            if proto.refresh_task is not None:
                proto.refresh_task.cancel()
            if proto.relayed_address is not None and not transport.is_closing():
                # Give the allocation back now rather than let it expire on the server.
                with contextlib.suppress(TimeoutError, stun.TransactionError, OSError):
                    async with asyncio.timeout(CLEANUP_S):
                        await proto.delete()
            await _shut(transport, proto)

        cleanups.append(cleanup)
        if check.transport != "udp":
            result.connect_ms = _ms(loop.time() - t0)
        t1 = loop.time()
        relayed = await _unless_failed(proto.connect(), proto.failed)
        result.allocate_ms = _ms(loop.time() - t1)
        result.relayed = _address(relayed)
        result.reflexive = _address(proto.mapped_address)


def _settle(fut: asyncio.Future[None]) -> None:
    """Finish a failure future without 'exception never retrieved' warnings."""
    if not fut.done():
        fut.cancel()
    elif not fut.cancelled():
        fut.exception()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _describe(e: BaseException) -> str:
    if isinstance(e, socket.gaierror):
        return e.strerror or str(e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__


def _classify(e: BaseException, check: IceCheck) -> _Failed:
    """Turn an exception from aioice or the socket layer into an outcome."""
    if isinstance(e, stun.TransactionFailed):
        code, reason = e.response.attributes.get("ERROR-CODE", (0, ""))
        if code == 401:
            outcome = "auth_failed"
        elif code in QUOTA_CODES:
            outcome = "quota"
        else:
            outcome = "error"
        return _Failed(outcome, f"the server answered {code} {reason}".rstrip(), code, reason)
    if isinstance(e, stun.TransactionTimeout):
        return _Failed("timeout", "no answer after all retransmissions")
    if isinstance(e, ssl.SSLCertVerificationError):
        return _Failed("tls_rejected", f"certificate not trusted: {e.verify_message or e.reason}")
    if isinstance(e, ssl.SSLError):
        return _Failed("error", f"TLS handshake failed: {e.reason or e}")
    if isinstance(e, ConnectionRefusedError):
        what = "port unreachable (nothing listening)" if check.transport == "udp" else ("connection refused")
        return _Failed("refused", f"{what} on port {check.port}")
    if isinstance(e, OSError) and e.errno in _UNREACHABLE_ERRNOS:
        return _Failed("unreachable", _describe(e))
    return _Failed("error", _describe(e))
