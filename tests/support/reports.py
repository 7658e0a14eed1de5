"""Reports made from real catalogue entries, for tests of renderers and files."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sessioncheck.advice import rules
from sessioncheck.model import Measurement, ProbeResult, Report, Status, Verdict


def sample_report() -> Report:
    """A report with addresses in it, a finding, a skip and an error."""
    auth = rules.finding(
        "ice.turn_auth_failed",
        {"ice.check1.url": "turn:203.0.113.7:3478", "ice.check1.code": 401},
        url="turn:203.0.113.7:3478",
        transport="udp",
        code=401,
        reason="Unauthorized",
        username="alice",
    )
    return Report(
        tool_version="0.1.0",
        created="2026-11-25T10:00:00+00:00",
        host={"os": "Linux", "python": "3.11.7"},
        verdict=Verdict.VIDEO,
        verdict_reason="Everything needed for a video session works.",
        results=(
            ProbeResult(
                probe="ice",
                status=Status.FAIL,
                duration_s=0.25,
                measurements=(
                    Measurement("ice.check1.url", "turn:203.0.113.7:3478"),
                    Measurement("ice.check1.reflexive", "198.51.100.23:50000"),
                    Measurement("ice.check1.relayed", "[2001:db8::5]:49152"),
                    Measurement("ice.check1.rtt_ms", 12.5, "ms", (12.5, 13.0, 11.75)),
                    Measurement(
                        "ice.check1.candidate",
                        "candidate:1 1 udp 2130706431 192.0.2.44 5000 typ host",
                    ),
                ),
                findings=(auth,),
            ),
            ProbeResult(probe="camera", status=Status.SKIP, duration_s=0.0, skip_reason="No camera was found."),
            ProbeResult(
                probe="loopback", status=Status.ERROR, duration_s=1.0, error="RuntimeError: peer 10.0.0.9 broke"
            ),
        ),
    )


def schema() -> dict[str, Any]:
    text = resources.files("sessioncheck.report").joinpath("schema.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def validate(report_dict: dict[str, Any]) -> None:
    """Validate a report's JSON form against the shipped schema (raises on mismatch)."""
    import jsonschema

    jsonschema.validate(report_dict, schema(), format_checker=jsonschema.FormatChecker())
