"""The runner: a plan of probes → an async stream of events → a :class:`Report`.

Independent probes run concurrently; a probe waits for the probes it depends on and is
skipped, with a reason, when one of them did not succeed. A probe with ``measure_after``
starts at once and sets up while those probes run, then waits for them in
``ctx.ready_to_measure()`` before measuring (that wait counts neither against its timeout
nor in its ``duration_s``). Every probe has a timeout, but an ``open_ended`` one (the peer
test, a monitor) may run until it is done or stopped. A probe that raises becomes status
``error`` and never stops the others. Cancelling (Ctrl-C) returns a partial report that
keeps every finished result and what the unfinished ones measured; an open-ended probe's
measurements are judged as if it had finished (stopping is how such a run ends).

This is the one run protocol: a check is ``Runner(probes)``, a peer test a ``Runner`` over
the ``peer`` probe (:class:`sessioncheck.peer.session.PeerTest`). A probe may run another
probe as part of its own work (``ctx.run_probe``), through the same code as the plan's.
Timing uses the event loop's clock, so tests can run a long run on virtual time.
"""

from __future__ import annotations

import asyncio
import logging
import platform
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import UTC, datetime

from . import __version__
from .advice import catalogue
from .advice.rules import judge, status_for
from .advice.verdict import NEEDED_FOR_CHECK, decide
from .events import Event, ProbeFinished, ProbeStarted, RunFinished
from .model import Finding, Measurement, ProbeResult, Report, Status, Value
from .probes.base import Probe, ProbeContext, ProbeSkipped
from .settings import Settings, Thresholds

logger = logging.getLogger(__name__)

_OK = (Status.PASS, Status.WARN)


class PlanError(ValueError):
    """The plan cannot run as given (unknown dependency cycle, duplicate ids)."""


def host_facts() -> dict[str, Value]:
    """Facts about this machine that every report carries. No host name: it can identify people."""
    return {
        "os": platform.system(),
        "os_release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sessioncheck": __version__,
    }


