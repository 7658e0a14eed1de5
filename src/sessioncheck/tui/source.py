"""Where the app's events come from, and how a run is driven off the interface's thread.

A *check run* is anything with ``events()`` (an async iterator of runner events ending in
:class:`~sessioncheck.events.RunFinished`) and ``cancel()``: the real
:class:`~sessioncheck.runner.Runner` is one, :class:`ScriptedRun` (events replayed with
delays, for tests, demos and benchmarks) is another. The app receives a *run factory* that
builds a check run for a tuple of probe ids, so tests can drive the whole flow.

:class:`RunThread` runs one check run in its own thread with its own event loop, so a probe
that blocks (a slow DNS lookup, a heavy library call) can never freeze the interface.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..events import Event, RunFinished
from ..model import Report
from ..settings import Settings

logger = logging.getLogger(__name__)


class CheckRun(Protocol):
    """What the app needs from a run: a stream of events and a way to stop it."""

    def events(self) -> AsyncIterator[Event]: ...

    def cancel(self) -> None: ...


RunFactory = Callable[[tuple[str, ...]], CheckRun]
"""Builds a check run for the given probe ids. Called on the run's own thread."""


def runner_factory(settings: Settings) -> RunFactory:
    """The real thing: probes from the registry, run by :class:`~sessioncheck.runner.Runner`."""

    def make(probe_ids: tuple[str, ...]) -> CheckRun:
        from ..probes import load_plan
        from ..runner import Runner

        return Runner(load_plan(probe_ids), settings)

    return make


@dataclass(frozen=True)
class Step:
    """One scripted event, emitted after ``delay_s`` seconds."""

    event: Event
    delay_s: float = 0.0


class ScriptedRun:
    """Replays a list of events with delays; cancelling ends it with the given partial report.

    ``on_cancel`` builds the :class:`RunFinished` report emitted when the run is cancelled
    before its script ends (for example with every unfinished probe skipped).
    """

    def __init__(
        self,
        steps: Sequence[Step | Event],
        on_cancel: Callable[[], Report] | None = None,
    ) -> None:
        self.steps = [s if isinstance(s, Step) else Step(s) for s in steps]
        self.on_cancel = on_cancel
        self._cancelled: asyncio.Event | None = None
        self._cancel_requested = False
        self.cancelled = False
        """True once the run was cancelled."""
        self.emitted: list[Event] = []
        """The events sent so far (a cancelled run's partial report can keep what finished)."""

    def cancel(self) -> None:
        self._cancel_requested = True
        self.cancelled = True
        if self._cancelled is not None:
            self._cancelled.set()

    async def events(self) -> AsyncIterator[Event]:
        self._cancelled = asyncio.Event()
        if self._cancel_requested:
            self._cancelled.set()
        for step in self.steps:
            if step.delay_s > 0:
                try:
                    await asyncio.wait_for(self._cancelled.wait(), step.delay_s)
                except TimeoutError:
                    pass
            if self._cancelled.is_set():
                if self.on_cancel is not None:
                    yield RunFinished(self.on_cancel())
                return
            self.emitted.append(step.event)
            yield step.event
            if isinstance(step.event, RunFinished):
                return


class RunThread:
    """Runs one check run on its own thread and event loop, handing each event to ``deliver``.

    ``deliver`` is called on the run's thread and must be thread-safe (the app passes
    :meth:`~textual.message_pump.MessagePump.post_message`). ``cancel`` may be called from
    any thread, any number of times.
    """

    def __init__(
        self,
        factory: RunFactory,
        probe_ids: tuple[str, ...],
        deliver: Callable[[Event], object],
        on_error: Callable[[BaseException], object],
    ) -> None:
        self.factory = factory
        self.probe_ids = probe_ids
        self.deliver = deliver
        self.on_error = on_error
        self.final_report: Report | None = None
        """The report of the :class:`RunFinished` event, once it arrived."""
        self.done = threading.Event()
        self._cancel = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run: CheckRun | None = None

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the run to stop; it ends with a partial report."""
        self._cancel.set()
        loop, run = self._loop, self._run
        if loop is not None and run is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(run.cancel)
            except RuntimeError:  # the loop closed in between: the run is over anyway
                pass

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run's thread finished; True when it did."""
        return self.done.wait(timeout)

    def run(self) -> None:
        """The thread's body."""
        try:
            asyncio.run(self._main())
        except BaseException as e:  # reported to the interface, never lost
            logger.exception("the check run broke")
            self.on_error(e)
        finally:
            self.done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        run = self.factory(self.probe_ids)
        if self._cancel.is_set():
            return  # stopped before it started: nothing ran, nothing to report
        async for event in run.events():
            # Only now may other threads cancel through the loop: a Runner cancelled before
            # its probes were created would still start them.
            self._run = run
            if isinstance(event, RunFinished):
                self.final_report = event.report
            self.deliver(event)
            if self._cancel.is_set():
                run.cancel()
