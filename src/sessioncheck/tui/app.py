"""The Textual app: welcome → devices → network → results.

It presents and never judges: verdict, findings and wording come from the
:class:`~sessioncheck.model.Report` and :mod:`sessioncheck.advice.catalogue`. Probes run on
their own thread and event loop (:class:`~sessioncheck.tui.source.RunThread`), so the
interface answers keys while they measure; quitting mid-check cancels the run, waits for it
to end and saves nothing unless asked.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.theme import Theme

from ..advice import catalogue
from ..advice.verdict import decide
from ..cli import ExitCode
from ..events import Event, RunFinished
from ..model import Audience, Report
from ..settings import Settings
from .devices import DeviceFeeds, discover_feeds
from .screens.devices import DevicesScreen
from .screens.dialogs import QuitScreen, SaveScreen
from .screens.help import HelpScreen
from .screens.network import NetworkScreen
from .screens.results import ResultsScreen
from .screens.welcome import WelcomeScreen
from .source import RunFactory, RunThread, runner_factory
from .widgets.probe_row import probe_name

P = catalogue.phrase

STOP_TIMEOUT_S = 15.0
"""How long quitting waits for a cancelled run to wind down (its probes close their peers)."""

HIGH_CONTRAST = Theme(
    name="sessioncheck-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#00FFFF",
    warning="#FFFF00",
    error="#FF6060",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#FFFFFF",
    dark=True,
)
"""Black background, pure white text, saturated accents."""

DEFAULT_THEME = "textual-dark"
DEVICE_PROBES = ("camera", "microphone", "speaker")
"""Probes left out when the user skips the camera and sound step."""


class RunEvent(Message):
    """A runner event, posted from the run's thread."""

    def __init__(self, event: Event, run: RunThread) -> None:
        super().__init__()
        self.event = event
        self.run = run


class RunBroke(Message):
    """The run itself broke (not a probe: those end as ``error`` results)."""

    def __init__(self, error: BaseException, run: RunThread) -> None:
        super().__init__()
        self.error = error
        self.run = run


@dataclass
class Crash:
    """An unexpected exception ended the app: what was written down and saved for support."""

    error: Exception
    log: Path | None = None
    """The crash log (redacted, 0600), when it could be written."""
    log_error: str | None = None
    saved: Path | None = None
    """Where the results so far were saved."""
    save_error: str | None = None
    nothing_to_save: bool = False

    def message(self) -> Text:
        """The short apology shown in the terminal after the app closed: never a traceback."""
        lines = [P("tui.crash.sorry")]
        if self.saved is not None:
            lines.append(P("tui.crash.saved", path=str(self.saved)))
        elif self.save_error is not None:
            lines.append(P("tui.crash.not_saved", detail=self.save_error))
        elif self.nothing_to_save:
            lines.append(P("tui.crash.nothing"))
        if self.log is not None:
            lines.append(P("tui.crash.log", path=str(self.log)))
        else:
            lines.append(P("tui.crash.no_log", detail=self.log_error or "unknown"))
        lines.append(P("tui.crash.next"))
        return Text("\n".join(lines))


def default_plan(settings: Settings) -> tuple[str, ...]:
    from ..probes import plan_ids

    return plan_ids(settings)


def longest_wait_s(plan: Sequence[str], settings: Settings) -> int:
    """The most a plan can take: the longest chain of probe timeouts through dependencies."""
    from ..probes import load_probe

    probes = {p: load_probe(p) for p in plan}
    memo: dict[str, float] = {}

    def finish(pid: str) -> float:
        if pid not in memo:
            probe = probes[pid]
            before = max((finish(d) for d in probe.depends_on if d in probes), default=0.0)
            memo[pid] = before + (settings.probe_timeout_s or probe.timeout_s or 0.0)
        return memo[pid]

    return round(max((finish(p) for p in probes), default=0.0))


def default_save_path(report: Report) -> str:
    stamp = re.sub(r"[^0-9]", "", report.created)[:14]
    stamp = f"{stamp[:8]}-{stamp[8:]}" if len(stamp) > 8 else stamp or "report"
    return f"~/sessioncheck-report-{stamp}.json"


def merge_rerun(base: Report, new: Report) -> Report:
    """``base`` with the results of a re-run replaced, and the verdict decided again by advice."""
    fresh = {r.probe: r for r in new.results}
    results = [fresh.pop(r.probe, r) for r in base.results] + list(fresh.values())
    interrupted = base.interrupted and new.interrupted
    d = decide(results, interrupted=interrupted)
    return replace(base, results=tuple(results), verdict=d.verdict, verdict_reason=d.reason,
                   verdict_complete=d.complete, untested=d.untested, interrupted=interrupted)