class Runner:
    """Runs one plan once. Use ``await run()`` or ``async for event in events()``."""

    def __init__(
        self,
        probes: Sequence[Probe],
        settings: Settings | None = None,
        *,
        host: Mapping[str, Value] | None = None,
        needed: Sequence[str] = NEEDED_FOR_CHECK,
    ) -> None:
        ids = [p.id for p in probes]
        if len(set(ids)) != len(ids):
            raise PlanError(f"a probe appears twice in the plan: {ids}")
        self.probes = list(probes)
        self.settings = settings or Settings()
        self.host = dict(host) if host is not None else host_facts()
        self.needed = tuple(needed)
        """The probes the verdict stands on; any of them not tested makes it "partly checked"."""
        self._results: dict[str, ProbeResult] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._queue: asyncio.Queue[Event] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancelled = False
        self._created = ""
        self._run_task: asyncio.Task[Report] | None = None
        self.report: Report | None = None
        """The final (or partial) report once the run ended."""
        self._check_cycles()

    def _check_cycles(self) -> None:
        ids = {q.id for q in self.probes}
        deps = {p.id: [d for d in (*p.depends_on, *p.after, *p.measure_after) if d in ids] for p in self.probes}
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 1:
                raise PlanError(f"probe dependencies form a cycle: {' -> '.join([*path, n])}")
            if state.get(n) == 2:
                return
            state[n] = 1
            for d in deps[n]:
                visit(d, [*path, n])
            state[n] = 2

        for n in deps:
            visit(n, [])

    # --- public API -------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the run: unfinished probes end as skipped; finished results are kept."""
        if self._cancelled:
            return
        self._cancelled = True
        logger.info("run cancelled; keeping %d finished result(s)", len(self._results))
        for task in self._tasks.values():
            if not task.done():
                task.cancel()

    async def run(self) -> Report:
        """Run the plan and return the report (partial if cancelled with :meth:`cancel`).

        If the awaiting task itself is cancelled, the probes are stopped, the partial
        report is kept in :attr:`report`, and the cancellation propagates.
        """
        if self._run_task is None:
            self._run_task = asyncio.ensure_future(self._run())
        try:
            return await asyncio.shield(self._run_task)
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.gather(self._run_task, return_exceptions=True)
            raise

    async def events(self) -> AsyncGenerator[Event, None]:
        """Start the run (if needed) and yield its events, ending with :class:`RunFinished`."""
        self._queue = asyncio.Queue()
        if self._run_task is None:
            self._run_task = asyncio.ensure_future(self._run())
        try:
            while True:
                event = await self._queue.get()
                yield event
                if isinstance(event, RunFinished):
                    return
        finally:
            if not self._run_task.done():
                self.cancel()
                await asyncio.shield(self._run_task)

    # --- internals --------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self._queue is not None:
            self._queue.put_nowait(event)

    async def _run(self) -> Report:
        self._created = datetime.now(UTC).isoformat(timespec="seconds")
        self._done = {p.id: asyncio.Event() for p in self.probes}
        for p in self.probes:
            self._tasks[p.id] = asyncio.create_task(self._guarded(p), name=f"probe:{p.id}")
        if self._cancelled:  # cancel() came before the run began: start nothing
            for task in self._tasks.values():
                task.cancel()
        try:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        except asyncio.CancelledError:
            # Our own task was cancelled from outside: stop the probes, still build a report.
            self.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            self.report = self._build_report()
            self._emit(RunFinished(self.report))
            raise
        self.report = self._build_report()
        self._emit(RunFinished(self.report))
        return self.report

    def _build_report(self) -> Report:
        results = []
        for p in self.probes:
            r = self._results.get(p.id)
            if r is None:
                r = ProbeResult(
                    probe=p.id,
                    status=Status.SKIP,
                    duration_s=0.0,
                    skip_reason=catalogue.phrase("skip.cancelled"),
                )
            results.append(r)
        return self._compose(results)

    def _compose(self, results: Sequence[ProbeResult]) -> Report:
        """The report of the plan's results; a run that folds results together overrides it."""
        return assemble_report(
            results, host=self.host, created=self._created, needed=self.needed, interrupted=self._cancelled
        )

    async def _guarded(self, probe: Probe) -> None:
        try:
            await self._run_one(probe)
        except asyncio.CancelledError:
            if probe.id not in self._results:
                self._finish(
                    ProbeResult(
                        probe=probe.id,
                        status=Status.SKIP,
                        duration_s=0.0,
                        skip_reason=catalogue.phrase("skip.cancelled"),
                    )
                )
        finally:
            self._done[probe.id].set()

    async def _run_one(self, probe: Probe) -> None:
        for dep in (*probe.depends_on, *probe.after):
            if dep in self._done:
                await self._done[dep].wait()
        for dep in probe.depends_on:
            dep_result = self._results.get(dep)
            if dep_result is not None and dep_result.status not in _OK:
                dep_title = next((p.title for p in self.probes if p.id == dep), dep)
                self._finish(
                    ProbeResult(
                        probe=probe.id,
                        status=Status.SKIP,
                        duration_s=0.0,
                        skip_reason=catalogue.phrase(
                            "skip.dependency", dependency=dep_title.lower(), probe=probe.title.lower()
                        ),
                    )
                )
                return
        dependencies = {d: self._results[d] for d in (*probe.depends_on, *probe.after) if d in self._results}
        ctx = ProbeContext(
            probe_id=probe.id,
            settings=self.settings,
            dependencies=dependencies,
            emit=self._emit,
            subrun=self._subrun,
        )
        pending = [d for d in probe.measure_after if d in self._done]
        self._finish(await self._execute(probe, ctx, pending, announce=True))

    async def _subrun(self, probe: Probe, settings: Settings) -> ProbeResult:
        """Run ``probe`` as part of another probe's work: its events are not shown."""
        ctx = ProbeContext(probe_id=probe.id, settings=settings, dependencies={}, emit=_drop, subrun=self._subrun)
        return await self._execute(probe, ctx, [], announce=False)

    async def _execute(self, probe: Probe, ctx: ProbeContext, pending: list[str], *, announce: bool) -> ProbeResult:
        """Run one probe under its time limit; its result, whatever happens to it.

        Cancelled, it finishes its result as partial (see :meth:`_stopped`) and the
        cancellation propagates."""
        loop = asyncio.get_running_loop()
        timeout = ctx.settings.probe_timeout_s or probe.timeout_s
        scope: asyncio.Timeout | None = None
        waited = 0.0

        async def wait_measure() -> float:
            """Wait for ``measure_after``, the probe's time limit stopped meanwhile."""
            nonlocal waited
            if not pending:
                return 0.0
            t0 = loop.time()
            when = scope.when() if scope is not None else None
            if scope is not None:
                scope.reschedule(None)
            try:
                for dep in pending:
                    await self._done[dep].wait()
            finally:
                dt = loop.time() - t0
                waited += dt
                if scope is not None and when is not None:
                    scope.reschedule(when + dt)
            ctx.dependencies.update({d: self._results[d] for d in pending if d in self._results})
            logger.info("probe %s waited %.2f s for %s to measure", probe.id, dt, ", ".join(pending))
            pending.clear()
            return dt

        if probe.measure_after:
            ctx.wait_measure = wait_measure
        if announce:
            self._emit(ProbeStarted(probe.id, probe.title, timeout))
        logger.info("probe %s started (timeout %s)", probe.id, "none" if timeout is None else f"{timeout:.1f} s")
        started = loop.time()
        error: str | None = None
        skip_reason: str | None = None
        timed_out = False
        try:
            async with asyncio.timeout(timeout) as scope:
                await probe.run(ctx)
        except ProbeSkipped as e:
            skip_reason = e.reason
        except TimeoutError:
            timed_out = True
            error = catalogue.phrase("error.timeout", seconds=f"{timeout:g}")
        except asyncio.CancelledError:
            # Stopped by the user: keep what was measured. An open-ended probe ends this way
            # normally, so it is judged; any other is marked as stopped.
            stopped = None if probe.open_ended else catalogue.phrase("skip.cancelled")
            if announce:
                self._finish(self._result(probe, ctx, started + waited, None, stopped))
            raise
        except Exception as e:  # a broken probe must never stop the others
            logger.exception("probe %s broke", probe.id)
            error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        result = self._result(probe, ctx, started + waited, error, skip_reason, timed_out=timed_out)
        logger.info("probe %s finished: %s", probe.id, result.status.value)
        return result

    def _result(
        self,
        probe: Probe,
        ctx: ProbeContext,
        started: float,
        error: str | None,
        skip_reason: str | None,
        *,
        timed_out: bool = False,
    ) -> ProbeResult:
        elapsed = asyncio.get_running_loop().time() - started
        return result_of(
            probe.id,
            ctx.measurements,
            ctx.settings.thresholds,
            duration_s=ctx.duration_s if ctx.duration_s is not None else round(elapsed, 4),
            error=error,
            skip_reason=skip_reason,
            timed_out=timed_out,
        )

    def _finish(self, result: ProbeResult) -> None:
        self._results[result.probe] = result
        self._emit(ProbeFinished(result))


