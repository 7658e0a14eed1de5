"""media_loop: real frames through aiortc's VP8 encoder and decoder at 480p and 720p."""

from __future__ import annotations

import pytest

from sessioncheck.model import Status
from sessioncheck.probes import media_loop
from sessioncheck.probes.media_loop import MediaLoopProbe
from sessioncheck.runner import Runner
from sessioncheck.settings import Settings


@pytest.fixture(autouse=True)
def short_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_loop, "LOOP_SECONDS", 1.0)


async def run(camera: str | None) -> tuple[dict[str, object], list[str], Status]:
    report = await Runner([MediaLoopProbe()], Settings(camera=camera)).run()
    r = report.results[0]
    assert r.error is None, r.error
    return {m.key: m.value for m in r.measurements}, [f.code for f in r.findings], r.status


async def test_encodes_and_decodes_both_sizes() -> None:
    values, codes, _status = await run(None)
    assert values["media_loop.source"] == "test pattern"
    for size in ("480p", "720p"):
        assert 0 < float(values[f"media_loop.fps_{size}"]) <= 31  # type: ignore[arg-type]
        assert float(values[f"media_loop.encode_ms_{size}"]) > 0  # type: ignore[arg-type]
        assert float(values[f"media_loop.decode_ms_{size}"]) > 0  # type: ignore[arg-type]
        assert 0 <= float(values[f"media_loop.cpu_pct_{size}"]) <= 100  # type: ignore[arg-type]
        assert float(values[f"media_loop.process_cpu_pct_{size}"]) > 0  # type: ignore[arg-type]
    # a 720p frame costs more to encode than a 480p one
    assert float(values["media_loop.encode_ms_720p"]) > float(values["media_loop.encode_ms_480p"])  # type: ignore[arg-type]
    top = values["media_loop.top_processes"]
    assert isinstance(top, tuple) and all(isinstance(p, str) and p.endswith("%") for p in top)
    assert 0 <= float(values["media_loop.cpu_headroom_pct"]) <= 100  # type: ignore[arg-type]
    assert set(codes) <= {"media_loop.cpu_short", "media_loop.cpu_too_slow"}


async def test_uses_a_virtual_camera_when_given() -> None:
    values, _, _ = await run("lavfi:testsrc2=size=640x360:rate=30")
    assert values["media_loop.source"] == "virtual camera"
    assert float(values["media_loop.fps_480p"]) > 0  # type: ignore[arg-type]


async def test_a_real_camera_spec_is_left_to_the_camera_probe() -> None:
    values, _, _ = await run("/dev/video7")
    assert values["media_loop.source"] == "test pattern"


async def _send(meter: media_loop.SendMeter, frames: int, work_s: float) -> dict[str, object]:
    """Pull frames through the meter as aiortc's sender would, spending ``work_s`` on each."""
    import asyncio

    from sessioncheck.probes.base import ProbeContext
    from sessioncheck.rtc.measure.media import make_media_sources

    _audio, video, gate = make_media_sources()
    track = meter.wrap(video)
    gate.set()
    for _ in range(frames):
        await track.recv()
        if work_s:
            await asyncio.sleep(work_s)  # the sender's work on this frame (simulated)
    await track.recv()  # asks for the next one: the last frame's work is timed
    gate.clear()
    ctx = ProbeContext("path", Settings(), {}, emit=lambda e: None)
    await meter.record(ctx, "path.media", None)
    return {m.key: m.value for m in ctx.measurements}


async def test_send_meter_reads_a_sender_that_keeps_up() -> None:
    values = await _send(media_loop.SendMeter(), 12, 0.0)
    assert 27 <= float(values["path.media.video_encode_fps"]) <= 33  # type: ignore[arg-type]
    assert values["path.media.target_fps"] == 30.0
    assert 0 <= float(values["path.media.cpu_pct"]) <= 100  # type: ignore[arg-type]
    assert values["path.media.cpu_headroom_pct"] == round(100 - float(values["path.media.cpu_pct"]), 1)  # type: ignore[arg-type]
    top = values["path.media.top_processes"]
    assert isinstance(top, tuple) and all(isinstance(p, str) and p.endswith("%") for p in top)
    assert "path.media.fps_480p" not in values  # nothing to confirm


async def test_send_meter_times_a_slow_sender_and_measures_480p() -> None:
    values = await _send(media_loop.SendMeter(), 8, 0.1)
    assert 6 <= float(values["path.media.video_encode_fps"]) <= 10.5  # type: ignore[arg-type]
    assert float(values["path.media.video_encode_ms"]) >= 100  # type: ignore[arg-type]
    # short at 720p: the in-memory 480p loop ran, so "too slow even for 480p" is measured
    assert 0 < float(values["path.media.fps_480p"]) <= 31  # type: ignore[arg-type]
    assert float(values["path.media.encode_ms_480p"]) > 0  # type: ignore[arg-type]


async def test_send_meter_leaves_480p_alone_when_the_sender_is_only_somewhat_short() -> None:
    """20 fps at 720p is short (advice warns), but 480p, 2.5 times cheaper, surely passes."""
    values = await _send(media_loop.SendMeter(), 8, 0.05)
    assert media_loop.CONFIRM_BELOW_FPS < float(values["path.media.video_encode_fps"]) < 24  # type: ignore[arg-type]
    assert "path.media.fps_480p" not in values
