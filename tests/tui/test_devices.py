"""The devices screen with real media sources: ffmpeg virtual camera and microphone, and a
real PulseAudio speaker whose monitor stands in for a microphone next to it."""

from __future__ import annotations

from textual.widgets import Static

from sessioncheck.advice import catalogue
from sessioncheck.media.live import discover_feeds
from sessioncheck.settings import Settings
from sessioncheck.tui.app import SessionCheckApp
from sessioncheck.tui.screens.devices import DevicesScreen
from sessioncheck.tui.widgets import CameraPreview, LevelMeter
from support.pulse import Pulse

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


async def test_real_sound_devices_meter_and_tone(pulse: Pulse) -> None:
    """PulseAudio's virtual microphone and speaker: the meter runs, the tone plays, the answer counts."""
    settings = Settings(camera=VIRTUAL.camera, microphone=pulse.microphone, speaker=pulse.speaker)
    app = SessionCheckApp(settings, plan=("system",), run_factory=scripted_factory([]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        assert isinstance(screen, DevicesScreen)
        assert not screen.query("#speaker-missing") and not screen.query("#mic-missing")
        meter = screen.query_one(LevelMeter)
        await until(pilot, lambda: meter.level_db is not None)
        assert (meter.level_db or 0) < -60  # nothing plays into the microphone: digital silence
        await pilot.press("t")
        await until(pilot, lambda: not screen.query_one("#heard").has_class("-hidden"))
        await pilot.click("#heard-yes")
        assert screen.heard is True
        status = screen.query_one("#tone-status", Static)
        assert str(status.render()) == catalogue.phrase("tui.devices.heard_yes")
        threads = list(screen._threads)
        assert len(threads) == 2
        await pilot.press("k")
        await until(pilot, lambda: not isinstance(app.screen, DevicesScreen))
        assert all(t.done.is_set() for t in threads)
