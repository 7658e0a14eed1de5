"""`sessioncheck report show` as text: reports with info findings, peer reports, hostile strings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessioncheck.advice import catalogue, rules
from sessioncheck.advice.verdict import NEEDED_FOR_PEER
from sessioncheck.errors import ExitCode
from sessioncheck.model import Measurement, ProbeResult, Report, Role, Status, Verdict
from sessioncheck.peer.combine import PeerOutcome, SideData, combined_duration, combined_host, combined_measurements
from sessioncheck.report.io import report_to_json
from sessioncheck.runner import assemble_report, result_of
from sessioncheck.settings import Thresholds


def _show(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sessioncheck", "report", "show", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": "/nonexistent-home"},
    )


def info_report() -> Report:
    wifi = rules.finding("system.on_wifi", {"system.interfaces": "wlan0"}, interfaces="wlan0")
    return Report(
        tool_version="0.1.0",
        created="2026-11-25T10:00:00+00:00",
        host={"os": "Linux"},
        verdict=Verdict.VIDEO,
        verdict_reason="Everything needed for a video session works.",
        verdict_complete=True,
        results=(ProbeResult("system", Status.PASS, 0.4, findings=(wifi,)),),
    )


def peer_report() -> Report:
    sides = {
        role: SideData(
            role=role,
            reported=True,
            measurements=[
                Measurement(f"peer.{role}.rtt_ms", 24.0, "ms"),
                Measurement(f"peer.{role}.up_kbps", 2500.0, "kbps"),
                Measurement(f"peer.{role}.candidate_type", "host"),
                Measurement(f"peer.{role}.transport", "udp"),
            ],
            system=[Measurement("system.os", "Linux")],
            host={"os": "Linux"},
            duration_s=9.0,
        )
        for role in Role
    }
    measurements = combined_measurements("T3ST", sides, PeerOutcome.OK, "")
    result = result_of("peer", measurements, Thresholds(), duration_s=combined_duration(sides))
    return assemble_report(
        [result],
        host=combined_host(sides),
        created="2026-11-25T10:00:00+00:00",
        needed=NEEDED_FOR_PEER,
        interrupted=False,
    )


@pytest.mark.parametrize("audience", ["client", "therapist", "support"])
def test_report_with_an_info_finding_shows_as_text(tmp_path: Path, audience: str) -> None:
    path = tmp_path / "info.json"
    path.write_text(report_to_json(info_report()))
    out = _show(path, "--format", "text", "--audience", audience)
    assert out.returncode == ExitCode.VIDEO, out.stderr
    title = info_report().results[0].findings[0].wording[audience].title  # type: ignore[index]
    assert f"     - {title}" in out.stdout
    assert "What to do now" not in out.stdout  # info is worth knowing, not a fix
    if audience == "support":
        assert "system.on_wifi (info)" in out.stdout


def test_report_show_without_a_terminal_is_text(tmp_path: Path) -> None:
    path = tmp_path / "info.json"
    path.write_text(report_to_json(info_report()))
    out = _show(path)  # stdout is a pipe: text, support wording
    assert out.returncode == ExitCode.VIDEO, out.stderr
    assert out.stdout.startswith("READY FOR A VIDEO SESSION\n")
    assert "system.on_wifi (info)" in out.stdout


@pytest.mark.parametrize("audience", ["client", "therapist", "support"])
def test_peer_report_shows_as_text(tmp_path: Path, audience: str) -> None:
    report = peer_report()
    path = tmp_path / "peer.json"
    path.write_text(report_to_json(report))
    out = _show(path, "--format", "text", "--audience", audience)
    assert out.returncode == ExitCode.VIDEO, out.stderr
    assert f"{catalogue.PHRASES['probe.peer']}:" in out.stdout
    for f in report.findings:
        assert f.wording[audience].title in out.stdout  # type: ignore[index]
    if audience == "support":
        assert "peer.test_id = T3ST" in out.stdout


def test_escape_sequences_in_a_report_never_reach_the_terminal(tmp_path: Path) -> None:
    report = info_report()
    text = report_to_json(report).replace(
        "Everything needed for a video session works.",
        "Everything works.\\u001b]0;owned\\u0007\\u001b]52;c;ZWNobyBoaQ==\\u0007\\u009b2J\\nREADY FOR A VIDEO SESSION",
    )
    path = tmp_path / "evil.json"
    path.write_text(text)
    out = _show(path, "--format", "text")
    assert out.returncode == ExitCode.VIDEO, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "\x9b" not in out.stdout
    # the forged banner stays inside the reason's line instead of starting one of its own
    assert out.stdout.splitlines()[1] == "Everything works.]0;owned]52;c;ZWNobyBoaQ==2J READY FOR A VIDEO SESSION"
