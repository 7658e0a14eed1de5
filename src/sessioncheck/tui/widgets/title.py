"""A one-line title bar: the app's title and subtitle.

Used instead of Textual's ``Header``, whose title is filled in after mounting and fails when
a screen is replaced at once (a check that ends within a frame).
"""

from __future__ import annotations

from textual.widgets import Static


class TitleBar(Static):
    def on_mount(self) -> None:
        self.watch(self.app, "title", self._refresh_title)
        self.watch(self.app, "sub_title", self._refresh_title)

    def _refresh_title(self, _value: str | None = None) -> None:
        title, sub = self.app.title, self.app.sub_title
        self.update(f"{title} — {sub}" if sub else title)
