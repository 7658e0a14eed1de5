"""Reference measurements of a lab link, independent of sessioncheck's own probes.

* **UDP echo** (written here): the client sends numbered, time-stamped datagrams at a fixed
  interval; the server answers each with its receive time. All lab namespaces share one
  monotonic clock, so besides the RTT the echo gives each direction's one-way delay, the
  RFC 3550 interarrival jitter of each direction, and each direction's loss.
* **iperf3** TCP throughput each direction, read from ``sum_received`` (the receiver's
  figure, not the sender's).

Both sides run as ``python -m sessioncheck.lab.measure echo-server|echo-client`` inside the
lab's namespaces; :func:`udp_echo` and :func:`iperf3` drive them from the host.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import socket
import statistics
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .netns import SERVER_IP, Lab, LabCommandError

ECHO_PORT = 7007
IPERF_PORT = 5201
_PACKET = struct.Struct("!IqqI")
"""seq, client send time (ns), server receive time (ns), server's received count."""


@dataclass(frozen=True)
class EchoResult:
    sent: int
    received: int
    rtt_median_ms: float
    rtt_mean_ms: float
    rtt_p95_ms: float
    rtt_sd_ms: float
    up_owd_mean_ms: float
    """Mean one-way delay client → server."""
    down_owd_mean_ms: float
    up_owd_sd_ms: float
    down_owd_sd_ms: float
    up_jitter_ms: float
    """RFC 3550 interarrival jitter, client → server."""
    down_jitter_ms: float
    up_loss_pct: float
    down_loss_pct: float
    reordered: int


def _rfc3550(transits: Sequence[float]) -> float:
    j = 0.0
    for a, b in itertools.pairwise(transits):
        j += (abs(b - a) - j) / 16
    return j


