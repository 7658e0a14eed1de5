"""The runner with small probes made for these tests: ordering, timeouts, skips, errors, cancel.

Tests about time run on :class:`VirtualTimeLoop`: the runner times probes, and applies their
time limits, with the event loop's clock, and this loop's clock jumps to the next timer
whenever nothing is ready to run, so "30 s" or "an hour" pass at once, exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
from collections.abc import Coroutine
from typing import Any, ClassVar, TypeVar

import pytest

from sessioncheck.events import Event, ProbeFinished, ProbeStarted, Progress, RunFinished, Sample
from sessioncheck.model import Report, Status, Verdict
from sessioncheck.probes.base import Probe, ProbeContext, ProbeSkipped
from sessioncheck.runner import PlanError, Runner
from sessioncheck.settings import Settings

T = TypeVar("T")


class _VirtualSelector:
    """Polls the real selector without waiting; a wait for a timer advances the clock instead."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self.real = real
        self.loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self.real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only real I/O can wake the loop
            return self.real.select(None)
        self.loop.now += timeout
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock only moves when every task is waiting for a timer."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        real: selectors.BaseSelector = self.__dict__["_selector"]
        self.__dict__["_selector"] = _VirtualSelector(real, self)

    def time(self) -> float:
        return self.now


def virtual(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to the end on virtual time."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


class Quick(Probe):
    id: ClassVar[str] = "quick"
    title: ClassVar[str] = "Quick test"

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("quick.value", 1.5, "ms")
        ctx.sample("value", 1.5, "ms")
        ctx.progress(1.0)


class Slow(Probe):
    id: ClassVar[str] = "slow"
    title: ClassVar[str] = "Slow test"
    timeout_s: ClassVar[float] = 0.3

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("slow.first", 1, "count")
        await asyncio.sleep(30)
        ctx.record("slow.never", 2, "count")


class Boom(Probe):
    id: ClassVar[str] = "boom"
    title: ClassVar[str] = "Exploding test"

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("boom.before", 3, "count")
        raise RuntimeError("kaboom")


class NeedsBoom(Probe):
    id: ClassVar[str] = "needs_boom"
    title: ClassVar[str] = "Test after the exploding one"
    depends_on: ClassVar[tuple[str, ...]] = ("boom",)

    async def run(self, ctx: ProbeContext) -> None:  # pragma: no cover - must be skipped
        ctx.record("needs_boom.ran", True)


class NeedsQuick(Probe):
    id: ClassVar[str] = "needs_quick"
    title: ClassVar[str] = "Test after the quick one"
    depends_on: ClassVar[tuple[str, ...]] = ("quick",)

    async def run(self, ctx: ProbeContext) -> None:
        assert "quick" in ctx.dependencies
        ctx.record("needs_quick.saw", ctx.dependencies["quick"].status.value)


class Skipper(Probe):
    id: ClassVar[str] = "skipper"
    title: ClassVar[str] = "Test that cannot run here"

    async def run(self, ctx: ProbeContext) -> None:
        raise ProbeSkipped("No camera was found.")


class Sleeper(Probe):
    """Sleeps for a given time; used to prove concurrency and cancellation."""

    title: ClassVar[str] = "Sleeping test"

    def __init__(self, probe_id: str, seconds: float) -> None:
        self.id = probe_id  # type: ignore[misc]
        self.seconds = seconds

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record(f"{self.id}.started", True)
        await asyncio.sleep(self.seconds)
        ctx.record(f"{self.id}.slept_s", self.seconds, "s")


def test_timeout_becomes_error_and_keeps_partial_measurements() -> None:
    report = virtual(Runner([Slow(), Quick()]).run())
    slow = report.result("slow")
    assert slow is not None
    assert slow.status is Status.ERROR
    assert slow.error is not None and "0.3 seconds" in slow.error
    assert [m.key for m in slow.measurements] == ["slow.first"]
    assert slow.duration_s == pytest.approx(0.3)
    quick = report.result("quick")
    assert quick is not None and quick.status is Status.PASS


def test_settings_timeout_overrides_probe_timeout() -> None:
    report = virtual(Runner([Sleeper("nap", 5)], Settings(probe_timeout_s=0.2)).run())
    assert report.results[0].status is Status.ERROR
    assert report.results[0].duration_s == pytest.approx(0.2)


async def test_exploding_probe_is_error_and_does_not_stop_others() -> None:
    report = await Runner([Boom(), Quick(), NeedsBoom()]).run()
    boom = report.result("boom")
    assert boom is not None
    assert boom.status is Status.ERROR
    assert boom.error == "RuntimeError: kaboom"
    assert boom.measurement("boom.before") is not None
    assert report.result("quick").status is Status.PASS  # type: ignore[union-attr]


async def test_dependency_skip_has_a_reason() -> None:
    report = await Runner([NeedsBoom(), Boom()]).run()
    dep = report.result("needs_boom")
    assert dep is not None
    assert dep.status is Status.SKIP
    assert dep.skip_reason is not None and "exploding test" in dep.skip_reason
    assert dep.measurements == ()


async def test_dependency_success_runs_after_it() -> None:
    report = await Runner([NeedsQuick(), Quick()]).run()
    r = report.result("needs_quick")
    assert r is not None and r.status is Status.PASS
    assert r.measurement("needs_quick.saw").value == "pass"  # type: ignore[union-attr]
    # results keep the plan's order, whatever order they finished in
    assert [x.probe for x in report.results] == ["needs_quick", "quick"]


async def test_probe_skipped_by_itself() -> None:
    report = await Runner([Skipper()]).run()
    assert report.results[0].status is Status.SKIP
    assert report.results[0].skip_reason == "No camera was found."
    assert report.verdict is Verdict.VIDEO
    assert report.verdict_complete is False
    assert report.untested[:2] == ("system", "ice")  # nothing the verdict needs ran
    assert "could not test" in report.verdict_reason


def test_independent_probes_run_concurrently() -> None:
    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        await Runner([Sleeper("a", 0.4), Sleeper("b", 0.4), Sleeper("c", 0.4)]).run()
        return loop.time()

    assert virtual(scenario()) == pytest.approx(0.4)  # side by side: 0.4 s, not 1.2 s


async def _cancel_after(runner: Runner, seconds: float) -> Report:
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(seconds)  # virtual time: every probe has run as far as it can by then
    runner.cancel()
    return await task


def test_cancel_returns_partial_report_with_finished_results() -> None:
    runner = Runner([Quick(), Sleeper("long", 30)])
    report = virtual(_cancel_after(runner, 0.2))
    assert report.interrupted
    assert report.result("quick").status is Status.PASS  # type: ignore[union-attr]
    long = report.result("long")
    assert long is not None and long.status is Status.SKIP
    assert long.skip_reason is not None and "stopped" in long.skip_reason
    assert long.measurement("long.started") is not None  # partial measurement kept


async def test_cancel_before_the_run_starts_runs_nothing() -> None:
    runner = Runner([Quick(), Sleeper("long", 30)])
    runner.cancel()
    report = await asyncio.wait_for(runner.run(), 5)
    assert report.interrupted
    assert [r.status for r in report.results] == [Status.SKIP, Status.SKIP]
    assert all(r.measurements == () for r in report.results)


def test_outer_cancellation_still_leaves_a_partial_report() -> None:
    runner = Runner([Quick(), Sleeper("long", 30)])

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    virtual(scenario())
    assert runner.report is not None
    assert runner.report.interrupted
    assert runner.report.result("quick").status is Status.PASS  # type: ignore[union-attr]


async def test_events_stream_in_order() -> None:
    runner = Runner([Quick(), Boom()])
    events = [e async for e in runner.events()]
    assert isinstance(events[-1], RunFinished)
    kinds = {type(e) for e in events}
    assert {ProbeStarted, Sample, Progress, ProbeFinished, RunFinished} <= kinds
    for probe_id in ("quick", "boom"):
        idx_start = next(i for i, e in enumerate(events) if isinstance(e, ProbeStarted) and e.probe == probe_id)
        idx_end = next(i for i, e in enumerate(events) if isinstance(e, ProbeFinished) and e.result.probe == probe_id)
        assert idx_start < idx_end
    assert events[-1].report is runner.report


async def test_breaking_off_the_event_stream_cancels_the_run() -> None:
    runner = Runner([Sleeper("long", 30)])
    async with contextlib.aclosing(runner.events()) as events:
        async for event in events:
            if isinstance(event, ProbeStarted):
                break
    assert runner.report is not None
    assert runner.report.interrupted


class AfterBoom(Probe):
    id: ClassVar[str] = "after_boom"
    title: ClassVar[str] = "Test that reads the exploding one"
    after: ClassVar[tuple[str, ...]] = ("boom",)

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("after_boom.saw", ctx.dependencies["boom"].status.value)


async def test_after_waits_but_runs_whatever_the_outcome() -> None:
    report = await Runner([AfterBoom(), Boom()]).run()
    r = report.result("after_boom")
    assert r is not None and r.status is Status.PASS
    assert r.measurement("after_boom.saw").value == "error"  # type: ignore[union-attr]


def test_plan_errors() -> None:
    with pytest.raises(PlanError, match="twice"):
        Runner([Quick(), Quick()])

    class A(Probe):
        id: ClassVar[str] = "a"
        title: ClassVar[str] = "A"
        depends_on: ClassVar[tuple[str, ...]] = ("b",)

        async def run(self, ctx: ProbeContext) -> None: ...

    class B(Probe):
        id: ClassVar[str] = "b"
        title: ClassVar[str] = "B"
        depends_on: ClassVar[tuple[str, ...]] = ("a",)

        async def run(self, ctx: ProbeContext) -> None: ...

    with pytest.raises(PlanError, match="cycle"):
        Runner([A(), B()])


class Held(Probe):
    """A device test: runs until the test releases it."""

    id: ClassVar[str] = "held"
    title: ClassVar[str] = "Held test"

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def run(self, ctx: ProbeContext) -> None:
        await self.release.wait()
        ctx.record("held.done", True)


class SetsUpEarly(Probe):
    """Sets up while ``held`` runs, measures after it."""

    id: ClassVar[str] = "early"
    title: ClassVar[str] = "Test that connects early"
    measure_after: ClassVar[tuple[str, ...]] = ("held",)
    timeout_s: ClassVar[float] = 0.3

    def __init__(self) -> None:
        self.set_up = asyncio.Event()

    async def run(self, ctx: ProbeContext) -> None:
        ctx.record("early.saw_held_at_set_up", "held" in ctx.dependencies)
        self.set_up.set()
        waited = await ctx.ready_to_measure()
        ctx.record("early.waited_s", waited, "s")
        held = ctx.dependencies.get("held")
        ctx.record("early.saw_held", held.status.value if held else "absent")
        ctx.record("early.again_s", await ctx.ready_to_measure(), "s")


def test_measure_after_sets_up_meanwhile_and_measures_after_them() -> None:
    async def scenario() -> Report:
        held, early = Held(), SetsUpEarly()
        task = asyncio.create_task(Runner([held, early]).run())
        # the set-up ran while ``held`` was still running (it cannot finish before its release)
        await early.set_up.wait()
        await asyncio.sleep(0.5)  # longer than early's 0.3 s limit: the wait must not count
        held.release.set()
        return await task

    report = virtual(scenario())
    r = report.result("early")
    assert r is not None and r.status is Status.PASS, r
    values = {m.key: m.value for m in r.measurements}
    assert values["early.saw_held_at_set_up"] is False
    assert values["early.saw_held"] == "pass"
    assert values["early.waited_s"] == pytest.approx(0.5)
    assert values["early.again_s"] == 0.0  # a second call returns at once
    assert r.duration_s == pytest.approx(0.0)  # the wait is not the probe's own time


def test_measure_after_still_times_out_on_the_probes_own_work() -> None:
    class SlowAfterWait(SetsUpEarly):
        async def run(self, ctx: ProbeContext) -> None:
            await ctx.ready_to_measure()
            ctx.record("early.measuring", True)
            await asyncio.sleep(30)

    held = Held()
    held.release.set()
    report = virtual(Runner([held, SlowAfterWait()]).run())
    r = report.result("early")
    assert r is not None and r.status is Status.ERROR
    assert r.error is not None and "0.3 seconds" in r.error
    assert r.duration_s == pytest.approx(0.3)
    assert r.measurement("early.measuring") is not None


async def test_measure_after_a_probe_not_in_the_plan_does_not_wait() -> None:
    report = await asyncio.wait_for(Runner([SetsUpEarly()]).run(), 5)
    r = report.result("early")
    assert r is not None and r.status is Status.PASS
    assert r.measurement("early.waited_s").value == 0.0  # type: ignore[union-attr]
    assert r.measurement("early.saw_held").value == "absent"  # type: ignore[union-attr]


async def test_cancel_while_waiting_to_measure_keeps_the_set_up_measurements() -> None:
    held, early = Held(), SetsUpEarly()
    runner = Runner([held, early])
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(early.set_up.wait(), 5)
    runner.cancel()
    report = await asyncio.wait_for(task, 5)
    r = report.result("early")
    assert r is not None and r.status is Status.SKIP
    assert r.measurement("early.saw_held_at_set_up") is not None


def test_measure_after_cycles_are_plan_errors() -> None:
    class WaitsForEarly(Probe):
        id: ClassVar[str] = "held"
        title: ClassVar[str] = "Held"
        after: ClassVar[tuple[str, ...]] = ("early",)

        async def run(self, ctx: ProbeContext) -> None: ...

    with pytest.raises(PlanError, match="cycle"):
        Runner([SetsUpEarly(), WaitsForEarly()])


# --- the same protocol for a long run (a monitor) and for probes made of probes ---------------


class Ticker(Probe):
    """A monitor: one sample a second until it is stopped; the count so far is a measurement."""

    id: ClassVar[str] = "ticker"
    title: ClassVar[str] = "Watching the call"
    timeout_s: ClassVar[float | None] = None
    open_ended: ClassVar[bool] = True

    async def run(self, ctx: ProbeContext) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            ctx.sample("tick", ticks)
            ctx.record("ticker.seconds", ticks, "s")


def test_a_long_open_ended_run_stopped_mid_way_keeps_its_timeline() -> None:
    """An hour of samples, then Ctrl-C: the report holds what was measured, judged, not skipped."""

    async def scenario() -> tuple[list[Event], Runner]:
        runner = Runner([Quick(), Ticker()])
        seen: list[Event] = []
        async for event in runner.events():
            seen.append(event)
            if isinstance(event, Sample) and event.probe == "ticker" and event.value == 3600:
                runner.cancel()  # stopped after an hour, exactly
        return seen, runner

    seen, runner = virtual(scenario())
    report = runner.report
    assert report is not None and report.interrupted
    assert isinstance(seen[-1], RunFinished) and seen[-1].report is report
    started = next(e for e in seen if isinstance(e, ProbeStarted) and e.probe == "ticker")
    assert started.timeout_s is None  # no time limit
    ticks = [e.value for e in seen if isinstance(e, Sample) and e.probe == "ticker"]
    assert ticks == [float(i) for i in range(1, 3601)]  # the timeline, one a second
    ticker = report.result("ticker")
    assert ticker is not None
    assert ticker.status is Status.PASS  # stopping is how it ends: judged, not "stopped"
    assert ticker.skip_reason is None and ticker.error is None
    assert ticker.measurement("ticker.seconds").value == 3600  # type: ignore[union-attr]
    assert ticker.duration_s == pytest.approx(3600.0)
    assert report.result("quick").status is Status.PASS  # type: ignore[union-attr]


def test_a_probe_without_a_time_limit_runs_to_its_end() -> None:
    class Day(Ticker):
        async def run(self, ctx: ProbeContext) -> None:
            await asyncio.sleep(86400)
            ctx.record("ticker.seconds", 86400, "s")

    report = virtual(Runner([Day()]).run())
    assert report.results[0].status is Status.PASS and not report.interrupted
    assert report.results[0].duration_s == pytest.approx(86400.0)


class Outer(Probe):
    """Runs ``quick`` and ``slow`` as part of its own work, as the peer probe runs ``ice``."""

    id: ClassVar[str] = "outer"
    title: ClassVar[str] = "Test made of tests"

    async def run(self, ctx: ProbeContext) -> None:
        quick = await ctx.run_probe(Quick())
        ctx.record("outer.quick", quick.status.value)
        ctx.record("outer.quick_value", quick.measurement("quick.value").value)  # type: ignore[union-attr]
        slow = await ctx.run_probe(Slow())
        ctx.record("outer.slow", slow.status.value)
        ctx.duration_s = 42.0  # e.g. the duration both sides of a peer test agreed on


def test_a_probe_runs_another_through_the_same_code_its_events_not_shown() -> None:
    async def scenario() -> list[Event]:
        return [e async for e in Runner([Outer()]).events()]

    events = virtual(scenario())
    assert {e.probe for e in events if isinstance(e, ProbeStarted | Sample | Progress)} == {"outer"}
    report = events[-1].report  # type: ignore[union-attr]
    assert [r.probe for r in report.results] == ["outer"]
    values = {m.key: m.value for m in report.results[0].measurements}
    assert values == {"outer.quick": "pass", "outer.quick_value": 1.5, "outer.slow": "error"}  # slow's limit held
    assert report.results[0].duration_s == 42.0


def test_run_probe_needs_the_runner() -> None:
    ctx = ProbeContext("x", Settings(), {}, lambda _e: None)
    with pytest.raises(RuntimeError, match="runner"):
        virtual(ctx.run_probe(Quick()))
