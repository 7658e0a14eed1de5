"""Cost of the device analysis, and how long each device probe takes. Prints medians.

Targets (issue 4): per 720p frame ≤ 10 ms without face detection (analysis keeps up with
30 fps on one core); each device probe ≤ 5 s.

    python benchmarks/media_analysis.py            # analysis costs + camera/microphone/media_loop
    python benchmarks/media_analysis.py --pulse    # also microphone/speaker on a private PulseAudio

Run from the repository root (the camera scenario reads scenarios/camera/face.jpg).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FRAMES = 60
BLOCKS = 500
RUNS = 3


def face_frame() -> Any:
    import cv2

    img = cv2.imread(str(REPO / "scenarios" / "camera" / "face.jpg"))[:, :, ::-1]
    return cv2.resize(img, (1280, 720), interpolation=cv2.INTER_LINEAR)


def frame_costs() -> dict[str, float]:
    from sessioncheck.media.video import PictureAnalyzer, detect_faces, luma

    rng = np.random.default_rng(0)
    base = face_frame()
    frames = [np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8) for _ in range(8)]
    grey = [luma(f) for f in frames]
    out: dict[str, float] = {}
    for name, inputs in (("rgb", frames), ("grey", grey)):
        a = PictureAnalyzer(detect=False)
        times = []
        for i in range(FRAMES):
            t = time.perf_counter()
            a.add(inputs[i % len(inputs)])
            times.append((time.perf_counter() - t) * 1000)
        out[f"720p frame analysis ({name} in, no face detection)"] = statistics.median(times)
    times = []
    for i in range(20):
        t = time.perf_counter()
        detect_faces(grey[i % len(grey)])
        times.append((time.perf_counter() - t) * 1000)
    out["face detection per 720p frame"] = statistics.median(times)
    a = PictureAnalyzer(face_every=10)
    times = []
    for i in range(FRAMES):
        t = time.perf_counter()
        a.add(grey[i % len(grey)])
        times.append((time.perf_counter() - t) * 1000)
    out["720p frame analysis, probe mix (face every 10th frame), mean"] = statistics.fmean(times)
    return out


def block_costs() -> dict[str, float]:
    from sessioncheck.media.audio import AudioAnalyzer, block_level

    rate = 48000
    rng = np.random.default_rng(1)
    blocks = [rng.normal(0, 0.1, rate // 50).astype(np.float32) for _ in range(16)]
    a = AudioAnalyzer(rate)
    times, levels = [], []
    for i in range(BLOCKS):
        b = blocks[i % len(blocks)]
        t = time.perf_counter()
        a.add(b)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        block_level(b)
        levels.append((time.perf_counter() - t) * 1000)
    a = AudioAnalyzer(rate)
    for i in range(150):
        a.add(blocks[i % len(blocks)])
    t = time.perf_counter()
    a.result()
    summary = (time.perf_counter() - t) * 1000
    return {
        "20 ms audio block: accumulate": statistics.median(times),
        "20 ms audio block: live level": statistics.median(levels),
        "3 s summary (hum, bandwidth, floor)": summary,
    }


async def probe_seconds(probe_id: str, **settings: str) -> float:
    from sessioncheck.probes import load_probe
    from sessioncheck.runner import Runner
    from sessioncheck.settings import Settings

    runs = []
    for _ in range(RUNS):
        t = time.perf_counter()
        report = await Runner([load_probe(probe_id)], Settings(**settings)).run()  # type: ignore[arg-type]
        runs.append(time.perf_counter() - t)
        r = report.results[0]
        if r.error:
            raise SystemExit(f"{probe_id}: {r.error}")
    return statistics.median(runs)


async def probes(pulse: bool) -> dict[str, float]:
    face = "lavfi:movie=scenarios/camera/face.jpg,loop=loop=-1:size=1,setpts=N/(30*TB),noise=alls=2:allf=t"
    voice = "lavfi:aevalsrc=exprs='0.3*(2*mod(120*t-6.8*cos(4.4*t),1)-1)*pow(max(sin(2*PI*2.3*t),0),2)':s=48000"
    out = {
        "camera probe (virtual camera, 3 s capture)": await probe_seconds("camera", camera=face),
        "microphone probe (virtual source)": await probe_seconds("microphone", microphone=voice),
        "media_loop probe (2 × 2 s)": await probe_seconds("media_loop"),
    }
    if pulse:
        out["microphone probe (PulseAudio device, 3 s)"] = await probe_seconds("microphone", microphone="vmic")
        out["speaker probe (PulseAudio loop)"] = await probe_seconds(
            "speaker", speaker="vspeaker", microphone="vspeaker_monitor"
        )
    return out


def with_pulse() -> Any:
    sys.path.insert(0, str(REPO / "tests"))
    from support.pulse import pulse

    return pulse.__wrapped__()  # type: ignore[attr-defined]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pulse", action="store_true", help="also time microphone/speaker on PulseAudio")
    args = p.parse_args()
    import os

    os.chdir(REPO)
    print("analysis cost (median ms)")
    for k, v in {**frame_costs(), **block_costs()}.items():
        print(f"  {k:<62} {v:8.2f} ms")
    gen = with_pulse() if args.pulse else None
    if gen is not None:
        next(gen)
    try:
        print(f"probe duration (median of {RUNS} runs, s; target <= 5 s)")
        for k, v in asyncio.run(probes(args.pulse)).items():
            print(f"  {k:<62} {v:8.2f} s")
    finally:
        if gen is not None:
            gen.close()


if __name__ == "__main__":
    main()
