"""Hostile report and settings files: every one ends in a plain message, never a hang or a crash."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from sessioncheck.model import Audience, Measurement, ModelError, Report, clean_text
from sessioncheck.report.io import MAX_REPORT_BYTES, ReportFileError, load_report, report_to_json
from sessioncheck.report.text import render_text
from sessioncheck.settings import SettingsError, load_ice_servers_file, load_settings
from support.reports import sample_report

DEEP = "[" * 100_000 + "]" * 100_000
LONG_INT = "9" * 5000


def _report_dict() -> dict[str, Any]:
    return sample_report().to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DEEP, "nested far too deeply"),
        ('{"schema_version": ' + LONG_INT + "}", "number far too long"),
        ('{"a": ' + DEEP + "}", "nested far too deeply"),
    ],
    ids=["deep", "long-int", "deep-inside"],
)
def test_hostile_json_is_a_plain_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ReportFileError, match=message):
        load_report(path)


@pytest.mark.parametrize("version", [0, -5])
def test_schema_version_below_one_is_refused(tmp_path: Path, version: int) -> None:
    d = _report_dict()
    d["schema_version"] = version
    with pytest.raises(ModelError, match=f"schema_version {version} is not a version"):
        Report.from_dict(d)


def test_a_duration_too_large_for_a_float_is_refused() -> None:
    d = _report_dict()
    d["results"][0]["duration_s"] = int("9" * 400)
    with pytest.raises(ModelError, match="400 digits is too large"):
        Report.from_dict(d)


def test_interrupted_must_be_true_or_false() -> None:
    d = _report_dict()
    d["interrupted"] = "false"
    with pytest.raises(ModelError, match="interrupted must be true or false"):
        Report.from_dict(d)


def test_a_null_sample_loads_as_not_measured(tmp_path: Path) -> None:
    """The schema allows null samples (NaN is written as null), so loading must accept them."""
    report = sample_report()
    r0 = report.results[0]
    m = Measurement("ice.check1.rtt_ms", 12.5, "ms", (12.5, float("nan")))
    report = report.with_results([type(r0)(**{**r0.__dict__, "measurements": (m,)}), *report.results[1:]])
    path = tmp_path / "r.json"
    path.write_text(report_to_json(report))
    loaded = load_report(path).results[0].measurements[0]
    assert loaded.samples is not None and loaded.samples[0] == 12.5 and loaded.samples[1] != loaded.samples[1]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b"\xef\xbb\xbf" + report_to_json(sample_report()).encode())
    assert load_report(path) == sample_report()


def test_character_device_is_refused_at_once(tmp_path: Path) -> None:
    zero = tmp_path / "zero"
    os.mknod(zero, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # a /dev/zero clone: endless
    with pytest.raises(ReportFileError, match=re.escape("is not a regular file (it is a device)")):
        load_report(zero)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_report(fifo)
        except BaseException as e:  # handed to the test thread
            outcome.append(e)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(10)
    if t.is_alive():  # unblock the reader so the thread ends, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_report blocked on a FIFO")
    assert isinstance(outcome[0], ReportFileError)
    assert "is not a regular file (it is a pipe)" in str(outcome[0])


def test_report_size_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(MAX_REPORT_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ReportFileError, match=re.escape("is too large (20.0 MB; the limit is 20.0 MB)")):
        load_report(path)


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError, match="is a folder, not a file"):
        load_report(tmp_path)


# --- escape sequences and other control characters -----------------------------------------

OSC_TITLE = "\x1b]0;pwned\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
CSI_C1 = "\x9b31m"


def test_control_characters_are_removed_from_every_string_read() -> None:
    d = _report_dict()
    d["verdict_reason"] = "fine" + OSC_TITLE
    d["tool_version"] = "0.1" + OSC_CLIPBOARD
    d["host"]["os\x1b[2J"] = "Linux" + CSI_C1
    r0 = d["results"][0]
    r0["error"] = "boom\x1b[1A\x1b[2K"
    r0["measurements"][0]["value"] = "turn:x" + OSC_TITLE
    r0["measurements"][0]["key"] = "ice.check1.url\x07"
    f = r0["findings"][0]
    f["wording"]["client"]["title"] = "Title\nREADY FOR A VIDEO SESSION\r\tfake" + OSC_CLIPBOARD
    f["wording"]["support"]["steps"] = ["step\u202eevil"]
    f["evidence"]["ice.check1.code\x1b"] = "401\x1b[8m"
    report = Report.from_dict(d)
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    for audience in Audience:
        text += render_text(report, audience)
    assert not any(ord(c) < 0x20 and c != "\n" for c in text), repr(text)
    assert not any(0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in text)
    w = report.results[0].findings[0].for_audience(Audience.CLIENT)
    assert w.title == "Title READY FOR A VIDEO SESSION  fake]52;c;cm0gLXJmIH4="
    # a line break in a title cannot forge a line of the rendered report
    assert all(
        not line.startswith("READY FOR A VIDEO SESSION") or i == 0
        for i, line in enumerate(render_text(report, Audience.CLIENT).splitlines())
    )


def test_clean_text_keeps_ordinary_text() -> None:
    ordinary = "Your upload is 480 kbit/s — “slow”; café, 日本語, emoji 🙂."
    assert clean_text(ordinary) == ordinary


# --- settings files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a = " + DEEP, "nested far too deeply"),
        ("probe_timeout_s = " + LONG_INT, "number far too long"),
        ("probe_timeout_s = nan", "probe_timeout_s must be a positive number"),
        ("probe_timeout_s = inf", "probe_timeout_s must be a positive number"),
        ("probe_timeout_s = " + "9" * 400, "probe_timeout_s must be a positive number"),
        ("[thresholds]\nrtt_good_ms = nan", "threshold rtt_good_ms must be a number, 0 or more"),
        ("[thresholds]\nrtt_good_ms = -inf", "threshold rtt_good_ms must be a number, 0 or more"),
        ("[thresholds]\nloss_good_pct = -1", "threshold loss_good_pct must be a number, 0 or more"),
    ],
    ids=[
        "deep",
        "long-int",
        "timeout-nan",
        "timeout-inf",
        "timeout-huge",
        "threshold-nan",
        "threshold-minus-inf",
        "threshold-negative",
    ],
)
def test_hostile_config_is_a_plain_error(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(cfg, env={})


def test_config_with_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(b"\xef\xbb\xbfprobe_timeout_s = 5\n")
    assert load_settings(cfg, env={}).probe_timeout_s == 5.0


def test_config_that_is_a_device_or_fifo_is_refused(tmp_path: Path) -> None:
    zero = tmp_path / "zero"
    os.mknod(zero, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    with pytest.raises(SettingsError, match=r"config file .*zero is not a regular file"):
        load_settings(zero, env={})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match=r"ICE servers file .*fifo is not a regular file"):
        load_ice_servers_file(fifo)


@pytest.mark.parametrize(
    ("content", "message"),
    [(DEEP, "nested far too deeply"), ("[" + LONG_INT + "]", "number far too long")],
    ids=["deep", "long-int"],
)
def test_hostile_ice_servers(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ice.json"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_ice_servers_file(path)
    with pytest.raises(SettingsError, match=message):
        load_settings(env={"SESSIONCHECK_ICE_SERVERS": content})
