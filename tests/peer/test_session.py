"""The headless API the Textual app uses: `host()` / `join()` events and the combined report."""

from __future__ import annotations

import asyncio
import json

from sessioncheck.events import ProbeFinished, Progress, RunFinished, Sample
from sessioncheck.model import Role
from sessioncheck.peer import PeerJoined, RoomCreated, host, join
from sessioncheck.peer.combine import PeerOutcome
from sessioncheck.peer.session import PeerPlan
from sessioncheck.rtc.measure.results import Plan
from sessioncheck.server.app import start_server
from sessioncheck.server.config import ServerConfig
from sessioncheck.settings import Settings


def quick() -> PeerPlan:
    return PeerPlan(measure=Plan(idle_s=0.6, throughput_max_s=0.8, throughput_min_s=0.6, media_s=0.6))


async def test_events_and_identical_reports_in_one_process() -> None:
    srv = await start_server(ServerConfig(host="127.0.0.1", port=0))
    try:
        therapist = host(Settings(), srv.url, plan=quick())
        seen: list[object] = []
        code: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def follow() -> None:
            async for event in therapist.events():
                seen.append(event)
                if isinstance(event, RoomCreated):
                    code.set_result(event.display)

        follower = asyncio.ensure_future(follow())
        client = join(await asyncio.wait_for(code, 10), Settings(), srv.url, plan=quick())
        report = await asyncio.wait_for(client.run(), 40)
        await asyncio.wait_for(follower, 10)
    finally:
        await srv.stop()
    assert therapist.report is not None
    assert therapist.report.to_dict() == report.to_dict()
    assert therapist.test_id == client.test_id and therapist.test_id
    kinds = [type(e) for e in seen]
    assert kinds[0] is not RoomCreated and RoomCreated in kinds and PeerJoined in kinds
    assert kinds.index(RoomCreated) < kinds.index(PeerJoined)
    assert kinds[-2:] == [ProbeFinished, RunFinished]
    assert any(isinstance(e, Sample) and e.key == "therapist.rtt_ms" for e in seen)
    assert any(isinstance(e, Progress) for e in seen)
    assert isinstance(seen[-1], RunFinished) and seen[-1].report is therapist.report
    assert report.redacted is False  # front ends redact, as with the runner
    # one run protocol: the system probe ran beside the peer probe, folded into its result
    assert [r.probe for r in report.results] == ["peer"]
    finished = [e.result.probe for e in seen if isinstance(e, ProbeFinished)]
    assert finished == ["system", "peer"]
    values = {m.key: m.value for m in report.results[0].measurements}
    assert values["peer.outcome"] == "ok" and therapist.outcome is PeerOutcome.OK
    assert "peer.therapist.system.cpu_count" in values and "peer.client.system.cpu_count" in values
    assert {k.split(".")[0] for k in report.host} == {"therapist", "client"}
    joined = next(e for e in seen if isinstance(e, PeerJoined))
    assert joined.role is Role.THERAPIST and client.role is Role.CLIENT


async def test_cancel_while_waiting_for_the_client_keeps_a_report() -> None:
    srv = await start_server(ServerConfig(host="127.0.0.1", port=0))
    try:
        therapist = host(Settings(), srv.url, plan=quick())
        async for event in therapist.events():
            if isinstance(event, RoomCreated):
                therapist.cancel()
        assert therapist.report is not None and therapist.report.interrupted
        assert therapist.outcome is PeerOutcome.CANCELLED
        peer = therapist.report.result("peer")
        assert peer is not None and peer.skip_reason is None  # stopped: judged, not skipped
        assert peer.measurement("peer.outcome").value == "cancelled"  # type: ignore[union-attr]
    finally:
        await srv.stop()


async def test_unreachable_server_fails_fast() -> None:
    report = await asyncio.wait_for(host(Settings(), "ws://127.0.0.1:9/ws").run(), 10)
    assert [f.code for f in report.findings] == ["peer.server_unreachable"]


def test_outcomes_and_roles_keep_their_wire_values() -> None:
    assert [r.value for r in Role] == ["therapist", "client"]
    assert Role.THERAPIST.other is Role.CLIENT and Role.CLIENT.audience.value == "client"
    assert PeerOutcome.of("bad_code") is PeerOutcome.BAD_CODE
    assert PeerOutcome.of("a-code-from-a-newer-server") is PeerOutcome.PROTOCOL_ERROR
    assert f"{PeerOutcome.PEER_LEFT}" == "peer_left" and json.dumps([PeerOutcome.PEER_LEFT]) == '["peer_left"]'