class SessionCheckApp(App[int]):
    """The guided check. Inject ``run_factory`` and ``feeds`` to drive it from a script."""

    CSS_PATH = "app.tcss"
    TITLE = P("tui.title")
    SUB_TITLE = P("tui.subtitle")
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", P("tui.key.help")),
        Binding("w", "cycle_audience", P("tui.key.audience")),
        Binding("c", "toggle_contrast", P("tui.key.contrast")),
        Binding("q", "request_quit", P("tui.key.quit")),
        Binding("ctrl+q,ctrl+c", "request_quit", P("tui.key.quit"), show=False, priority=True),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        plan: Sequence[str] | None = None,
        run_factory: RunFactory | None = None,
        feeds: DeviceFeeds | None = None,
        report: Report | None = None,
        audience: Audience = Audience.CLIENT,
        high_contrast: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.plan = tuple(plan) if plan is not None else default_plan(self.settings)
        self.run_factory = run_factory or runner_factory(self.settings)
        self.feeds = feeds
        self.report: Report | None = report
        """The latest complete report (or the one opened from a file)."""
        self.opened_report = report is not None
        self.audience = audience
        self.current_run: RunThread | None = None
        self.network: NetworkScreen | None = None
        """The network screen of the latest run (kept after the results are shown)."""
        self.saved_to: Path | None = None
        self._rerun_base: Report | None = None
        self._pending_results: Report | None = None
        self._quitting = False
        self._finding_devices = False
        self.crashed: Crash | None = None
        """Set when an unexpected exception ended the app (exit code 4)."""
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name if high_contrast else DEFAULT_THEME

    # --- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.report is not None:
            self.sub_title = P("tui.results.opened", created=self.report.created)
            self.push_screen(ResultsScreen(self.report, self.audience, rerun=False))
            return
        self.push_screen(WelcomeScreen(self.plan))
        self.run_worker(self._estimate_duration, thread=True, group="estimate", exit_on_error=False)

    def _estimate_duration(self) -> None:
        seconds = longest_wait_s(self.plan, self.settings)  # also warms the probe imports
        self.call_from_thread(self._show_duration, seconds)

    def _show_duration(self, seconds: int) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, WelcomeScreen):
                screen.show_duration(seconds)

    @property
    def running(self) -> bool:
        return self.current_run is not None

    # --- the flow ------------------------------------------------------------------------

    def _base_screen(self) -> Screen[object]:
        """The current step's screen, under any open dialog."""
        stack: list[Screen[object]] = list(self.screen_stack)
        for screen in reversed(stack):
            if not isinstance(screen, ModalScreen):
                return screen
        return stack[-1]

    def _go(self, screen: Screen[None]) -> None:
        while isinstance(self.screen, ModalScreen):
            self.pop_screen()
        self.switch_screen(screen)

    async def action_start_devices(self) -> None:
        if self.running or self._finding_devices or isinstance(self._base_screen(), DevicesScreen):
            return
        if self.feeds is None:
            self._finding_devices = True
            try:
                self.feeds = await asyncio.to_thread(discover_feeds, self.settings)
            finally:
                self._finding_devices = False
        if isinstance(self._base_screen(), WelcomeScreen):  # the user may have moved on meanwhile
            self._go(DevicesScreen(self.feeds))

    def action_start_check(self) -> None:
        if self.running or self.opened_report:
            return
        self._rerun_base = None
        self._start(self.plan)

    def action_skip_devices(self) -> None:
        """Skip the camera, microphone and speaker: run the rest of the plan."""
        if self.running or self.opened_report:
            return
        self._rerun_base = None
        rest = tuple(p for p in self.plan if p not in DEVICE_PROBES)
        self._start(rest or self.plan)

    def action_rerun(self, probe: str) -> None:
        if self.running or self.report is None or self.opened_report:
            return
        self._rerun_base = self.report
        self._start((probe,))

    def _start(self, probe_ids: tuple[str, ...]) -> None:
        network = self.network = NetworkScreen(probe_ids)
        self._go(network)
        run = RunThread(
            self.run_factory,
            probe_ids,
            deliver=lambda event: self.post_message(RunEvent(event, run)),
            on_error=lambda error: self.post_message(RunBroke(error, run)),
        )
        self.current_run = run
        self.run_worker(run.run, name="check", group="check", thread=True, exit_on_error=False)

    def action_skip_check(self) -> None:
        """Stop the running check; the results so far are shown."""
        if self.current_run is not None:
            self.current_run.cancel()

    def on_run_event(self, message: RunEvent) -> None:
        if message.run is not self.current_run:
            return  # a stale event from a run that was replaced
        event = message.event
        screen = self._base_screen()
        for s in self.screen_stack:
            if isinstance(s, NetworkScreen):
                s.handle(event)
        if isinstance(event, RunFinished):
            self.current_run = None
            report = event.report
            if self._rerun_base is not None:
                report = merge_rerun(self._rerun_base, report)
                self._rerun_base = None
            self.report = report
            if self._quitting:
                return
            if isinstance(self.screen, ModalScreen) and isinstance(screen, NetworkScreen):
                self._pending_results = report  # shown when the dialog closes
            else:
                self._go(ResultsScreen(report, self.audience))

    def on_run_broke(self, message: RunBroke) -> None:
        if message.run is not self.current_run:
            return
        self.current_run = None
        detail = str(message.error) or type(message.error).__name__
        self.notify(P("tui.network.broke", detail=detail), severity="error", timeout=30)
        if self.report is not None and not self._quitting:
            self._go(ResultsScreen(self.report, self.audience))

    def show_pending_results(self) -> None:
        """Called when a dialog over the network screen closes."""
        report, self._pending_results = self._pending_results, None
        if report is not None and not self._quitting:
            self._go(ResultsScreen(report, self.audience))

    # --- results -------------------------------------------------------------------------

    def action_set_audience(self, name: str) -> None:
        self.audience = Audience(name)
        screen = self._base_screen()
        if isinstance(screen, ResultsScreen):
            screen.audience = self.audience
            screen.refresh(recompose=True)
            self.call_after_refresh(self._focus_audience)

    def _focus_audience(self) -> None:
        screen = self._base_screen()
        if isinstance(screen, ResultsScreen):
            for button in screen.query(f"#audience-{self.audience.value}"):
                button.focus()

    def action_cycle_audience(self) -> None:
        order = list(Audience)
        self.action_set_audience(order[(order.index(self.audience) + 1) % len(order)].value)

    def action_save_report(self) -> None:
        report = self.report
        if report is None or self.running:
            return

        def chosen(path: str | None) -> None:
            if path:
                self.run_worker(self._save(report, path), group="save", exit_on_error=False)

        self.push_screen(SaveScreen(default_save_path(report)), chosen)

    async def _save(self, report: Report, path: str) -> bool:
        from ..report import ReportFileError, redact_report, save_report

        target = Path(path).expanduser()
        if self.settings.redact and not report.redacted:
            report = redact_report(report)
        try:
            await asyncio.to_thread(save_report, report, target)
        except ReportFileError as e:
            self.notify(str(e), severity="error", timeout=15)
            return False
        self.saved_to = target
        note = P("tui.save.done", path=str(target))
        if report.redacted:
            note += " " + P("tui.save.redacted")
        self.notify(note, timeout=10)
        return True

    # --- appearance, help, palette --------------------------------------------------------

    def action_toggle_contrast(self) -> None:
        self.theme = DEFAULT_THEME if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        grouped: dict[str, list[str]] = {}
        actives = sorted(self.screen.active_bindings.values(), key=lambda a: not a.binding.show)
        for active in actives:
            binding = active.binding
            if binding.description:
                shown = grouped.setdefault(binding.description, [])
                key = self.get_key_display(binding)
                if key not in shown:
                    shown.append(key)
        keys = [(" ".join(k), description) for description, k in grouped.items()]
        self.push_screen(HelpScreen(keys))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if not self.opened_report and not self.running:
            yield SystemCommand(P("tui.cmd.start"), P("tui.cmd.start_help"), self.action_start_check)
        if isinstance(self._base_screen(), (WelcomeScreen, DevicesScreen, NetworkScreen)):
            yield SystemCommand(P("tui.cmd.skip"), P("tui.cmd.skip_help"), self._skip_step)
        for a in Audience:
            yield SystemCommand(
                P("tui.cmd.audience", audience=P(f"tui.audience.{a.value}")),
                P("tui.cmd.audience_help"),
                lambda a=a: self.action_set_audience(a.value),
            )
        yield SystemCommand(P("tui.cmd.contrast"), P("tui.cmd.contrast_help"), self.action_toggle_contrast)
        if self.report is not None and not self.running:
            yield SystemCommand(P("tui.cmd.save"), P("tui.cmd.save_help"), self.action_save_report)
            if not self.opened_report:
                for r in self.report.results:
                    yield SystemCommand(
                        P("tui.cmd.rerun", probe=probe_name(r.probe)),
                        P("tui.cmd.rerun_help"),
                        lambda p=r.probe: self.action_rerun(p),
                    )
        yield SystemCommand(P("tui.cmd.help"), P("tui.cmd.help_help"), self.action_help)
        yield from super().get_system_commands(screen)

    def _skip_step(self) -> None:
        screen = self._base_screen()
        if isinstance(screen, NetworkScreen):
            self.action_skip_check()
        else:
            self.action_start_check()

    # --- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        await self.action_request_quit()

    async def action_request_quit(self) -> None:
        if self._quitting:
            return
        if not self.running:
            self._exit_now()
            return
        if isinstance(self.screen, QuitScreen):
            return

        async def chosen(choice: str | None) -> None:
            if choice == "quit":
                await self.stop_and_exit(save=False)
            elif choice == "save":
                await self.stop_and_exit(save=True)
            else:
                self.show_pending_results()

        self.push_screen(QuitScreen(name="quit"), chosen)

    async def stop_and_exit(self, *, save: bool) -> None:
        """Cancel the run, wait until it ended, save the partial report only if asked, exit."""
        self._quitting = True
        run = self.current_run
        report = self.report
        if run is not None:
            run.cancel()
            await asyncio.to_thread(run.wait, STOP_TIMEOUT_S)
            report = run.final_report
            if report is not None and self._rerun_base is not None:
                report = merge_rerun(self._rerun_base, report)
        if save and report is not None:
            await self._save(report, default_save_path(report))
        self.exit(result=int(ExitCode.INTERRUPTED if report is None else ExitCode.for_report(report)))

    def _exit_now(self) -> None:
        code = ExitCode.VIDEO
        if self.report is not None and not self.opened_report:
            code = ExitCode.for_report(self.report)
        self.exit(result=int(code))

    def on_unmount(self) -> None:
        # Last line of defence (e.g. the terminal closed, or a crash): never leave a run behind.
        run = self.current_run
        if run is not None:
            run.cancel()
            run.wait(STOP_TIMEOUT_S)
        if self.crashed is not None:
            self._keep_results_after_crash(self.crashed, run)

    # --- crashes -------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """Any exception nobody caught: our bug. End with a short apology, exit code 4.

        Textual's default prints the traceback with its local variables, which hold the
        clinic's TURN URLs and the client's addresses. Instead the traceback goes, redacted and
        without locals, to a private crash log; the results so far are saved when the app has
        wound down (:meth:`on_unmount`); the terminal shows only :meth:`Crash.message`.
        """
        if self.crashed is None:
            self.crashed = Crash(error)
            try:
                from ..crashlog import write_crash_log

                self.crashed.log = write_crash_log(error, context="the app")
            except Exception as e:  # the apology must still be shown
                self.crashed.log_error = f"{type(e).__name__}: {e}"
            if self._exception is None:  # so that run_test() re-raises it and tests see it
                self._exception = error
                self._exception_event.set()
        self._return_code = self._return_value = int(ExitCode.INTERNAL)
        self._exit_renderables[:] = [self.crashed.message()]
        run = self.current_run
        if run is not None:
            run.cancel()
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:
        """Never Textual's traceback with locals (see :meth:`_handle_exception`)."""
        self._close_messages_no_wait()

    def _keep_results_after_crash(self, crash: Crash, run: RunThread | None) -> None:
        """Save what was measured (redacted, as a saved report always is) and say where."""
        from ..report import redact_report, save_report

        try:
            report = self.report
            if run is not None and run.final_report is not None:
                report = run.final_report
                if self._rerun_base is not None:
                    report = merge_rerun(self._rerun_base, report)
            if self.opened_report:
                pass  # it came from a file: nothing new to keep
            elif report is None:
                crash.nothing_to_save = True
            else:
                if self.settings.redact and not report.redacted:
                    report = redact_report(report)
                target = Path(default_save_path(report)).expanduser()
                save_report(report, target)
                crash.saved = target
        except Exception as e:  # the apology must still be shown
            crash.save_error = f"{type(e).__name__}: {e}"
        self._exit_renderables[:] = [crash.message()]


def run_app(settings: Settings, **kwargs: object) -> int:
    """Run the guided check in this terminal and return the exit code."""
    app = SessionCheckApp(settings, **kwargs)  # type: ignore[arg-type]
    result = app.run()
    return int(result if result is not None else ExitCode.INTERRUPTED)


def show_report(report: Report, audience: Audience = Audience.SUPPORT) -> int:
    """Open a saved report in the app (``sessioncheck report show FILE`` in a terminal)."""
    app = SessionCheckApp(report=report, audience=audience)
    app.run()
    return int(ExitCode.INTERNAL if app.crashed is not None else ExitCode.VIDEO)
