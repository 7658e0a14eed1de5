"""Report files: atomic owner-only writes and clear errors for bad files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sessioncheck.report.io import ReportFileError, load_report, report_to_json, save_report
from support.reports import sample_report


def test_save_is_private_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    save_report(sample_report(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_report(path) == sample_report()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_save_replaces_existing_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    save_report(sample_report(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["schema_version"] == 1


def test_save_into_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError, match="does not exist"):
        save_report(sample_report(), tmp_path / "nope" / "r.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"schema_version": 1, "tool_version"', "cut short"),
        (b"[1, 2, 3]", "must be an object"),
        (b'{"hello": 1}', "no schema_version"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReportFileError, match=message):
        load_report(path)


def test_truncated_real_report(tmp_path: Path) -> None:
    text = report_to_json(sample_report())
    path = tmp_path / "r.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ReportFileError, match="broken JSON"):
        load_report(path)