def _p95(values: Sequence[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def echo_server(port: int = ECHO_PORT, host: str = "0.0.0.0") -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((host, port))
    print("ready", flush=True)
    counts: dict[tuple[str, int], int] = {}  # per client socket: each run counts afresh
    while True:
        data, addr = sock.recvfrom(65535)
        now = time.monotonic_ns()
        if len(data) < _PACKET.size:
            continue
        count = counts[addr] = counts.get(addr, 0) + 1
        seq, sent, _, _ = _PACKET.unpack_from(data)
        sock.sendto(_PACKET.pack(seq, sent, now, count) + data[_PACKET.size :], addr)


def echo_client(host: str, port: int, count: int, interval_ms: float, size: int, linger_s: float) -> EchoResult:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.connect((host, port))
    sock.setblocking(False)
    pad = b"\0" * max(0, size - _PACKET.size)
    replies: dict[int, tuple[int, int, int, int]] = {}  # seq -> sent, server_rx, client_rx, cnt
    arrival_order: list[int] = []
    start = time.monotonic()
    interval = interval_ms / 1000
    import select

    def drain(until: float) -> None:
        while True:
            wait = until - time.monotonic()
            if wait <= 0:
                ready = select.select([sock], [], [], 0)[0]
            else:
                ready = select.select([sock], [], [], wait)[0]
            if not ready:
                return
            while True:
                try:
                    data = sock.recv(65535)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:
                    break
                now = time.monotonic_ns()
                seq, sent, srv, cnt = _PACKET.unpack_from(data)
                if seq not in replies:
                    replies[seq] = (sent, srv, now, cnt)
                    arrival_order.append(seq)

    for seq in range(count):
        due = start + seq * interval
        drain(due)
        try:
            sock.send(_PACKET.pack(seq, time.monotonic_ns(), 0, 0) + pad)
        except (ConnectionRefusedError, BlockingIOError):
            pass
    drain(time.monotonic() + linger_s)
    sock.close()

    ok = sorted(replies)
    rtts = [(replies[s][2] - replies[s][0]) / 1e6 for s in ok]
    up = [(replies[s][1] - replies[s][0]) / 1e6 for s in ok]
    down = [(replies[s][2] - replies[s][1]) / 1e6 for s in ok]
    # Server-side arrival order for the up jitter is the send order when nothing overtakes;
    # for the down direction use the order replies arrived in.
    down_arrival = [(replies[s][2] - replies[s][1]) / 1e6 for s in arrival_order]
    up_by_server = [(replies[s][1] - replies[s][0]) / 1e6 for s in sorted(ok, key=lambda s: replies[s][1])]
    reordered = sum(1 for a, b in itertools.pairwise(arrival_order) if b < a)
    if ok:
        last = max(ok, key=lambda s: replies[s][3])
        server_count = replies[last][3]
        up_loss = 100 * (1 - server_count / (last + 1))
        down_loss = 100 * (1 - len(ok) / server_count) if server_count else 100.0
    else:
        up_loss = down_loss = 100.0

    def sd(v: list[float]) -> float:
        return statistics.pstdev(v) if len(v) > 1 else 0.0

    nan = float("nan")
    return EchoResult(
        sent=count,
        received=len(ok),
        rtt_median_ms=statistics.median(rtts) if rtts else nan,
        rtt_mean_ms=statistics.fmean(rtts) if rtts else nan,
        rtt_p95_ms=_p95(rtts) if rtts else nan,
        rtt_sd_ms=sd(rtts),
        up_owd_mean_ms=statistics.fmean(up) if up else nan,
        down_owd_mean_ms=statistics.fmean(down) if down else nan,
        up_owd_sd_ms=sd(up),
        down_owd_sd_ms=sd(down),
        up_jitter_ms=_rfc3550(up_by_server),
        down_jitter_ms=_rfc3550(down_arrival),
        up_loss_pct=up_loss,
        down_loss_pct=down_loss,
        reordered=reordered,
    )


# --- driving the reference tools from the host ----------------------------------------------


def start_echo_server(lab: Lab, port: int = ECHO_PORT) -> None:
    p = lab.spawn(lab.ns.server, lab.python_argv("sessioncheck.lab.measure", "echo-server", "--port", str(port)))
    assert p.stdout is not None
    if p.stdout.readline().strip() != "ready":
        err = p.stderr.read() if p.stderr else ""
        raise LabCommandError(f"UDP echo server did not start: {err.strip()}")


def udp_echo(
    lab: Lab, count: int = 200, interval_ms: float = 10.0, size: int = 200, port: int = ECHO_PORT, linger_s: float = 1.5
) -> EchoResult:
    """Run the UDP echo from the client to the server (start the server first)."""
    out = lab.run(
        lab.ns.client,
        lab.python_argv(
            "sessioncheck.lab.measure",
            "echo-client",
            "--host",
            SERVER_IP,
            "--port",
            str(port),
            "--count",
            str(count),
            "--interval-ms",
            f"{interval_ms:g}",
            "--size",
            str(size),
            "--linger-s",
            f"{linger_s:g}",
        ),
        timeout=count * interval_ms / 1000 + linger_s + 15,
    )
    return EchoResult(**json.loads(out))


def iperf3_available() -> bool:
    return shutil.which("iperf3") is not None


def start_iperf3_server(lab: Lab, port: int = IPERF_PORT) -> None:
    lab.spawn(lab.ns.server, ["iperf3", "-s", "-p", str(port)])
    # iperf3 prints nothing useful on start: wait until it listens.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        out = lab.run(lab.ns.server, ["ss", "-Hltn", f"sport = :{port}"], check=False)
        if out.strip():
            return
        time.sleep(0.05)
    raise LabCommandError("iperf3 server did not start listening")


def iperf3(lab: Lab, direction: str, seconds: float = 3.0, omit_s: float = 1.0, port: int = IPERF_PORT) -> float:
    """TCP throughput in kbit/s, ``direction`` "up" (client → server) or "down"."""
    argv = ["iperf3", "-c", SERVER_IP, "-p", str(port), "-J", "-t", f"{seconds:g}", "-O", f"{omit_s:g}"]
    if direction == "down":
        argv.append("-R")
    last: Exception | None = None
    for _ in range(3):  # the server takes one test at a time: retry while it settles
        try:
            out = lab.run(lab.ns.client, argv, timeout=seconds + omit_s + 20)
        except LabCommandError as e:
            last = e
            time.sleep(0.5)
            continue
        data: dict[str, Any] = json.loads(out)
        time.sleep(0.5)  # leave the server a moment between runs
        return float(data["end"]["sum_received"]["bits_per_second"]) / 1000
    raise LabCommandError(f"iperf3 failed: {last}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sessioncheck.lab.measure")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("echo-server")
    s.add_argument("--port", type=int, default=ECHO_PORT)
    c = sub.add_parser("echo-client")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, default=ECHO_PORT)
    c.add_argument("--count", type=int, default=200)
    c.add_argument("--interval-ms", type=float, default=10.0)
    c.add_argument("--size", type=int, default=200)
    c.add_argument("--linger-s", type=float, default=1.5)
    args = p.parse_args(argv)
    if args.cmd == "echo-server":
        try:
            echo_server(args.port)
        except KeyboardInterrupt:
            pass
        return 0
    result = echo_client(args.host, args.port, args.count, args.interval_ms, args.size, args.linger_s)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
