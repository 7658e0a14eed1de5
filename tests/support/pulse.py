"""A real PulseAudio, headless, in a private folder: a virtual speaker and microphone.

``vspeaker`` is a null sink (its monitor hears what is played); ``vmic_feed`` is a null
sink whose monitor is remapped into ``vmic``, a real (non-monitor) source. Known audio
played into ``vmic_feed`` (``Pulse.play_into_mic``) comes out of the microphone ``vmic``.
ALSA names for sounddevice (PortAudio) come from an ``asoundrc`` in the private
``XDG_CONFIG_HOME``: ``vmic``, ``vspeaker`` and ``vspeaker_monitor``.

Idle null sinks run in 2 s blocks, so a ``parec`` keep-alive runs on each sink monitor and
the fixture waits :data:`WARM_UP_S` once per session (see DEVICE-NOTES.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

WARM_UP_S = 2.2
NEEDS = "needs Debian packages pulseaudio, pulseaudio-utils"

SETUP_PA = """\
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=vspeaker
load-module module-null-sink sink_name=vmic_feed
load-module module-remap-source master=vmic_feed.monitor source_name=vmic
set-default-sink vspeaker
set-default-source vmic
"""

ASOUNDRC = """\
pcm.vmic { type pulse; device "vmic"; hint { show on; description "Virtual microphone" } }
pcm.vspeaker { type pulse; device "vspeaker"; hint { show on; description "Virtual speaker" } }
pcm.vspeaker_monitor { type pulse; device "vspeaker.monitor"; hint { show on; description "Virtual speaker monitor" } }
"""


@dataclass
class Pulse:
    """The running server and how to use it."""

    root: Path
    env: dict[str, str]
    """The variables that point clients (pactl, sounddevice, subprocesses) at this server."""
    pid: int
    speaker: str = "vspeaker"
    microphone: str = "vmic"
    monitor: str = "vspeaker_monitor"
    """ALSA name of a microphone that hears everything played on the speaker."""
    _players: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, env=self.env,
                              timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def play_into_mic(self, path: Path | str) -> subprocess.Popen[bytes]:
        """Start playing a sound file into the virtual microphone (real time)."""
        proc = subprocess.Popen(["paplay", "-d", "vmic_feed", str(path)], env=self.env)
        self._players.append(proc)
        return proc

    def stop_players(self) -> None:
        for p in self._players:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=5)
        self._players.clear()

    def set_speaker_volume(self, percent: int) -> None:
        self.pactl("set-sink-volume", "vspeaker", f"{percent}%")

    def mute_speaker(self, muted: bool) -> None:
        self.pactl("set-sink-mute", "vspeaker", "1" if muted else "0")


def _missing() -> str | None:
    for tool in ("pulseaudio", "pactl", "parec", "paplay"):
        if shutil.which(tool) is None:
            return f"{NEEDS} ({tool} not found)"
    if not Path("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so").exists() and \
            not list(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so")):
        return "needs Debian package libasound2-plugins (ALSA's PulseAudio plugin)"
    return None


def _reinit_portaudio() -> None:
    """sounddevice lists devices once, at import; re-list them with the new ALSA config."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()  # type: ignore[attr-defined]
        sd._initialize()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    """A private PulseAudio for the whole test session; stopped by PID at the end."""
    why = _missing()
    if why is not None:
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="sessioncheck-pulse-"))
    run = root / "run"
    (run / "alsa").mkdir(parents=True)
    (root / "setup.pa").write_text(SETUP_PA)
    (root / "daemon.conf").write_text("")
    (root / "client.conf").write_text("autospawn = no\n")
    (run / "alsa" / "asoundrc").write_text(ASOUNDRC)
    env_vars = {
        "XDG_RUNTIME_DIR": str(run),
        "XDG_CONFIG_HOME": str(run),
        "PULSE_STATE_PATH": str(run),
        "PULSE_RUNTIME_PATH": str(run),
        "PULSE_CONFIG": str(root / "daemon.conf"),
        "PULSE_CLIENTCONFIG": str(root / "client.conf"),
        "PULSE_SERVER": f"unix:{run}/native",
    }
    saved = {k: os.environ.get(k) for k in env_vars}
    env = {**os.environ, **env_vars}
    server = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "-n", "-F", str(root / "setup.pa"),
         "--exit-idle-time=-1", f"--log-target=file:{root / 'pa.log'}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    keepalive: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                log = (root / "pa.log").read_text(errors="replace")[-500:] \
                    if (root / "pa.log").exists() else ""
                pytest.fail(f"PulseAudio did not start: {log}")
            time.sleep(0.05)
        for sink in ("vspeaker", "vmic_feed"):
            keepalive.append(subprocess.Popen(
                ["parec", "-d", f"{sink}.monitor", "--latency-msec=10"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(WARM_UP_S)
        os.environ.update(env_vars)
        _reinit_portaudio()
        p = Pulse(root=root, env=env, pid=server.pid)
        yield p
        p.stop_players()
    finally:
        for proc in keepalive:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=5)
        if server.poll() is None:
            os.kill(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
                server.wait()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(root, ignore_errors=True)
