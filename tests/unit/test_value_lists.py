"""A measurement can hold a list of names (``Value``'s tuple), so advice no longer splits
strings that probes joined; reports written before that still load, as lists."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from tests.support.reports import sample_report, validate

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, ModelError, ProbeResult, Report, Status
from sessioncheck.report.redact import redact_report
from sessioncheck.report.text import render_text
from sessioncheck.settings import Thresholds
from sessioncheck.tui.screens.results import finding_text, format_measurement


def _report(*ms: Measurement, probe: str = "camera") -> Report:
    findings = tuple(judge(probe, ms, Thresholds()))
    return replace(sample_report(), results=(ProbeResult(probe, Status.FAIL, 0.1, ms, findings),))


BUSY = (
    Measurement("camera.outcome", "busy"),
    Measurement("camera.detail", "Device or resource busy"),
    Measurement("camera.holders", ("zoom (pid 42)", "obs (pid 7)")),
)


def test_a_list_round_trips_through_json_and_the_schema() -> None:
    report = _report(*BUSY)
    data = json.loads(json.dumps(report.to_dict()))
    m = data["results"][0]["measurements"][2]
    assert m == {"key": "camera.holders", "value": ["zoom (pid 42)", "obs (pid 7)"], "unit": ""}
    assert data["results"][0]["findings"][0]["evidence"]["camera.holders"] == ["zoom (pid 42)", "obs (pid 7)"]
    validate(data)
    assert Report.from_dict(data) == report


@pytest.mark.parametrize(
    ("key", "joined", "names"),
    [
        ("camera.holders", "zoom (pid 42), obs (pid 7)", ("zoom (pid 42)", "obs (pid 7)")),
        ("microphone.holders", "pulseaudio (pid 9)", ("pulseaudio (pid 9)",)),
        ("speaker.holders", "a (pid 1), b (pid 2)", ("a (pid 1)", "b (pid 2)")),
        ("media_loop.top_processes", "chrome 55%, zoom 20%", ("chrome 55%", "zoom 20%")),
        ("media_loop.top_processes", "", ()),
        ("path.media.top_processes", "chrome 55%", ("chrome 55%",)),
        ("system.interfaces", "eth0:ethernet,wlan0:wifi", ("eth0:ethernet", "wlan0:wifi")),
        ("peer.client.system.interfaces", "wlan0:wifi", ("wlan0:wifi",)),
    ],
)
def test_an_older_reports_joined_string_loads_as_the_list(key: str, joined: str, names: tuple[str, ...]) -> None:
    assert Measurement.from_dict({"key": key, "value": joined, "unit": ""}).value == names


def test_an_older_report_is_judged_as_before() -> None:
    data = _report(*BUSY).to_dict()
    data["results"][0]["measurements"][2]["value"] = "zoom (pid 42), obs (pid 7)"  # how it was written
    old = Report.from_dict(data)
    ms = old.results[0].measurements
    (f,) = judge("camera", ms, Thresholds())
    assert "zoom, obs" in f.for_audience(Audience.CLIENT).text
    assert f.evidence["camera.holders"] == ("zoom (pid 42)", "obs (pid 7)")


def test_other_strings_stay_strings() -> None:
    assert Measurement.from_dict({"key": "camera.detail", "value": "a, b", "unit": ""}).value == "a, b"


@pytest.mark.parametrize("value", [[1, 2], ["a", None], [["a"]], {"a": "b"}])
def test_only_lists_of_text_are_values(value: object) -> None:
    with pytest.raises(ModelError, match="must be a number, text, a list of texts, true/false or null"):
        Measurement.from_dict({"key": "camera.holders", "value": value, "unit": ""})


def test_list_items_are_cleaned_of_terminal_controls() -> None:
    m = Measurement.from_dict({"key": "camera.holders", "value": ["evil\x1b]0;x\x07 (pid 1)"], "unit": ""})
    assert m.value == ("evil]0;x (pid 1)",)


def test_every_item_of_a_list_is_redacted() -> None:
    ms = (Measurement("system.interfaces", ("enx001122334455:ethernet", "wlan0:wifi")),)
    red = redact_report(_report(*ms, probe="system"))
    assert red.results[0].measurements[0].value == ("enx-mac:ethernet", "wlan0:wifi")


def test_text_and_app_show_a_list_as_its_items() -> None:
    report = _report(*BUSY)
    text = render_text(report, Audience.SUPPORT)
    assert "camera.holders = zoom (pid 42), obs (pid 7)" in text
    assert "camera.holders=zoom (pid 42), obs (pid 7)" in text  # the evidence line
    assert format_measurement(BUSY[2], {}) == "camera.holders = zoom (pid 42), obs (pid 7)"
    shown = finding_text(report.results[0].findings[0], Audience.SUPPORT, evidence=True).plain
    assert "camera.holders = zoom (pid 42), obs (pid 7)" in shown
