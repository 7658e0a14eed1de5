"""A live series of samples: a label, a sparkline and the latest value, fixed length."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline

from ...advice import catalogue

HISTORY = 60
"""How many samples a sparkline keeps (older ones drop off the left)."""


def series_label(probe_id: str, key: str) -> str:
    name = catalogue.PHRASES.get(f"tui.sample.{key}", key.replace("_", " "))
    return name


def format_value(value: float, unit: str) -> str:
    if unit == "kbps" and value >= 1000:
        return f"{value / 1000:.1f} Mbit/s"
    if unit == "kbps":
        return f"{value:.0f} kbit/s"
    digits = 0 if abs(value) >= 100 else 1
    return f"{value:.{digits}f} {unit}".rstrip()


class LiveSeries(Horizontal):
    """Samples of one (probe, key) as they arrive."""

    def __init__(self, probe_id: str, key: str, unit: str) -> None:
        super().__init__(classes="series")
        self.probe_id = probe_id
        self.key = key
        self.unit = unit
        self.values: deque[float] = deque(maxlen=HISTORY)

    def compose(self) -> ComposeResult:
        yield Label(series_label(self.probe_id, self.key), classes="series-name")
        yield Sparkline([], classes="series-line")
        yield Label("", classes="series-value")

    def on_mount(self) -> None:
        self._draw()

    def add(self, value: float) -> None:
        self.values.append(value)
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted or not self.children or not self.values:
            return
        self.query_one(Sparkline).data = list(self.values)
        self.query_one(".series-value", Label).update(format_value(self.values[-1], self.unit))
