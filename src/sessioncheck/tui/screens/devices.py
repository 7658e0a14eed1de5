"""Devices: live camera preview, live microphone level, speaker tone. Every part is optional."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from ...advice import catalogue
from ...media.live import DeviceFeeds, Feed, FeedThread, ToneTest
from ..widgets.camera import CameraPreview
from ..widgets.level import LevelMeter
from ..widgets.title import TitleBar

if TYPE_CHECKING:
    from ...media.live import Image

P = catalogue.phrase
T = TypeVar("T")


class FeedReady(Message):
    """A device feed has a new item to draw (sent from the feed's thread, at most one
    outstanding per feed)."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device


class FeedBroke(Message):
    def __init__(self, device: str, error: BaseException) -> None:
        super().__init__()
        self.device = device
        self.error = error


class DevicesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "app.start_check", P("tui.key.next")),
        Binding("k", "app.skip_devices", P("tui.key.skip")),
        Binding("t", "play_tone", P("tui.key.tone")),
    ]

    def __init__(self, feeds: DeviceFeeds) -> None:
        super().__init__(name="devices")
        self.feeds = feeds
        self._camera: FeedThread[Image] | None = None
        self._microphone: FeedThread[float] | None = None
        self.heard: bool | None = None
        """The client's answer to "Did you hear it?", once given."""

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="devices"):
            yield Label(P("tui.devices.heading"), classes="heading")
            with Horizontal(id="device-panels"):
                with Vertical(id="camera-panel", classes="panel"):
                    yield Label(P("tui.devices.camera"), classes="subheading")
                    if self.feeds.camera is None:
                        yield Static(P("tui.devices.no_camera"), id="camera-missing", classes="missing")
                    else:
                        yield CameraPreview(id="camera")
                        yield Static(P("tui.devices.camera_hint"), classes="hint")
                with Vertical(id="sound-panel", classes="panel"):
                    yield Label(P("tui.devices.microphone"), classes="subheading")
                    if self.feeds.microphone is None:
                        yield Static(P("tui.devices.no_microphone"), id="mic-missing", classes="missing")
                    else:
                        yield Static(P("tui.devices.say_something"), classes="hint")
                        yield LevelMeter(id="mic-level")
                    yield Label(P("tui.devices.speaker"), classes="subheading")
                    if self.feeds.speaker is None:
                        yield Static(P("tui.devices.no_speaker"), id="speaker-missing", classes="missing")
                    else:
                        yield Button(P("tui.devices.play_tone"), id="tone", compact=True)
                        yield Static("", id="tone-status")
                        with Horizontal(id="heard", classes="buttons -hidden"):
                            yield Button(P("tui.devices.yes"), id="heard-yes", compact=True)
                            yield Button(P("tui.devices.no"), id="heard-no", compact=True)
            with Horizontal(classes="buttons"):
                yield Button(P("tui.next"), id="next", variant="primary", compact=True)
                yield Button(P("tui.skip"), id="skip", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#next", Button).focus()
        if self.feeds.camera is not None:
            self._camera = self._subscribe("camera", self.feeds.camera)
        if self.feeds.microphone is not None:
            self._microphone = self._subscribe("microphone", self.feeds.microphone)

    def _subscribe(self, device: str, feed: Feed[T]) -> FeedThread[T]:
        """Run ``feed`` on a worker thread; it says here when it has something to draw."""
        thread = FeedThread(feed, notify=lambda: self.post_message(FeedReady(device)), on_error=self._breaker(device))
        self.run_worker(thread.run, thread=True, group="feeds", exit_on_error=False)
        return thread

    @property
    def _threads(self) -> list[FeedThread[Image] | FeedThread[float]]:
        """The running feeds."""
        return [t for t in (self._camera, self._microphone) if t is not None]

    def _breaker(self, device: str) -> Callable[[BaseException], object]:
        return lambda error: self.post_message(FeedBroke(device, error))

    def on_unmount(self) -> None:
        self.stop_feeds()

    def stop_feeds(self) -> None:
        threads = self._threads
        for t in threads:
            t.stop()
        for t in threads:
            t.done.wait(2.0)
        self._camera = self._microphone = None

    def on_feed_ready(self, message: FeedReady) -> None:
        if message.device == "camera" and self._camera is not None:
            frame = self._camera.take()
            if frame is not None:
                self.query_one(CameraPreview).show(frame)
        elif message.device == "microphone" and self._microphone is not None:
            level = self._microphone.take()
            if level is not None:
                self.query_one(LevelMeter).level_db = level

    def on_feed_broke(self, message: FeedBroke) -> None:
        name = P("tui.devices.camera" if message.device == "camera" else "tui.devices.microphone")
        detail = str(message.error) or type(message.error).__name__
        self.notify(P("tui.devices.stopped", device=name, detail=detail), severity="warning")

    async def action_play_tone(self) -> None:
        if self.feeds.speaker is None:
            return
        status = self.query_one("#tone-status", Static)
        status.update(P("tui.devices.playing"))
        tone = self.feeds.speaker
        self.run_worker(self._play(tone), group="tone", exclusive=True, exit_on_error=False)

    async def _play(self, tone: ToneTest) -> None:
        import asyncio

        status = self.query_one("#tone-status", Static)
        try:
            await asyncio.to_thread(tone)
        except Exception as e:
            detail = str(e) or type(e).__name__
            status.update(P("tui.devices.stopped", device=P("tui.devices.speaker"), detail=detail))
            return
        status.update(P("tui.devices.heard"))
        self.query_one("#heard").remove_class("-hidden")
        self.query_one("#heard-yes", Button).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id
        if bid == "next":
            await self.app.run_action("start_check")
        elif bid == "skip":
            await self.app.run_action("skip_devices")
        elif bid == "tone":
            await self.run_action("play_tone")
        elif bid in ("heard-yes", "heard-no"):
            self.heard = bid == "heard-yes"
            key = "tui.devices.heard_yes" if self.heard else "tui.devices.heard_no"
            self.query_one("#tone-status", Static).update(P(key))
            self.query_one("#heard").add_class("-hidden")
