"""Scenario files: one real-world condition, how to reproduce it, what sessioncheck must say.

The format (see DESIGN.md, ``scenarios/``)::

    title = "Congested home Wi-Fi"
    description = "optional, free text"
    probes = ["path"]          # what `sessioncheck check --probes` runs (default: path)
    args = ["--flag", "x"]     # extra `sessioncheck check` arguments; {placeholders} allowed
    timeout_s = 120            # how long the check may take

    [network]                  # the client's side of a lab link; omit for device scenarios
    up_kbit = 800              # bottleneck rate, client → server (kbit/s on the wire)
    down_kbit = 5000
    delay_ms = 60              # one-way delay added in each direction
    jitter_ms = 15             # uniform ± variation of that delay
    loss_pct = 3               # random UDP loss in each direction
    queue_ms = 50              # bottleneck queue depth at the rate (deep = bufferbloat)
    block_udp = false          # drop all UDP (the client must use TURN over TCP/TLS)
    turn = false               # run coturn next to the server and give it to the client
    reorder = false            # jitter lets packets overtake each other
    # per-direction overrides: up_/down_ + delay_ms, jitter_ms, loss_pct, queue_ms

    [virtual_audio]            # device scenarios: a private PulseAudio with a virtual
    speaker_volume_pct = 100   # speaker (vspeaker, its monitor vspeaker_monitor) and
    speaker_muted = false      # microphone (vmic); both keys optional

    [expect]
    measurements = { "path.rtt_ms" = [110, 150], "path.up_kbps" = [680, 900] }
    findings = ["network.upload_low", "network.loss_high"]   # must be reported
    absent = ["network.rtt_high"]                            # must not be reported
    verdict = "audio_only"     # optional: video, audio_only or phone

Unknown keys are errors (a typo must not silently test less). Placeholders in ``args``:
``{server_ip}``, ``{server_url}``, ``{ice_servers_file}``, ``{ca_file}``, ``{turn_tcp_url}``,
``{turn_tls_url}``, ``{turn_username}``, ``{turn_credential}``, and ``{scenario_dir}`` (the
folder holding the scenario file, for media files that ship beside it).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SessioncheckError
from .delay import expected_ping_rtt, expected_rfc3550_jitter
from .shaping import DEFAULT_QUEUE_MS, Direction, Impairment

TOP_KEYS = {"title", "description", "probes", "args", "timeout_s", "network", "virtual_audio", "expect"}
NETWORK_KEYS = {
    "up_kbit",
    "down_kbit",
    "delay_ms",
    "jitter_ms",
    "loss_pct",
    "queue_ms",
    "block_udp",
    "turn",
    "reorder",
    *(f"{d}_{k}" for d in ("up", "down") for k in ("delay_ms", "jitter_ms", "loss_pct", "queue_ms")),
}
EXPECT_KEYS = {"measurements", "findings", "absent", "verdict"}
VIRTUAL_AUDIO_KEYS = {"speaker_volume_pct", "speaker_muted"}
MAX_VOLUME_PCT = 150.0
VERDICTS = ("video", "audio_only", "phone")
PLACEHOLDERS = (
    "server_ip",
    "server_url",
    "ice_servers_file",
    "ca_file",
    "turn_tcp_url",
    "turn_tls_url",
    "turn_username",
    "turn_credential",
    "scenario_dir",
)
DEFAULT_TIMEOUT_S = 120.0
PROBE_PACED_INTERVAL_MS = 5.0
"""Spacing of the path probe's paced packets (``rtc.measure.results.Plan.paced_interval_ms``)."""
PROBE_PING_INTERVAL_MS = 12.0
"""Spacing of the path probe's quiet pings (``rtc.measure.results.Plan.ping_interval_s``)."""
PROBE_QUIET_PINGS = 52
"""How many quiet pings its RTT is the median of (``rtc.measure.results.Plan.quiet_pings``)."""


class ScenarioError(SessioncheckError, ValueError):
    """A scenario file is missing, unreadable or malformed; the message names file and key."""

    title_key = "error.title.lab"


@dataclass(frozen=True)
class Network:
    """The [network] table: a lab link and whether a TURN server stands by."""

    impairment: Impairment
    turn: bool = False

    @property
    def up(self) -> Direction:
        return self.impairment.up

    @property
    def down(self) -> Direction:
        return self.impairment.down


