"""The data every part of sessioncheck shares: measurements, findings, results, reports.

Standard library only, so any tool can read a report without aiortc or Textual.
Everything is a frozen dataclass; ``to_dict``/``from_dict`` give the stable JSON form
(see ``report/schema.json``). The JSON names are a public contract: other tools read
these reports, so a rename is a schema version change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from .errors import SessioncheckError

SCHEMA_VERSION = 1
"""Version of the report's JSON form. Bump on any incompatible change."""

Value = float | int | str | bool | tuple[str, ...] | None
"""What a measurement or a piece of evidence can hold. A tuple is a list of names (the
programs holding a device, the busiest processes, the network interfaces); JSON holds it
as a list of strings."""

JsonValue = float | int | str | bool | list[str] | None
"""A :data:`Value` in its JSON form."""


class ModelError(SessioncheckError, ValueError):
    """A report or one of its parts does not have the expected shape."""

    title_key = "error.title.report_file"


class DeviceErrorKind(StrEnum):
    """Why a device could not be used; the value is what ``<probe>.outcome`` records (the
    media sources raise it in ``media.errors.DeviceError``, advice judges it)."""

    MISSING = "missing"
    """No such device (or file)."""
    BUSY = "busy"
    """Another program has it."""
    PERMISSION = "permission"
    """The OS refused access."""
    UNPLUGGED = "unplugged"
    """It stopped mid-test."""
    INVALID = "invalid"
    """The source given cannot be read: a bad file or virtual-source spec."""


class Severity(StrEnum):
    """How bad a finding is."""

    INFO = "info"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}


class Status(StrEnum):
    """Outcome of one probe.

    ``fail`` means the user's connection or device is bad; ``error`` means the probe
    itself broke (our bug or an unexpected environment). They are never confused.
    """

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


class Verdict(StrEnum):
    """What kind of session this computer and connection are ready for."""

    VIDEO = "video"
    AUDIO_ONLY = "audio_only"
    PHONE = "phone"


class Audience(StrEnum):
    """Who reads a piece of wording."""

    CLIENT = "client"
    THERAPIST = "therapist"
    SUPPORT = "support"


class Role(StrEnum):
    """Who a side of a peer test is; ``peer.<role>.*`` keys and the wire use these values."""

    THERAPIST = "therapist"
    CLIENT = "client"

    @property
    def other(self) -> Role:
        return Role.CLIENT if self is Role.THERAPIST else Role.THERAPIST

    @property
    def audience(self) -> Audience:
        return Audience(self.value)


class Impact(StrEnum):
    """What a finding rules out, which decides the verdict."""

    NONE = "none"
    """Worth knowing; the session can go ahead as planned."""
    VIDEO = "video"
    """Video is unlikely to work well: fall back to audio only."""
    CALL = "call"
    """No internet call is likely to work: fall back to the phone."""


