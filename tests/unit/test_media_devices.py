"""Device discovery: specs, error kinds, who holds a busy device, and `sessioncheck devices`."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessioncheck.media.camera import camera_source
from sessioncheck.media.devices import _linux_cameras, holders
from sessioncheck.media.errors import DeviceError, classify_os_error
from sessioncheck.media.sound import audio_source
from support.pulse import Pulse


def test_holders_names_the_process_that_has_the_device_open(tmp_path: Path) -> None:
    dev = tmp_path / "video0"
    dev.write_bytes(b"")
    with dev.open("rb") as f:
        proc = subprocess.Popen(["sleep", "30"], stdin=f)
    try:
        found = holders(str(dev))
    finally:
        proc.kill()
        proc.wait()
    assert f"sleep (pid {proc.pid})" in found
    assert all(f"(pid {os.getpid()})" not in h for h in found)  # never ourselves
    assert holders(str(tmp_path / "nobody-has-this")) == ()


@pytest.mark.parametrize(
    "exc,kind",
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission"),
        (OSError(errno.EBUSY, "Device or resource busy"), "busy"),
        (FileNotFoundError(errno.ENOENT, "No such file"), "missing"),
        (OSError(errno.ENODEV, "No such device"), "unplugged"),
        (OSError(errno.EIO, "Input/output error"), "unplugged"),
        (OSError(errno.EINVAL, "Invalid argument"), "invalid"),
    ],
)
def test_os_errors_map_to_device_problems(exc: OSError, kind: str) -> None:
    assert classify_os_error(exc) == kind


def test_pyav_errors_keep_their_kind() -> None:
    import av

    with pytest.raises(av.error.FFmpegError) as info:
        av.open("/dev/video7", format="v4l2")
    assert classify_os_error(info.value) == "missing"


def test_linux_cameras_from_sysfs(tmp_path: Path) -> None:
    for node, name, index in (
        ("video0", "Integrated Camera", "0"),
        ("video1", "Integrated Camera", "1"),
        ("video2", "USB Webcam", "0"),
    ):
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name + "\n")
        (tmp_path / node / "index").write_text(index + "\n")
    cams = _linux_cameras(tmp_path)
    assert [(c.index, c.name, c.target) for c in cams] == [
        (0, "Integrated Camera", "/dev/video0"),
        (2, "USB Webcam", "/dev/video2"),
    ]


def test_camera_specs(tmp_path: Path) -> None:
    assert camera_source("lavfi:testsrc2").kind == "lavfi"
    clip = tmp_path / "me.mp4"
    clip.write_bytes(b"x")
    assert camera_source(str(clip)).kind == "file"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert camera_source(str(fifo)).kind == "stream"
    for bad in ("/dev/video7", str(tmp_path / "missing.mp4"), "7", "No Such Camera"):
        with pytest.raises(DeviceError) as info:
            camera_source(bad, system="Linux")
        assert info.value.kind == "missing"
    with pytest.raises(DeviceError) as info:
        camera_source("lavfi:")
    assert info.value.kind == "invalid"
    # macOS and Windows open cameras by name when they cannot be listed
    assert camera_source("FaceTime HD Camera", system="Darwin").target == "FaceTime HD Camera"
    assert camera_source("Integrated Webcam", system="Windows").target == "video=Integrated Webcam"


def test_audio_specs(tmp_path: Path) -> None:
    assert audio_source(None).target is None
    assert audio_source("3").target == 3
    assert audio_source("USB headset").target == "USB headset"
    assert audio_source("lavfi:anullsrc").kind == "lavfi"
    wav = tmp_path / "v.wav"
    wav.write_bytes(b"RIFF")
    assert audio_source(str(wav)).kind == "file"
    with pytest.raises(DeviceError):
        audio_source(str(tmp_path / "none.wav"))


def test_devices_command_lists_the_virtual_devices(pulse: Pulse) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "devices", "--format", "json"],
        capture_output=True,
        text=True,
        env=pulse.env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    names = {d["name"] for d in found["audio"]}
    assert {"vmic", "vspeaker", "vspeaker_monitor"} <= names
    assert found["cameras"] == [] or all("target" in c for c in found["cameras"])
    text = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "devices"], capture_output=True, text=True, env=pulse.env, timeout=60
    )
    assert "vmic" in text.stdout and "Cameras" in text.stdout
