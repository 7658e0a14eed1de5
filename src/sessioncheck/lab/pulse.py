"""A private, headless PulseAudio with a virtual speaker and microphone.

Device scenarios (``scenarios/speaker``, ``scenarios/microphone``) and the tests need sound devices
on machines that have none. :class:`VirtualAudio` starts a real PulseAudio of its own, in a
private folder (nothing in the user's home, nothing left behind), with:

* ``vspeaker``: a null sink, the default output; its monitor hears what is played;
* ``vmic``: the default input, a real (non-monitor) source remapped from the monitor of a
  second null sink ``vmic_feed``: known audio played into ``vmic_feed``
  (:meth:`VirtualAudio.play_into_mic`) comes out of the microphone;
* ALSA names for PortAudio (sounddevice) from an ``asoundrc`` in the private
  ``XDG_CONFIG_HOME``: ``vmic``, ``vspeaker`` and ``vspeaker_monitor`` (a "microphone" that
  hears everything the speaker plays: open speakers next to a laptop's microphone).

Clients find the server through :attr:`VirtualAudio.env`. An idle null sink renders in 2 s
blocks, so a new stream would wait ~1.9 s for its first callback: a ``parec`` keep-alive runs
on each sink monitor, and :meth:`VirtualAudio.start` returns once audio flows through both
(see DEVICE-NOTES.md). Stopped by PID; the folder is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from ..errors import SessioncheckError

NEEDS = "needs Debian packages pulseaudio, pulseaudio-utils"
START_TIMEOUT_S = 10.0
WARM_UP_TIMEOUT_S = 5.0
"""An idle null sink's first block is 2 s long; audio must flow well within this."""

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

SINKS = ("vspeaker", "vmic_feed")


class PulseError(SessioncheckError, RuntimeError):
    """A command to the private PulseAudio failed; the message says which and why."""

    title_key = "error.title.lab"


class PulseUnavailable(PulseError):
    """PulseAudio cannot run here; the message says what is missing or what went wrong."""


def pulse_missing() -> str | None:
    """Why a private PulseAudio cannot run here, or None when it can."""
    for tool in ("pulseaudio", "pactl", "parec", "paplay"):
        if shutil.which(tool) is None:
            return f"{NEEDS} ({tool} not found)"
    plugin = "alsa-lib/libasound_module_pcm_pulse.so"
    if not list(Path("/usr/lib").glob(f"*/{plugin}")) and not Path("/usr/lib", plugin).exists():
        return "needs Debian package libasound2-plugins (ALSA's PulseAudio plugin)"
    return None


@dataclass
class _KeepAlive:
    """``parec`` on a sink monitor; its output is read and dropped by a thread."""

    proc: subprocess.Popen[bytes]
    flowing: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def drain(self) -> None:
        out: IO[bytes] | None = self.proc.stdout
        assert out is not None
        while out.read1(65536):  # type: ignore[attr-defined]
            self.flowing.set()


@dataclass
class VirtualAudio:
    """A running private PulseAudio and how to use it. Use :meth:`start`, then :meth:`stop`
    (or ``with VirtualAudio.start() as audio:``)."""

    root: Path
    env: dict[str, str]
    """The whole environment for clients (pactl, sounddevice, subprocesses) of this server."""
    variables: dict[str, str]
    """Just the variables that point clients at this server."""
    server: subprocess.Popen[bytes]
    speaker: str = "vspeaker"
    microphone: str = "vmic"
    monitor: str = "vspeaker_monitor"
    """ALSA name of a microphone that hears everything played on the speaker."""
    _keepalive: list[_KeepAlive] = field(default_factory=list)
    _players: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.server.pid

    @classmethod
    def start(cls, base_env: Mapping[str, str] | None = None, tmp_dir: Path | None = None) -> VirtualAudio:
        """Start the server, its devices and keep-alives; raise :class:`PulseUnavailable`.

        ``base_env``: the environment to add the server's variables to (default: this
        process's); ``tmp_dir``: where the private folder goes (default: the temp folder).
        """
        why = pulse_missing()
        if why is not None:
            raise PulseUnavailable(why)
        root = Path(tempfile.mkdtemp(prefix="sessioncheck-pulse-", dir=tmp_dir))
        run = root / "run"
        (run / "alsa").mkdir(parents=True)
        (root / "setup.pa").write_text(SETUP_PA)
        (root / "daemon.conf").write_text("")
        (root / "client.conf").write_text("autospawn = no\n")
        (run / "alsa" / "asoundrc").write_text(ASOUNDRC)
        variables = {
            "XDG_RUNTIME_DIR": str(run),
            "XDG_CONFIG_HOME": str(run),
            "PULSE_STATE_PATH": str(run),
            "PULSE_RUNTIME_PATH": str(run),
            "PULSE_CONFIG": str(root / "daemon.conf"),
            "PULSE_CLIENTCONFIG": str(root / "client.conf"),
            "PULSE_SERVER": f"unix:{run}/native",
        }
        env = {**(os.environ if base_env is None else base_env), **variables}
        try:
            server = subprocess.Popen(
                [
                    "pulseaudio",
                    "--daemonize=no",
                    "-n",
                    "-F",
                    str(root / "setup.pa"),
                    "--exit-idle-time=-1",
                    f"--log-target=file:{root / 'pa.log'}",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as e:
            shutil.rmtree(root, ignore_errors=True)
            raise PulseUnavailable(f"PulseAudio did not start: {e}") from None
        audio = cls(root=root, env=env, variables=variables, server=server)
        try:
            audio._wait_ready()
            audio._warm_up()
        except BaseException:
            audio.stop()
            raise
        return audio

    def _log_tail(self) -> str:
        log = self.root / "pa.log"
        return log.read_text(errors="replace")[-500:].strip() if log.exists() else ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (
            subprocess.run(["pactl", "info"], env=self.env, capture_output=True, timeout=START_TIMEOUT_S).returncode
            != 0
        ):
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise PulseUnavailable(f"PulseAudio did not start: {self._log_tail() or 'no log'}")
            time.sleep(0.05)

    def _warm_up(self) -> None:
        """Keep both sinks rendering in short blocks, and wait until audio flows through each."""
        for sink in SINKS:
            proc = subprocess.Popen(
                ["parec", "-d", f"{sink}.monitor", "--latency-msec=10"],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            k = _KeepAlive(proc)
            k.thread = threading.Thread(target=k.drain, name=f"pulse-keepalive-{sink}", daemon=True)
            k.thread.start()
            self._keepalive.append(k)
        for k in self._keepalive:
            if not k.flowing.wait(WARM_UP_TIMEOUT_S):
                raise PulseUnavailable(
                    f"PulseAudio started but its virtual devices give no sound: {self._log_tail() or 'no log'}"
                )

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, env=self.env, timeout=10)
        if done.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
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
        self.pactl("set-sink-volume", self.speaker, f"{percent}%")

    def mute_speaker(self, muted: bool) -> None:
        self.pactl("set-sink-mute", self.speaker, "1" if muted else "0")

    def stop(self) -> None:
        """Stop players, keep-alives and the server (by PID), and remove the folder."""
        self.stop_players()
        for k in self._keepalive:
            if k.proc.poll() is None:
                k.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                k.proc.wait(timeout=5)
            if k.thread is not None:
                k.thread.join(timeout=5)
            if k.proc.stdout is not None:
                k.proc.stdout.close()
        self._keepalive.clear()
        if self.server.poll() is None:
            os.kill(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.server.pid, signal.SIGKILL)
                self.server.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtualAudio:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
