"""Settings: a TOML file, then environment variables, then command-line flags.

ICE servers use the WebRTC ``iceServers`` JSON shape
(``[{"urls": [...], "username": ..., "credential": ...}]``) everywhere: in the TOML file
(``[[ice_servers]]`` tables), in ``--ice-servers FILE`` and in the environment.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .crashlog import remember_secret
from .errors import SessioncheckError
from .files import FileProblem, read_small_file

DEFAULT_CONFIG_PATH = Path("~/.config/sessioncheck/config.toml")

PUBLIC_STUN_SERVERS: tuple[str, ...] = (
    "stun:stun.l.google.com:19302",
    "stun:stun.cloudflare.com:3478",
    "stun:global.stun.twilio.com:3478",
)
"""Used by the ``ice`` probe when no server is configured."""


class SettingsError(SessioncheckError, ValueError):
    """Settings could not be read. The message names the problem and what to do."""

    title_key = "error.title.settings"


@dataclass(frozen=True)
class IceUrl:
    """One parsed ``stun:``/``stuns:``/``turn:``/``turns:`` URL (RFC 7064, RFC 7065)."""

    scheme: str
    """``stun``, ``stuns``, ``turn`` or ``turns``."""
    host: str
    port: int
    transport: str
    """``udp``, ``tcp`` or ``tls``: what the URL allows."""
    url: str
    """The URL as written."""

    @property
    def is_turn(self) -> bool:
        return self.scheme.startswith("turn")


_ICE_URL = re.compile(
    r"^(?P<scheme>stuns?|turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[^:?\[\]/@\s]+)"
    r"(?::(?P<port>\d{1,5}))?(?:\?transport=(?P<transport>[A-Za-z]+))?$"
)


def parse_ice_url(url: str) -> IceUrl:
    """Parse one ICE server URL, raising :class:`SettingsError` with a fix when it is malformed."""
    m = _ICE_URL.match(url.strip())
    if not m:
        raise SettingsError(
            f"ICE server URL {url!r} is not valid: write it as stun:HOST[:PORT] or "
            "turn:HOST[:PORT][?transport=udp|tcp] (turns: for TLS)"
        )
    scheme = m.group("scheme")
    host = m.group("host").strip("[]")
    secure = scheme.endswith("s")
    port = int(m.group("port")) if m.group("port") else (5349 if secure else 3478)
    if not 0 < port < 65536:
        raise SettingsError(f"ICE server URL {url!r} has port {port}, outside 1-65535")
    transport_q = m.group("transport")
    if transport_q is not None:
        transport_q = transport_q.lower()
        if transport_q not in ("udp", "tcp"):
            raise SettingsError(
                f"ICE server URL {url!r} asks for transport {transport_q!r}: use udp or tcp"
            )
        if scheme.startswith("stun"):
            raise SettingsError(
                f"ICE server URL {url!r}: a stun: URL takes no ?transport= (RFC 7064)"
            )
    if secure:
        if transport_q == "udp":
            raise SettingsError(f"ICE server URL {url!r}: {scheme}: works over TCP/TLS, not UDP")
        transport = "tls"
    else:
        transport = transport_q or "udp"
    return IceUrl(scheme=scheme, host=host, port=port, transport=transport, url=url.strip())


@dataclass(frozen=True)
class IceServer:
    """One entry of the WebRTC ``iceServers`` list."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def __post_init__(self) -> None:
        remember_secret(self.username, self.credential)  # so no crash log can hold them

    def parsed(self) -> list[IceUrl]:
        return [parse_ice_url(u) for u in self.urls]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "iceServers") -> IceServer:
        if not isinstance(data, Mapping):
            raise SettingsError(f"{where}: each ICE server must be an object with \"urls\"")
        urls = data.get("urls", data.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise SettingsError(f"{where}: an ICE server needs \"urls\": a URL or a list of URLs")
        for key in ("username", "credential"):
            if key in data and not isinstance(data[key], str):
                raise SettingsError(f"{where}: \"{key}\" must be text")
        server = cls(
            urls=tuple(urls), username=data.get("username"), credential=data.get("credential")
        )
        for u in server.parsed():  # validate now, so the user hears it before anything runs
            if u.is_turn and (server.username is None or server.credential is None):
                raise SettingsError(
                    f"{where}: TURN server {u.url} needs a username and a credential"
                )
        return server


def parse_ice_servers(data: Any, where: str) -> tuple[IceServer, ...]:
    """Parse a WebRTC ``iceServers`` list (already decoded from JSON or TOML)."""
    if isinstance(data, Mapping) and "iceServers" in data:
        data = data["iceServers"]
    if not isinstance(data, list):
        raise SettingsError(f"{where}: expected a JSON list of ICE servers (the iceServers shape)")
    return tuple(IceServer.from_dict(d, where) for d in data)


MAX_SETTINGS_BYTES = 1024 * 1024
"""Largest config or ICE servers file read (real ones are a few hundred bytes)."""


def _read_text(path: Path, what: str) -> str:
    """A settings file's text: a regular file, at most 1 MB, UTF-8 (a byte order mark is fine)."""
    try:
        raw = read_small_file(path, limit=MAX_SETTINGS_BYTES)
    except FileProblem as e:
        raise SettingsError(f"{what} {path} {e}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{what} {path} is not UTF-8 text") from None


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(f"{where} is not valid JSON (line {e.lineno}: {e.msg})") from None
    except RecursionError:
        raise SettingsError(f"{where} is not valid: it is nested far too deeply") from None
    except ValueError:  # an integer with thousands of digits
        raise SettingsError(f"{where} is not valid: it holds a number far too long") from None


def load_ice_servers_file(path: Path) -> tuple[IceServer, ...]:
    text = _read_text(path, "ICE servers file")
    return parse_ice_servers(_json(text, f"ICE servers file {path}"), str(path))


@dataclass(frozen=True)
class Thresholds:
    """Numbers that turn measurements into findings. Override in ``[thresholds]``."""

    rtt_good_ms: float = 100.0
    rtt_fair_ms: float = 250.0
    rtt_poor_ms: float = 400.0
    jitter_good_ms: float = 10.0
    jitter_fair_ms: float = 30.0
    loss_good_pct: float = 1.0
    loss_fair_pct: float = 3.0
    loss_poor_pct: float = 8.0
    measure_drop_pct: float = 0.5
    """Datagrams the measuring computers' own sockets dropped (they could not read them in
    time), as a share of a direction's loss packets: above it, that loss is not judged."""
    measure_lag_ms: float = 25.0
    """Event-loop timer lateness (p95) of this computer while it measured: above it, the
    delay, jitter and delay-under-load figures of that phase are not judged."""
    stun_rtt_slow_ms: float = 250.0
    loopback_rtt_slow_ms: float = 20.0
    loopback_throughput_low_kbps: float = 5000.0
    loopback_connect_slow_s: float = 3.0
    cpu_busy_pct: float = 85.0
    memory_low_mb: float = 500.0
    battery_low_pct: float = 20.0


@dataclass(frozen=True)
class Settings:
    """Everything a check needs to know, whatever front end started it."""

    ice_servers: tuple[IceServer, ...] = ()
    """Configured STUN/TURN servers. Empty: the ``ice`` probe uses public STUN servers."""
    ca_file: str | None = None
    """Extra CA certificates (PEM) to trust for ``turns:`` servers."""
    probes: tuple[str, ...] | None = None
    """Probe ids to run; ``None`` runs the default plan."""
    server: str | None = None
    """Check server (reflector) URL for path tests, or ``local``."""
    token: str | None = None
    """Access token for the check server."""
    thresholds: Thresholds = field(default_factory=Thresholds)
    probe_timeout_s: float | None = None
    """Override every probe's own timeout (seconds)."""
    redact: bool = True
    """Remove IP addresses and ICE candidates from rendered and saved reports."""
    camera: str | None = None
    microphone: str | None = None
    speaker: str | None = None
    gentle: bool = False
    """A call may be running on this connection: capacity tests stop near a call's own
    needs (``rtc.protocols.GENTLE_MAX_KBPS``) instead of filling the link."""

    def __post_init__(self) -> None:
        remember_secret(self.token)  # so no crash log can hold it


def _from_toml(path: Path, explicit: bool) -> dict[str, Any]:
    path = path.expanduser()
    if not explicit and not os.path.lexists(path):
        return {}
    if not os.path.exists(path):
        raise SettingsError(f"config file {path} does not exist; check the path")
    text = _read_text(path, "config file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"config file {path} is not valid TOML: {e}") from None
    except RecursionError:
        raise SettingsError(f"config file {path} is not valid: it is nested far too deeply") from None
    except ValueError:  # an integer with thousands of digits
        raise SettingsError(f"config file {path} is not valid: it holds a number far too long") from None


def _thresholds(data: Any, where: str) -> Thresholds:
    if not isinstance(data, Mapping):
        raise SettingsError(f"{where}: [thresholds] must be a table")
    names = {f.name for f in fields(Thresholds)}
    values: dict[str, float] = {}
    for k, v in data.items():
        if k not in names:
            raise SettingsError(f"{where}: unknown threshold {k!r}; known: {', '.join(sorted(names))}")
        if not _finite(v) or v < 0:
            raise SettingsError(f"{where}: threshold {k} must be a number, 0 or more")
        values[k] = float(v)
    return replace(Thresholds(), **values)


def _finite(v: Any) -> bool:
    """A real number: not true/false, not NaN or infinity, not too large for a float."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


_TOP_KEYS = {
    "ice_servers", "ca_file", "probes", "server", "token", "thresholds",
    "probe_timeout_s", "redact", "camera", "microphone", "speaker",
    "gentle",
}


def settings_from_mapping(data: Mapping[str, Any], where: str) -> Settings:
    """Build settings from a decoded TOML document."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_TOP_KEYS))}"
        )
    s = Settings()
    if "ice_servers" in data:
        s = replace(s, ice_servers=parse_ice_servers(data["ice_servers"], where))
    if "thresholds" in data:
        s = replace(s, thresholds=_thresholds(data["thresholds"], where))
    if "probes" in data:
        probes = data["probes"]
        if not isinstance(probes, list) or not all(isinstance(p, str) for p in probes):
            raise SettingsError(f"{where}: probes must be a list of probe names")
        s = replace(s, probes=tuple(probes))
    for key in ("ca_file", "server", "token", "camera", "microphone", "speaker"):
        if key in data:
            if not isinstance(data[key], str):
                raise SettingsError(f"{where}: {key} must be text")
            s = replace(s, **{key: data[key]})
    if "redact" in data:
        if not isinstance(data["redact"], bool):
            raise SettingsError(f"{where}: redact must be true or false")
        s = replace(s, redact=data["redact"])
    if "gentle" in data:
        if not isinstance(data["gentle"], bool):
            raise SettingsError(f"{where}: gentle must be true or false")
        s = replace(s, gentle=data["gentle"])
    if "probe_timeout_s" in data:
        v = data["probe_timeout_s"]
        if not _finite(v) or v <= 0:
            raise SettingsError(f"{where}: probe_timeout_s must be a positive number of seconds")
        s = replace(s, probe_timeout_s=float(v))
    return s


def load_settings(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read the config file (default ``~/.config/sessioncheck/config.toml``) and environment.

    Environment: ``SESSIONCHECK_CONFIG`` (config path), ``SESSIONCHECK_ICE_SERVERS``
    (iceServers JSON), ``SESSIONCHECK_SERVER``, ``SESSIONCHECK_TOKEN``.
    Command-line flags are applied on top by the CLI with :func:`dataclasses.replace`.
    """
    env = os.environ if env is None else env
    explicit = config_path is not None or "SESSIONCHECK_CONFIG" in env
    path = config_path or Path(env.get("SESSIONCHECK_CONFIG", str(DEFAULT_CONFIG_PATH)))
    path = path.expanduser()
    s = settings_from_mapping(_from_toml(path, explicit), str(path))
    if env.get("SESSIONCHECK_ICE_SERVERS"):
        data = _json(env["SESSIONCHECK_ICE_SERVERS"], "SESSIONCHECK_ICE_SERVERS")
        s = replace(s, ice_servers=parse_ice_servers(data, "SESSIONCHECK_ICE_SERVERS"))
    if env.get("SESSIONCHECK_SERVER"):
        s = replace(s, server=env["SESSIONCHECK_SERVER"])
    if env.get("SESSIONCHECK_TOKEN"):
        s = replace(s, token=env["SESSIONCHECK_TOKEN"])
    return s


def ice_servers_from_flags(
    stun: Sequence[str], turn: Sequence[str], username: str | None, credential: str | None
) -> tuple[IceServer, ...]:
    """Build ICE servers from repeated ``--stun``/``--turn`` flags."""
    servers: list[IceServer] = []
    for url in stun:
        parsed = parse_ice_url(url)
        if parsed.is_turn:
            raise SettingsError(f"--stun {url}: this is a TURN URL; pass it with --turn")
        servers.append(IceServer(urls=(url,)))
    if turn:
        for url in turn:
            if not parse_ice_url(url).is_turn:
                raise SettingsError(f"--turn {url}: this is a STUN URL; pass it with --stun")
        if username is None or credential is None:
            raise SettingsError("--turn needs --turn-username and --turn-credential")
        servers.append(IceServer(urls=tuple(turn), username=username, credential=credential))
    return tuple(servers)
