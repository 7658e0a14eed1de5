"""The client side of the room protocol (see :mod:`sessioncheck.server.rooms`).

A reader task takes every message off the WebSocket as it arrives: relayed messages go to
an inbox, and the messages that end a test (``peer_left``, ``bye``, ``error``, the socket
closing) settle :attr:`RoomClient.ended` at once, so whatever the session is waiting for
stops immediately with the reason instead of waiting for its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from ..server.client import BadServerUrl, ServerUnreachable, SignallingError, normalise_url
from ..settings import IceServer, SettingsError, parse_ice_servers

CONNECT_TIMEOUT_S = 5.0
REPLY_TIMEOUT_S = 5.0


class RoomRefused(SignallingError):
    """The server refused: ``outcome`` is its error code (``bad_code``, ``expired``, ``used``,
    ``rate_limited``, ``auth_failed``, ``busy``, ``bad_message``, ``timeout``, ``version``)."""

    def __init__(self, code: str, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail, retry_after_s)
        self.outcome = code


class TestEnded(SignallingError):
    """The test ended while we were waiting: the other side left (``peer_left``), the server
    ended it (``server_ended``) or the server went away (``server_lost``)."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome


def room_url(server: str) -> str:
    """The rooms endpoint of a check server: ``ws://host:port[/ws]`` → ``ws://host:port/room``."""
    target = normalise_url(server)
    parts = urlsplit(target)
    path = parts.path
    if path.endswith("/ws"):
        path = path[: -len("/ws")] + "/room"
    elif not path.endswith("/room"):
        path = path.rstrip("/") + "/room"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@dataclass(frozen=True)
class RoomInfo:
    code: str
    display: str
    expires_in_s: float
    max_duration_s: float
    ice_servers: tuple[IceServer, ...]


@dataclass(frozen=True)
class Paired:
    test_id: str
    created: str
    max_duration_s: float
    ice_servers: tuple[IceServer, ...]


def _ice(data: Any) -> tuple[IceServer, ...]:
    try:
        return parse_ice_servers(data or [], "server's ice_servers")
    except SettingsError:
        return ()


class RoomClient:
    """One open WebSocket to a server's ``/room`` endpoint."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.ws = ws
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ended: asyncio.Future[TestEnded] = asyncio.get_running_loop().create_future()
        self._refusal: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(
        cls, server: str, *, ca_file: str | None = None, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> RoomClient:
        target = room_url(server)
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
                f"{target} answered HTTP {e.status}: it is not a sessioncheck server with peer tests"
            ) from None
        except aiohttp.ClientConnectorCertificateError as e:
            await session.close()
            raise ServerUnreachable(f"the certificate of {target} was not accepted: {e.certificate_error}") from None
        except (aiohttp.ClientError, OSError) as e:
            await session.close()
            raise ServerUnreachable(f"cannot connect to {target}: {e}") from None
        return cls(session, ws)

    async def _read(self) -> None:
        try:
            while True:
                msg = await self.ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                try:
                    data = msg.json()
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                kind = data.get("type")
                if kind == "error":
                    if not self._refusal.done():
                        self._refusal.set_result(data)
                    code = str(data.get("code") or "error")
                    self._end("server_ended" if code != "expired" else "expired",
                              str(data.get("message") or code))
                    return
                if kind == "peer_left":
                    self._end("peer_left", str(data.get("reason") or "the other person left"))
                    return
                if kind == "bye" and "reason" in data and data.get("from") is None:
                    # a bye from the server (a relayed bye has "from")
                    self._end("server_ended", str(data["reason"]))
                    return
                self.inbox.put_nowait(data)
        except Exception:  # the socket broke: same as closed
            pass
        self._end("server_lost", "the connection to the test server was lost")

    def _end(self, outcome: str, detail: str) -> None:
        if not self.ended.done():
            self.ended.set_result(TestEnded(outcome, detail))

    async def _next(self, kind: str, timeout_s: float) -> dict[str, Any]:
        """The next message of type ``kind`` (others are dropped), or why there is none."""
        async def get() -> dict[str, Any]:
            while True:
                item = await self.inbox.get()
                if item.get("type") == kind:
                    return item

        getter = asyncio.ensure_future(get())
        try:
            waiting: set[asyncio.Future[Any]] = {getter, self.ended, self._refusal}
            done, _ = await asyncio.wait(waiting, timeout=timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        if self._refusal.done():
            r = self._refusal.result()
            retry = r.get("retry_after_s")
            raise RoomRefused(str(r.get("code") or "error"), str(r.get("message") or "refused"),
                              float(retry) if isinstance(retry, int | float) else None)
        if self.ended.done():
            raise self.ended.result()
        raise SignallingError(f"the server sent no {kind!r} within {timeout_s:g} s")

    async def send(self, message: dict[str, Any]) -> None:
        if self.ended.done():
            raise self.ended.result()
        try:
            await self.ws.send_json(message)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as e:
            self._end("server_lost", f"the connection to the test server was lost ({e})")
            raise self.ended.result() from None

    async def host(self, token: str | None) -> RoomInfo:
        await self.send({"type": "hello", "version": 1, "role": "host", "token": token})
        r = await self._next("room", REPLY_TIMEOUT_S)
        return RoomInfo(
            code=str(r["code"]), display=str(r.get("display") or r["code"]),
            expires_in_s=float(r.get("expires_in_s") or 900.0),
            max_duration_s=float(r.get("max_duration_s") or 30.0), ice_servers=_ice(r.get("ice_servers")),
        )

    async def wait_peer(self, timeout_s: float) -> Paired:
        r = await self._next("peer_joined", timeout_s)
        return Paired(str(r["test_id"]), str(r.get("created") or ""), 0.0, ())

    async def join(self, code: str, token: str | None) -> Paired:
        await self.send({"type": "hello", "version": 1, "role": "join", "code": code, "token": token})
        r = await self._next("joined", REPLY_TIMEOUT_S)
        return Paired(
            test_id=str(r["test_id"]), created=str(r.get("created") or ""),
            max_duration_s=float(r.get("max_duration_s") or 30.0), ice_servers=_ice(r.get("ice_servers")),
        )

    async def receive(self, kind: str, timeout_s: float) -> dict[str, Any]:
        return await self._next(kind, timeout_s)

    async def close(self) -> None:
        self._end("closed", "closed")
        with contextlib.suppress(Exception):
            if not self.ws.closed:
                await self.ws.send_json({"type": "bye", "from": "peer"})
            await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await self.session.close()


__all__ = ["BadServerUrl", "Paired", "RoomClient", "RoomInfo", "RoomRefused", "ServerUnreachable",
           "SignallingError", "TestEnded", "room_url"]
