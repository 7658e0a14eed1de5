"""The CLI as a user runs it: exit codes, output streams, bad input."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sessioncheck.errors import ExitCode
from sessioncheck.report.io import report_to_json
from support.reports import sample_report, validate


def sc(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "HOME": os.environ.get("SC_TEST_HOME", "/nonexistent-home"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sessioncheck", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def test_version() -> None:
    out = sc("--version")
    assert out.returncode == ExitCode.VIDEO
    assert out.stderr == ""
    assert out.stdout.startswith("sessioncheck ")


LAX = """[thresholds]
loopback_rtt_slow_ms = 100000
loopback_throughput_low_kbps = 0
loopback_connect_slow_s = 100000
cpu_busy_pct = 100000
memory_low_mb = 0
battery_low_pct = 0
"""
"""Thresholds nothing on this machine can cross, so that a check's verdict is known beforehand."""


def test_check_json_to_stdout_progress_to_stderr(tmp_path: Path) -> None:
    out_file = tmp_path / "report.json"
    config = tmp_path / "lax.toml"
    config.write_text(LAX)
    out = sc(
        "check", "--probes", "system,loopback", "--format", "json", "--output", str(out_file), "--config", str(config)
    )
    data = json.loads(out.stdout)
    validate(data)
    assert [r["probe"] for r in data["results"]] == ["system", "loopback"]
    assert "Your computer" in out.stderr  # progress went to stderr
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert json.loads(out_file.read_text()) == data
    # Neither the devices nor the connection to the clinic were tested: never a plain "ready".
    assert data["verdict_complete"] is False
    assert data["untested"] == ["ice", "camera", "microphone", "speaker", "path"]
    assert (data["verdict"], data["top_fixes"]) == ("video", []), data["results"]
    assert out.returncode == ExitCode.PARTLY_CHECKED, out.stderr


def _my_addresses() -> set[str]:
    import psutil

    addrs = set()
    for entries in psutil.net_if_addrs().values():
        for a in entries:
            if a.family.name in ("AF_INET", "AF_INET6"):
                addrs.add(a.address.split("%")[0])
    return addrs


def test_no_address_of_this_machine_in_output_by_default(tmp_path: Path) -> None:
    out_file = tmp_path / "r.json"
    out = sc(
        "check",
        "--probes",
        "system,loopback",
        "--format",
        "json",
        "--output",
        str(out_file),
        "--stun",
        "stun:127.0.0.1:9",
    )
    texts = [out.stdout, out.stderr, out_file.read_text()]
    text_out = sc("report", "show", str(out_file), "--format", "text")
    texts.append(text_out.stdout)
    for addr in _my_addresses():
        for t in texts:
            assert addr not in t, f"{addr} leaked"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--frobnicate"), "unrecognized arguments"),
        (("check", "--stun", "stun:"), "not valid"),
        (("check", "--turn", "turn:example.org"), "--turn-username"),
        (("check", "--probes", "system,teleport"), "no probe called 'teleport'"),
        (("check", "--timeout", "-1"), "positive"),
        (("check", "--ca-file", "/nonexistent.pem"), "no such file"),
        (("check", "--output", "/nonexistent-dir/r.json"), "folder does not exist"),
        (("nosuchcommand",), "invalid choice"),
    ],
)
def test_usage_errors_exit_3_with_one_clear_line(args: tuple[str, ...], message: str) -> None:
    out = sc(*args)
    assert out.returncode == ExitCode.USAGE
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_invalid_config_exits_3(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("probes = [")
    out = sc("check", "--config", str(cfg))
    assert out.returncode == ExitCode.USAGE
    assert "not valid TOML" in out.stderr and "Traceback" not in out.stderr
    unreadable = sc("check", "--config", str(tmp_path))
    assert unreadable.returncode == ExitCode.USAGE
    assert "Traceback" not in unreadable.stderr


def test_invalid_ice_servers_file_exits_3(tmp_path: Path) -> None:
    f = tmp_path / "ice.json"
    f.write_text('[{"urls": "turn:x.example"}]')
    out = sc("check", "--ice-servers", str(f))
    assert out.returncode == ExitCode.USAGE
    assert "username and a credential" in out.stderr


def test_report_show(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text(report_to_json(sample_report()))
    out = sc("report", "show", str(f))
    assert out.returncode == ExitCode.VIDEO, out.stderr
    assert "PARTLY CHECKED" in out.stdout  # a failure stands: never "ready"
    assert "READY" not in out.stdout
    assert "ice.turn_auth_failed" in out.stdout  # support wording by default, with codes
    as_json = sc("report", "show", str(f), "--format", "json")
    assert json.loads(as_json.stdout) == sample_report().to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "broken JSON"),
        ('{"schema_version": 99}', "newer than this sessioncheck"),
        ("", "is empty"),
    ],
)
def test_report_show_bad_files_exit_3(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "r.json"
    f.write_text(content)
    out = sc("report", "show", str(f))
    assert out.returncode == ExitCode.USAGE
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    missing = sc("report", "show", str(tmp_path / "missing.json"))
    assert missing.returncode == ExitCode.USAGE and "does not exist" in missing.stderr


def _hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero-device":
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    elif kind == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "long-int":
        path.write_text('{"schema_version": ' + "9" * 5000 + "}")
    elif kind == "schema-0":
        path.write_text(json.dumps({**sample_report().to_dict(), "schema_version": 0}))
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("fifo", "is not a regular file (it is a pipe)"),
        ("zero-device", "is not a regular file (it is a device)"),
        ("deep", "nested far too deeply"),
        ("long-int", "number far too long"),
        ("schema-0", "schema_version 0 is not a version"),
    ],
)
def test_report_show_hostile_files_exit_3(tmp_path: Path, kind: str, message: str) -> None:
    out = sc("report", "show", str(_hostile(tmp_path, kind)), "--format", "text", timeout=30)
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_report_show_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_bytes(b"\xef\xbb\xbf" + report_to_json(sample_report()).encode())
    out = sc("report", "show", str(f), "--format", "text")
    assert out.returncode == ExitCode.VIDEO, out.stderr
    assert out.stdout.startswith("PARTLY CHECKED\n")  # the sample's TURN failure stands


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("probe_timeout_s = nan", "probe_timeout_s must be a positive number"),
        ("[thresholds]\nrtt_good_ms = inf", "threshold rtt_good_ms must be a number, 0 or more"),
        ("probe_timeout_s = " + "9" * 5000, "number far too long"),
        ("a = " + "[" * 100_000 + "]" * 100_000, "nested far too deeply"),
    ],
    ids=["timeout-nan", "threshold-inf", "long-int", "deep"],
)
def test_hostile_config_exits_3(tmp_path: Path, config: str, message: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(config)
    out = sc("check", "--config", str(cfg), "--probes", "system")
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_timeout_flag_must_be_finite(value: str) -> None:
    out = sc("check", "--probes", "system", "--timeout", value)
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert "--timeout must be a positive number of seconds" in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--max-duration", "nan"), "--max-duration must be a positive number of seconds"),
        (("--max-duration", "inf"), "--max-duration must be a positive number of seconds"),
        (("--host", ""), "--host needs an address"),
    ],
    ids=["duration-nan", "duration-inf", "empty-host"],
)
def test_serve_refuses_flags_that_make_no_sense(args: tuple[str, ...], message: str) -> None:
    out = sc("serve", "--port", "0", *args, timeout=30)
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert message in out.stderr and out.stdout == ""
