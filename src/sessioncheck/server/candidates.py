"""Which ICE candidates of a client's offer the reflector checks.

A reflector sends STUN connectivity checks (with retransmissions, from each of its own
addresses) to every candidate an offer lists, so an offer naming someone else's addresses
made it an amplifier (~6x the offer's bytes), and 10,000 candidates stalled the event loop
for seconds. The checks the reflector needs go only to addresses the client can have:

* the address its signalling connection comes from (its public address behind a NAT; for
  IPv6 any address in the same /64, which privacy addresses share),
* an address of one of the configured TURN servers (its relay candidates),
* an address on a network this server is directly attached to (a client on the same LAN),
* any address of this machine, when the client runs on this machine.

Everything else is dropped before aiortc sees the offer, and at most ``MAX_CANDIDATES``
remain. A client whose media leaves from another address still connects: its own checks
reach the reflector, which learns that address as a peer-reflexive candidate (RFC 8445
7.3.1.3) and answers only where a check came from.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..settings import IceServer

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 12
"""Remote candidates kept from one offer (a browser or aiortc offers 2 to 8)."""
MAX_MEDIA_SECTIONS = 8
"""``m=`` sections an offer may have (the path probe's offer has 1 to 3)."""
TURN_RESOLVE_TIMEOUT_S = 2.0
TURN_RESOLVE_TTL_S = 300.0
"""How long the TURN servers' resolved addresses are reused."""
LAN_MIN_PREFIX_V4 = 16
LAN_MIN_PREFIX_V6 = 48
"""Attached networks wider than this are not treated as "the same LAN"."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadOffer(ValueError):
    """An offer the reflector will not use; the message says why, for the client."""


def parse_ip(text: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _routable(ip: IPAddress) -> bool:
    return not (
        ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or ip.is_link_local
        or (isinstance(ip, ipaddress.IPv4Address) and ip == ipaddress.IPv4Address("255.255.255.255"))
    )


def local_addresses() -> tuple[set[IPAddress], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """This machine's addresses, and the networks of its non-loopback interfaces."""
    import psutil

    own: set[IPAddress] = set()
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = parse_ip(a.address)
            if ip is None:
                continue
            own.add(ip)
            if ip.is_loopback or ip.is_link_local or not a.netmask:
                continue
            try:
                net = ipaddress.ip_network(f"{ip}/{a.netmask}", strict=False)
            except ValueError:
                continue
            wide = LAN_MIN_PREFIX_V4 if net.version == 4 else LAN_MIN_PREFIX_V6
            if net.prefixlen >= wide:
                nets.append(net)
    return own, nets


@dataclass(frozen=True)
class CandidatePolicy:
    """The addresses one client's candidates may name (see the module's docstring)."""

    client: IPAddress | None
    turn: frozenset[IPAddress]
    own: frozenset[IPAddress]
    lans: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def allows(self, ip: IPAddress) -> bool:
        if not _routable(ip):
            return False
        client = self.client
        if client is not None:
            if ip == client:
                return True
            if (
                isinstance(ip, ipaddress.IPv6Address)
                and isinstance(client, ipaddress.IPv6Address)
                and ipaddress.IPv6Network((client, 64), strict=False) == ipaddress.IPv6Network((ip, 64), strict=False)
            ):
                return True
            if (client.is_loopback or client in self.own) and ip in self.own:
                return True  # the client runs on this machine
        if ip in self.turn:
            return True
        return not ip.is_loopback and any(ip in net for net in self.lans)


def filter_offer(sdp: str, policy: CandidatePolicy, limit: int = MAX_CANDIDATES) -> tuple[str, int, int]:
    """The offer with only the candidates ``policy`` allows, at most ``limit`` of them:
    (sdp, kept, dropped). Raises :class:`BadOffer` for an offer with too many media
    sections."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    sections = sum(1 for line in lines if line.startswith("m="))
    if sections > MAX_MEDIA_SECTIONS:
        raise BadOffer(f"the offer has {sections} media sections; at most {MAX_MEDIA_SECTIONS} are used")
    out: list[str] = []
    kept = dropped = 0
    for line in lines:
        if line.startswith("a=candidate:"):
            if kept < limit and _candidate_ok(line, policy):
                kept += 1
                out.append(line)
            else:
                dropped += 1
            continue
        out.append(line)
    return "\r\n".join(out), kept, dropped


def _candidate_ok(line: str, policy: CandidatePolicy) -> bool:
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    fields = line[len("a=candidate:") :].split()
    if len(fields) < 8 or fields[6] != "typ":
        return False
    component, transport, address, port = fields[1], fields[2].lower(), fields[4], fields[5]
    if component not in ("1", "2") or transport not in ("udp", "tcp"):
        return False
    if not port.isdigit() or not 0 < int(port) < 65536:
        return False
    if fields[7] not in ("host", "srflx", "prflx", "relay"):
        return False
    ip = parse_ip(address)  # names (mDNS ".local") are not resolved on a client's word
    return ip is not None and policy.allows(ip)


def _turn_hosts(servers: Iterable[IceServer]) -> set[str]:
    hosts: set[str] = set()
    for server in servers:
        for url in server.urls:
            # turn:host:port?transport=udp, turns:[v6]:443
            rest = url.split(":", 1)[1] if ":" in url else url
            try:
                host = urlsplit(f"//{rest.split('?', 1)[0]}").hostname
            except ValueError:
                continue
            if host and url.lower().startswith(("turn:", "turns:")):
                hosts.add(host)
    return hosts


class TurnAddresses:
    """The configured TURN servers' addresses, resolved now and then (not once per offer)."""

    def __init__(self, servers: Iterable[IceServer]) -> None:
        self.hosts = _turn_hosts(servers)
        self._cache: frozenset[IPAddress] = frozenset()
        self._at = -TURN_RESOLVE_TTL_S

    async def get(self) -> frozenset[IPAddress]:
        if not self.hosts or time.monotonic() - self._at < TURN_RESOLVE_TTL_S:
            return self._cache
        loop = asyncio.get_running_loop()
        found: set[IPAddress] = set()
        for host in self.hosts:
            literal = parse_ip(host)
            if literal is not None:
                found.add(literal)
                continue
            try:
                async with asyncio.timeout(TURN_RESOLVE_TIMEOUT_S):
                    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
            except (OSError, TimeoutError) as e:
                logger.info("cannot resolve TURN server %s: %s", host, e)
                continue
            for info in infos:
                ip = parse_ip(str(info[4][0]))
                if ip is not None:
                    found.add(ip)
        self._cache = frozenset(found)
        self._at = time.monotonic()
        return self._cache
