"""One line per probe on the network screen: name, progress bar, status."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from ...advice import catalogue
from ...model import ProbeResult, Status

STATUS_MARKS = {
    Status.PASS: "✔",
    Status.WARN: "!",
    Status.FAIL: "✖",
    Status.SKIP: "–",
    Status.ERROR: "?",
}
"""A mark per status, so the meaning never depends on colour alone."""


def probe_name(probe_id: str) -> str:
    """The probe's display name from the catalogue (its id when it has none yet)."""
    return catalogue.PHRASES.get(f"probe.{probe_id}", probe_id)


class ProbeRow(Horizontal):
    """Progress of one probe. State is kept here and drawn whenever the row is mounted."""

    def __init__(self, probe_id: str) -> None:
        super().__init__(classes="probe-row")
        self.probe_id = probe_id
        self.running = False
        self.fraction = 0.0
        self.note = ""
        self.result: ProbeResult | None = None

    def compose(self) -> ComposeResult:
        yield Label(probe_name(self.probe_id), classes="probe-name")
        yield ProgressBar(total=1.0, show_eta=False, classes="probe-bar")
        yield Label("", classes="probe-status")

    def on_mount(self) -> None:
        self._draw()

    def started(self) -> None:
        self.running = True
        self._draw()

    def progress(self, fraction: float, note: str = "") -> None:
        self.fraction = max(self.fraction, fraction)
        self.note = note
        self._draw()

    def finished(self, result: ProbeResult) -> None:
        self.result = result
        self.running = False
        self.fraction = 1.0
        self._draw()

    @property
    def status_text(self) -> str:
        if self.result is not None:
            status = self.result.status
            return f"{STATUS_MARKS[status]} {catalogue.phrase(f'status.{status.value}')}"
        if self.running:
            return catalogue.phrase("tui.network.running")
        return catalogue.phrase("tui.network.waiting")

    def _draw(self) -> None:
        if not self.is_mounted or not self.children:
            return
        self.set_class(self.running, "-running")
        for status in Status:
            self.set_class(self.result is not None and self.result.status is status, f"-{status.value}")
        self.query_one(ProgressBar).update(progress=self.fraction)
        self.query_one(".probe-status", Label).update(self.status_text)
