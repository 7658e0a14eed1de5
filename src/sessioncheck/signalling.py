"""The client side of ``sessioncheck serve``'s signalling (messages: :mod:`sessioncheck.server.wire`).

Two conversations over one kind of connection:

* :class:`Signalling`: ``check --server`` against the reflector at ``/ws`` (hello, welcome,
  offer, answer; see :mod:`sessioncheck.server.reflector`).
* :class:`RoomClient`: the peer test's room at ``/room`` (host or join, then relayed
  messages; see :mod:`sessioncheck.server.rooms`). A reader task takes every message off the
  WebSocket as it arrives: relayed messages go to an inbox, and the messages that end a test
  (``peer_left``, ``bye``, ``error``, the socket closing) settle :attr:`RoomClient.ended` at
  once, so whatever the session is waiting for stops immediately with the reason instead of
  waiting for its own timeout.

Every way it can go wrong is a small exception whose ``outcome`` names it (``bad_url``,
``server_unreachable``, ``auth_failed``, ``busy``, ``protocol_error``, a room's refusal
code, how a test ended), so a probe records a fact and the advice rules can explain it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .errors import SessioncheckError
from .server.wire import FROM_PEER, ROOMS_VERSION, SIGNALLING_VERSION, ErrorCode, Message, MessageType, RoomRole
from .settings import IceServer, SettingsError, parse_ice_servers

CONNECT_TIMEOUT_S = 5.0
REPLY_TIMEOUT_S = 5.0
MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest message taken from a server."""


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


