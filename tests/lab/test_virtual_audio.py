"""Device scenarios from a plain shell: the lab runner starts the private PulseAudio they need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessioncheck.lab.pulse import VirtualAudio, pulse_missing

SPEAKER_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "speaker"
PULSE_VARIABLES = (
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "PULSE_STATE_PATH",
    "PULSE_RUNTIME_PATH",
    "PULSE_CONFIG",
    "PULSE_CLIENTCONFIG",
    "PULSE_SERVER",
)


@pytest.fixture
def pulse_ok() -> None:
    why = pulse_missing()
    if why is not None:
        pytest.skip(why)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A private TMPDIR short enough for PulseAudio's socket path (108 bytes at most)."""
    d = Path(tempfile.mkdtemp(prefix="scva-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def plain_shell_env(tmp: Path) -> dict[str, str]:
    """This environment without any pointer to a PulseAudio (the session's ``pulse`` fixture
    may have set them), as in a fresh shell."""
    env = {k: v for k, v in os.environ.items() if k not in PULSE_VARIABLES}
    env["TMPDIR"] = str(tmp)
    return env


@pytest.mark.usefixtures("pulse_ok")
def test_speaker_scenarios_run_from_a_plain_shell(short_tmp: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sessioncheck.lab", "run", str(SPEAKER_SCENARIOS)],
        capture_output=True,
        text=True,
        timeout=240,
        env=plain_shell_env(short_tmp),
    )
    n = len(list(SPEAKER_SCENARIOS.glob("*.toml")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{n} of {n} scenarios passed" in done.stdout
    assert list(short_tmp.iterdir()) == []  # every private PulseAudio folder was removed


def test_no_pulseaudio_is_exit_3_with_the_reason(tmp_path: Path) -> None:
    env = {**plain_shell_env(tmp_path), "PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "sessioncheck.lab", "run", str(SPEAKER_SCENARIOS / "open-speakers-echo.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 3
    assert done.stderr.strip() == (
        "sessioncheck.lab: the virtual speaker and microphone cannot "
        "run here: needs Debian packages pulseaudio, pulseaudio-utils "
        "(pulseaudio not found)"
    )


@pytest.mark.usefixtures("pulse_ok")
def test_virtual_audio_starts_ready_and_leaves_nothing_behind(short_tmp: Path) -> None:
    env = {**plain_shell_env(short_tmp), "HOME": str(short_tmp)}
    with VirtualAudio.start(env, tmp_dir=short_tmp) as audio:
        assert audio.root.parent == short_tmp
        sinks = audio.pactl("list", "short", "sinks")
        assert {line.split()[1] for line in sinks.splitlines()} == {"vspeaker", "vmic_feed"}
        assert "vmic" in audio.pactl("list", "short", "sources").split()
        pid = audio.pid
    assert not Path(f"/proc/{pid}").exists()
    assert list(short_tmp.iterdir()) == []  # not even in the (private) home
