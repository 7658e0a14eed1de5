"""A real coturn (``turnserver``) on 127.0.0.1 for tests.

Every instance gets its own temporary folder with a generated ``turnserver.conf``, a CA
and a server certificate signed by it (made with ``openssl``; SAN ``IP:127.0.0.1`` and
``DNS:localhost``), a log file, a pid file and an SQLite user database, so nothing under
``/var`` is touched. It listens on free ports: one plain port (UDP and TCP, for ``stun:``
and ``turn:``) and one TLS port (TCP, for ``turns:``/``stuns:``). Long-term credentials
(``lt-cred-mech``) with one user; relays on loopback; no CLI.

Use it from tests through the fixtures (``tests/conftest.py`` imports them)::

    def test_something(coturn: Coturn) -> None:            # one server per test session
        settings = Settings(ice_servers=coturn.ice_servers(), ca_file=coturn.ca_file)

    def test_other(coturn_factory: CoturnFactory) -> None:  # a server with its own config
        server = coturn_factory(extra_config=("user-quota=1",))

The fixtures skip with ``needs Debian package coturn (turnserver)`` when ``turnserver`` is
not installed (and CI turns that skip into a failure). Outside pytest, use
:func:`start_coturn` as a context manager.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from sessioncheck.settings import IceServer

HOST = "127.0.0.1"
USERNAME = "sessioncheck"
PASSWORD = "correct-horse-battery"
REALM = "sessioncheck.test"
READY_TIMEOUT_S = 10.0
"""How long to wait for a started ``turnserver`` to answer on every port."""
SKIP_REASON = "needs Debian package coturn (turnserver)"


class CoturnError(RuntimeError):
    """``turnserver`` could not be started; the message includes the end of its log."""


@dataclass(frozen=True)
class Coturn:
    """A running coturn: where it listens, how to log in, and the URLs to reach it."""

    host: str
    port: int
    """Plain STUN/TURN port, UDP and TCP."""
    tls_port: int
    """TLS port (TCP) for ``turns:`` and ``stuns:``."""
    username: str
    password: str
    realm: str
    ca_file: str
    """PEM of the CA that signed the server certificate: pass it as ``Settings.ca_file``."""
    cert_file: str
    key_file: str
    workdir: Path
    log_file: Path
    pid: int

    @property
    def stun_url(self) -> str:
        return f"stun:{self.host}:{self.port}"

    @property
    def stuns_url(self) -> str:
        return f"stuns:{self.host}:{self.tls_port}"

    @property
    def turn_url(self) -> str:
        """No ``?transport=``: clients may use UDP and TCP."""
        return f"turn:{self.host}:{self.port}"

    @property
    def turn_udp_url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    @property
    def turn_tcp_url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=tcp"

    @property
    def turns_url(self) -> str:
        return f"turns:{self.host}:{self.tls_port}?transport=tcp"

    def ice_servers(
        self,
        urls: Sequence[str] | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> tuple[IceServer, ...]:
        """One ``IceServer`` with this server's credentials (override them to test failures).

        ``urls`` defaults to ``(turn_udp_url, turn_tcp_url, turns_url)``.
        """
        chosen = (
            tuple(urls)
            if urls is not None
            else (
                self.turn_udp_url,
                self.turn_tcp_url,
                self.turns_url,
            )
        )
        return (
            IceServer(
                urls=chosen,
                username=self.username if username is None else username,
                credential=self.password if password is None else password,
            ),
        )

    def log(self) -> str:
        """The server's log so far (for assertion messages)."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""


def turnserver_path() -> str | None:
    return shutil.which("turnserver")


def free_port(host: str = HOST) -> int:
    """A port free for both TCP and UDP on ``host`` right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise CoturnError("could not find a port free for both TCP and UDP")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certificates(folder: Path, host: str = HOST) -> tuple[Path, Path, Path]:
    """Make a CA and a server certificate for ``host`` signed by it: (ca, cert, key) paths."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_pem = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "server.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
        f"subjectAltName=IP:{host},DNS:localhost\n"
    )
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca_pem),
        "-days",
        "2",
        "-subj",
        "/CN=sessioncheck test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-addext",
        "subjectKeyIdentifier=hash",
        cwd=folder,
    )
    _openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        "/CN=localhost",
        cwd=folder,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca_pem),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(cert),
        "-days",
        "2",
        "-extfile",
        str(ext),
        cwd=folder,
    )
    return ca_pem, cert, key