@dataclass(frozen=True)
class VirtualAudioSpec:
    """The [virtual_audio] table: the runner starts a private PulseAudio set up like this."""

    speaker_volume_pct: float = 100.0
    speaker_muted: bool = False


@dataclass(frozen=True)
class Expect:
    measurements: Mapping[str, tuple[float, float] | str] = field(default_factory=dict)
    """Key → inclusive [low, high] range, or the exact text a fact must be."""
    findings: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    verdict: str | None = None


@dataclass(frozen=True)
class Scenario:
    path: Path
    title: str
    description: str
    probes: tuple[str, ...]
    args: tuple[str, ...]
    timeout_s: float
    network: Network | None
    expect: Expect
    virtual_audio: VirtualAudioSpec | None = None

    @property
    def name(self) -> str:
        return self.path.stem

    def truth(self) -> dict[str, float]:
        """What the link is configured to be, in the path probe's measurement keys.

        Bandwidth is the configured wire rate; loss the configured percentage. RTT is the
        median RTT the delay stage gives the path probe's quiet pings (every
        :data:`PROBE_PING_INTERVAL_MS`): the sum of the one-way delays without jitter, more
        on a jittery FIFO link, where a ping that drew a short delay waits for the one
        before it (``lab.delay.expected_ping_rtt``: 60 ± 15 ms each way gives 123.1, not
        120). Jitter is the RFC 3550 value that the delay stage's uniform ±J gives the path
        probe's paced packets (every :data:`PROBE_PACED_INTERVAL_MS`): 2J/3 for packets
        spaced wider than 2J, less when they queue behind each other.
        """
        if self.network is None:
            return {}
        up, down = self.network.up, self.network.down
        reorder = self.network.impairment.reorder
        rtt = expected_ping_rtt(
            (up.delay_ms, up.jitter_ms),
            (down.delay_ms, down.jitter_ms),
            PROBE_PING_INTERVAL_MS,
            PROBE_QUIET_PINGS,
            reorder,
        )
        out: dict[str, float] = {"path.rtt_ms": round(rtt, 1)}
        if up.rate_kbit is not None:
            out["path.up_kbps"] = up.rate_kbit
        if down.rate_kbit is not None:
            out["path.down_kbps"] = down.rate_kbit
        out["path.loss_up_pct"] = up.loss_pct
        out["path.loss_down_pct"] = down.loss_pct
        for key, d in (("path.jitter_up_ms", up), ("path.jitter_down_ms", down)):
            out[key] = round(expected_rfc3550_jitter(d.jitter_ms, PROBE_PACED_INTERVAL_MS, reorder), 2)
        return out


def _err(path: Path, msg: str) -> ScenarioError:
    return ScenarioError(f"{path}: {msg}")


