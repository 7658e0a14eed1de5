"""The devices screen with real media sources: ffmpeg virtual camera and microphone."""

from __future__ import annotations

from textual.widgets import Static

from sessioncheck.advice import catalogue
from sessioncheck.settings import Settings
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.devices import discover_feeds
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.widgets import CameraPreview, LevelMeter

from .helpers import until
from .scripted import scripted_factory

VIRTUAL = Settings(
    camera="lavfi:testsrc2=size=320x240:rate=15",
    microphone="lavfi:sine=frequency=440:sample_rate=48000",
    speaker="lavfi:sine=frequency=440",
)


def test_missing_devices_are_not_offered() -> None:
    feeds = discover_feeds(Settings(camera="/dev/video99", microphone="/no/such/file.wav"))
    assert feeds.camera is None and feeds.microphone is None


def test_a_speaker_must_be_a_sound_device() -> None:
    assert discover_feeds(VIRTUAL).speaker is None


async def test_live_preview_and_meter_from_real_sources() -> None:
    app = SessionCheckApp(VIRTUAL, plan=("system",), run_factory=scripted_factory([]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        preview = screen.query_one(CameraPreview)
        meter = screen.query_one(LevelMeter)
        await until(pilot, lambda: preview.frames_shown >= 5 and meter.level_db is not None)
        # testsrc2's picture is colourful: the preview is not one flat colour.
        colours = {seg.style.color.triplet for seg in preview.render_line(3) if seg.style and seg.style.color}
        assert len(colours) > 3
        # A sine of amplitude 1/8 has an RMS level of about -21 dBFS.
        assert -24 < (meter.level_db or 0) < -18
        missing = screen.query_one("#speaker-missing", Static)
        assert str(missing.render()) == catalogue.phrase("tui.devices.no_speaker")
        threads = list(screen._threads)
        await pilot.press("k")
        await until(pilot, lambda: not isinstance(app.screen, DevicesScreen))
        assert all(t.done.is_set() for t in threads)
