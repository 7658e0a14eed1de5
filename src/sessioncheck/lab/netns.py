"""Three network namespaces, client — router — server, joined by veth pairs.

::

    client (10.77.1.2) ─ eth0 ══ rc ─ router ─ rs ══ eth0 ─ server (10.77.2.2)
                                  10.77.1.1     10.77.2.1

Every impairment is applied inside the router (see :mod:`.shaping` and :mod:`.delay`):
shaping an endpoint's own interface slows the sending application instead of dropping its
packets, which is not what a real bottleneck does.

The addresses are the same for every lab: each lab lives in its own namespaces, so several
labs (from several processes) can run at once. Namespace names are unique per process and
per lab. :class:`Lab` is a context manager; leaving it — normally, by an exception, by
SIGTERM or at interpreter exit — kills every process in the namespaces and deletes them.

Runs as root; otherwise inside an unprivileged user namespace (``unshare --user
--map-root-user --net --mount`` with a tmpfs on ``/run/netns``), entered with ``nsenter``
for every command. When neither works, :class:`LabUnavailable` says why.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import IO, Any

from ..errors import SessioncheckError

CLIENT_IP = "10.77.1.2"
ROUTER_CLIENT_IP = "10.77.1.1"
ROUTER_SERVER_IP = "10.77.2.1"
SERVER_IP = "10.77.2.2"
PREFIX_LEN = 24

CLIENT_DEV = "eth0"
"""The client's interface (towards the router)."""
SERVER_DEV = "eth0"
"""The server's interface (towards the router)."""
ROUTER_CLIENT_DEV = "rc"
"""The router's interface towards the client: its egress is the client's *download*."""
ROUTER_SERVER_DEV = "rs"
"""The router's interface towards the server: its egress is the client's *upload*."""

NAME_PREFIX = "sclab"
"""Every namespace this module creates starts with this, then the pid and a counter."""

REQUIRED_TOOLS = ("ip", "tc", "nft", "iptables", "ethtool")
COMMAND_TIMEOUT_S = 15.0


class LabUnavailable(SessioncheckError, RuntimeError):
    """The lab cannot be built on this machine; the message says why (tests skip with it)."""

    title_key = "error.title.lab"


class LabCommandError(SessioncheckError, RuntimeError):
    """A command that builds or changes the lab failed."""

    title_key = "error.title.lab"


@dataclass(frozen=True)
class Namespaces:
    """The names of one lab's three namespaces."""

    client: str
    router: str
    server: str

    def all(self) -> tuple[str, str, str]:
        return (self.client, self.router, self.server)


_counter = itertools.count(1)
_live: weakref.WeakSet[Lab] = weakref.WeakSet()
_handlers_installed = False


def _teardown_all() -> None:
    for lab in list(_live):
        lab.close()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _teardown_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_teardown_all)
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_signal)
    except ValueError:  # not the main thread: atexit still covers a normal exit
        pass


