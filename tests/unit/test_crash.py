"""When sessioncheck itself breaks: an apology on screen, the report kept, redacted details in a 0600 log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sessioncheck import crashlog
from sessioncheck.errors import ExitCode
from sessioncheck.settings import IceServer, Settings
from support.reports import validate

SECRET_CREDENTIAL = "s3cret-cred-value"
SECRET_USERNAME = "alice-the-user"
SECRET_TOKEN = "tok-0123456789"
ADDRESS = "203.0.113.9"
BOOM = (
    f"boom near {ADDRESS} and [2001:db8::7]:3478, credential {SECRET_CREDENTIAL}, user {SECRET_USERNAME}, "
    f"url wss://check.example.org/ws?token={SECRET_TOKEN}"
)


def _sitecustomize(tmp_path: Path, code: str) -> str:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code)
    return os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])


def _run(tmp_path: Path, hook: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": "/nonexistent-home",
        "SESSIONCHECK_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": _sitecustomize(tmp_path, hook),
    }
    return subprocess.run(
        [sys.executable, "-m", "sessioncheck", *args], capture_output=True, text=True, timeout=60, env=env
    )


def _secret_args() -> list[str]:
    return [
        "--turn",
        "turn:127.0.0.1:9",
        "--turn-username",
        SECRET_USERNAME,
        "--turn-credential",
        SECRET_CREDENTIAL,
        "--token",
        SECRET_TOKEN,
    ]


def _the_log(tmp_path: Path) -> str:
    logs = list((tmp_path / "state").glob("crash-*.log"))
    assert len(logs) == 1, logs
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    return logs[0].read_text()


def _assert_clean(text: str) -> None:
    for secret in (SECRET_CREDENTIAL, SECRET_USERNAME, SECRET_TOKEN, ADDRESS, "2001:db8::7"):
        assert secret not in text, f"{secret} leaked"


def test_crash_after_the_run_apologises_keeps_the_report_and_logs_redacted_details(tmp_path: Path) -> None:
    hook = (
        f"import sessioncheck.report as r\ndef boom(*a, **k):\n    raise RuntimeError({BOOM!r})\nr.render_text = boom\n"
    )
    out_file = tmp_path / "r.json"
    out = _run(tmp_path, hook, "check", "--probes", "system", "-o", str(out_file), *_secret_args())
    assert out.returncode == ExitCode.INTERNAL, out.stderr
    assert "Traceback" not in out.stderr and "RuntimeError" not in out.stderr
    assert out.stderr.count("sessioncheck: Sorry: sessioncheck itself ran into a problem") == 1
    log_path = next((tmp_path / "state").glob("crash-*.log"))
    assert f"send the file {log_path} to your clinic's support" in out.stderr
    _assert_clean(out.stderr)
    validate(json.loads(out_file.read_text()))  # saved before the crash, and said so
    assert f"Report saved to {out_file}" in out.stderr
    log = _the_log(tmp_path)
    assert "Traceback (most recent call last)" in log and "RuntimeError: boom near" in log
    assert "context: sessioncheck check" in log
    assert f"--turn-credential {crashlog.REMOVED}" in log
    _assert_clean(log)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700


def test_crash_during_the_run_still_saves_the_report(tmp_path: Path) -> None:
    # the progress line for a finished test breaks: the run is stopped by the crash
    hook = (
        "from sessioncheck.advice import catalogue\n"
        "for s in ('pass', 'warn', 'fail', 'skip', 'error'):\n"
        "    del catalogue.PHRASES[f'status.{s}']\n"
    )
    out = _run(tmp_path, hook, "check", "--probes", "system,loopback", *_secret_args())
    assert out.returncode == ExitCode.INTERNAL, out.stderr
    assert "Traceback" not in out.stderr
    saved = list((tmp_path / "state").glob("report-*.json"))
    assert len(saved) == 1
    assert f"The results so far were saved to {saved[0]}." in out.stderr
    assert stat.S_IMODE(saved[0].stat().st_mode) == 0o600
    data = json.loads(saved[0].read_text())
    validate(data)
    assert data["redacted"] is True and [r["probe"] for r in data["results"]] == ["system", "loopback"]
    assert "KeyError: 'status." in _the_log(tmp_path)


def test_debug_shows_the_redacted_details_too(tmp_path: Path) -> None:
    hook = (
        f"import sessioncheck.report as r\ndef boom(*a, **k):\n    raise RuntimeError({BOOM!r})\nr.render_text = boom\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "check", "--probes", "system", *_secret_args()],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "HOME": "/nonexistent-home",
            "SESSIONCHECK_STATE_DIR": str(tmp_path / "state"),
            "SESSIONCHECK_DEBUG": "1",
            "PYTHONPATH": _sitecustomize(tmp_path, hook),
        },
    )
    assert out.returncode == ExitCode.INTERNAL
    assert "RuntimeError: boom near" in out.stderr
    _assert_clean(out.stderr)


# --- the module the app calls too ------------------------------------------------------------


def _boom() -> BaseException:
    try:
        raise ValueError(BOOM)
    except ValueError as e:
        return e


def test_write_crash_log_redacts_settings_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crashlog.STATE_DIR_ENV, str(tmp_path / "logs"))
    Settings(
        token=SECRET_TOKEN,
        ice_servers=(IceServer(urls=("turn:x.example",), username=SECRET_USERNAME, credential=SECRET_CREDENTIAL),),
    )
    path = crashlog.write_crash_log(_boom(), context="app: results screen")
    assert path.parent == tmp_path / "logs" and path.name.startswith("crash-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "context: app: results screen" in text and "ValueError: boom near" in text
    _assert_clean(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2 next", f"password={crashlog.REMOVED} next"),
        ('{"credential": "abc def"}', f'{{"credential": {crashlog.REMOVED}}}'),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: {crashlog.REMOVED}"),
        ("turn://bob:pw@turn.example.org", f"turn://{crashlog.REMOVED}@turn.example.org"),
        ("host 192.0.2.1 port 5", "host [address removed] port 5"),
    ],
)
def test_redact_details(text: str, expected: str) -> None:
    assert crashlog.redact_details(text) == expected


def test_short_secrets_are_removed_where_they_stand_alone() -> None:
    crashlog.remember_secret("pw1")
    assert crashlog.redact_details("pw1 is in pw123") == f"{crashlog.REMOVED} is in pw123"


def test_state_dir_follows_the_platform_convention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crashlog.STATE_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert crashlog.state_dir() == tmp_path / ".local" / "state" / "sessioncheck"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert crashlog.state_dir() == tmp_path / "xdg" / "sessioncheck"
    path = crashlog.write_crash_log(_boom(), context="test")
    assert path.parent == tmp_path / "xdg" / "sessioncheck"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_missing_home_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crashlog.STATE_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = crashlog.write_crash_log(_boom(), context="test")
    assert not (tmp_path / "no-such-home").exists()
    assert path.parent == tmp_path / "tmp" / f"sessioncheck-{os.getuid()}"


def test_old_logs_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crashlog.STATE_DIR_ENV, str(tmp_path))
    for _ in range(crashlog.KEEP_LOGS + 5):
        crashlog.write_crash_log(_boom(), context="test")
    assert len(list(tmp_path.glob("crash-*.log"))) == crashlog.KEEP_LOGS


def test_crashlog_imports_neither_textual_nor_aiortc() -> None:
    code = (
        "import sys, sessioncheck.crashlog as c\n"
        "from sessioncheck.report import redact\n"
        "assert not any(m.split('.')[0] in ('textual', 'aiortc', 'av', 'aiohttp') for m in sys.modules), "
        "sorted(sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
