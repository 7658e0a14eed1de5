"""Saving reports to things that are not plain files: /dev/null, FIFOs, symlinks, folders, "-"."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sessioncheck.report.io import ReportFileError, check_save_target, save_report
from support.reports import sample_report


def _dev_null_clone(folder: Path) -> Path:
    node = folder / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(node, 0o666)  # mknod applies the umask
    return node


def test_character_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    node = _dev_null_clone(tmp_path)
    before = os.stat(node)
    save_report(sample_report(), node)
    after = os.stat(node)
    assert stat.S_ISCHR(after.st_mode), "the device node was replaced by a file"
    assert after.st_rdev == os.makedev(1, 3) and after.st_ino == before.st_ino
    assert stat.S_IMODE(after.st_mode) == 0o666  # permissions of a shared device left alone
    assert [p.name for p in tmp_path.iterdir()] == ["null"]  # no temporary file left


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o644)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    save_report(sample_report(), fifo)
    reader.join(10)
    assert json.loads(received[0])["schema_version"] == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


def test_symlink_to_a_file_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "report.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    save_report(sample_report(), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["schema_version"] == 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["report.json"]


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "new.json")
    save_report(sample_report(), link)
    assert link.is_symlink()
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600


def test_symlink_to_a_device_writes_through(tmp_path: Path) -> None:
    node = _dev_null_clone(tmp_path)
    link = tmp_path / "out.json"
    link.symlink_to(node)
    save_report(sample_report(), link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(node).st_mode)


def test_folder_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError, match="it is a folder; give a file name"):
        save_report(sample_report(), tmp_path)
    with pytest.raises(ReportFileError, match="it is a folder"):
        check_save_target(tmp_path)
    link = tmp_path / "to-folder"
    link.symlink_to(tmp_path)
    with pytest.raises(ReportFileError, match="it is a folder"):
        save_report(sample_report(), link)


def test_dash_is_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_report(sample_report(), Path("-"))
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1
    assert list(tmp_path.iterdir()) == []


def test_check_output_to_a_device_node_keeps_the_node(tmp_path: Path) -> None:
    """What `sessioncheck check -o /dev/null` does as root, on a clone of /dev/null."""
    node = _dev_null_clone(tmp_path)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sessioncheck",
            "check",
            "--probes",
            "system",
            "-q",
            "--format",
            "json",
            "-o",
            str(node),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": "/nonexistent-home"},
    )
    verdict = json.loads(out.stdout)["verdict"]
    assert out.returncode == {"video": 5, "audio_only": 1, "phone": 2}[verdict], out.stderr
    assert stat.S_ISCHR(os.stat(node).st_mode) and stat.S_IMODE(os.stat(node).st_mode) == 0o666


def test_check_output_to_a_folder_is_refused_before_the_check(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "check", "--probes", "system", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": "/nonexistent-home"},
    )
    assert out.returncode == 3
    assert "it is a folder; give a file name" in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_check_output_dash_prints_the_json_report_once(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sessioncheck", "check", "--probes", "system", "-q", "-o", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "HOME": "/nonexistent-home"},
    )
    data = json.loads(out.stdout)  # one JSON document, not JSON followed by the text report
    assert out.returncode == {"video": 5, "audio_only": 1, "phone": 2}[data["verdict"]], out.stderr
    assert list(tmp_path.iterdir()) == []  # no file called "-"
