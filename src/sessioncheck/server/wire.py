"""The signalling messages of ``serve``: JSON objects over a WebSocket, by ``"type"``.

Two endpoints speak them: ``/ws``, a program's path test against the reflector peer
(:mod:`.reflector`), and ``/room``, the peer test's rooms (:mod:`.rooms`). Their message
types, error codes, roles and versions are named here once; the clients
(:mod:`sessioncheck.signalling`) and the browser page (``/protocol.json``, see :mod:`.page`)
take them from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from enum import StrEnum
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

logger = logging.getLogger(__name__)

SIGNALLING_VERSION = 1
"""The ``version`` of a ``/ws`` hello this server speaks."""
ROOMS_VERSION = 1
"""The ``version`` of a ``/room`` hello this server speaks."""
NEGOTIATED_CHANNELS = True
"""Announced in the welcome: this server honours an offer's ``negotiated_id``. A client
negotiates its channels out of band only with a server that says so (an older server
would ignore the id, and the client's channels would lead nowhere)."""
Message = dict[str, Any]
"""A decoded message: a JSON object (its values are whatever JSON holds)."""
FROM_PEER = "peer"
"""The ``from`` of a ``bye`` one side of a room sends (the server's own ``bye`` has none)."""


class MessageType(StrEnum):
    """A message's ``type``."""

    HELLO = "hello"
    WELCOME = "welcome"
    ERROR = "error"
    OFFER = "offer"
    ANSWER = "answer"
    BYE = "bye"
    ROOM = "room"
    PEER_JOINED = "peer_joined"
    JOINED = "joined"
    PEER_LEFT = "peer_left"
    CANDIDATE = "candidate"
    FACTS = "facts"
    RESULTS = "results"


RELAYED = frozenset(
    {
        MessageType.OFFER,
        MessageType.ANSWER,
        MessageType.CANDIDATE,
        MessageType.FACTS,
        MessageType.RESULTS,
        MessageType.BYE,
    }
)
"""Message types forwarded between the two sides of a room."""


class RoomRole(StrEnum):
    """A ``/room`` hello's ``role``: who makes the code, who types it."""

    HOST = "host"
    JOIN = "join"


class ErrorCode(StrEnum):
    """An ``error`` message's ``code``; the socket closes after it."""

    AUTH_FAILED = "auth_failed"
    BUSY = "busy"
    BAD_MESSAGE = "bad_message"
    VERSION = "version"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    BAD_CODE = "bad_code"
    EXPIRED = "expired"
    USED = "used"


def parse_object(data: str | bytes | bytearray) -> Message | None:
    """A signalling message as a JSON object, or None for anything else: not JSON, not an
    object, nested too deep for the parser (``RecursionError``), numbers too long."""
    try:
        value = json.loads(data)
    except (ValueError, TypeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


_CLOSED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)


async def receive_json(ws: web.WebSocketResponse, timeout_s: float) -> Message | None:
    """The next JSON object, or None after telling the client what was wrong (nothing is
    said to a socket that closed or broke)."""
    try:
        async with asyncio.timeout(timeout_s):
            msg = await ws.receive()
    except TimeoutError:
        await refuse(ws, ErrorCode.TIMEOUT, f"nothing received for {timeout_s:g} s")
        return None
    if msg.type is WSMsgType.ERROR:
        # aiohttp has already closed the socket (e.g. 1009 for an oversized message)
        logger.info("signalling error: %s", ws.exception())
        return None
    if msg.type is not WSMsgType.TEXT:
        if msg.type not in _CLOSED:
            await refuse(ws, ErrorCode.BAD_MESSAGE, "messages must be JSON text")
        return None
    data = parse_object(msg.data)
    if data is None:
        await refuse(ws, ErrorCode.BAD_MESSAGE, "the message is not a JSON object")
    return data


def is_closing(msg_type: WSMsgType) -> bool:
    """The socket is closing or closed: nothing more to say to it."""
    return msg_type in _CLOSED


async def refuse(ws: web.WebSocketResponse, code: ErrorCode, message: str, **extra: int) -> None:
    """Send an ``error`` and close the socket (as a policy violation named by ``code``)."""
    with contextlib.suppress(Exception):
        await ws.send_json({"type": MessageType.ERROR, "code": code, "message": message, **extra})
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=code.encode())
