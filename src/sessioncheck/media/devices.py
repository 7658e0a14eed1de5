"""Finding cameras and audio devices per OS, and who holds a busy device.

Cameras go through PyAV's capture formats (v4l2 on Linux, avfoundation on macOS, dshow on
Windows); audio through sounddevice (PortAudio), because PyAV cannot play sound.
Nothing here opens a device for capture: :mod:`.camera`, :mod:`.microphone` and
:mod:`.speaker` do, raising :class:`~.errors.DeviceError`.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from .sound import sounddevice_module

CAMERA_FORMATS = {"Linux": "v4l2", "Darwin": "avfoundation", "Windows": "dshow"}
"""PyAV/ffmpeg capture format per ``platform.system()``."""


@dataclass(frozen=True)
class Camera:
    """A camera the OS offers."""

    index: int
    name: str
    target: str
    """What to give the capture format: ``/dev/video0``, ``0``, ``video=Integrated Camera``."""
    fmt: str


@dataclass(frozen=True)
class AudioDevice:
    """An audio endpoint sounddevice (PortAudio) offers."""

    index: int
    name: str
    host_api: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False


def _linux_cameras(root: Path = Path("/sys/class/video4linux")) -> list[Camera]:
    cams: list[Camera] = []
    if root.is_dir():
        for node in sorted(root.glob("video*"), key=lambda p: _num(p.name)):
            try:
                name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                name = node.name
            # a camera exposes a metadata node too; index 0 of a device is the picture
            try:
                index_attr = int((node / "index").read_text().strip())
            except (OSError, ValueError):
                index_attr = 0
            if index_attr != 0:
                continue
            cams.append(Camera(_num(node.name), name, f"/dev/{node.name}", "v4l2"))
    if not cams:  # no sysfs (containers): fall back to device nodes
        for dev in sorted(Path("/dev").glob("video*"), key=lambda p: _num(p.name)):
            cams.append(Camera(_num(dev.name), dev.name, str(dev), "v4l2"))
    return cams


def _num(name: str) -> int:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else 0


def list_cameras(system: str | None = None) -> list[Camera]:
    """Cameras on this computer, in the OS's order (index 0 first)."""
    system = system or platform.system()
    if system == "Linux":
        return _linux_cameras()
    fmt = CAMERA_FORMATS.get(system)
    if fmt is None:
        return []
    import av

    try:
        names = list(av.enumerate_input_devices(fmt))
    except Exception:  # the format is missing from this ffmpeg build
        return []
    cams: list[Camera] = []
    for i, d in enumerate(names):
        name = str(getattr(d, "description", None) or getattr(d, "name", d))
        target = f"video={name}" if fmt == "dshow" else str(i)
        cams.append(Camera(i, name, target, fmt))
    return cams


def list_audio_devices() -> list[AudioDevice]:
    """Every audio endpoint PortAudio sees; raises :class:`~.errors.AudioSystemUnavailable`."""
    sd = sounddevice_module()
    query = sd.query_devices
    apis = sd.query_hostapis()
    try:
        default_in, default_out = sd.default.device
    except Exception:
        default_in = default_out = -1
    out: list[AudioDevice] = []
    for d in query():
        out.append(
            AudioDevice(
                index=int(d["index"]),
                name=str(d["name"]),
                host_api=str(apis[d["hostapi"]]["name"]),
                inputs=int(d["max_input_channels"]),
                outputs=int(d["max_output_channels"]),
                default_rate=float(d["default_samplerate"]),
                default_input=int(d["index"]) == default_in,
                default_output=int(d["index"]) == default_out,
            )
        )
    return out


def holders(path: str, proc: Path = Path("/proc")) -> tuple[str, ...]:
    """Programs that have ``path`` open, as ``name (pid N)``, by scanning ``/proc/*/fd``.

    Linux only; elsewhere (or without permission to look) the answer is empty.
    """
    try:
        target = os.path.realpath(path)
    except OSError:
        return ()
    found: list[str] = []
    me = os.getpid()
    try:
        pids = [p for p in proc.iterdir() if p.name.isdigit()]
    except OSError:
        return ()
    for pid_dir in pids:
        pid = int(pid_dir.name)
        if pid == me:
            continue
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    found.append(f"{_process_name(pid_dir)} (pid {pid})")
                    break
            except OSError:
                continue
    return tuple(sorted(found))


def _process_name(pid_dir: Path) -> str:
    try:
        return (pid_dir / "comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "unknown program"


def sound_holders(proc: Path = Path("/proc")) -> tuple[str, ...]:
    """Programs holding a raw ALSA capture or playback device (``/dev/snd/pcm*``)."""
    snd = Path("/dev/snd")
    if not snd.is_dir():
        return ()
    out: list[str] = []
    for dev in sorted(snd.glob("pcmC*")):
        out.extend(holders(str(dev), proc))
    return tuple(sorted(set(out)))
