"""The runner with small probes made for these tests: ordering, timeouts, skips, errors, cancel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import ClassVar

import pytest

from sessioncheck.events import ProbeFinished, ProbeStarted, Progress, RunFinished, Sample
from sessioncheck.model import Status, Verdict
from sessioncheck.probes.base import Probe, ProbeContext, ProbeSkipped
from sessioncheck.runner import PlanError, Runner
from sessioncheck.settings import Settings


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


async def test_timeout_becomes_error_and_keeps_partial_measurements() -> None:
    report = await Runner([Slow(), Quick()]).run()
    slow = report.result("slow")
    assert slow is not None
    assert slow.status is Status.ERROR
    assert slow.error is not None and "0.3 seconds" in slow.error
    assert [m.key for m in slow.measurements] == ["slow.first"]
    assert slow.duration_s < 2
    quick = report.result("quick")
    assert quick is not None and quick.status is Status.PASS


async def test_settings_timeout_overrides_probe_timeout() -> None:
    started = time.monotonic()
    report = await Runner([Sleeper("nap", 5)], Settings(probe_timeout_s=0.2)).run()
    assert time.monotonic() - started < 2
    assert report.results[0].status is Status.ERROR


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


async def test_independent_probes_run_concurrently() -> None:
    started = time.monotonic()
    await Runner([Sleeper("a", 0.4), Sleeper("b", 0.4), Sleeper("c", 0.4)]).run()
    assert time.monotonic() - started < 1.0


async def test_cancel_returns_partial_report_with_finished_results() -> None:
    runner = Runner([Quick(), Sleeper("long", 30)])
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.2)
    runner.cancel()
    report = await asyncio.wait_for(task, 5)
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


async def test_outer_cancellation_still_leaves_a_partial_report() -> None:
    runner = Runner([Quick(), Sleeper("long", 30)])
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
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
        idx_end = next(
            i for i, e in enumerate(events) if isinstance(e, ProbeFinished) and e.result.probe == probe_id
        )
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


async def test_measure_after_sets_up_meanwhile_and_measures_after_them() -> None:
    held, early = Held(), SetsUpEarly()
    runner = Runner([held, early])
    task = asyncio.create_task(runner.run())
    # the set-up ran while ``held`` was still running (it cannot finish before its release)
    await asyncio.wait_for(early.set_up.wait(), 5)
    await asyncio.sleep(0.5)  # longer than early's 0.3 s limit: the wait must not count
    held.release.set()
    report = await asyncio.wait_for(task, 5)
    r = report.result("early")
    assert r is not None and r.status is Status.PASS, r
    values = {m.key: m.value for m in r.measurements}
    assert values["early.saw_held_at_set_up"] is False
    assert values["early.saw_held"] == "pass"
    assert float(values["early.waited_s"]) >= 0.5  # type: ignore[arg-type]
    assert values["early.again_s"] == 0.0  # a second call returns at once
    assert r.duration_s < 0.3  # the wait is not the probe's own time


async def test_measure_after_still_times_out_on_the_probes_own_work() -> None:
    class SlowAfterWait(SetsUpEarly):
        async def run(self, ctx: ProbeContext) -> None:
            await ctx.ready_to_measure()
            ctx.record("early.measuring", True)
            await asyncio.sleep(30)

    held = Held()
    held.release.set()
    report = await asyncio.wait_for(Runner([held, SlowAfterWait()]).run(), 5)
    r = report.result("early")
    assert r is not None and r.status is Status.ERROR
    assert r.error is not None and "0.3 seconds" in r.error
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
