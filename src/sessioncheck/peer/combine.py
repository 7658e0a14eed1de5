"""The combined report of a peer test: one report, the same on both sides.

Everything is in one result with probe id ``peer``. Keys:

* ``peer.test_id`` (shared by both copies), ``peer.outcome`` (``ok``, ``peer_left``,
  ``server_lost``, ``server_ended``, ``connect_failed``, ``peer_silent``, ``timed_out``, or a
  refusal: ``bad_code``, ``expired``, ``used``, ``rate_limited``, ``auth_failed``, ``busy``,
  ``server_unreachable``, ``bad_url``, ``protocol_error``), ``peer.detail``.
* Per side, ``<side>`` being ``therapist`` or ``client``:
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .. import __version__
from ..advice.rules import judge, status_for
from ..advice.verdict import NEEDED_FOR_PEER, decide
from ..model import Measurement, ProbeResult, Report, Status, Value
from ..report.redact import redact_measurements
from ..settings import Thresholds

SIDES = ("therapist", "client")


@dataclass
class SideData:
    """What one side contributes."""

    role: str
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


def combined_result(
    test_id: str | None,
    sides: Mapping[str, SideData],
    outcome: str,
    detail: str,
    thresholds: Thresholds,
    *,
    timed_out: bool = False,
    extra: Mapping[str, Measurement] | None = None,
) -> ProbeResult:
    ms: dict[str, Measurement] = {}

    def put(m: Measurement) -> None:
        ms[m.key] = m

    if test_id:
        put(Measurement("peer.test_id", test_id))
    put(Measurement("peer.outcome", outcome))
    if detail:
        put(Measurement("peer.detail", detail))
    for m in (extra or {}).values():
        put(m)
    for role in SIDES:
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
    measurements = tuple(ms[k] for k in sorted(ms))
    findings = judge("peer", measurements, thresholds, timed_out=timed_out)
    duration = max((s.duration_s for s in sides.values()), default=0.0)
    return ProbeResult(
        probe="peer",
        status=status_for(findings) if measurements else Status.ERROR,
        duration_s=round(duration, 2),
        measurements=measurements,
        findings=tuple(findings),
    )


def combined_report(
    result: ProbeResult,
    sides: Mapping[str, SideData],
    created: str,
    *,
    interrupted: bool = False,
) -> Report:
    host: dict[str, Value] = {}
    for role in SIDES:
        side = sides.get(role)
        if side is not None:
            for k, v in sorted(side.host.items()):
                host[f"{role}.{k}"] = v
    results: Sequence[ProbeResult] = (result,)
    decision = decide(results, needed=NEEDED_FOR_PEER, interrupted=interrupted)
    return Report(
        tool_version=__version__,
        created=created,
        host=host,
        verdict=decision.verdict,
        verdict_reason=decision.reason,
        verdict_complete=decision.complete,
        untested=decision.untested,
        top_fixes=decision.top_fixes,
        results=tuple(results),
        interrupted=interrupted,
        redacted=False,
    )
