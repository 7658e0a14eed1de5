"""Peer test timing on loopback: `serve`, then a therapist and a client in this process.

Prints, per run and as medians: code entered → first measurement (the client's first
live sample), code entered → connected, and the whole peer test (code entered → both
reports). Targets: first measurement ≤ 3 s, whole test ≤ 15 s.

    python benchmarks/peer_test.py [RUNS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from sessioncheck.peer import RoomCreated, host, join
from sessioncheck.server.app import start_server
from sessioncheck.server.config import ServerConfig
from sessioncheck.settings import Settings


async def one_run(url: str) -> tuple[float, float, float, str]:
    therapist = host(Settings(), url)
    code: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def follow() -> None:
        async for event in therapist.events():
            if isinstance(event, RoomCreated):
                code.set_result(event.display)

    follower = asyncio.ensure_future(follow())
    entered = time.monotonic()
    client = join(await code, Settings(), url)
    await client.run()
    await follower
    t = client.timings
    return (t["first_sample"] - entered, t["connected"] - entered, time.monotonic() - entered, client.outcome)


async def main(runs: int) -> None:
    srv = await start_server(ServerConfig(host="127.0.0.1", port=0))
    rows = []
    try:
        for i in range(runs):
            first, connected, whole, outcome = await one_run(srv.url)
            rows.append((first, connected, whole))
            print(
                f"run {i + 1}: first measurement {first:.2f} s, connected {connected:.2f} s, "
                f"whole test {whole:.2f} s ({outcome})",
                flush=True,
            )
    finally:
        await srv.stop()
    med = [statistics.median(c) for c in zip(*rows, strict=True)]
    print(
        f"median of {runs}: code entered -> first measurement {med[0]:.2f} s (target <= 3), "
        f"connected {med[1]:.2f} s, whole peer test {med[2]:.2f} s (target <= 15)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