@dataclass(frozen=True)
class Measurement:
    """One number (or fact) a probe measured. Probes never judge it."""

    key: str
    """Stable dotted name, e.g. ``loopback.rtt_median_ms``."""
    value: Value
    """The measured value."""
    unit: str = ""
    """Unit of ``value`` (``ms``, ``kbps``, ``%``, ``count`` ...); empty for facts."""
    samples: tuple[float, ...] | None = None
    """The raw samples behind ``value``, when there are several."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "value": _json_value(self.value), "unit": self.unit}
        if self.samples is not None:
            out["samples"] = [_json_value(s) for s in self.samples]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Measurement:
        _require(data, "measurement", ("key", "value", "unit"))
        samples = data.get("samples")
        return cls(
            key=_str(data["key"], "measurement key"),
            value=_measured(_str(data["key"], "measurement key"), data["value"]),
            unit=_str(data["unit"], "measurement unit"),
            samples=None if samples is None else tuple(_sample(s) for s in _list(samples)),
        )


@dataclass(frozen=True)
class Wording:
    """What one audience reads about a finding."""

    title: str
    """One short line."""
    text: str
    """A few sentences: what happened and why it matters."""
    steps: tuple[str, ...] = ()
    """Numbered fix steps, in order; empty when nothing needs doing."""

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "text": self.text, "steps": list(self.steps)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Wording:
        _require(data, "wording", ("title", "text", "steps"))
        return cls(
            title=_str(data["title"], "wording title"),
            text=_str(data["text"], "wording text"),
            steps=tuple(_str(s, "fix step") for s in _list(data["steps"])),
        )


@dataclass(frozen=True)
class Finding:
    """A judgement about measurements, with wording for every audience."""

    code: str
    """Stable dotted code, e.g. ``ice.turn_auth_failed``."""
    severity: Severity
    impact: Impact
    """What this finding rules out; decides the verdict."""
    wording: Mapping[Audience, Wording]
    """The text per audience; every audience is present."""
    evidence: Mapping[str, Value] = field(default_factory=dict)
    """Measurement keys (or named facts) and the values that led here."""

    def for_audience(self, audience: Audience) -> Wording:
        return self.wording[audience]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "impact": self.impact.value,
            "wording": {a.value: self.wording[a].to_dict() for a in Audience},
            "evidence": {k: _json_value(v) for k, v in self.evidence.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Finding:
        _require(data, "finding", ("code", "severity", "impact", "wording", "evidence"))
        wording = _mapping(data["wording"], "finding wording")
        missing = [a.value for a in Audience if a.value not in wording]
        if missing:
            raise ModelError(f"finding wording lacks audience(s): {', '.join(missing)}")
        evidence = _mapping(data["evidence"], "finding evidence")
        return cls(
            code=_str(data["code"], "finding code"),
            severity=_enum(Severity, data["severity"], "finding severity"),
            impact=_enum(Impact, data["impact"], "finding impact"),
            wording={a: Wording.from_dict(_mapping(wording[a.value], "wording")) for a in Audience},
            evidence={clean_text(str(k)): _value(v, "evidence value") for k, v in evidence.items()},
        )


@dataclass(frozen=True)
class ProbeResult:
    """Everything one probe produced."""

    probe: str
    """Probe id, e.g. ``ice``."""
    status: Status
    duration_s: float
    measurements: tuple[Measurement, ...] = ()
    findings: tuple[Finding, ...] = ()
    skip_reason: str | None = None
    """Why the probe did not run (plain words), when ``status`` is ``skip``."""
    error: str | None = None
    """What broke, when ``status`` is ``error``."""

    def measurement(self, key: str) -> Measurement | None:
        for m in self.measurements:
            if m.key == key:
                return m
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "status": self.status.value,
            "duration_s": _json_value(self.duration_s),
            "measurements": [m.to_dict() for m in self.measurements],
            "findings": [f.to_dict() for f in self.findings],
            "skip_reason": self.skip_reason,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProbeResult:
        _require(
            data,
            "result",
            ("probe", "status", "duration_s", "measurements", "findings", "skip_reason", "error"),
        )
        return cls(
            probe=_str(data["probe"], "result probe"),
            status=_enum(Status, data["status"], "result status"),
            duration_s=_float(data["duration_s"]),
            measurements=tuple(Measurement.from_dict(_mapping(m, "measurement")) for m in _list(data["measurements"])),
            findings=tuple(Finding.from_dict(_mapping(f, "finding")) for f in _list(data["findings"])),
            skip_reason=_opt_str(data["skip_reason"], "skip_reason"),
            error=_opt_str(data["error"], "error"),
        )


@dataclass(frozen=True)
class Report:
    """The outcome of one check: what a front end shows and what support staff open later."""

    tool_version: str
    created: str
    """When the check started, ISO 8601 with time zone."""
    host: Mapping[str, Value]
    """Facts about the machine (OS, Python, library versions)."""
    verdict: Verdict
    verdict_reason: str
    """Why this verdict, in the client's words."""
    results: tuple[ProbeResult, ...]
    interrupted: bool = False
    """True when the check was stopped early; finished results are still here."""
    verdict_complete: bool = False
    """True only when everything the verdict depends on was tested and no ``fail`` finding
    stands. A ``video`` verdict that is not complete is "partly checked", never "ready"."""
    untested: tuple[str, ...] = ()
    """Probe ids the verdict needed that did not run, were skipped, broke, were interrupted,
    or could not measure."""
    redacted: bool = True
    """True when addresses were removed before this report was rendered or saved."""
    top_fixes: tuple[str, ...] | None = None
    """Codes of the findings to act on first, worst first (at most three, never ``info``),
    as advice decided them when it decided the verdict (:func:`sessioncheck.advice.verdict.decide`).
    ``None``: not decided (a report built by hand). A file saved before the field existed
    gets them from advice when loaded (:func:`sessioncheck.report.io.report_from_json`).
    Front ends show :meth:`fixes`."""
    schema_version: int = SCHEMA_VERSION

    def result(self, probe: str) -> ProbeResult | None:
        for r in self.results:
            if r.probe == probe:
                return r
        return None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.results for f in r.findings)

    def fixes(self) -> tuple[Finding, ...]:
        """The findings named by :attr:`top_fixes`, in that order (none when not decided).

        A code named twice stands for its findings in the order the results hold them.
        """
        by_code: dict[str, list[Finding]] = {}
        for f in reversed(self.findings):  # so that pop() gives them in order
            by_code.setdefault(f.code, []).append(f)
        out = []
        for code in self.top_fixes or ():  # linear: a hostile file may name many codes
            left = by_code.get(code)
            if left:
                out.append(left.pop())
        return tuple(out)

    def with_results(self, results: Sequence[ProbeResult]) -> Report:
        return replace(self, results=tuple(results))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool_version": self.tool_version,
            "created": self.created,
            "host": {k: _json_value(v) for k, v in self.host.items()},
            "verdict": self.verdict.value,
            "verdict_reason": self.verdict_reason,
            "verdict_complete": self.verdict_complete,
            "untested": list(self.untested),
            "interrupted": self.interrupted,
            "redacted": self.redacted,
            "top_fixes": None if self.top_fixes is None else list(self.top_fixes),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Report:
        data = _mapping(data, "report")
        if "schema_version" not in data:
            raise ModelError("this is not a sessioncheck report (no schema_version)")
        version = data["schema_version"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ModelError("schema_version must be a whole number")
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(version)
        if version < 1:
            raise ModelError(f"schema_version {version} is not a version sessioncheck ever wrote (1 or more)")
        _require(
            data,
            "report",
            ("tool_version", "created", "host", "verdict", "verdict_reason", "results"),
        )
        host = _mapping(data["host"], "host")
        results = tuple(ProbeResult.from_dict(_mapping(r, "result")) for r in _list(data["results"]))
        interrupted = _bool(data.get("interrupted", False), "interrupted")
        if "verdict_complete" in data:
            complete = _bool(data["verdict_complete"], "verdict_complete")
            untested = tuple(_str(p, "untested probe") for p in _list(data.get("untested", [])))
        else:
            # Written before these fields existed: trust it no further than its results show.
            untested = tuple(r.probe for r in results if r.status in (Status.SKIP, Status.ERROR))
            complete = not untested and not interrupted
        top_fixes = None
        if data.get("top_fixes") is not None:
            top_fixes = tuple(_str(c, "top fix") for c in _list(data["top_fixes"]))
        return cls(
            schema_version=version,
            tool_version=_str(data["tool_version"], "tool_version"),
            created=_str(data["created"], "created"),
            host={clean_text(str(k)): _value(v, "host value") for k, v in host.items()},
            verdict=_enum(Verdict, data["verdict"], "verdict"),
            verdict_reason=_str(data["verdict_reason"], "verdict_reason"),
            interrupted=interrupted,
            verdict_complete=complete,
            untested=untested,
            redacted=_bool(data.get("redacted", True), "redacted"),
            top_fixes=top_fixes,
            results=results,
        )


class NewerSchemaError(ModelError):
    """The report was written by a newer sessioncheck."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"this report uses schema version {version}, newer than this sessioncheck "
            f"understands ({SCHEMA_VERSION}); update sessioncheck to open it"
        )
        self.version = version


# --- helpers for strict parsing -------------------------------------------------------------

_DROPPED = dict.fromkeys(
    [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_CONTROLS = {**_DROPPED, **dict.fromkeys(map(ord, "\t\n\r\v\f\u2028\u2029"), " ")}


def clean_text(text: str) -> str:
    """``text`` without control characters, safe to print on a terminal.

    Every string read from a file or the network goes through this: escape sequences
    (a window title change, a clipboard write), other C0/C1 controls and bidirectional
    overrides are dropped; tabs, newlines and other line breaks become spaces, since no
    text in a report spans lines and a line break in a title could forge a line of its own.
    """
    return text.translate(_CONTROLS)


def _json_value(v: Value) -> JsonValue:
    """Floats that JSON cannot hold (NaN, infinity) become null; a tuple becomes a list."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, tuple):
        return list(v)
    return v


def _require(data: Mapping[str, object], what: str, keys: Sequence[str]) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise ModelError(f"{what} is missing field(s): {', '.join(missing)}")


def _mapping(v: object, what: str) -> Mapping[str, object]:
    if not isinstance(v, Mapping):
        raise ModelError(f"{what} must be an object, not {type(v).__name__}")
    return v


def _list(v: object) -> list[object]:
    if not isinstance(v, list):
        raise ModelError(f"expected a list, found {type(v).__name__}")
    return v


def _str(v: object, what: str) -> str:
    if not isinstance(v, str):
        raise ModelError(f"{what} must be text, not {type(v).__name__}")
    return clean_text(v)


def _bool(v: object, what: str) -> bool:
    if not isinstance(v, bool):
        raise ModelError(f"{what} must be true or false, not {type(v).__name__}")
    return v


def _opt_str(v: object, what: str) -> str | None:
    return None if v is None else _str(v, what)


def _float(v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ModelError(f"expected a number, found {type(v).__name__}")
    try:
        return float(v)
    except OverflowError:
        raise ModelError(f"a number with {len(str(v))} digits is too large") from None


def _sample(v: object) -> float:
    """A sample: a number, or null for one that could not be measured (NaN when written)."""
    return math.nan if v is None else _float(v)


def _value(v: object, what: str) -> Value:
    if isinstance(v, str):
        return clean_text(v)
    if v is None or isinstance(v, bool | int | float):
        return v
    if isinstance(v, list) and all(isinstance(s, str) for s in v):
        return tuple(clean_text(s) for s in v)
    raise ModelError(f"{what} must be a number, text, a list of texts, true/false or null")


JOINED_BEFORE: dict[str, str] = {
    ".holders": ", ",
    ".top_processes": ", ",
    "system.interfaces": ",",
}
"""Measurements (by how their key ends) that reports before issue 12 held as one string,
joined with this separator; they are lists now."""


def _measured(key: str, v: object) -> Value:
    """A measurement's value; an older report's joined string becomes the list it stands for."""
    value = _value(v, "measurement value")
    if isinstance(value, str):
        for suffix, sep in JOINED_BEFORE.items():
            if key.endswith(suffix):
                return tuple(s.strip() for s in value.split(sep) if s.strip())
    return value


_E = TypeVar("_E", bound=StrEnum)


def _enum(cls: type[_E], v: object, what: str) -> _E:
    if isinstance(v, str):
        try:
            return cls(v)
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in cls)
    raise ModelError(f"{what} {v!r} is not one of: {allowed}")
