"""Redaction of addresses and ICE candidates."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest

from sessioncheck.advice.rules import finding, judge
from sessioncheck.model import Audience, Measurement, ProbeResult, Report, Status
from sessioncheck.peer.combine import measurements_to_wire
from sessioncheck.report.redact import (
    REDACTED_EMAIL,
    REDACTED_IP,
    REDACTED_MAC,
    REDACTED_SECRET,
    REDACTED_USER,
    redact_device_name,
    redact_measurements,
    redact_report,
    redact_text,
)
from sessioncheck.settings import Thresholds
from support.reports import sample_report, schema


def schema_validate(report: Report) -> None:
    jsonschema.validate(report.to_dict(), schema())


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
        (
            "candidate:842163049 1 udp 1677729535 203.0.113.2 54400 typ srflx raddr 10.0.0.2 rport 54400",
            "[ICE candidate removed]",
        ),
    ],
)
def test_addresses_are_removed(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["aiortc 1.16.0", "Linux 6.18.44-fc-v782", "at 12:30:45", "1.2.3.4.5", "999.1.1.1"],
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


# --- IPv6: where the address ends, and what is not one ------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # followed by punctuation: end of a sentence, "address: message", a port
        ("connected to 2001:db8::1.", f"connected to {REDACTED_IP}."),
        ("2001:db8::1: timed out", f"{REDACTED_IP}: timed out"),
        ("from 2001:db8:0:1::5, then", f"from {REDACTED_IP}, then"),
        ("(fe80::1)", f"({REDACTED_IP})"),
        ("peer 2001:db8::1; retrying", f"peer {REDACTED_IP}; retrying"),
        ("2001:db8::1:: odd", f"{REDACTED_IP}:: odd"),
        ("[2001:db8::1]:3478", f"{REDACTED_IP}:3478"),
        ("[2001:db8::1].", f"{REDACTED_IP}."),
        ("2001:db8::1/64", f"{REDACTED_IP}/64"),
        # compressed, full, loopback, at the start and end of a text
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", REDACTED_IP),
        ("1:2:3:4:5:6:7:8", REDACTED_IP),
        ("::1", REDACTED_IP),
        ("2001:db8::", REDACTED_IP),
        ("2001:db8::.", f"{REDACTED_IP}."),
        ("FE80::ABCD:1", REDACTED_IP),
        # v4-mapped, alone, with a port, at the end of a sentence
        ("::ffff:192.0.2.1", REDACTED_IP),
        ("::ffff:192.0.2.1:3478", f"{REDACTED_IP}:3478"),
        ("seen as ::ffff:192.0.2.1.", f"seen as {REDACTED_IP}."),
        ("[::ffff:192.0.2.1]:50000", f"{REDACTED_IP}:50000"),
        # zone ids (an interface name or a number), then punctuation
        ("fe80::1%eth0", REDACTED_IP),
        ("fe80::1%eth0.", f"{REDACTED_IP}."),
        ("fe80::1%3: no route", f"{REDACTED_IP}: no route"),
        ("[fe80::1%wlp2s0]:3478", f"{REDACTED_IP}:3478"),
        ("fe80::211:22ff:fe33:4455%enx001122334455 up", f"{REDACTED_IP} up"),
        # in URLs, bracketed (RFC 3986) or not (as people write them)
        ("turn:[2001:db8::1]:3478?transport=tcp", f"turn:{REDACTED_IP}:3478?transport=tcp"),
        ("stun:2001:db8::1", f"stun:{REDACTED_IP}"),
        ("https://[2001:db8::1]:8443/join", f"https://{REDACTED_IP}:8443/join"),
        ("wss://[2001:db8::2]/ws", f"wss://{REDACTED_IP}/ws"),
        # in an ICE candidate: the whole line goes
        ("candidate:1 1 udp 2130706431 2001:db8::7 5000 typ host", "[ICE candidate removed]"),
    ],
)
def test_ipv6_addresses_are_removed_wherever_they_end(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # times, dates, versions, ranges
        "at 14:05:33",
        "at 14:05:33.",
        "took 00:01:02:",
        "2026-11-25T10:00:00+00:00",
        "10:00:00.123",
        "1.2.3",
        "aiortc 1.16.0.",
        "v2.0:3.1",
        "ratio 1:2:3",
        # hashes and fingerprints (a DTLS fingerprint has 32 groups: no address, no MAC)
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
        # code-ish text: scope operators and hex words without a decimal digit
        "std::vector",
        "Foo::bar2",
        "a::b",
        "dead::beef",
        "use cafe::face here",
        "::",
        # one colon only
        "ice.check1.url = turn:turn.example.org:3478?transport=udp",
        "stun:stun.l.google.com:19302",
    ],
)
def test_text_that_only_looks_like_an_address_is_kept(text: str) -> None:
    assert redact_text(text) == text


# --- hardware (MAC) addresses and the interface names that embed them ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mac 00:1a:2b:3c:4d:5e", f"mac {REDACTED_MAC}"),
        ("MAC 00-1A-2B-3C-4D-5E.", f"MAC {REDACTED_MAC}."),
        ("bluez_source.00_1A_7D_DA_71_13.a2dp_source", f"bluez_source.{REDACTED_MAC}.a2dp_source"),
        ("bluez_input.00:1A:7D:DA:71:13", f"bluez_input.{REDACTED_MAC}"),
        ("enx001122334455:ethernet", "enx-mac:ethernet"),
        ("wlx66778899aabb:wifi,enp3s0:ethernet", "wlx-mac:wifi,enp3s0:ethernet"),
        ("wwx0a1b2c3d4e5f up", "wwx-mac up"),
        (
            "enx00112233445 (11 digits) and enx0011223344556 (13)",
            "enx00112233445 (11 digits) and enx0011223344556 (13)",
        ),
    ],
)
def test_mac_addresses_are_removed(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def _system_result(*ifaces: tuple[str, str]) -> ProbeResult:
    ms = [
        Measurement("system.interfaces_active", len(ifaces), "count"),
        Measurement("system.interfaces", tuple(f"{n}:{k}" for n, k in ifaces)),
    ]
    ms += [Measurement(f"system.iface.{n}.kind", k) for n, k in ifaces]
    return ProbeResult("system", Status.PASS, 0.5, tuple(ms))


def test_mac_interface_names_leave_keys_values_and_evidence_but_kinds_stay() -> None:
    ifaces = (("enx001122334455", "ethernet"), ("enxa0b1c2d3e4f5", "ethernet"), ("wlx66778899aabb", "wifi"))
    result = _system_result(*ifaces)
    findings = tuple(judge("system", result.measurements, Thresholds()))  # the real advice
    assert [f.code for f in findings] == ["system.on_wifi"]
    report = replace(sample_report(), results=(replace(result, findings=findings),))
    red = redact_report(report)
    text = json.dumps(red.to_dict())
    for mac in ("001122334455", "a0b1c2d3e4f5", "66778899aabb"):
        assert mac not in text
    r = red.results[0]
    # two names with the same prefix stay distinct; the same name is the same everywhere
    assert r.measurement("system.interfaces").value == ("enx-mac:ethernet", "enx-mac2:ethernet", "wlx-mac:wifi")  # type: ignore[union-attr]
    assert {m.key: m.value for m in r.measurements if m.key.startswith("system.iface.")} == {
        "system.iface.enx-mac.kind": "ethernet",
        "system.iface.enx-mac2.kind": "ethernet",
        "system.iface.wlx-mac.kind": "wifi",
    }
    assert dict(r.findings[0].evidence) == {"system.iface.wlx-mac.kind": "wifi"}
    assert "wlx-mac" in r.findings[0].wording[Audience.SUPPORT].text
    schema_validate(red)
    # redacting twice changes nothing more
    assert redact_report(red) == red


def test_measurements_for_the_other_side_are_redacted_keys_too() -> None:
    sent = redact_measurements(_system_result(("enx001122334455", "ethernet")).measurements)
    assert [m.key for m in sent] == ["system.interfaces_active", "system.interfaces", "system.iface.enx-mac.kind"]
    assert "001122334455" not in json.dumps(
        measurements_to_wire(_system_result(("enx001122334455", "ethernet")).measurements)
    )


# --- user names, secrets, e-mail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("turn:alice@turn.example.org:3478", f"turn:{REDACTED_USER}@turn.example.org:3478"),
        ("turns:alice:pw@turn.example.org", f"turns:{REDACTED_USER}@turn.example.org"),
        ("https://bob:hunter2@clinic.example/x", f"https://{REDACTED_USER}@clinic.example/x"),
        ("wss://c.example/ws?token=abc123&room=7", f"wss://c.example/ws?token={REDACTED_SECRET}&room=7"),
        ("x?username=alice&credential=s3cr3t", f"x?username={REDACTED_USER}&credential={REDACTED_SECRET}"),
        ("refused (username 'alice.m')", f"refused (username '{REDACTED_USER}')"),
        ('username: "1733100000:alice"', f'username: "{REDACTED_USER}"'),
        ("write to alice.m@example.org.", f"write to {REDACTED_EMAIL}."),
        # the words alone are kept
        ("Check the TURN username and credential.", "Check the TURN username and credential."),
    ],
)
def test_user_names_and_secrets_in_text_are_removed(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_turn_username_is_removed_from_every_part_of_a_report() -> None:
    user = "1733100000:alice.m"
    auth = finding(
        "ice.turn_auth_failed",
        {"ice.check1.username": user, "ice.check1.code": 401},
        url="turn:turn.example.org:3478",
        transport="udp",
        code=401,
        reason="Unauthorized",
        username=user,
    )
    result = ProbeResult("ice", Status.FAIL, 0.1, (Measurement("ice.check1.username", user),), (auth,))
    red = redact_report(replace(sample_report(), results=(result,)))
    assert "alice" not in json.dumps(red.to_dict())
    assert red.results[0].measurement("ice.check1.username").value == REDACTED_USER  # type: ignore[union-attr]
    assert red.results[0].findings[0].evidence["ice.check1.username"] == REDACTED_USER
    assert f"'{REDACTED_USER}'" in red.results[0].findings[0].wording[Audience.SUPPORT].text


# --- home folders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("home", "text", "expected"),
    [
        ("/home/alice", "Camera /home/alice/Videos/x.mp4: no such file.", "Camera ~/Videos/x.mp4: no such file."),
        (
            "/home/alice",
            "[Errno 2] No such file or directory: '/home/alice/a b.wav'",
            "[Errno 2] No such file or directory: '~/a b.wav'",
        ),
        ("/home/alice", "in /home/alice.", "in ~."),
        ("/home/alice", "file:///home/alice/x.mp4", "file://~/x.mp4"),
        ("/home/alice", "/home/alice2/x.mp4", "/home/[user]/x.mp4"),
        ("/home/alice", "/home/bob/x.mp4 and /Users/carol.k/y.mov", "/home/[user]/x.mp4 and /Users/[user]/y.mov"),
        ("/home/alice", r"C:\Users\Dana Smith\Videos\x.mp4", r"C:\Users\[user]\Videos\x.mp4"),
        ("/home/alice", r"'C:\\Users\\dana\\x.mp4'", r"'C:\\Users\\[user]\\x.mp4'"),
        ("/home/alice", "/Users/Shared/x.mp4 and /srv/home/alice/x", "/Users/Shared/x.mp4 and /srv/home/alice/x"),
        ("/root", "/root/clip.wav", "~/clip.wav"),
        ("/root", "/rootfs/clip.wav", "/rootfs/clip.wav"),
        ("/", "/etc/x", "/etc/x"),
    ],
)
def test_home_folders_lose_the_user_name(monkeypatch: pytest.MonkeyPatch, home: str, text: str, expected: str) -> None:
    monkeypatch.setenv("HOME", home)
    assert redact_text(text) == expected


# --- people's names in device names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Alice's AirPods Pro", "[name]'s AirPods Pro"),
        ("Élodie\u2019s iPhone Microphone", "[name]\u2019s iPhone Microphone"),
        ("Mary Ann's AirPods", "[name]'s AirPods"),
        ("AirPods de María", "AirPods de [name]"),
        ("Auriculares de Ana García", "Auriculares de [name]"),
        ("iPhone von Jonas Mikrofon", "iPhone von [name] Mikrofon"),
        ("AirPods de María (2)", "AirPods de [name] (2)"),
        # makes, models and ordinary words stay
        ("Micrófono de MacBook Pro", "Micrófono de MacBook Pro"),
        ("MacBook Pro Microphone", "MacBook Pro Microphone"),
        ("Logitech's cam", "Logitech's cam"),
        ("HD Pro Webcam C920", "HD Pro Webcam C920"),
        ("Built-in Audio Analog Stereo", "Built-in Audio Analog Stereo"),
        ("pulse", "pulse"),
    ],
)
def test_owner_names_leave_device_names(label: str, expected: str) -> None:
    assert redact_device_name(label) == expected


def test_device_name_with_an_owner_is_redacted_where_the_wording_repeats_it() -> None:
    ms = (
        Measurement("microphone.outcome", "busy"),
        Measurement("microphone.device", "Alice's AirPods Pro"),
        Measurement("microphone.detail", "in use"),
        Measurement("microphone.holders", ("zoom.us (pid 4242)",)),
    )
    findings = tuple(judge("microphone", ms, Thresholds()))
    assert "Alice" in findings[0].wording[Audience.SUPPORT].text  # the real wording names the device
    result = ProbeResult("microphone", Status.FAIL, 0.1, ms, findings)
    red = redact_report(replace(sample_report(), results=(result,)))
    assert "Alice" not in json.dumps(red.to_dict())
    assert red.results[0].measurement("microphone.device").value == "[name]'s AirPods Pro"  # type: ignore[union-attr]
    assert "[name]'s AirPods Pro" in red.results[0].findings[0].wording[Audience.SUPPORT].text
    # ordinary wording with possessives is not touched
    assert (
        red.results[0].findings[0].wording[Audience.THERAPIST].title
        == "The client's microphone is held by another program"
    )
