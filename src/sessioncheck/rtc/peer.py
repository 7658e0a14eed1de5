"""Peer factory and connection helpers on top of aiortc.

Always passes ``iceServers`` explicitly: ``RTCConfiguration()`` without it silently adds
a public STUN server, which stalls connecting by seconds when that server is blocked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..settings import IceServer
from .aiortc_private import nominated_pair, set_sctp_timers

if TYPE_CHECKING:
    from aiortc import RTCDataChannel, RTCPeerConnection

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
"""Default limit for ICE + DTLS + SCTP to come up."""
SCTP_RTO_INITIAL_S = 0.5
"""SCTP's retransmission timeout before a round trip is measured: browsers' SCTP (dcSCTP)
uses 0.5 s, aiortc RFC 4960's 3 s. aiortc times INIT, COOKIE-ECHO, the data-channel open
messages and each side's first data with it, so one of these lost cost 3 s (the channels
of a 3 %-loss link took 3.3 s to open; at 1 s, a lost first answer of the reflector still
cost a second). dcSCTP waits 1 s for INIT and COOKIE-ECHO, but aiortc has one timer: on a
path slower than 0.5 s they are sent twice, which both ends take in their stride (a
repeated INIT is answered again before any data flows, a repeated COOKIE-ECHO is
acknowledged again)."""
SCTP_RTO_MIN_S = 0.4
"""The least retransmission timeout once round trips are measured (aiortc: 1 s, dcSCTP:
0.4 s). Every control request of a measurement waits for its answer, so each one lost on
a 3 % loss link cost a whole second; aiortc acknowledges every packet at once (no delayed
acknowledgement for a short timeout to race)."""


def preload_aiortc() -> None:
    """Import aiortc, PyAV and the measurement protocols (about 0.4 s of CPU): from a
    thread while waiting on the network, or when a server starts, so that no test waits
    for it."""
    import aiortc  # noqa: F401

    from .measure import measurer, responder  # noqa: F401


class PeerConnectError(Exception):
    """Two peers could not connect; the message says how far they got."""


def make_peer(ice_servers: Sequence[IceServer] = ()) -> RTCPeerConnection:
    """An ``RTCPeerConnection`` using exactly ``ice_servers`` (none: host candidates only)."""
    from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

    set_sctp_timers(SCTP_RTO_INITIAL_S, SCTP_RTO_MIN_S)  # module settings: every peer we make
    servers = [RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential) for s in ice_servers]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


async def wait_connected(pc: RTCPeerConnection, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Wait until ``pc.connectionState`` is ``connected``; raise on failure or timeout."""
    if pc.connectionState == "connected":
        return
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_change() -> None:
        state = pc.connectionState
        logger.debug("peer connection state: %s", state)
        if state in ("connected", "failed", "closed") and not done.done():
            done.set_result(state)

    pc.on("connectionstatechange", on_change)
    try:
        async with asyncio.timeout(timeout_s):
            state = await done
    except TimeoutError:
        raise PeerConnectError(
            f"no connection after {timeout_s:g} s (ICE state {pc.iceConnectionState}, gathering {pc.iceGatheringState})"
        ) from None
    finally:
        pc.remove_listener("connectionstatechange", on_change)
    if state != "connected":
        raise PeerConnectError(f"connection {state} (ICE state {pc.iceConnectionState})")


async def wait_open(channel: RTCDataChannel, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Wait until a data channel is open."""
    if channel.readyState == "open":
        return
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_open() -> None:
        if not opened.done():
            opened.set_result(None)

    channel.on("open", on_open)
    try:
        async with asyncio.timeout(timeout_s):
            await opened
    except TimeoutError:
        raise PeerConnectError(f"data channel {channel.label!r} did not open in {timeout_s:g} s") from None


async def negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    """Offer/answer between two peers in this process (candidates are gathered in full)."""
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


@dataclass(frozen=True)
class SelectedPair:
    """The candidate pair ICE nominated (aiortc has no candidate-pair stats)."""

    local_type: str
    """``host``, ``srflx``, ``prflx`` or ``relay``."""
    remote_type: str
    transport: str
    """``udp`` or ``tcp``: the transport of the local candidate."""
    local_address: str
    remote_address: str


def selected_pair(pc: RTCPeerConnection) -> SelectedPair | None:
    """Read the nominated pair from aioice's connection behind the peer's SCTP transport."""
    try:
        pair = nominated_pair(pc)
        if pair is None:
            return None
        local, remote = pair
        return SelectedPair(
            local_type=local.type,
            remote_type=remote.type,
            transport=local.transport.lower(),
            local_address=f"{local.host}:{local.port}",
            remote_address=f"{remote.host}:{remote.port}",
        )
    except AttributeError:  # aiortc/aioice internals changed: report nothing rather than break
        logger.debug("cannot read the selected candidate pair", exc_info=True)
        return None


async def close_all(*pcs: RTCPeerConnection) -> None:
    """Close peers, never raising (closing is best effort and must not hide results)."""
    for pc in pcs:
        try:
            async with asyncio.timeout(3):
                await pc.close()
        except Exception:
            logger.debug("closing a peer failed", exc_info=True)


def monotonic_ms() -> float:
    return time.monotonic() * 1000.0
