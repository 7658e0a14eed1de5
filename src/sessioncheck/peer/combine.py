"""The combined report of a peer test: one report, the same on both sides.

Everything is in one result with probe id ``peer``, judged by the runner like any probe's
(:func:`sessioncheck.runner.result_of`). Keys:

* ``peer.test_id`` (shared by both copies), ``peer.outcome`` (:class:`PeerOutcome`: ``ok``, ``peer_left``,
  ``server_lost``, ``server_ended``, ``connect_failed``, ``peer_silent``, ``timed_out``, or a
  refusal: ``bad_code``, ``expired``, ``used``, ``rate_limited``, ``auth_failed``, ``busy``,
  ``server_unreachable``, ``bad_url``, ``protocol_error``), ``peer.detail``.
* Per side, ``<side>`` being a :class:`~sessioncheck.model.Role` (``therapist`` or ``client``):
  ``peer.<side>.reported`` (did that side's measurements arrive), ``peer.<side>.kind``
  (only for a web browser peer: ``browser``; see :mod:`.browser`), and what that side
  measured as the *sender* of its direction — ``up_kbps`` is what it can send to the other,
  ``loss_up_pct``/``jitter_up_ms`` what happened to its packets on the way,
  ``media.video_loss_pct`` how its video arrived on the other side — plus the shared path as
  it saw it (``rtt_ms``, ``candidate_type``, ``transport``, ...) and its own computer's facts
  from the ``system`` probe under ``peer.<side>.system.*``.

The report's ``host`` holds both machines' facts as ``therapist.*`` and ``client.*``;
``created`` is the moment the server paired the two sides. Only the rendering differs per
copy (therapist's wording vs client's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..model import Measurement, Role, Value
from ..report.redact import redact_measurements


class PeerOutcome(StrEnum):
    """How a peer test ended (``peer.outcome``); the values are the report's."""

    OK = "ok"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    """Our bug or an unexpected environment (``peer.detail`` says what)."""
    PEER_LEFT = "peer_left"
    PEER_SILENT = "peer_silent"
    SERVER_LOST = "server_lost"
    SERVER_ENDED = "server_ended"
    CONNECT_FAILED = "connect_failed"
    PROTOCOL_ERROR = "protocol_error"
    # refusals: no test ran
    BAD_CODE = "bad_code"
    EXPIRED = "expired"
    USED = "used"
    RATE_LIMITED = "rate_limited"
    AUTH_FAILED = "auth_failed"
    BUSY = "busy"
    SERVER_UNREACHABLE = "server_unreachable"
    BAD_URL = "bad_url"
    BAD_MESSAGE = "bad_message"
    VERSION = "version"
    TIMEOUT = "timeout"

    @classmethod
    def of(cls, code: str) -> PeerOutcome:
        """The outcome a signalling error names; a code this version does not know (a newer
        server's) is a protocol error."""
        try:
            return cls(code)
        except ValueError:
            return cls.PROTOCOL_ERROR


@dataclass
class SideData:
    """What one side contributes."""

    role: Role
    measurements: list[Measurement] = field(default_factory=list)
    """Already keyed ``peer.<role>.*``."""
    system: list[Measurement] = field(default_factory=list)
    """The ``system`` probe's measurements, keyed ``system.*``."""
    host: dict[str, Value] = field(default_factory=dict)
    duration_s: float = 0.0
    reported: bool = False
    kind: str | None = None
    """What that side ran: None for sessioncheck, ``"browser"`` for the page ``serve`` hosts."""


def measurements_to_wire(ms: Iterable[Measurement]) -> list[dict[str, object]]:
    """Measurements as sent to the other side: always redacted (that side is another person,
    and ``--no-redact`` is a choice about one's own report only)."""
    return [m.to_dict() for m in redact_measurements(ms)]


def measurements_from_wire(data: object, prefix: str) -> list[Measurement]:
    """Measurements sent by the other side, redacted; anything not under ``prefix`` is dropped."""
    out: list[Measurement] = []
    if not isinstance(data, list):
        return out
    for item in data:
        try:
            m = Measurement.from_dict(item)
        except (ValueError, TypeError, AttributeError):
            continue
        if m.key.startswith(prefix):
            out.append(m)
    return redact_measurements(out)  # an older sessioncheck may send them unredacted


def combined_measurements(
    test_id: str | None,
    sides: Mapping[Role, SideData],
    outcome: PeerOutcome,
    detail: str,
    extra: Iterable[Measurement] = (),
) -> list[Measurement]:
    """The ``peer`` result's measurements, by key: the same on both sides once both reported."""
    ms: dict[str, Measurement] = {}

    def put(m: Measurement) -> None:
        ms[m.key] = m

    if test_id:
        put(Measurement("peer.test_id", test_id))
    put(Measurement("peer.outcome", outcome.value))
    if detail:
        put(Measurement("peer.detail", detail))
    for m in extra:
        put(m)
    for role in Role:
        side = sides.get(role)
        if side is None:
            continue
        put(Measurement(f"peer.{role}.reported", side.reported))
        if side.kind is not None:
            put(Measurement(f"peer.{role}.kind", side.kind))
        for m in side.measurements:
            put(m)
        for m in side.system:
            if m.key.startswith("system."):
                put(Measurement(f"peer.{role}.{m.key}", m.value, m.unit, m.samples))
    return [ms[k] for k in sorted(ms)]


def combined_host(sides: Mapping[Role, SideData]) -> dict[str, Value]:
    """Both machines' facts, as ``therapist.*`` and ``client.*``."""
    host: dict[str, Value] = {}
    for role in Role:
        side = sides.get(role)
        if side is not None:
            for k, v in sorted(side.host.items()):
                host[f"{role}.{k}"] = v
    return host


def combined_duration(sides: Mapping[Role, SideData]) -> float:
    """The test's duration both copies share: the longer side's."""
    return round(max((s.duration_s for s in sides.values()), default=0.0), 2)
