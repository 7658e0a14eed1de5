"""Redaction of addresses and ICE candidates."""

from __future__ import annotations

import json

import pytest

from sessioncheck.report.redact import REDACTED_IP, redact_report, redact_text
from support.reports import sample_report


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("turn:127.0.0.1:3478", f"turn:{REDACTED_IP}:3478"),
        ("turn:10.1.2.3?transport=tcp", f"turn:{REDACTED_IP}?transport=tcp"),
        ("[2001:db8::1]:3478", f"{REDACTED_IP}:3478"),
        ("fe80::1%eth0 up", f"{REDACTED_IP} up"),
        ("mapped ::ffff:192.0.2.1 x", f"mapped {REDACTED_IP} x"),
        ("from 192.0.2.1.", f"from {REDACTED_IP}."),
        ("a=candidate:1 1 udp 2130706431 192.168.1.5 5000 typ host", "[ICE candidate removed]"),
        ("candidate:842163049 1 udp 1677729535 203.0.113.2 54400 typ srflx raddr 10.0.0.2 rport 54400",
         "[ICE candidate removed]"),
    ],
)
def test_addresses_are_removed(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["aiortc 1.16.0", "Linux 6.18.44-fc-v782", "at 12:30:45", "mac 00:1a:2b:3c:4d:5e", "1.2.3.4.5", "999.1.1.1"],
)
def test_non_addresses_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_report_has_no_address_left() -> None:
    red = redact_report(sample_report())
    text = json.dumps(red.to_dict())
    for addr in ("203.0.113.7", "198.51.100.23", "2001:db8::5", "192.0.2.44", "10.0.0.9"):
        assert addr not in text
    assert red.redacted
    # the numbers stay
    assert red.results[0].measurement("ice.check1.rtt_ms").samples == (12.5, 13.0, 11.75)  # type: ignore[union-attr]