def _drop(event: Event) -> None:
    """Where a sub-probe's events go: nowhere (its caller reports for it)."""


def result_of(
    probe: str,
    measurements: Sequence[Measurement],
    thresholds: Thresholds,
    *,
    duration_s: float,
    error: str | None = None,
    skip_reason: str | None = None,
    timed_out: bool = False,
) -> ProbeResult:
    """A probe's result: its measurements judged by advice (unless it was skipped), and its
    status from the findings, or ``skip`` / ``error``."""
    ms = tuple(measurements)
    findings: list[Finding] = []
    if skip_reason is None and ms:
        try:
            findings = judge(probe, ms, thresholds, timed_out=timed_out)
        except Exception as e:  # a broken rule is our bug: say so, keep the measurements
            logger.exception("advice for %s broke", probe)
            error = error or f"judging {probe} failed: {type(e).__name__}: {e}"
    if skip_reason is not None:
        status = Status.SKIP
    elif error is not None:
        status = Status.ERROR
    else:
        status = status_for(findings)
    return ProbeResult(
        probe=probe,
        status=status,
        duration_s=duration_s,
        measurements=ms,
        findings=tuple(findings),
        skip_reason=skip_reason,
        error=error,
    )


def assemble_report(
    results: Sequence[ProbeResult],
    *,
    host: Mapping[str, Value],
    created: str,
    needed: Sequence[str],
    interrupted: bool,
) -> Report:
    """The report of a run: its results and the verdict they support (not redacted: front
    ends redact before showing or saving)."""
    decision = decide(results, needed=needed, interrupted=interrupted)
    return Report(
        tool_version=__version__,
        created=created,
        host=dict(host),
        verdict=decision.verdict,
        verdict_reason=decision.reason,
        verdict_complete=decision.complete,
        untested=decision.untested,
        top_fixes=decision.top_fixes,
        results=tuple(results),
        interrupted=interrupted,
        redacted=False,
    )


async def run_check(probes: Sequence[Probe], settings: Settings | None = None) -> Report:
    """Convenience: run a plan to completion and return its report."""
    return await Runner(probes, settings).run()
