"""The browser's side of a peer test: the page at ``/join`` and the constants it speaks.

``join.html`` takes the catalogue's ``browser.*`` wording inline; its script is a set of ES
modules under ``static/join/``, which read the protocols' constants from ``/protocol.json``
(:func:`browser_protocol`), built here from the Python modules that define them, so the page
never holds a copy by hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from aiohttp import web

from . import wire

STATIC_DIR = Path(__file__).parent / "static"
"""The browser page for the client's side of a peer test (package data)."""
PHRASES_SLOT = "/*PHRASES*/{}"
"""Where ``join.html`` takes the catalogue's ``browser.*`` wording."""
CHANNEL_KINDS = ("ctl", "probe", "bulk")
"""A measurer's channels: ``<prefix>-ctl``, ``-probe``, ``-bulk`` (see ``create_channels``)."""

PLAN_FIELDS = (
    "ping_interval_s",
    "throughput_max_s",
    "throughput_min_s",
    "window_s",
    "loaded_ping_interval_s",
    "media_s",
)
"""The fields of :class:`sessioncheck.rtc.measure.results.Plan` the page's own measurements use."""

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def browser_protocol() -> dict[str, JsonValue]:
    """What the page needs of the room protocol (:mod:`.wire`), the room codes
    (:mod:`sessioncheck.peer.codes`), the peer test (:mod:`sessioncheck.peer.session`,
    :mod:`sessioncheck.peer.browser`) and the measurement protocol
    (:mod:`sessioncheck.rtc.measure`) and the verdict that needs no warning
    (:class:`sessioncheck.model.Verdict`)."""
    from ..model import Verdict
    from ..peer import browser, codes, session, sync
    from ..rtc.measure import bulk, media, results, timing
    from ..rtc.measure import wire as measure

    return {
        "room": {
            "version": wire.ROOMS_VERSION,
            "types": {m.name.lower(): m.value for m in wire.MessageType},
            "roles": {r.name.lower(): r.value for r in wire.RoomRole},
            "errors": {e.name.lower(): e.value for e in wire.ErrorCode},
            "from_peer": wire.FROM_PEER,
            "offer_kind_field": browser.OFFER_KIND_FIELD,
            "browser": browser.BROWSER,
        },
        "code": {"alphabet": codes.ALPHABET, "length": codes.LENGTH, "group": codes.GROUP, "example": codes.EXAMPLE},
        "channels": {
            "therapist": {k: f"{session.PREFIX[session.THERAPIST]}-{k}" for k in CHANNEL_KINDS},
            "client": {k: f"{session.PREFIX[session.CLIENT]}-{k}" for k in CHANNEL_KINDS},
            "sync": sync.SYNC_LABEL,
        },
        "peer": {"therapist": session.THERAPIST, "client": session.CLIENT, "ready_verdict": Verdict.VIDEO.value},
        "measure": {
            "version": measure.PROTOCOL_VERSION,
            "kind_ping": measure.KIND_PING,
            "kind_pong": measure.KIND_PONG,
            "kind_paced": measure.KIND_PACED,
            "header_bytes": len(measure.pack(measure.KIND_PING, 0, 0, 0.0, 0)),
            "ping_size": measure.PING_SIZE,
            "paced_size": measure.PACED_SIZE,
            "rx_report_ms": round(measure.RX_REPORT_S * 1000),
            "bulk_min": bulk.BULK_MESSAGE_MIN,
            "bulk_max": bulk.BULK_MESSAGE_MAX,
            "buffer_min": bulk.BUFFER_MIN,
            "buffer_max": bulk.BUFFER_MAX,
            "buffer_target_ms": round(bulk.BUFFER_TARGET_S * 1000),
            "drain_max_ms": round(session.DRAIN_MAX_S * 1000),
            "capacity_max_ms": round(timing.CAPACITY_MAX_S * 1000),
            "video_bitrate": media.VIDEO_BITRATE,
        },
        # the timing the therapist's "go" sends; these defaults fill in what it leaves out
        "plan": {k: getattr(results.Plan(), k) for k in PLAN_FIELDS},
    }


async def handle_protocol(request: web.Request) -> web.Response:
    return web.json_response(browser_protocol(), headers={"Cache-Control": "no-store"})


def content_security_policy(page: str) -> str:
    """The join page's policy: its own script files and the hashes of its inline script and
    style, signalling to this server only, no frames, forms or plugins."""

    def sources(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S)
        return " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'" for b in blocks
        )

    return (
        "default-src 'none'; "
        f"script-src 'self' {sources('script')}; "
        f"style-src {sources('style') or chr(39) + 'none' + chr(39)}; "
        "connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


async def handle_join_page(request: web.Request) -> web.Response:
    from ..advice.catalogue import PHRASES

    try:
        page = (STATIC_DIR / "join.html").read_text(encoding="utf-8")
    except OSError:
        return web.Response(status=500, text="this installation of sessioncheck lacks its web page\n")
    phrases = {k: v for k, v in PHRASES.items() if k.startswith("browser.")}
    # "</" never appears inside the inline script: escaped as JSON's "<\/"
    data = json.dumps(phrases, ensure_ascii=True).replace("</", "<\\/")
    page = page.replace(PHRASES_SLOT, data, 1)
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": content_security_policy(page)},
    )
