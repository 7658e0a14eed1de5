"""How one ``sessioncheck serve`` is set up: its address, access token, ICE servers and limits.

Only settings live here (what ``serve``'s flags set); the timeouts of the protocols are module
constants beside the code that waits (:mod:`.reflector`, :mod:`.rooms`), so tests can shorten
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import IceServer

IDLE_TIMEOUT_S = 15.0
"""An HTTP connection that sends no complete request for this long is closed."""
MAX_HEADER_BYTES = 8190
"""Longest request line and header field (aiohttp's ``max_line_size``/``max_field_size``)."""
MAX_HEADERS = 64


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    ice_servers: tuple[IceServer, ...] = ()
    max_tests: int = 4
    """Tests that may run at once; the next client hears "busy, retry in N s"."""
    max_duration_s: float = 30.0
    """A test is ended after this long, whatever the client does."""
    max_message_bytes: int = 64 * 1024
    """Largest signalling message accepted (an SDP offer is a few kB)."""
    max_rooms: int = 100
    """Peer-test rooms that may wait for a client at once (see :mod:`.rooms`)."""
    room_ttl_s: float = 900.0
    """A peer-test code expires after this long when nobody joined (15 minutes)."""
    max_tests_per_address: int = 2
    """Reflector tests one address (IPv6: one /64) may run at once."""
    max_rooms_per_address: int = 10
    """Peer-test rooms one address (IPv6: one /64) may have waiting at once."""
    max_connections_per_address: int = 64
    """Open HTTP connections one address (IPv6: one /64) may have."""
    idle_timeout_s: float = IDLE_TIMEOUT_S
    """An HTTP connection without a complete request for this long is closed."""
    allowed_origins: tuple[str, ...] = ()
    """Web origins (``https://portal.example``) besides this server's own whose pages may use
    ``/ws`` and ``/room``; ``*`` allows any."""
    log_addresses: bool = False
    """Log clients' addresses (otherwise a per-run pseudonym)."""
