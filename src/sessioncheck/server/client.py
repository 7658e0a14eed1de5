"""The client side of the check server's signalling (see :mod:`sessioncheck.server.app`).

Every way it can go wrong is a small exception whose ``outcome`` names it
(``bad_url``, ``server_unreachable``, ``auth_failed``, ``busy``, ``protocol_error``), so a
probe records a fact and the advice rules can explain it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from ..errors import SessioncheckError
from ..settings import IceServer, SettingsError, parse_ice_servers

CONNECT_TIMEOUT_S = 5.0


class SignallingError(SessioncheckError):

    title_key = "error.title.server"
    outcome = "protocol_error"

    def __init__(self, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = retry_after_s


class BadServerUrl(SignallingError):
    outcome = "bad_url"


class ServerUnreachable(SignallingError):
    outcome = "server_unreachable"


class AuthFailed(SignallingError):
    outcome = "auth_failed"


class ServerBusy(SignallingError):
    outcome = "busy"


def normalise_url(url: str) -> str:
    """``ws://``/``wss://`` (``http(s)://`` accepted) with ``/ws`` as the default path."""
    text = url.strip()
    if "://" not in text:
        raise BadServerUrl(f"{url!r} is not a server address; it should look like wss://HOST:PORT")
    try:
        parts = urlsplit(text)
    except ValueError as e:
        raise BadServerUrl(f"{url!r}: {e}") from None
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("ws", "wss"):
        raise BadServerUrl(f"{url!r}: the address must start with ws:// or wss://")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as e:
        raise BadServerUrl(f"{url!r}: {e}") from None
    if not host:
        raise BadServerUrl(f"{url!r} has no host name")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


@dataclass
class Welcome:
    max_duration_s: float
    ice_servers: tuple[IceServer, ...]
    negotiated_channels: bool = False
    """The server creates the measurement channels from an offer's ``negotiated_id``."""


class Signalling:
    """One open signalling WebSocket to a check server."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.ws = ws
        self.closed = asyncio.Event()

    @classmethod
    async def connect(
        cls, url: str, token: str | None, *, ca_file: str | None = None, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> tuple[Signalling, Welcome]:
        target = normalise_url(url)
        ssl_ctx: ssl.SSLContext | bool = True
        if target.startswith("wss") and ca_file:
            ssl_ctx = ssl.create_default_context(cafile=ca_file)
        session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(timeout_s):
                ws = await session.ws_connect(target, ssl=ssl_ctx, max_msg_size=1024 * 1024, heartbeat=5.0)
        except TimeoutError:
            await session.close()
            raise ServerUnreachable(f"no answer from {target} within {timeout_s:g} s") from None
        except aiohttp.WSServerHandshakeError as e:
            await session.close()
            raise ServerUnreachable(
                f"{target} answered HTTP {e.status}, not a sessioncheck check server"
            ) from None
        except aiohttp.ClientConnectorCertificateError as e:
            await session.close()
            raise ServerUnreachable(f"the certificate of {target} was not accepted: {e.certificate_error}") from None
        except (aiohttp.ClientError, OSError) as e:
            await session.close()
            raise ServerUnreachable(f"cannot connect to {target}: {e}") from None
        sig = cls(session, ws)
        try:
            await ws.send_json({"type": "hello", "version": 1, "token": token})
            reply = await sig.receive(timeout_s)
        except BaseException:
            await sig.close()
            raise
        if reply.get("type") == "error":
            await sig.close()
            raise _refusal(reply)
        if reply.get("type") != "welcome":
            await sig.close()
            raise SignallingError(f"unexpected reply to hello: {reply.get('type')!r}")
        try:
            ice = parse_ice_servers(reply.get("ice_servers") or [], "server's ice_servers")
        except SettingsError:
            ice = ()
        return sig, Welcome(float(reply.get("max_duration_s") or 30.0), ice,
                            reply.get("negotiated_channels") is True)

    async def receive(self, timeout_s: float) -> dict[str, Any]:
        try:
            async with asyncio.timeout(timeout_s):
                msg = await self.ws.receive()
        except TimeoutError:
            raise SignallingError(f"the server sent nothing for {timeout_s:g} s") from None
        if msg.type is aiohttp.WSMsgType.TEXT:
            try:
                data = msg.json()
            except ValueError:
                raise SignallingError("the server sent something that is not JSON") from None
            if isinstance(data, dict):
                return data
            raise SignallingError("the server sent something that is not a JSON object")
        self.closed.set()
        raise ServerUnreachable("the server closed the connection")

    async def exchange(self, offer_sdp: str, timeout_s: float, negotiated_id: int | None = None) -> str:
        """Send the offer and return the answer's SDP. ``negotiated_id``: the measurer's
        channels are negotiated out of band from this SCTP stream id (the reflector creates
        its ends; see :func:`sessioncheck.rtc.protocols.create_channels`)."""
        offer: dict[str, Any] = {"type": "offer", "sdp": offer_sdp}
        if negotiated_id is not None:
            offer["negotiated_id"] = negotiated_id
        await self.ws.send_json(offer)
        reply = await self.receive(timeout_s)
        if reply.get("type") == "error":
            raise _refusal(reply)
        sdp = reply.get("sdp")
        if reply.get("type") != "answer" or not isinstance(sdp, str):
            raise SignallingError(f"expected an answer, got {reply.get('type')!r}")
        return sdp

    async def watch(self) -> str:
        """Wait until the server ends the test or the socket closes; return why."""
        while True:
            msg = await self.ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                with contextlib.suppress(ValueError):
                    data = msg.json()
                    if isinstance(data, dict) and data.get("type") in ("bye", "error"):
                        self.closed.set()
                        return str(data.get("reason") or data.get("message") or "the server ended the test")
                continue
            self.closed.set()
            return "the server closed the signalling connection"

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if not self.ws.closed:
                await self.ws.send_json({"type": "bye"})
            await self.ws.close()
        with contextlib.suppress(Exception):
            await self.session.close()


def _refusal(reply: dict[str, Any]) -> SignallingError:
    code = reply.get("code")
    message = str(reply.get("message") or code or "refused")
    if code == "auth_failed":
        return AuthFailed(message)
    if code == "busy":
        retry = reply.get("retry_after_s")
        return ServerBusy(message, float(retry) if isinstance(retry, int | float) else None)
    return SignallingError(f"the server refused: {message}")
