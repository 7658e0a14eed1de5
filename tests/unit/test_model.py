"""The report's JSON form: lossless round trip, schema, and strict parsing."""

from __future__ import annotations

import json

import pytest

from sessioncheck.model import SCHEMA_VERSION, Measurement, ModelError, NewerSchemaError, Report
from support.reports import sample_report, validate


def test_round_trip_is_lossless() -> None:
    report = sample_report()
    text = json.dumps(report.to_dict())
    again = Report.from_dict(json.loads(text))
    assert again == report
    assert again.to_dict() == report.to_dict()


def test_json_names_are_stable() -> None:
    d = sample_report().to_dict()
    for key in ("schema_version", "tool_version", "created", "host", "verdict", "verdict_reason", "results"):
        assert key in d
    r = d["results"][0]
    assert set(r) == {"probe", "status", "duration_s", "measurements", "findings", "skip_reason", "error"}
    assert {"key", "value", "unit"} <= set(r["measurements"][0])
    assert {"code", "severity", "wording", "evidence"} <= set(r["findings"][0])
    assert set(r["findings"][0]["wording"]) == {"client", "therapist", "support"}


def test_sample_report_validates_against_schema() -> None:
    validate(sample_report().to_dict())


def test_nan_becomes_null() -> None:
    m = Measurement("x.y", float("nan"), "ms")
    assert m.to_dict()["value"] is None


def test_newer_schema_is_refused_with_advice() -> None:
    d = sample_report().to_dict()
    d["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(NewerSchemaError, match="update sessioncheck"):
        Report.from_dict(d)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("verdict"), "missing field"),
        (lambda d: d.update(verdict="maybe"), "verdict 'maybe' is not one of"),
        (lambda d: d.pop("schema_version"), "not a sessioncheck report"),
        (lambda d: d["results"][0].update(status="great"), "status"),
        (lambda d: d["results"][0]["findings"][0]["wording"].pop("client"), "lacks audience"),
        (lambda d: d["results"][0]["measurements"][0].update(value=[1, 2]), "measurement value"),
        (lambda d: d.update(results={}), "expected a list"),
    ],
)
def test_malformed_reports_are_refused_clearly(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    d = sample_report().to_dict()
    mutate(d)
    with pytest.raises(ModelError, match=message):
        Report.from_dict(d)


def test_verdict_trust_fields_round_trip() -> None:
    from dataclasses import replace

    report = replace(sample_report(), verdict_complete=False, untested=("path", "camera"))
    d = report.to_dict()
    assert d["verdict_complete"] is False and d["untested"] == ["path", "camera"]
    validate(d)
    assert Report.from_dict(json.loads(json.dumps(d))) == report


def test_report_without_trust_fields_is_trusted_no_further_than_its_results() -> None:
    d = sample_report().to_dict()
    del d["verdict_complete"], d["untested"]
    for r in d["results"]:
        r["status"] = "pass"
    assert Report.from_dict(d).verdict_complete is True
    d["results"][0]["status"] = "skip"
    again = Report.from_dict(d)
    assert again.verdict_complete is False
    assert again.untested == (d["results"][0]["probe"],)
    d["results"][0]["status"] = "pass"
    d["interrupted"] = True
    assert Report.from_dict(d).verdict_complete is False


def test_verdict_complete_must_be_a_boolean() -> None:
    d = sample_report().to_dict()
    d["verdict_complete"] = "yes"
    with pytest.raises(ModelError, match="verdict_complete must be true or false"):
        Report.from_dict(d)
