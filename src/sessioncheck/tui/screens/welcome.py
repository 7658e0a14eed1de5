"""Welcome: what will be tested, how long it takes, and the privacy promise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from ...advice import catalogue
from ..widgets.probe_row import probe_name
from ..widgets.title import TitleBar

P = catalogue.phrase


class WelcomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "app.start_devices", P("tui.key.start")),
        Binding("k", "app.skip_devices", P("tui.key.skip")),
    ]

    def __init__(self, plan: Sequence[str]) -> None:
        super().__init__(name="welcome")
        self.plan = tuple(plan)
        self.seconds: int | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="welcome"):
            yield Label(P("tui.welcome.heading"), classes="heading")
            yield Static(P("tui.welcome.intro"), classes="para")
            yield Label(P("tui.welcome.tests"), classes="subheading")
            items = [P("tui.welcome.devices"), *(probe_name(p) for p in self.plan)]
            yield Static("\n".join(f" • {item}" for item in items), id="welcome-tests")
            yield Static("", id="duration", classes="para")
            yield Label(P("tui.welcome.privacy_title"), classes="subheading")
            yield Static(P("tui.welcome.privacy"), id="privacy", classes="para")
            with Horizontal(classes="buttons"):
                yield Button(P("tui.welcome.start"), id="start", variant="primary", compact=True)
                yield Button(P("tui.welcome.skip_devices"), id="skip", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()
        if self.seconds is not None:
            self.show_duration(self.seconds)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            await self.app.run_action("start_devices")
        elif event.button.id == "skip":
            await self.app.run_action("skip_devices")

    def show_duration(self, seconds: int) -> None:
        """Fill in the time estimate once the probes' time limits are known."""
        self.seconds = seconds
        if self.is_mounted:
            self.query_one("#duration", Static).update(P("tui.welcome.duration", seconds=seconds))
