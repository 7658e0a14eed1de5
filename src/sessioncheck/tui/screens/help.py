"""Help: every key that works on the current screen, and a word about the mouse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ...advice import catalogue

P = catalogue.phrase


class HelpScreen(ModalScreen[None]):
    """Lists the keys that work on the screen below, and how to use the mouse."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1,question_mark", "dismiss", P("tui.close"))]

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__(name="help")
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Label(P("tui.help.heading"), classes="heading")
            width = max((len(k) for k, _ in self.keys), default=0)
            lines = "\n".join(f"{k:>{width}}  {d}" for k, d in self.keys)
            yield Static(lines, id="help-keys")
            yield Static(P("tui.help.mouse"), classes="hint")
            yield Button(P("tui.close"), id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)
