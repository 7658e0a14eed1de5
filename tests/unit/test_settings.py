"""Settings: ICE URLs, iceServers JSON, TOML config, environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessioncheck.settings import (
    IceServer,
    SettingsError,
    ice_servers_from_flags,
    load_ice_servers_file,
    load_settings,
    parse_ice_url,
)


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "transport"),
    [
        ("stun:stun.example.org", "stun", "stun.example.org", 3478, "udp"),
        ("stun:127.0.0.1:19302", "stun", "127.0.0.1", 19302, "udp"),
        ("turn:turn.example.org?transport=tcp", "turn", "turn.example.org", 3478, "tcp"),
        ("turn:[::1]:3479?transport=udp", "turn", "::1", 3479, "udp"),
        ("turns:turn.example.org", "turns", "turn.example.org", 5349, "tls"),
        ("turns:turn.example.org:443?transport=tcp", "turns", "turn.example.org", 443, "tls"),
    ],
)
def test_parse_valid_urls(url: str, scheme: str, host: str, port: int, transport: str) -> None:
    u = parse_ice_url(url)
    assert (u.scheme, u.host, u.port, u.transport) == (scheme, host, port, transport)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.org", "not valid"),
        ("turn:", "not valid"),
        ("stun:host:99999", "outside 1-65535"),
        ("turn:host?transport=sctp", "transport 'sctp'"),
        ("stun:host?transport=tcp", "takes no"),
        ("turns:host?transport=udp", "not UDP"),
        ("turn:user@host", "not valid"),
    ],
)
def test_malformed_urls_say_how_to_write_them(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_ice_url(url)


def test_ice_servers_file(tmp_path: Path) -> None:
    path = tmp_path / "ice.json"
    path.write_text(
        json.dumps(
            [
                {"urls": "stun:stun.example.org"},
                {"urls": ["turn:t.example.org", "turns:t.example.org:443"], "username": "u", "credential": "p"},
            ]
        )
    )
    servers = load_ice_servers_file(path)
    assert servers[0] == IceServer(urls=("stun:stun.example.org",))
    assert servers[1].username == "u" and len(servers[1].urls) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"urls": "stun:x"}', "expected a JSON list"),
        ('[{"urls": []}]', 'needs "urls"'),
        ('[{"urls": "turn:x"}]', "needs a username and a credential"),
        ('[{"urls": "bogus:x"}]', "not valid"),
    ],
)
def test_bad_ice_servers_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ice.json"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_ice_servers_file(path)


def test_missing_ice_servers_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"none\.json does not exist"):
        load_ice_servers_file(tmp_path / "none.json")


def test_toml_config_and_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        """
probes = ["system", "ice"]
server = "wss://check.example.org/ws"
[thresholds]
rtt_good_ms = 80
[[ice_servers]]
urls = ["stun:stun.example.org:3478"]
"""
    )
    s = load_settings(cfg, env={"SESSIONCHECK_TOKEN": "t0k"})
    assert s.probes == ("system", "ice")
    assert s.thresholds.rtt_good_ms == 80
    assert s.ice_servers[0].urls == ("stun:stun.example.org:3478",)
    assert s.token == "t0k"
    assert s.server == "wss://check.example.org/ws"


def test_missing_default_config_is_fine(tmp_path: Path) -> None:
    s = load_settings(env={"HOME": str(tmp_path)})
    assert s.ice_servers == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("probes = [", "not valid TOML"),
        ("colour = 'blue'", "unknown setting"),
        ("[thresholds]\nrtt_ms = 3", "unknown threshold"),
        ("[thresholds]\nrtt_good_ms = 'fast'", "must be a number"),
        ("redact = 'yes'", "true or false"),
    ],
)
def test_invalid_config(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(cfg, env={})


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_flags() -> None:
    servers = ice_servers_from_flags(["stun:a.example"], ["turn:b.example"], "u", "p")
    assert servers[0].urls == ("stun:a.example",)
    assert servers[1] == IceServer(urls=("turn:b.example",), username="u", credential="p")
    with pytest.raises(SettingsError, match="needs --turn-username"):
        ice_servers_from_flags([], ["turn:b.example"], None, None)
    with pytest.raises(SettingsError, match="pass it with --turn"):
        ice_servers_from_flags(["turn:b.example"], [], None, None)
