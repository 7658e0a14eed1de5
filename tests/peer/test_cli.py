"""`sessioncheck host` and `sessioncheck join` as two processes, `serve` in a third (loopback)."""

from __future__ import annotations

import json
import signal
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessioncheck.advice import catalogue
from sessioncheck.errors import ExitCode

from .helpers import Proc, sessioncheck


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        p.kill()


def start_pair(url: str, tmp_path: Path, procs: list[Proc], *extra: str) -> tuple[Proc, Proc, str]:
    (tmp_path / "therapist").mkdir()
    (tmp_path / "client").mkdir()
    host = Proc(sessioncheck("host", "--server", url, *extra), tmp_path / "therapist")
    procs.append(host)
    code = host.wait_for("CODE ", 20).split()[1]
    typed = code.lower().replace("-", "")  # what a client might type
    join = Proc(sessioncheck("join", typed, "--server", url, *extra), tmp_path / "client")
    procs.append(join)
    return host, join, code


def values(report: dict[str, Any]) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in report["results"][0]["measurements"]}


def codes_of(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["results"][0]["findings"]}


def test_both_sides_get_the_same_report_worded_for_them(serve, tmp_path: Path, procs: list[Proc]) -> None:  # type: ignore[no-untyped-def]
    _, url = serve()
    started = time.monotonic()
    host, join, code = start_pair(url, tmp_path, procs)
    rc_join, out_join, err_join = join.finish(40)
    rc_host, out_host, err_host = host.finish(15)
    elapsed = time.monotonic() - started
    assert (rc_host, rc_join) == (ExitCode.VIDEO, ExitCode.VIDEO), (err_host, err_join)
    files = {role: list((tmp_path / role).glob("sessioncheck-peer-*.json")) for role in ("therapist", "client")}
    assert all(len(f) == 1 for f in files.values()), files
    for f in files.values():
        assert stat.S_IMODE(f[0].stat().st_mode) == 0o600
    th, cl = (json.loads(files[r][0].read_text()) for r in ("therapist", "client"))
    assert th == cl  # one report, two copies
    v = values(th)
    test_id = v["peer.test_id"]
    assert files["therapist"][0].name == f"sessioncheck-peer-{test_id}-therapist.json"
    assert files["client"][0].name == f"sessioncheck-peer-{test_id}-client.json"
    assert v["peer.outcome"] == "ok"
    assert (th["verdict"], th["verdict_complete"], th["untested"]) == ("video", True, [])
    assert th["redacted"] is True and "therapist.os" in th["host"] and "client.os" in th["host"]
    for side in ("therapist", "client"):
        assert v[f"peer.{side}.reported"] is True
        assert float(v[f"peer.{side}.up_kbps"]) > 300
        assert 0 < float(v[f"peer.{side}.rtt_ms"]) < 100
        assert int(v[f"peer.{side}.media.video_frames"]) > 0 and int(v[f"peer.{side}.media.audio_frames"]) > 0
        assert v[f"peer.{side}.media.video_resolution"] == "1280x720"
        assert v[f"peer.{side}.candidate_type"] == "host" and v[f"peer.{side}.transport"] == "udp"
        assert int(v[f"peer.{side}.system.cpu_count"]) > 0
    # the therapist's idle phase measures delay, jitter and loss in both directions
    for key in ("loss_up_pct", "loss_down_pct", "jitter_up_ms", "jitter_down_ms"):
        assert v[f"peer.therapist.{key}"] is not None
    assert "peer.summary" in codes_of(th)
    # the same findings, worded for each reader
    assert "Peer path quality:" in out_host and "The connection between you and your therapist" not in out_host
    assert "The connection between you and your therapist:" in out_join and "Peer path quality" not in out_join
    assert f"CODE {code}" in err_host
    # progress is the peer test's own: the system facts' "done" must not read as "the client came"
    for err in (err_host, err_join):
        notes = [line.strip() for line in err.splitlines() if line.startswith("  ... ")]
        assert catalogue.progress_note("system", "cpu", {}) not in " ".join(notes), notes
        assert notes.count("... " + catalogue.phrase("progress.done")) <= 1, notes
    assert elapsed < 35


def test_wrong_and_malformed_codes_say_so(serve, tmp_path: Path, procs: list[Proc]) -> None:  # type: ignore[no-untyped-def]
    _, url = serve()
    p = Proc(sessioncheck("join", "222-333-444", "--server", url), tmp_path)
    procs.append(p)
    rc, out, err = p.finish(15)
    assert rc == ExitCode.USAGE and out == ""
    assert "That code does not work: no test has this code" in err
    p = Proc(sessioncheck("join", "1OI-222-333", "--server", url), tmp_path)
    procs.append(p)
    rc, _, err = p.finish(15)
    assert rc == ExitCode.USAGE and "never use 0, 1, I, L, O or U" in err
    assert not list(tmp_path.glob("*.json"))


def test_peer_killed_mid_test_leaves_partial_results(serve, tmp_path: Path, procs: list[Proc]) -> None:  # type: ignore[no-untyped-def]
    _, url = serve()
    host, join, _ = start_pair(url, tmp_path, procs)
    join.wait_for("measuring delay", 20)
    host.wait_for("measuring delay", 20)  # both sides are measuring: the test is under way
    join.p.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    rc, out, err = host.finish(20)
    assert time.monotonic() - killed < 8, "the therapist's side must notice quickly"
    report = json.loads(next((tmp_path / "therapist").glob("sessioncheck-peer-*.json")).read_text())
    v = values(report)
    assert v["peer.outcome"] == "peer_left"  # the server saw the client's connection close
    assert v["peer.client.reported"] is False and v["peer.therapist.reported"] is True
    assert "peer.therapist.connect_s" in v  # what was measured is kept
    assert "peer.client_left" in codes_of(report)
    assert "The client left the test before it finished" in out
    assert rc == ExitCode.PARTLY_CHECKED, err


def test_server_killed_mid_test_both_fail_clearly(serve, tmp_path: Path, procs: list[Proc]) -> None:  # type: ignore[no-untyped-def]
    server, url = serve()
    host, join, _ = start_pair(url, tmp_path, procs)
    join.wait_for("measuring delay", 20)
    server.send_signal(signal.SIGKILL)
    server.wait()
    killed = time.monotonic()
    for role, p in (("client", join), ("therapist", host)):
        rc, out, err = p.finish(20)
        assert rc == ExitCode.PARTLY_CHECKED, err  # nothing bad was measured, but the test did not finish
        report = json.loads(next((tmp_path / role).glob("sessioncheck-peer-*.json")).read_text())
        assert report["verdict_complete"] is False and report["untested"] == ["peer"]
        assert values(report)["peer.outcome"] == "server_lost"
        assert "peer.server_lost" in codes_of(report)
        assert "test server went away" in out
    assert time.monotonic() - killed < 10
