"""The ``peer-sync`` data channel: how the two sides of a peer test coordinate their phases
and exchange facts and results (JSON messages by ``op``)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from ..model import Value

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

SYNC_LABEL = "peer-sync"

Message = dict[str, object]
"""A ``peer-sync`` message (JSON from the other side: its values are checked where read)."""


class SyncChannel:
    """The ``peer-sync`` channel: JSON messages by ``op``."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.queues: dict[str, asyncio.Queue[Message]] = {}
        channel.on("message", self._on_message)

    def _queue(self, op: str) -> asyncio.Queue[Message]:
        return self.queues.setdefault(op, asyncio.Queue())

    def _on_message(self, data: str | bytes) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            return
        if isinstance(msg, dict) and isinstance(msg.get("op"), str):
            self._queue(msg["op"]).put_nowait(msg)

    def send(self, message: Message) -> None:
        if self.channel.readyState == "open":
            self.channel.send(json.dumps(message, allow_nan=False))

    async def next(self, op: str, **match: Value) -> Message:
        q = self._queue(op)
        while True:
            msg = await q.get()
            if all(msg.get(k) == v for k, v in match.items()):
                return msg