class _Privilege:
    """How lab commands get the privileges they need: directly as root, or via a user namespace."""

    def __init__(self) -> None:
        self.prefix: list[str] = []
        self.anchor: subprocess.Popen[bytes] | None = None

    @classmethod
    def acquire(cls) -> _Privilege:
        missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
        if missing:
            raise LabUnavailable(
                f"the network lab needs {', '.join(missing)} (Debian packages iproute2, nftables, "
                "iptables, ethtool), which are not installed"
            )
        priv = cls()
        if os.geteuid() == 0:
            return priv
        priv._start_user_namespace()
        return priv

    def _start_user_namespace(self) -> None:
        for tool in ("unshare", "nsenter"):
            if shutil.which(tool) is None:
                raise LabUnavailable(f"not root, and {tool} (util-linux) is missing for a rootless lab")
        script = (
            "mount -t tmpfs lab /run/netns 2>/dev/null || "
            "{ mkdir -p /run/netns && mount -t tmpfs lab /run/netns; } && echo ready && "
            "exec sleep 2147483647"
        )
        anchor = subprocess.Popen(
            ["unshare", "--user", "--map-root-user", "--net", "--mount", "--fork", "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert anchor.stdout is not None
        line = anchor.stdout.readline()
        if line.strip() != b"ready":
            anchor.kill()
            _, err = anchor.communicate(timeout=5)
            why = (err or line).decode(errors="replace").strip().splitlines()
            raise LabUnavailable(
                "not root, and an unprivileged user namespace could not be made "
                f"({why[-1] if why else 'unshare failed'}); run as root or enable "
                "user namespaces (sysctl user.max_user_namespaces)"
            )
        self.anchor = anchor
        # ``unshare --fork`` makes the shell a child: find the process inside the namespaces.
        inner = _child_pid(anchor.pid) or anchor.pid
        self.prefix = ["nsenter", "-t", str(inner), "-U", "-m", "--preserve-credentials", "--"]
        # --preserve-credentials keeps our uid, which maps to root inside; check it works.
        probe = subprocess.run([*self.prefix, "ip", "netns", "list"], capture_output=True)
        if probe.returncode != 0:
            self.prefix = ["nsenter", "-t", str(inner), "-U", "-m", "--"]
            probe = subprocess.run([*self.prefix, "ip", "netns", "list"], capture_output=True)
        if probe.returncode != 0:
            self.release()
            raise LabUnavailable(
                "not root, and commands cannot enter the lab's user namespace: "
                + probe.stderr.decode(errors="replace").strip()
            )

    def release(self) -> None:
        if self.anchor is not None and self.anchor.poll() is None:
            try:
                os.killpg(self.anchor.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.anchor.wait(timeout=5)
        self.anchor = None


def _child_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


class Lab:
    """One client — router — server lab. Use as a context manager.

    ``lab.run(ns, argv)`` runs a command in a namespace and waits; ``lab.spawn(ns, argv)``
    starts a long-running one, which teardown kills.
    """

    def __init__(self, name: str | None = None) -> None:
        n = next(_counter)
        base = name or f"{NAME_PREFIX}{os.getpid()}x{n}"
        self.ns = Namespaces(client=f"{base}-cli", router=f"{base}-rtr", server=f"{base}-srv")
        self._priv: _Privilege | None = None
        self._created: list[str] = []
        self._procs: list[subprocess.Popen[Any]] = []
        self._closed = False
        self.setup_s = 0.0

    # --- context manager ---------------------------------------------------------------------

    def __enter__(self) -> Lab:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def rootless(self) -> bool:
        return bool(self._priv and self._priv.prefix)

    def open(self) -> None:
        """Create the namespaces and links; on any failure, undo everything and raise."""
        start = time.monotonic()
        self._priv = _Privilege.acquire()
        _install_handlers()
        _live.add(self)
        try:
            self._build()
        except LabCommandError as e:
            self.close()
            if not self.rootless and "Operation not permitted" in str(e):
                raise LabUnavailable(f"network namespaces cannot be made here: {e}") from None
            raise
        except BaseException:
            self.close()
            raise
        self.setup_s = time.monotonic() - start

    def _build(self) -> None:
        ns = self.ns
        for name in ns.all():
            self._cmd(["ip", "netns", "add", name])
            self._created.append(name)
            # No IPv6: the lab's rules are IPv4 only, and nothing may leak around them.
            for key in ("all", "default"):
                self.run(name, ["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"])
            self.run(name, ["ip", "link", "set", "lo", "up"])
        # Create each veth pair directly inside the namespaces: nothing touches the host.
        self._cmd(
            [
                "ip",
                "-n",
                ns.client,
                "link",
                "add",
                CLIENT_DEV,
                "type",
                "veth",
                "peer",
                "name",
                ROUTER_CLIENT_DEV,
                "netns",
                ns.router,
            ]
        )
        self._cmd(
            [
                "ip",
                "-n",
                ns.server,
                "link",
                "add",
                SERVER_DEV,
                "type",
                "veth",
                "peer",
                "name",
                ROUTER_SERVER_DEV,
                "netns",
                ns.router,
            ]
        )
        links = [
            (ns.client, CLIENT_DEV, CLIENT_IP),
            (ns.router, ROUTER_CLIENT_DEV, ROUTER_CLIENT_IP),
            (ns.router, ROUTER_SERVER_DEV, ROUTER_SERVER_IP),
            (ns.server, SERVER_DEV, SERVER_IP),
        ]
        for name, dev, ip in links:
            # The shaper must see real packets, not 64 KB offload super-packets.
            self.run(name, ["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"])
            self.run(name, ["ip", "addr", "add", f"{ip}/{PREFIX_LEN}", "dev", dev])
            self.run(name, ["ip", "link", "set", dev, "up"])
        self.run(ns.client, ["ip", "route", "add", "default", "via", ROUTER_CLIENT_IP])
        self.run(ns.server, ["ip", "route", "add", "default", "via", ROUTER_SERVER_IP])
        self.run(ns.router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])

    def close(self) -> None:
        """Kill every process in the lab and delete its namespaces. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        _live.discard(self)
        for p in self._procs:
            _stop(p)
        for name in reversed(self._created):
            self._kill_pids(name)
        for name in reversed(self._created):
            self._cmd(["ip", "netns", "del", name], check=False)
        self._created.clear()
        if self._priv is not None:
            self._priv.release()

    def _kill_pids(self, name: str) -> None:
        for _ in range(50):
            out = self._cmd(["ip", "netns", "pids", name], check=False)
            pids = [int(p) for p in out.split()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)

    # --- running things ----------------------------------------------------------------------

    def _cmd(
        self, argv: Sequence[str], check: bool = True, timeout: float = COMMAND_TIMEOUT_S, input: str | None = None
    ) -> str:
        prefix = self._priv.prefix if self._priv else []
        try:
            done = subprocess.run(
                [*prefix, *argv],
                capture_output=True,
                text=True,
                timeout=timeout,
                input=input,
            )
        except subprocess.TimeoutExpired:
            raise LabCommandError(f"{' '.join(argv)} took longer than {timeout:.0f} s") from None
        except FileNotFoundError as e:
            raise LabCommandError(f"{argv[0]} is not installed: {e}") from None
        if check and done.returncode != 0:
            raise LabCommandError(
                f"{' '.join(argv)} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            )
        return done.stdout

    def exec_argv(self, ns: str, argv: Sequence[str]) -> list[str]:
        """The full command line that runs ``argv`` inside namespace ``ns``."""
        prefix = self._priv.prefix if self._priv else []
        return [*prefix, "ip", "netns", "exec", ns, *argv]

    def run(
        self,
        ns: str,
        argv: Sequence[str],
        check: bool = True,
        timeout: float = COMMAND_TIMEOUT_S,
        input: str | None = None,
    ) -> str:
        """Run ``argv`` inside namespace ``ns``, wait, and return its stdout."""
        return self._cmd(["ip", "netns", "exec", ns, *argv], check=check, timeout=timeout, input=input)

    def spawn(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        stdout: int | IO[Any] | None = subprocess.PIPE,
        stderr: int | IO[Any] | None = subprocess.PIPE,
        env: Mapping[str, str] | None = None,
        text: bool = True,
    ) -> subprocess.Popen[Any]:
        """Start ``argv`` in namespace ``ns``; it is killed at teardown at the latest."""
        proc_env = dict(os.environ if env is None else env)
        # The child must import this very sessioncheck, whatever its working directory.
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        proc_env["PYTHONPATH"] = os.pathsep.join(p for p in (src, proc_env.get("PYTHONPATH", "")) if p)
        p = subprocess.Popen(
            self.exec_argv(ns, argv),
            stdout=stdout,
            stderr=stderr,
            env=proc_env,
            text=text,
        )
        self._procs.append(p)
        return p

    def python_argv(self, module: str, *args: str) -> list[str]:
        """``python -m module args`` with this interpreter."""
        return [sys.executable, "-m", module, *args]

    def namespaces_exist(self) -> list[str]:
        """Which of this lab's namespaces still exist (for tests of the teardown)."""
        out = (
            self._cmd(["ip", "netns", "list"], check=False)
            if not self._closed
            else subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        )
        present = {line.split()[0] for line in out.splitlines() if line.strip()}
        return [n for n in self.ns.all() if n in present]


def _stop(p: subprocess.Popen[Any], grace_s: float = 2.0) -> None:
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    for stream in (p.stdout, p.stderr, p.stdin):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def lab_available() -> str | None:
    """None when a lab can be built here, else the reason it cannot (for skipping tests)."""
    try:
        with Lab():
            return None
    except LabUnavailable as e:
        return str(e)
    except LabCommandError as e:
        return f"the network lab could not be built: {e}"
