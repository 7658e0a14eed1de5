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
    assert isinstance(values["media_loop.top_processes"], str)
    assert 0 <= float(values["media_loop.cpu_headroom_pct"]) <= 100  # type: ignore[arg-type]
    assert set(codes) <= {"media_loop.cpu_short", "media_loop.cpu_too_slow"}


async def test_uses_a_virtual_camera_when_given() -> None:
    values, _, _ = await run("lavfi:testsrc2=size=640x360:rate=30")
    assert values["media_loop.source"] == "virtual camera"
    assert float(values["media_loop.fps_480p"]) > 0  # type: ignore[arg-type]


async def test_a_real_camera_spec_is_left_to_the_camera_probe() -> None:
    values, _, _ = await run("/dev/video7")
    assert values["media_loop.source"] == "test pattern"
