"""Known-condition media for device tests, made with real tools into a private folder.

Audio: espeak-ng speech, then sox for silence, clipping, noise, hum, 8 kHz narrowband.
Pictures: scikit-image's astronaut (a real face) placed on a canvas, with numpy/OpenCV
defects. Test inputs only: the code under test never writes anything.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SPEECH = (
    "Hello, this is a test of the microphone. I am speaking clearly, so that my therapist can hear every word I say."
)


@dataclass(frozen=True)
class AudioClips:
    root: Path

    def __getitem__(self, name: str) -> Path:
        return self.root / f"{name}.wav"


def _run(*cmd: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")


@pytest.fixture(scope="session")
def audio_clips() -> Iterator[AudioClips]:
    """speech, silence, quiet, clipped, noisy, hum, narrowband (8 kHz → 48 kHz), nb8k (8 kHz)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs Debian packages espeak-ng, sox ({tool} not found)")
    root = Path(tempfile.mkdtemp(prefix="sessioncheck-clips-"))
    c = AudioClips(root)
    try:
        _run("espeak-ng", "-w", str(root / "raw.wav"), SPEECH)
        _run("sox", str(root / "raw.wav"), "-r", "48000", str(c["speech"]))
        seconds = "7"
        _run("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", "-D", str(c["silence"]), "trim", "0", seconds)
        _run("sox", str(c["speech"]), str(c["quiet"]), "vol", "0.0005")
        _run("sox", str(c["speech"]), str(c["clipped"]), "gain", "18")
        _run("sox", "-n", "-r", "48000", "-c", "1", str(root / "pink.wav"), "synth", seconds, "pinknoise", "vol", "0.3")
        _run("sox", "-m", str(c["speech"]), str(root / "pink.wav"), str(c["noisy"]))
        _run(
            "sox",
            "-n",
            "-r",
            "48000",
            "-c",
            "1",
            str(root / "mains.wav"),
            "synth",
            seconds,
            "sine",
            "50",
            "vol",
            "0.006",
        )
        _run("sox", "-m", str(c["speech"]), str(root / "mains.wav"), str(c["hum"]))
        _run("sox", str(c["speech"]), str(c["narrowband"]), "rate", "8000", "rate", "48000")
        _run("sox", str(c["speech"]), "-c", "1", str(c["nb8k"]), "rate", "8000")
        yield c
    finally:
        shutil.rmtree(root, ignore_errors=True)


def read_wav(path: Path) -> tuple[Any, int]:
    """A whole sound file as mono float32 and its sample rate (PyAV)."""
    import av

    from sessioncheck.media.audio import to_mono

    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        rate = int(stream.rate)
        chunks = [to_mono(f.to_ndarray().T) for f in c.decode(stream)]
    return np.concatenate(chunks), rate


# --- pictures ---------------------------------------------------------------------------


def face_crop() -> Any:
    """The astronaut's head and shoulders (RGB uint8), from scikit-image's sample data."""
    skimage_data = pytest.importorskip("skimage.data", reason="needs scikit-image (pip)")
    return skimage_data.astronaut()[0:300, 100:380]


def canvas(
    face: Any,
    *,
    height: int = 720,
    cx: int = 640,
    bg: tuple[int, int, int] = (120, 120, 120),
    size: tuple[int, int] = (1280, 720),
) -> Any:
    """``face`` scaled to ``height`` px tall, centred at x=``cx`` on a plain background."""
    import cv2

    w_out, h_out = size
    out = np.empty((h_out, w_out, 3), np.uint8)
    out[:] = bg
    fw = int(face.shape[1] * height / face.shape[0])
    f = cv2.resize(face, (fw, height), interpolation=cv2.INTER_AREA)
    x0, y0 = cx - fw // 2, (h_out - height) // 2
    xs, xe = max(0, x0), min(w_out, x0 + fw)
    out[y0 : y0 + height, xs:xe] = f[:, xs - x0 : xe - x0]
    return out


def sensor_noise(frame: Any, rng: np.random.Generator, sigma: float = 2.0) -> Any:
    """The small frame-to-frame noise every real camera adds."""
    return np.clip(frame.astype(np.float32) + rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)