def write_config(
    folder: Path,
    *,
    port: int,
    tls_port: int,
    cert: Path,
    key: Path,
    host: str = HOST,
    username: str = USERNAME,
    password: str = PASSWORD,
    realm: str = REALM,
    extra_config: Sequence[str] = (),
) -> Path:
    """Write ``turnserver.conf`` for one test server and return its path."""
    lines = [
        f"listening-ip={host}",
        f"relay-ip={host}",
        f"listening-port={port}",
        f"tls-listening-port={tls_port}",
        "no-dtls",
        "no-rfc5780",
        "lt-cred-mech",
        f"user={username}:{password}",
        f"realm={realm}",
        f"cert={cert}",
        f"pkey={key}",
        f"userdb={folder / 'turndb'}",
        f"pidfile={folder / 'turnserver.pid'}",
        f"log-file={folder / 'turnserver.log'}",
        "simple-log",
        "no-stdout-log",
        "no-cli",
        "allow-loopback-peers",
        "no-multicast-peers",
        "no-software-attribute",
        "verbose",
        *extra_config,
    ]
    conf = folder / "turnserver.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _stun_binding_answered(host: str, port: int) -> bool:
    from aioice import stun

    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.1)
        try:
            s.sendto(bytes(request), (host, port))
            data = s.recv(2048)
        except OSError:
            return False
    try:
        return stun.parse_message(data).transaction_id == request.transaction_id
    except ValueError:
        return False


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=3)


@contextlib.contextmanager
def start_coturn(
    workdir: Path | None = None,
    *,
    username: str = USERNAME,
    password: str = PASSWORD,
    realm: str = REALM,
    extra_config: Sequence[str] = (),
) -> Iterator[Coturn]:
    """Start ``turnserver`` with a generated config, wait until it answers, stop it on exit.

    Raises :class:`CoturnError` when it is not installed or does not come up.
    """
    binary = turnserver_path()
    if binary is None:
        raise CoturnError(SKIP_REASON)
    own_dir = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="coturn-")) if workdir is None else workdir
    try:
        ca, cert, key = make_certificates(folder / "tls")
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between choosing and binding it
            port, tls_port = free_port(), free_port()
            if port == tls_port:
                continue
            conf = write_config(
                folder,
                port=port,
                tls_port=tls_port,
                cert=cert,
                key=key,
                username=username,
                password=password,
                realm=realm,
                extra_config=extra_config,
            )
            log_file = folder / "turnserver.log"
            log_file.unlink(missing_ok=True)
            proc = subprocess.Popen(
                [binary, "-c", str(conf)],
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            server = Coturn(
                host=HOST,
                port=port,
                tls_port=tls_port,
                username=username,
                password=password,
                realm=realm,
                ca_file=str(ca),
                cert_file=str(cert),
                key_file=str(key),
                workdir=folder,
                log_file=log_file,
                pid=proc.pid,
            )
            try:
                if _wait_ready(proc, server):
                    yield server
                    return
                last_error = server.log()[-2000:]
            finally:
                _stop(proc)
        raise CoturnError(f"turnserver did not come up; end of its log:\n{last_error}")
    finally:
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(proc: subprocess.Popen[bytes], server: Coturn) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if (
            _stun_binding_answered(server.host, server.port)
            and _tcp_open(server.host, server.port)
            and _tcp_open(server.host, server.tls_port)
        ):
            return True
        time.sleep(0.05)
    return False


CoturnFactory = Callable[..., Coturn]
"""``coturn_factory(username=..., password=..., extra_config=(...))`` → a running :class:`Coturn`."""


def _require_turnserver() -> None:
    if turnserver_path() is None:
        pytest.skip(SKIP_REASON)


@pytest.fixture(scope="session")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """One coturn for the whole test session (default user, no quotas)."""
    _require_turnserver()
    with start_coturn(tmp_path_factory.mktemp("coturn")) as server:
        yield server


@pytest.fixture
def coturn_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoturnFactory]:
    """Start coturns with their own settings; all are stopped when the test ends."""
    _require_turnserver()
    stack = contextlib.ExitStack()

    def start(
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        realm: str = REALM,
        extra_config: Sequence[str] = (),
    ) -> Coturn:
        return stack.enter_context(
            start_coturn(
                tmp_path_factory.mktemp("coturn"),
                username=username,
                password=password,
                realm=realm,
                extra_config=extra_config,
            )
        )

    with stack:
        yield start


__all__ = [
    "HOST",
    "PASSWORD",
    "REALM",
    "SKIP_REASON",
    "USERNAME",
    "Coturn",
    "CoturnError",
    "CoturnFactory",
    "coturn",
    "coturn_factory",
    "free_port",
    "make_certificates",
    "start_coturn",
    "write_config",
]
