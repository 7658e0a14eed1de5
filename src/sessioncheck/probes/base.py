"""What a probe is. Probes measure, and only measure: judging is advice's job."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from ..advice import catalogue
from ..events import Event, Progress, Sample
from ..model import Measurement, ProbeResult, Value
from ..settings import Settings


class ProbeSkipped(Exception):
    """Raised by a probe that cannot run here; the message is shown to the client as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ProbeContext:
    """What a running probe may use: settings, finished dependencies, and a place to record."""

    probe_id: str
    settings: Settings
    dependencies: dict[str, ProbeResult]
    """Finished results of the probes named in ``depends_on`` and ``after``."""
    emit: Callable[[Event], None]
    measurements: list[Measurement] = field(default_factory=list)
    """Recorded so far; kept even if the probe later times out, breaks or is cancelled."""
    wait_measure: Callable[[], Awaitable[float]] | None = None
    """Set by the runner when the probe has ``measure_after`` probes; use
    :meth:`ready_to_measure`."""
    subrun: Callable[[Probe, Settings], Awaitable[ProbeResult]] | None = None
    """Set by the runner; use :meth:`run_probe`."""
    duration_s: float | None = None
    """Set by a probe whose duration is not its own running time (a peer test's is the one
    both sides agreed on); None: the runner times it."""

    async def ready_to_measure(self) -> float:
        """Wait until the probes in ``measure_after`` have finished; returns the seconds waited.

        A probe calls this when its set-up (connecting, loading: mostly waiting) is done and
        its measurements, which those probes' load would disturb, begin. Their results are
        then in :attr:`dependencies`. The time waited does not count against the probe's
        timeout. Returns at once when there is nothing to wait for (or on a second call).
        """
        if self.wait_measure is None:
            return 0.0
        return await self.wait_measure()

    async def run_probe(self, probe: Probe, settings: Settings | None = None) -> ProbeResult:
        """Run ``probe`` as part of this probe's work (the peer test checks the TURN servers the
        room gave it with the ice probe): under its own time limit, its events not shown, its
        result returned for this probe to use."""
        if self.subrun is None:
            raise RuntimeError("run_probe needs a probe context made by the runner")
        return await self.subrun(probe, settings or self.settings)

    def record(
        self,
        key: str,
        value: Value,
        unit: str = "",
        samples: Iterable[float] | None = None,
    ) -> Measurement:
        """Record one measurement (replacing an earlier one with the same key)."""
        m = Measurement(
            key=key,
            value=value,
            unit=unit,
            samples=None if samples is None else tuple(float(s) for s in samples),
        )
        self.measurements[:] = [x for x in self.measurements if x.key != key]
        self.measurements.append(m)
        return m

    def sample(self, key: str, value: float, unit: str = "") -> None:
        """Report a live value to front ends (not stored in the report)."""
        self.emit(Sample(self.probe_id, key, float(value), unit))

    def progress(self, fraction: float, note: str = "", **values: str | int | float) -> None:
        """How far it got; ``note`` is a code the catalogue words (``progress.<probe>.<note>``)."""
        self.emit(Progress(self.probe_id, max(0.0, min(1.0, fraction)), note, values))


class Probe(ABC):
    """One kind of measurement. Subclasses set the class attributes and implement ``run``."""

    id: ClassVar[str]
    """Stable id used in plans, reports and measurement keys."""
    depends_on: ClassVar[tuple[str, ...]] = ()
    """Probes that must succeed (pass or warn) first; otherwise this one is skipped."""
    after: ClassVar[tuple[str, ...]] = ()
    """Probes to wait for (when in the plan) and read from ``ctx.dependencies``, whatever
    their outcome; this one runs even if they failed."""
    measure_after: ClassVar[tuple[str, ...]] = ()
    """Probes (when in the plan) whose load would disturb this probe's measurements, but
    not its set-up: it starts without waiting for them (once its ``depends_on`` and
    ``after`` are done) and calls ``await ctx.ready_to_measure()`` before measuring, so
    its set-up overlaps them. Their results are in ``ctx.dependencies`` from then on."""
    timeout_s: ClassVar[float | None] = 10.0
    """Longest the probe may take (``settings.probe_timeout_s`` overrides it); None: no limit."""
    open_ended: ClassVar[bool] = False
    """True for a probe that runs until it is done or stopped (the peer test, a monitor):
    stopping it is a normal end, so the runner judges what it measured, as for a finished
    probe, instead of marking it "stopped"."""

    @property
    def title(self) -> str:
        """What it checks, in plain words: the catalogue names every probe by its ``id``."""
        return catalogue.probe_started(self.id)

    @abstractmethod
    async def run(self, ctx: ProbeContext) -> None:
        """Measure, recording with ``ctx.record``. Raise :class:`ProbeSkipped` to skip."""
