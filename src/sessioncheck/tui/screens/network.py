"""Network: a progress bar per probe and live sparklines from the runner's samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from ...advice import catalogue
from ...events import Event, ProbeFinished, ProbeStarted, Progress, Sample
from ..widgets.probe_row import ProbeRow
from ..widgets.series import LiveSeries
from ..widgets.title import TitleBar

P = catalogue.phrase


class NetworkScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("k", "app.skip_check", P("tui.key.skip"))]

    def __init__(self, plan: Sequence[str]) -> None:
        super().__init__(name="network")
        self.plan = tuple(plan)
        self.events_seen = 0
        self._pending: list[Event] = []
        self.rows: dict[str, ProbeRow] = {}
        self.series: dict[tuple[str, str], LiveSeries] = {}

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="network"):
            yield Label(P("tui.network.heading"), classes="heading")
            with Vertical(id="probe-rows"):
                for probe_id in self.plan:
                    self.rows[probe_id] = ProbeRow(probe_id)
                    yield self.rows[probe_id]
            yield Label(P("tui.network.live"), classes="subheading")
            with Vertical(id="series"):
                yield Static(P("tui.network.no_samples"), id="no-samples", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(P("tui.skip"), id="skip", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#skip", Button).focus()
        pending, self._pending = self._pending, []
        for event in pending:
            self.handle(event)

    def on_screen_resume(self) -> None:
        # A dialog over this screen closed: show results that arrived meanwhile.
        show = getattr(self.app, "show_pending_results", None)
        if show is not None:
            show()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "skip":
            await self.app.run_action("skip_check")

    def _row(self, probe_id: str) -> ProbeRow:
        row = self.rows.get(probe_id)
        if row is None:
            row = self.rows[probe_id] = ProbeRow(probe_id)
            self.query_one("#probe-rows").mount(row)
        return row

    def handle(self, event: Event) -> None:
        """Show one runner event (queued until the screen is mounted)."""
        if not self.is_mounted:
            self._pending.append(event)
            return
        self.events_seen += 1
        if isinstance(event, ProbeStarted):
            self._row(event.probe).started()
        elif isinstance(event, Progress):
            note = catalogue.progress_note(event.probe, event.note, event.values)
            self._row(event.probe).progress(event.fraction, note)
        elif isinstance(event, ProbeFinished):
            self._row(event.result.probe).finished(event.result)
        elif isinstance(event, Sample):
            self._series(event).add(event.value)

    def _series(self, sample: Sample) -> LiveSeries:
        series = self.series.get((sample.probe, sample.key))
        if series is None:
            for placeholder in self.query("#no-samples"):
                placeholder.remove()
            series = LiveSeries(sample.probe, sample.key, sample.unit)
            self.series[(sample.probe, sample.key)] = series
            self.query_one("#series").mount(series)
        return series
