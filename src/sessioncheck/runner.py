"""The runner: a plan of probes → an async stream of events → a :class:`Report`.

Independent probes run concurrently; a probe waits for the probes it depends on and is
skipped, with a reason, when one of them did not succeed. A probe with ``measure_after``
starts at once and sets up while those probes run, then waits for them in
``ctx.ready_to_measure()`` before measuring (that wait counts neither against its timeout
nor in its ``duration_s``). Every probe has a timeout. A probe that raises becomes status
``error`` and never stops the others. Cancelling (Ctrl-C) returns a partial report that
keeps every finished result.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime

from . import __version__
from .advice import catalogue
from .advice.rules import judge, status_for
from .advice.verdict import NEEDED_FOR_CHECK, decide
from .events import Event, ProbeFinished, ProbeStarted, RunFinished
from .model import Finding, ProbeResult, Report, Status, Value
from .probes.base import Probe, ProbeContext, ProbeSkipped
from .settings import Settings

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

    async def events(self) -> AsyncIterator[Event]:
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
        decision = decide(results, needed=self.needed, interrupted=self._cancelled)
        return Report(
            tool_version=__version__,
            created=self._created,
            host=self.host,
            verdict=decision.verdict,
            verdict_reason=decision.reason,
            verdict_complete=decision.complete,
            untested=decision.untested,
            top_fixes=decision.top_fixes,
            results=tuple(results),
            interrupted=self._cancelled,
            redacted=False,
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

        timeout = self.settings.probe_timeout_s or probe.timeout_s
        dependencies = {d: self._results[d] for d in (*probe.depends_on, *probe.after) if d in self._results}
        ctx = ProbeContext(probe_id=probe.id, settings=self.settings, dependencies=dependencies, emit=self._emit)
        scope: asyncio.Timeout | None = None
        waited = 0.0
        pending = [d for d in probe.measure_after if d in self._done]

        async def wait_measure() -> float:
            """Wait for ``measure_after``, the probe's time limit stopped meanwhile."""
            nonlocal waited
            if not pending:
                return 0.0
            loop = asyncio.get_running_loop()
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
            dependencies.update({d: self._results[d] for d in pending if d in self._results})
            logger.info("probe %s waited %.2f s for %s to measure", probe.id, dt, ", ".join(pending))
            pending.clear()
            return dt

        if probe.measure_after:
            ctx.wait_measure = wait_measure
        self._emit(ProbeStarted(probe.id, probe.title, timeout))
        logger.info("probe %s started (timeout %.1f s)", probe.id, timeout)
        started = time.monotonic()
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
            # Cancelled by the user: keep what was measured, mark it as stopped.
            self._finish(self._result(probe, ctx, started + waited, None, catalogue.phrase("skip.cancelled")))
            raise
        except Exception as e:  # a broken probe must never stop the others
            logger.exception("probe %s broke", probe.id)
            error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        result = self._result(probe, ctx, started + waited, error, skip_reason, timed_out=timed_out)
        logger.info("probe %s finished: %s", probe.id, result.status.value)
        self._finish(result)

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
        measurements = tuple(ctx.measurements)
        findings: list[Finding] = []
        if skip_reason is None and measurements:
            try:
                findings = judge(probe.id, measurements, self.settings.thresholds, timed_out=timed_out)
            except Exception as e:  # a broken rule is our bug: say so, keep the measurements
                logger.exception("advice for %s broke", probe.id)
                error = error or f"judging {probe.id} failed: {type(e).__name__}: {e}"
        if skip_reason is not None:
            status = Status.SKIP
        elif error is not None:
            status = Status.ERROR
        else:
            status = status_for(findings)
        return ProbeResult(
            probe=probe.id,
            status=status,
            duration_s=round(time.monotonic() - started, 4),
            measurements=measurements,
            findings=tuple(findings),
            skip_reason=skip_reason,
            error=error,
        )

    def _finish(self, result: ProbeResult) -> None:
        self._results[result.probe] = result
        self._emit(ProbeFinished(result))


async def run_check(probes: Sequence[Probe], settings: Settings | None = None) -> Report:
    """Convenience: run a plan to completion and return its report."""
    return await Runner(probes, settings).run()
