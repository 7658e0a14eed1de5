"""coturn inside a lab's server namespace, for the blocked-UDP fallback.

Listens on the server's address: port :data:`TURN_PORT` (UDP and TCP: ``turn:``) and
:data:`TURNS_PORT` (TLS over TCP: ``turns:``), with a CA and a server certificate made
with ``openssl`` for the server's IP, long-term credentials, and relays on the server's
address. Everything lives in a temporary folder that :meth:`LabTurn.close` removes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .netns import SERVER_IP, Lab, LabCommandError, LabUnavailable

TURN_PORT = 3478
TURNS_PORT = 5349
USERNAME = "lab"
PASSWORD = "lab-turn-secret"
REALM = "sessioncheck.lab"
READY_TIMEOUT_S = 10.0


class LabTurn:
    """A running coturn in ``lab``'s server namespace."""

    def __init__(self, lab: Lab, host: str = SERVER_IP) -> None:
        if shutil.which("turnserver") is None:
            raise LabUnavailable("needs Debian package coturn (turnserver) for the TURN fallback")
        if shutil.which("openssl") is None:
            raise LabUnavailable("needs Debian package openssl to make the TURN certificate")
        self.lab = lab
        self.host = host
        self.dir = Path(tempfile.mkdtemp(prefix="sclab-turn-"))
        self.proc: subprocess.Popen[Any] | None = None
        try:
            self.ca_file, cert, key = _certificates(self.dir, host)
            self._start(cert, key)
        except BaseException:
            self.close()
            raise

    @property
    def turn_tcp_url(self) -> str:
        return f"turn:{self.host}:{TURN_PORT}?transport=tcp"

    @property
    def turn_udp_url(self) -> str:
        return f"turn:{self.host}:{TURN_PORT}?transport=udp"

    @property
    def turn_tls_url(self) -> str:
        return f"turns:{self.host}:{TURNS_PORT}?transport=tcp"

    def ice_servers(self) -> list[dict[str, Any]]:
        """The WebRTC ``iceServers`` list for this server: TCP, TLS and UDP.

        TCP comes first: aiortc uses only the first TURN URL of a server, and this server
        exists for links where UDP is blocked.
        """
        return [
            {
                "urls": [self.turn_tcp_url, self.turn_tls_url, self.turn_udp_url],
                "username": USERNAME,
                "credential": PASSWORD,
            }
        ]

    def write_ice_servers(self) -> Path:
        path = self.dir / "ice-servers.json"
        path.write_text(json.dumps(self.ice_servers()))
        return path

    def _start(self, cert: Path, key: Path) -> None:
        conf = self.dir / "turnserver.conf"
        log = self.dir / "turnserver.log"
        conf.write_text(
            "\n".join(
                [
                    f"listening-ip={self.host}",
                    f"relay-ip={self.host}",
                    f"listening-port={TURN_PORT}",
                    f"tls-listening-port={TURNS_PORT}",
                    "no-dtls",
                    "no-rfc5780",
                    "lt-cred-mech",
                    f"user={USERNAME}:{PASSWORD}",
                    f"realm={REALM}",
                    f"cert={cert}",
                    f"pkey={key}",
                    f"userdb={self.dir / 'turndb'}",
                    f"pidfile={self.dir / 'turnserver.pid'}",
                    f"log-file={log}",
                    "simple-log",
                    "no-stdout-log",
                    "no-cli",
                    "no-multicast-peers",
                    "no-software-attribute",
                ]
            )
            + "\n"
        )
        self.proc = self.lab.spawn(
            self.lab.ns.server, ["turnserver", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            out = self.lab.run(self.lab.ns.server, ["ss", "-Hltn"], check=False)
            if f":{TURN_PORT} " in out and f":{TURNS_PORT} " in out:
                return
            time.sleep(0.05)
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        raise LabCommandError(f"coturn did not start in the lab's server namespace: {tail}")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        shutil.rmtree(self.dir, ignore_errors=True)


def _certificates(folder: Path, host: str) -> tuple[Path, Path, Path]:
    ca_key, ca = folder / "ca.key", folder / "ca.pem"
    key, csr, cert, ext = (folder / n for n in ("server.key", "server.csr", "server.pem", "server.ext"))
    ext.write_text(f"basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:{host}\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for argv in (
        [
            "req",
            "-x509",
            *ec,
            "-keyout",
            str(ca_key),
            "-out",
            str(ca),
            "-days",
            "2",
            "-subj",
            "/CN=sessioncheck lab CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        ["req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={host}"],
        [
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-out",
            str(cert),
            "-days",
            "2",
            "-extfile",
            str(ext),
        ],
    ):
        done = subprocess.run(["openssl", *argv], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            raise LabCommandError(f"openssl failed: {done.stderr.strip()[-300:]}")
    return ca, cert, key
