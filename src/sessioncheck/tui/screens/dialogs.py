"""Dialogs: save the report, and stop-the-check-and-quit."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ...advice import catalogue

P = catalogue.phrase


class SaveScreen(ModalScreen[str | None]):
    """Asks where to save the report; returns the path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", P("tui.close"))]

    def __init__(self, default_path: str) -> None:
        super().__init__(name="save")
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog", classes="dialog"):
            yield Label(P("tui.save.heading"), classes="heading")
            yield Label(P("tui.save.prompt"))
            yield Input(self.default_path, id="save-path")
            with Horizontal(classes="buttons"):
                yield Button(P("tui.save.button"), id="save-ok", variant="primary", compact=True)
                yield Button(P("tui.close"), id="save-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-ok":
            self.dismiss(self.query_one(Input).value.strip() or None)
        else:
            self.dismiss(None)


class QuitScreen(ModalScreen[str]):
    """While a check runs: quit without saving (default), save what we have, or keep going."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('cancel')", P("tui.quit.cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Label(P("tui.quit.heading"), classes="heading")
            yield Static(P("tui.quit.text"))
            with Vertical(classes="choices"):
                yield Button(P("tui.quit.quit"), id="quit", variant="error", compact=True)
                yield Button(P("tui.quit.save"), id="save", compact=True)
                yield Button(P("tui.quit.cancel"), id="cancel", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")