async def open_socket(
    target: str, ca_file: str | None, timeout_s: float, not_ours: str
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """A WebSocket to ``target`` (a normalised URL), or :class:`ServerUnreachable` saying why.
    ``not_ours``: what an HTTP answer instead of a WebSocket means, after "answered HTTP N"."""
    ssl_ctx: ssl.SSLContext | bool = True
    if target.startswith("wss") and ca_file:
        ssl_ctx = ssl.create_default_context(cafile=ca_file)
    session = aiohttp.ClientSession()
    try:
        async with asyncio.timeout(timeout_s):
            ws = await session.ws_connect(target, ssl=ssl_ctx, max_msg_size=MAX_MESSAGE_BYTES, heartbeat=5.0)
    except TimeoutError:
        await session.close()
        raise ServerUnreachable(f"no answer from {target} within {timeout_s:g} s") from None
    except aiohttp.WSServerHandshakeError as e:
        await session.close()
        raise ServerUnreachable(f"{target} answered HTTP {e.status}{not_ours}") from None
    except aiohttp.ClientConnectorCertificateError as e:
        await session.close()
        raise ServerUnreachable(f"the certificate of {target} was not accepted: {e.certificate_error}") from None
    except (aiohttp.ClientError, OSError) as e:
        await session.close()
        raise ServerUnreachable(f"cannot connect to {target}: {e}") from None
    return session, ws


def ice_servers(data: object) -> tuple[IceServer, ...]:
    """The ``ice_servers`` a server announced; none where they cannot be used."""
    try:
        return parse_ice_servers(data or [], "server's ice_servers")
    except SettingsError:
        return ()


def _retry_after(reply: Message) -> float | None:
    retry = reply.get("retry_after_s")
    return float(retry) if isinstance(retry, int | float) else None


# --- the reflector: /ws -----------------------------------------------------------------------


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
        session, ws = await open_socket(target, ca_file, timeout_s, ", not a sessioncheck check server")
        sig = cls(session, ws)
        try:
            await ws.send_json({"type": MessageType.HELLO, "version": SIGNALLING_VERSION, "token": token})
            reply = await sig.receive(timeout_s)
        except BaseException:
            await sig.close()
            raise
        if reply.get("type") == MessageType.ERROR:
            await sig.close()
            raise _refusal(reply)
        if reply.get("type") != MessageType.WELCOME:
            await sig.close()
            raise SignallingError(f"unexpected reply to hello: {reply.get('type')!r}")
        welcome = Welcome(
            float(reply.get("max_duration_s") or 30.0),
            ice_servers(reply.get("ice_servers")),
            reply.get("negotiated_channels") is True,
        )
        return sig, welcome

    async def receive(self, timeout_s: float) -> Message:
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
        its ends; see :func:`sessioncheck.rtc.measure.wire.create_channels`)."""
        offer: Message = {"type": MessageType.OFFER, "sdp": offer_sdp}
        if negotiated_id is not None:
            offer["negotiated_id"] = negotiated_id
        await self.ws.send_json(offer)
        reply = await self.receive(timeout_s)
        if reply.get("type") == MessageType.ERROR:
            raise _refusal(reply)
        sdp = reply.get("sdp")
        if reply.get("type") != MessageType.ANSWER or not isinstance(sdp, str):
            raise SignallingError(f"expected an answer, got {reply.get('type')!r}")
        return sdp

    async def watch(self) -> str:
        """Wait until the server ends the test or the socket closes; return why."""
        while True:
            msg = await self.ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                with contextlib.suppress(ValueError):
                    data = msg.json()
                    if isinstance(data, dict) and data.get("type") in (MessageType.BYE, MessageType.ERROR):
                        self.closed.set()
                        return str(data.get("reason") or data.get("message") or "the server ended the test")
                continue
            self.closed.set()
            return "the server closed the signalling connection"

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if not self.ws.closed:
                await self.ws.send_json({"type": MessageType.BYE})
            await self.ws.close()
        with contextlib.suppress(Exception):
            await self.session.close()


def _refusal(reply: Message) -> SignallingError:
    code = reply.get("code")
    message = str(reply.get("message") or code or "refused")
    if code == ErrorCode.AUTH_FAILED:
        return AuthFailed(message)
    if code == ErrorCode.BUSY:
        return ServerBusy(message, _retry_after(reply))
    return SignallingError(f"the server refused: {message}")


# --- the peer test's rooms: /room -------------------------------------------------------------


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


class RoomClient:
    """One open WebSocket to a server's ``/room`` endpoint."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.ws = ws
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.ended: asyncio.Future[TestEnded] = asyncio.get_running_loop().create_future()
        self._refusal: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(
        cls, server: str, *, ca_file: str | None = None, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> RoomClient:
        target = room_url(server)
        not_ours = ": it is not a sessioncheck server with peer tests"
        session, ws = await open_socket(target, ca_file, timeout_s, not_ours)
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
                if kind == MessageType.ERROR:
                    if not self._refusal.done():
                        self._refusal.set_result(data)
                    code = str(data.get("code") or "error")
                    outcome = "expired" if code == ErrorCode.EXPIRED else "server_ended"
                    self._end(outcome, str(data.get("message") or code))
                    return
                if kind == MessageType.PEER_LEFT:
                    self._end("peer_left", str(data.get("reason") or "the other person left"))
                    return
                if kind == MessageType.BYE and "reason" in data and data.get("from") is None:
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

    async def _next(self, kind: str, timeout_s: float) -> Message:
        """The next message of type ``kind`` (others are dropped), or why there is none."""

        async def get() -> Message:
            while True:
                item = await self.inbox.get()
                if item.get("type") == kind:
                    return item

        getter = asyncio.ensure_future(get())
        try:
            waiting: set[asyncio.Future[Message] | asyncio.Future[TestEnded]] = {getter, self.ended, self._refusal}
            done, _ = await asyncio.wait(waiting, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        if self._refusal.done():
            r = self._refusal.result()
            raise RoomRefused(str(r.get("code") or "error"), str(r.get("message") or "refused"), _retry_after(r))
        if self.ended.done():
            raise self.ended.result()
        raise SignallingError(f"the server sent no {kind!r} within {timeout_s:g} s")

    async def send(self, message: Message) -> None:
        if self.ended.done():
            raise self.ended.result()
        try:
            await self.ws.send_json(message)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as e:
            self._end("server_lost", f"the connection to the test server was lost ({e})")
            raise self.ended.result() from None

    async def host(self, token: str | None) -> RoomInfo:
        await self.send({"type": MessageType.HELLO, "version": ROOMS_VERSION, "role": RoomRole.HOST, "token": token})
        r = await self._next(MessageType.ROOM, REPLY_TIMEOUT_S)
        return RoomInfo(
            code=str(r["code"]),
            display=str(r.get("display") or r["code"]),
            expires_in_s=float(r.get("expires_in_s") or 900.0),
            max_duration_s=float(r.get("max_duration_s") or 30.0),
            ice_servers=ice_servers(r.get("ice_servers")),
        )

    async def wait_peer(self, timeout_s: float) -> Paired:
        r = await self._next(MessageType.PEER_JOINED, timeout_s)
        return Paired(str(r["test_id"]), str(r.get("created") or ""), 0.0, ())

    async def join(self, code: str, token: str | None) -> Paired:
        hello = {"type": MessageType.HELLO, "version": ROOMS_VERSION, "role": RoomRole.JOIN, "code": code}
        await self.send({**hello, "token": token})
        r = await self._next(MessageType.JOINED, REPLY_TIMEOUT_S)
        return Paired(
            test_id=str(r["test_id"]),
            created=str(r.get("created") or ""),
            max_duration_s=float(r.get("max_duration_s") or 30.0),
            ice_servers=ice_servers(r.get("ice_servers")),
        )

    async def receive(self, kind: str, timeout_s: float) -> Message:
        return await self._next(kind, timeout_s)

    async def close(self) -> None:
        self._end("closed", "closed")
        with contextlib.suppress(Exception):
            if not self.ws.closed:
                await self.ws.send_json({"type": MessageType.BYE, "from": FROM_PEER})
            await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await self.session.close()
