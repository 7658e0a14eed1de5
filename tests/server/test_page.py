"""The browser page's scripts: ES modules whose protocol constants come from ``/protocol.json``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sessioncheck.server.app import RunningServer, start_server
from sessioncheck.server.config import ServerConfig
from sessioncheck.server.page import STATIC_DIR, browser_protocol

MODULES = sorted((STATIC_DIR / "join").glob("*.js"))


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    srv = await start_server(ServerConfig(host="127.0.0.1", port=0))
    yield srv
    await srv.stop()


def http(srv: RunningServer, path: str) -> str:
    return srv.url.replace("ws://", "http://").removesuffix("/ws") + path


async def test_protocol_json_is_built_from_the_python_constants(server: RunningServer) -> None:
    from sessioncheck.peer import session
    from sessioncheck.rtc.measure import wire as protocols
    from sessioncheck.server import wire

    async with aiohttp.ClientSession() as s, s.get(http(server, "/protocol.json")) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        served = await r.json()
    assert served == browser_protocol()
    assert served["room"]["version"] == wire.ROOMS_VERSION
    assert served["room"]["roles"] == {"host": "host", "join": "join"}
    assert served["channels"]["sync"] == session.SYNC_LABEL
    assert served["measure"]["kind_ping"] == protocols.KIND_PING
    assert served["measure"]["header_bytes"] == 17


async def test_every_module_is_served_as_javascript(server: RunningServer) -> None:
    assert {p.name for p in MODULES} == {
        "main.js",
        "protocol.js",
        "signalling.js",
        "measure.js",
        "peertest.js",
        "ui.js",
    }
    async with aiohttp.ClientSession() as s:
        for path in MODULES:
            async with s.get(http(server, f"/static/join/{path.name}")) as r:
                assert r.status == 200, path.name
                # a module script with any other type is refused under nosniff
                assert r.content_type in ("text/javascript", "application/javascript"), path.name
                assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_import_only_modules_that_exist(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r'^import .* from "(.+?)";$', text, flags=re.M):
        assert target.startswith("./") and (path.parent / target).is_file(), target


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_protocol_constant_is_copied_by_hand(path: Path) -> None:
    from sessioncheck.peer import session
    from sessioncheck.server.page import CHANNEL_KINDS

    labels = [f"{prefix}-{kind}" for prefix in session.PREFIX.values() for kind in CHANNEL_KINDS]
    text = path.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    # (outcomes such as "peer_left" are the page's own words for how a test ended, not wire names)
    for literal in [*labels, session.SYNC_LABEL, "peer_joined", "joined"]:
        assert f'"{literal}"' not in code, (path.name, literal)
    assert not re.search(r"\bversion: \d", code), path.name
