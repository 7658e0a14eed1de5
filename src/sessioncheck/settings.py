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
from typing import Any, TypeGuard

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
            raise SettingsError(f"ICE server URL {url!r} asks for transport {transport_q!r}: use udp or tcp")
        if scheme.startswith("stun"):
            raise SettingsError(f"ICE server URL {url!r}: a stun: URL takes no ?transport= (RFC 7064)")
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
    def from_dict(cls, data: object, where: str = "iceServers") -> IceServer:
        if not isinstance(data, Mapping):
            raise SettingsError(f'{where}: each ICE server must be an object with "urls"')
        urls = data.get("urls", data.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise SettingsError(f'{where}: an ICE server needs "urls": a URL or a list of URLs')
        for key in ("username", "credential"):
            if key in data and not isinstance(data[key], str):
                raise SettingsError(f'{where}: "{key}" must be text')
        server = cls(urls=tuple(urls), username=data.get("username"), credential=data.get("credential"))
        for u in server.parsed():  # validate now, so the user hears it before anything runs
            if u.is_turn and (server.username is None or server.credential is None):
                raise SettingsError(f"{where}: TURN server {u.url} needs a username and a credential")
        return server


def parse_ice_servers(data: object, where: str) -> tuple[IceServer, ...]:
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


def _json(text: str, where: str) -> object:
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


VIDEO_TIER_NAMES: tuple[str, ...] = ("1080p", "720p", "540p", "360p", "270p", "180p")
"""The video tiers of ``advice.quality.TIERS``, best first (a test keeps the two equal)."""


@dataclass(frozen=True)
class _Limit:
    """How ``[thresholds]`` checks one field: ``kind`` (number, whole, range, rates, tier)
    and the allowed ``low``..``high`` (``above``: strictly above ``low``)."""

    kind: str = "number"
    low: float | None = 0.0
    high: float | None = None
    above: bool = False


def _limit(
    low: float | None = 0.0, high: float | None = None, *, above: bool = False, kind: str = "number"
) -> dict[str, _Limit]:
    """A field's ``metadata``: its :class:`_Limit` (fields without one: a number, 0 or more)."""
    return {"limit": _Limit(kind, low, high, above)}


@dataclass(frozen=True)
class Thresholds:
    """Numbers that turn measurements into findings. Override any of them in ``[thresholds]``.

    Each docstring says where the number comes from. "Issue N" is the issue whose session
    chose it (``issues stops``, ``git log``); LAB-NOTES and DEVICE-NOTES are the team's
    measurements on the lab machines.
    """

    rtt_good_ms: float = 100.0
    """Round trip at or below which the connection is good: issue 3's levels (RTT
    100/250/400 ms, jitter 10/30 ms, loss 1/3/8 %)."""
    rtt_fair_ms: float = 250.0
    """Round trip above which ``network.rtt_high`` warns (issue 3's levels)."""
    rtt_poor_ms: float = 400.0
    """Round trip above which video is ruled out (issue 3's levels)."""
    jitter_good_ms: float = 10.0
    """Jitter (RFC 3550, worst direction) above which ``network.jitter_high`` warns (issue 3)."""
    jitter_fair_ms: float = 30.0
    """Jitter above which video is ruled out (issue 3's levels, jitter 10/30 ms)."""
    loss_good_pct: float = 1.0
    """Packet loss (worst direction) above which ``network.loss_high`` warns (issue 3)."""
    loss_fair_pct: float = 3.0
    """Loss above which video is ruled out (issue 3's levels, loss 1/3/8 %)."""
    loss_poor_pct: float = 8.0
    """Loss above which no internet call will work: call by phone (issue 3; issue 11 added
    that the 95 % interval's low end must be above it too)."""
    measure_drop_pct: float = 0.5
    """Datagrams the measuring computers' own sockets dropped (they could not read them in
    time), as a share of a direction's loss packets: above it, that loss is not judged.
    Issue 11 (item 19: the kernel's drop counter matched the "lost" packets, 1773 vs 1740)."""
    measure_lag_ms: float = 25.0
    """Event-loop timer lateness (p95) of this computer while it measured: above it, the
    delay, jitter and delay-under-load figures of that phase are not judged. Chosen by
    the team, issue 11 (item 19)."""
    stun_rtt_slow_ms: float = 250.0
    """Best STUN round trip above which ``ice.stun_slow`` says the servers are far away;
    chosen by the team, issue 2 (the same level as ``rtt_fair_ms``)."""
    loopback_rtt_slow_ms: float = 20.0
    """Data-channel p95 round trip on this computer above which ``loopback.rtt_high`` says
    it is overloaded; chosen by the team, issue 2 (measured 0.8–1.0 ms on these machines)."""
    loopback_throughput_low_kbps: float = 5000.0
    """Local data-channel throughput below which ``loopback.throughput_low`` warns. Issue 2:
    measured 26–35 Mbit/s idle and 6–10 Mbit/s busy here; 8 Mbit/s flagged a merely busy
    2-core computer, so 5 Mbit/s."""
    loopback_connect_slow_s: float = 3.0
    """Two local peers taking longer than this to connect (measured 0.04 s here): the
    computer is struggling; chosen by the team, issue 2."""
    cpu_busy_pct: float = 85.0
    """CPU used by other programs at or above which the computer is too busy for a call;
    chosen by the team, issue 2."""
    memory_low_mb: float = 500.0
    """Available memory below which a call may stutter; chosen by the team, issue 2."""
    battery_low_pct: float = 20.0
    """Battery charge (unplugged) below which the computer may die mid-session; chosen by
    the team, issue 2."""
    # --- thresholds (issue 12): the advice modules' constants, moved here ---
    camera_dark_luma: float = field(default=50.0, metadata=_limit(0.0, 255.0))
    """Mean luma (0–255) below which the picture is too dark. Issue 4; DEVICE-NOTES measured
    mean luma 86 for a well-lit face and 37 after darkening (gamma 3.5)."""
    camera_backlight_levels: float = field(default=50.0, metadata=_limit(0.0, 255.0))
    """Surroundings brighter than the subject by this many luma levels: backlit ("a window
    behind you"); chosen by the team, issue 4."""
    camera_blur_var_min: float = 40.0
    """Variance of the Laplacian (at 640 px width) below which the picture is blurred.
    Issue 4; DEVICE-NOTES measured 470 sharp and 3.9 after a σ 3 blur."""
    camera_covered_pct: float = field(default=50.0, metadata=_limit(0.0, 100.0))
    """Black or covered frames (% of frames) at or above which nothing is visible; chosen by
    the team, issue 4 (half of the frames)."""
    camera_frozen_pct: float = field(default=80.0, metadata=_limit(0.0, 100.0))
    """Identical consecutive frames (%) at or above which the picture is frozen; chosen by
    the team, issue 4."""
    camera_frozen_min_frames: int = field(default=3, metadata=_limit(kind="whole"))
    """Frames needed before a picture can be called frozen; chosen by the team, issue 4."""
    camera_min_fps: float = 15.0
    """Achieved frames per second below which motion looks jerky; chosen by the team,
    issue 4 (half of the 30 fps the probe asks for)."""
    camera_face_min_size_pct: float = field(default=10.0, metadata=_limit(0.0, 100.0))
    """Face width (% of frame width) below which the person sits too far away; chosen by
    the team, issue 4."""
    camera_face_centre_x: tuple[float, float] = field(default=(0.25, 0.75), metadata=_limit(0.0, 1.0, kind="range"))
    """Where a face centre should be across the frame (fractions of its width, left to
    right); chosen by the team, issue 4."""
    camera_face_centre_y: tuple[float, float] = field(default=(0.15, 0.75), metadata=_limit(0.0, 1.0, kind="range"))
    """Where a face centre should be down the frame (fractions of its height, top to
    bottom); chosen by the team, issue 4."""
    camera_min_face_checks: int = field(default=3, metadata=_limit(kind="whole"))
    """Face detections run (every 10th frame) before "no face" may be said; chosen by the
    team, issue 4."""
    microphone_silent_peak_dbfs: float = field(default=-60.0, metadata=_limit(-200.0, 0.0))
    """Peak below this over the whole listen: (nearly) nothing reaches the microphone;
    chosen by the team, issue 4."""
    microphone_clip_pct: float = field(default=0.1, metadata=_limit(0.0, 100.0))
    """Samples at full scale (%) above which the voice distorts; chosen by the team, issue 4."""
    microphone_noise_floor_dbfs: float = field(default=-45.0, metadata=_limit(-200.0, 0.0))
    """Noise between words above this is distracting background noise; chosen by the team,
    issue 4."""
    microphone_hum_prominence_db: float = 15.0
    """A 50/60 Hz mains line this far above its neighbourhood is audible hum (with
    ``microphone_hum_min_dbfs``); chosen by the team, issue 4."""
    microphone_hum_min_dbfs: float = field(default=-70.0, metadata=_limit(-200.0, 0.0))
    """The least level of a mains line that counts as audible hum; chosen by the team, issue 4."""
    microphone_narrowband_rates: tuple[int, ...] = field(default=(8000, 16000), metadata=_limit(kind="rates"))
    """Sample rates (with one channel) of Bluetooth headsets in hands-free mode (HFP/HSP:
    8 kHz CVSD, 16 kHz mSBC). Issue 4; DEVICE-NOTES (8 kHz is what a headset in hands-free
    mode sends)."""
    microphone_narrowband_hf_db: float = field(default=-40.0, metadata=_limit(-200.0, 0.0))
    """Energy above 4.2 kHz this far below the telephone band (300–3400 Hz): the sound was
    band-limited; chosen by the team, issue 4."""
    speaker_echo_strong_db: float = field(default=-20.0, metadata=_limit(-200.0, 0.0))
    """The test sweep coming back louder than this (relative to what was played) is a
    strong echo path: open speakers next to the microphone; through headphones it is not
    heard at all. Chosen by the team, issue 4 (DEVICE-NOTES: half volume reads −18 dB)."""
    media_fps_share_min: float = field(default=0.8, metadata=_limit(0.0, 1.0))
    """Frames encoded and decoded per second, as a share of the target (30 fps), below which
    video suffers; chosen by the team, issue 4."""
    media_cpu_headroom_min_pct: float = field(default=10.0, metadata=_limit(0.0, 100.0))
    """Computer CPU left over while encoding 720p below which other work will make video
    stutter; chosen by the team, issue 4 (measured 18 % here at 720p, 29.9 fps)."""
    bufferbloat_ms: float = 100.0
    """Extra delay under load that people notice in conversation (``network.bufferbloat``);
    chosen by the team, issue 3."""
    audio_min_kbps: float = 100.0
    """Below this rate, even an audio call (Opus ≈ 40–80 kbit/s with overhead) breaks up:
    call by phone; chosen by the team, issue 3."""
    video_min_tier: str = field(default="360p", metadata=_limit(kind="tier"))
    """The smallest picture still worth sending; a rate below what it needs means audio
    only. Chosen by the team, issue 3 (one of issue 3's tiers)."""
    video_headroom: float = field(default=0.75, metadata=_limit(0.0, 1.0, above=True))
    """Share of a measured rate that video may use: a tier fits when its target ≤ this ×
    the rate. Issue 3 ("first tier whose target × 0.75 fits")."""
    download_socket_drops_max: int = field(default=20, metadata=_limit(kind="whole"))
    """More datagrams than this dropped by this computer's own sockets during the download
    test: it read too slowly, so delay under load was its own buffer, not the network's.
    Issue 11 (item 19: the kernel's drop counter matched the "lost" packets); the same
    number as ``rtc.measure.blast.RECEIVER_DROPS``, which marks that download a lower bound."""
    gentle_cap_reached: float = field(default=0.9, metadata=_limit(0.0, 1.0))
    """Gentle mode: a capped direction measured at this share of the cap or more reached
    it, so it is reported as "at least" the cap; chosen by the team, issue 11 (item 7)."""


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
    needs (``rtc.measure.blast.GENTLE_MAX_KBPS``) instead of filling the link."""

    def __post_init__(self) -> None:
        remember_secret(self.token)  # so no crash log can hold it


def _from_toml(path: Path, explicit: bool) -> dict[str, object]:
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


def _thresholds(data: object, where: str) -> Thresholds:
    if not isinstance(data, Mapping):
        raise SettingsError(f"{where}: [thresholds] must be a table")
    known = {f.name: f for f in fields(Thresholds)}
    values: dict[str, Any] = {}  # by field name: each checked against its field's type below
    for k, v in data.items():
        if k not in known:
            raise SettingsError(f"{where}: unknown threshold {k!r}; known: {', '.join(sorted(known))}")
        limit: _Limit = known[k].metadata.get("limit", _Limit())
        values[k] = _threshold(k, v, limit, where)
    return replace(Thresholds(), **values)


def _threshold(name: str, v: object, limit: _Limit, where: str) -> object:
    """One ``[thresholds]`` value, checked against its field's :class:`_Limit`."""
    kind, low, high, above = limit.kind, limit.low, limit.high, limit.above
    if kind == "tier":
        if v not in VIDEO_TIER_NAMES:
            raise SettingsError(f"{where}: threshold {name} must be one of {', '.join(VIDEO_TIER_NAMES)}")
        return v
    if kind == "whole":
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise SettingsError(f"{where}: threshold {name} must be a whole number, 0 or more")
        return v
    if kind == "rates":
        if (
            not isinstance(v, list)
            or not v
            or not all(isinstance(r, int) and not isinstance(r, bool) and 0 < r <= 1_000_000 for r in v)
        ):
            raise SettingsError(f"{where}: threshold {name} must be a list of sample rates (whole numbers of Hz)")
        return tuple(v)
    if kind == "range":
        pair = [_within(x, low, high, above) for x in v] if isinstance(v, list) and len(v) == 2 else []
        if len(pair) != 2 or pair[0] is None or pair[1] is None or pair[0] > pair[1]:
            raise SettingsError(
                f"{where}: threshold {name} must be two numbers from {low:g} to {high:g}, the smaller first"
            )
        return (pair[0], pair[1])
    number = _within(v, low, high, above)
    if number is None:
        if high is None:
            raise SettingsError(f"{where}: threshold {name} must be a number, 0 or more")
        lowest = f"above {low:g}" if above else f"from {low:g}"
        raise SettingsError(f"{where}: threshold {name} must be a number {lowest} to {high:g}")
    return number


def _within(v: object, low: float | None, high: float | None, above: bool) -> float | None:
    """``v`` as a float when it is a finite number in ``low``..``high`` (None: that end is
    open; ``above``: strictly above ``low``), else None."""
    if not _finite(v):
        return None
    x = float(v)
    if low is not None and (x <= low if above else x < low):
        return None
    return x if high is None or x <= high else None


def _finite(v: object) -> TypeGuard[int | float]:
    """A real number: not true/false, not NaN or infinity, not too large for a float."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


_TOP_KEYS = {
    "ice_servers",
    "ca_file",
    "probes",
    "server",
    "token",
    "thresholds",
    "probe_timeout_s",
    "redact",
    "camera",
    "microphone",
    "speaker",
    "gentle",
}


def settings_from_mapping(data: Mapping[str, object], where: str) -> Settings:
    """Build settings from a decoded TOML document."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_TOP_KEYS))}"
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
            text = data[key]
            if not isinstance(text, str):
                raise SettingsError(f"{where}: {key} must be text")
            change: dict[str, Any] = {key: text}  # every one of these fields is str | None
            s = replace(s, **change)
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
