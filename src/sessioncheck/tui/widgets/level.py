"""A microphone level meter drawn with block characters."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

FLOOR_DB = -60.0
"""The meter's bottom: levels at or below this show an empty bar."""


class LevelMeter(Widget):
    """Shows ``level_db`` (dBFS, 0 is full scale) as a bar and a number."""

    level_db: reactive[float | None] = reactive(None)

    def render(self) -> Text:
        width = max(self.size.width - 9, 1)
        level = self.level_db
        if level is None:
            return Text("░" * width)
        fraction = min(max((level - FLOOR_DB) / -FLOOR_DB, 0.0), 1.0)
        filled = round(fraction * width)
        text = Text()
        text.append("█" * filled, style="bold")
        text.append("░" * (width - filled))
        text.append(f" {max(level, FLOOR_DB):5.0f} dB")
        return text
