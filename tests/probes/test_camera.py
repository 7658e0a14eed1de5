"""The camera probe on real frames: ffmpeg virtual sources, a file, a pipe that stops, no device.

The scenario files in ``scenarios/camera/`` are the specification: each runs through the real
Runner and is checked with the lab runner's ``compare`` (its findings, and the absence of
false ones).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sessioncheck.events import Sample
from sessioncheck.model import Status
from sessioncheck.probes import camera as camera_probe
from sessioncheck.probes.camera import CameraProbe
from sessioncheck.runner import Runner
from sessioncheck.settings import Settings
from support.device_scenarios import REPO, explain, run_device_scenario, scenario_files

SHORT_S = 1.5


@pytest.fixture(autouse=True)
def short_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera_probe, "CAPTURE_SECONDS", SHORT_S)
    monkeypatch.chdir(REPO)  # virtual sources name scenarios/camera/face.jpg


@pytest.mark.parametrize("path", scenario_files("camera"), ids=lambda p: p.stem)
async def test_scenario(path: Path) -> None:
    outcome = await run_device_scenario(path)
    assert outcome.passed, explain(outcome)


async def run(spec: str | None) -> tuple[dict[str, object], list[str], Status, list[Sample]]:
    runner = Runner([CameraProbe()], Settings(camera=spec))
    samples = [e async for e in runner.events() if isinstance(e, Sample)]
    assert runner.report is not None
    r = runner.report.results[0]
    assert r.error is None, r.error
    return {m.key: m.value for m in r.measurements}, [f.code for f in r.findings], r.status, samples


async def test_virtual_source_measures_resolution_rate_and_sends_live_values() -> None:
    values, _, _, samples = await run("lavfi:testsrc2=size=1280x720:rate=30")
    assert (values["camera.width"], values["camera.height"]) == (1280, 720)
    assert 24 <= float(values["camera.fps"]) <= 31  # type: ignore[arg-type]
    assert float(values["camera.analysis_ms"]) < 20  # type: ignore[arg-type]
    assert values["camera.requested_fps"] == 30.0
    assert {s.key for s in samples} == {"mean_luma"}


async def test_missing_device_is_a_finding_not_a_traceback() -> None:
    values, codes, status, _ = await run("/dev/video7")
    assert values["camera.outcome"] == "missing"
    assert codes == ["camera.missing"]
    assert status is Status.FAIL


async def test_default_camera_on_a_machine_without_one() -> None:
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has a camera; the test needs one without")
    _values, codes, _, _ = await run(None)
    assert codes == ["camera.missing"]


async def test_broken_virtual_source_is_unreadable() -> None:
    values, codes, _, _ = await run("lavfi:nosuchfilter=1")
    assert values["camera.outcome"] == "invalid"
    assert codes == ["camera.source_invalid"]


async def test_media_file_plays_as_a_camera(tmp_path: Path) -> None:
    import av
    import numpy as np

    clip = tmp_path / "clip.mp4"
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(90):
            img = rng.integers(60, 200, (360, 640, 3), dtype=np.uint8)
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    values, codes, _, _ = await run(str(clip))
    assert values["camera.outcome"] == "ok"
    assert (values["camera.width"], values["camera.height"]) == (640, 360)
    assert 24 <= float(values["camera.fps"]) <= 31  # type: ignore[arg-type]  # paced like a camera
    assert "camera.unplugged" not in codes


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs Debian package ffmpeg")
async def test_camera_that_stops_mid_test_is_unplugged_and_keeps_its_frames(tmp_path: Path) -> None:
    fifo = tmp_path / "camera.pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-t",
            "0.6",
            "-f",
            "nut",
            "-y",
            str(fifo),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        values, codes, _, _ = await run(str(fifo))
    finally:
        writer.wait(timeout=10)
    assert values["camera.outcome"] == "unplugged"
    assert "camera.unplugged" in codes
    assert int(values["camera.frames"]) > 5  # type: ignore[call-overload]
    assert "camera.mean_luma" in values  # partial results are kept