def _number(path: Path, where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise _err(path, f"{where} must be a number, not {v!r}")
    return float(v)


def _bool(path: Path, where: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise _err(path, f"{where} must be true or false, not {v!r}")
    return v


def _strings(path: Path, where: str, v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise _err(path, f"{where} must be a list of strings")
    return tuple(v)


def _table(path: Path, where: str, v: Any) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise _err(path, f"{where} must be a table")
    return v


def _unknown(path: Path, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise _err(
            path, f"unknown key(s) {', '.join(map(repr, extra))} in {where}; allowed: {', '.join(sorted(allowed))}"
        )


def _network(path: Path, data: Mapping[str, Any]) -> Network:
    _unknown(path, "[network]", data, NETWORK_KEYS)

    def num(key: str, default: float | None) -> float | None:
        return default if key not in data else _number(path, f"network.{key}", data[key])

    def direction(d: str) -> Direction:
        rate = num(f"{d}_kbit", None)
        values = {}
        for k, default in (("delay_ms", 0.0), ("jitter_ms", 0.0), ("loss_pct", 0.0), ("queue_ms", DEFAULT_QUEUE_MS)):
            shared = num(k, default)
            values[k] = num(f"{d}_{k}", shared)
        return Direction(rate_kbit=rate, **values)  # type: ignore[arg-type]

    imp = Impairment(
        up=direction("up"),
        down=direction("down"),
        block_udp=_bool(path, "network.block_udp", data.get("block_udp", False)),
        reorder=_bool(path, "network.reorder", data.get("reorder", False)),
    )
    try:
        imp.validate()
    except ValueError as e:
        raise _err(path, f"[network]: {e}") from None
    turn = _bool(path, "network.turn", data.get("turn", imp.block_udp))
    return Network(imp, turn)


def _virtual_audio(path: Path, data: Mapping[str, Any]) -> VirtualAudioSpec:
    _unknown(path, "[virtual_audio]", data, VIRTUAL_AUDIO_KEYS)
    volume = _number(path, "virtual_audio.speaker_volume_pct", data.get("speaker_volume_pct", 100.0))
    if not 0 <= volume <= MAX_VOLUME_PCT:
        raise _err(path, f"virtual_audio.speaker_volume_pct must be 0 … {MAX_VOLUME_PCT:g}, not {volume:g}")
    muted = _bool(path, "virtual_audio.speaker_muted", data.get("speaker_muted", False))
    return VirtualAudioSpec(volume, muted)


def _expect(path: Path, data: Mapping[str, Any]) -> Expect:
    _unknown(path, "[expect]", data, EXPECT_KEYS)
    ranges: dict[str, tuple[float, float] | str] = {}
    for key, r in _table(path, "expect.measurements", data.get("measurements", {})).items():
        if isinstance(r, str):
            ranges[key] = r
            continue
        if not isinstance(r, list) or len(r) != 2:
            raise _err(path, f"expect.measurements.{key!r} must be [low, high] or a text")
        lo = _number(path, f"expect.measurements.{key!r} low", r[0])
        hi = _number(path, f"expect.measurements.{key!r} high", r[1])
        if lo > hi:
            raise _err(path, f"expect.measurements.{key!r}: low {lo:g} is above high {hi:g}")
        ranges[key] = (lo, hi)
    findings = _strings(path, "expect.findings", data.get("findings", []))
    absent = _strings(path, "expect.absent", data.get("absent", []))
    both = sorted(set(findings) & set(absent))
    if both:
        raise _err(path, f"expect lists {', '.join(both)} as both a finding and absent")
    verdict = data.get("verdict")
    if verdict is not None and verdict not in VERDICTS:
        raise _err(path, f"expect.verdict {verdict!r} is not one of: {', '.join(VERDICTS)}")
    return Expect(ranges, findings, absent, verdict)


def load_scenario(path: Path | str) -> Scenario:
    """Read and check one scenario file; raise :class:`ScenarioError` saying what is wrong."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read it: {e.strerror or e}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML: {e}") from None
    _unknown(path, "the top level", data, TOP_KEYS)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _err(path, 'needs a title = "..."')
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _err(path, "description must be text")
    network = _network(path, _table(path, "[network]", data["network"])) if "network" in data else None
    if "probes" in data:
        probes = _strings(path, "probes", data["probes"])
        if not probes:
            raise _err(path, "probes must name at least one probe")
    elif network is not None:
        probes = ("path",)
    else:
        raise _err(path, "without a [network] table, say which probes to run (probes = [...])")
    args = _strings(path, "args", data.get("args", []))
    for a in args:
        try:
            a.format_map({k: "" for k in PLACEHOLDERS})
        except (KeyError, ValueError, IndexError) as e:
            raise _err(
                path,
                f"args entry {a!r} has an unknown placeholder {e}; "
                f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
            ) from None
    timeout = _number(path, "timeout_s", data.get("timeout_s", DEFAULT_TIMEOUT_S))
    if timeout <= 0:
        raise _err(path, "timeout_s must be positive")
    if "expect" not in data:
        raise _err(path, "needs an [expect] table: what must sessioncheck report?")
    expect = _expect(path, _table(path, "[expect]", data["expect"]))
    audio = (
        _virtual_audio(path, _table(path, "[virtual_audio]", data["virtual_audio"]))
        if "virtual_audio" in data
        else None
    )
    if audio is not None and network is not None:
        raise _err(path, "a scenario has either [network] or [virtual_audio], not both")
    return Scenario(path, title.strip(), description, probes, args, timeout, network, expect, audio)


def load_scenarios(paths: list[Path] | list[str]) -> list[Scenario]:
    """Load several files (folders: every ``*.toml`` inside, subfolders too), in order.

    So ``python -m sessioncheck.lab run scenarios`` runs the whole catalogue: network,
    camera, microphone and speaker."""
    out: list[Scenario] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(p.rglob("*.toml"))
            if not files:
                raise ScenarioError(f"{p}: folder has no .toml scenario files")
            out.extend(load_scenario(f) for f in files)
        else:
            out.append(load_scenario(p))
    return out
