"""Camera rules: measurement tables → findings (and the absence of false ones)."""

from __future__ import annotations

import pytest

from sessioncheck.advice.rules import judge
from sessioncheck.model import Audience, Measurement, Value
from sessioncheck.settings import Thresholds

GOOD: dict[str, Value] = {
    "camera.os": "Linux",
    "camera.outcome": "ok",
    "camera.device": "virtual camera",
    "camera.width": 1280,
    "camera.height": 720,
    "camera.frames": 90,
    "camera.fps": 30.0,
    "camera.mean_luma": 130.0,
    "camera.subject_luma": 150.0,
    "camera.backlight": -20.0,
    "camera.under_pct": 2.0,
    "camera.over_pct": 0.0,
    "camera.blur_var": 150.0,
    "camera.black_pct": 0.0,
    "camera.covered_pct": 0.0,
    "camera.frozen_pct": 0.0,
    "camera.face_checks": 15,
    "camera.face_found": True,
    "camera.face_found_pct": 100.0,
    "camera.face_size_pct": 18.0,
    "camera.face_x": 0.48,
    "camera.face_y": 0.4,
}
NO_FACE = {
    "camera.face_found": False,
    "camera.face_found_pct": 0.0,
    "camera.face_size_pct": None,
    "camera.face_x": None,
    "camera.face_y": None,
}


def codes(changes: dict[str, Value], base: dict[str, Value] | None = None) -> list[str]:
    values = {**(GOOD if base is None else base), **changes}
    ms = [Measurement(k, v) for k, v in values.items() if v is not None]
    return [f.code for f in judge("camera", ms, Thresholds())]


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, []),
        ({"camera.mean_luma": 35.0, "camera.subject_luma": 40.0}, ["camera.too_dark"]),
        ({"camera.backlight": 120.0, "camera.subject_luma": 60.0, "camera.mean_luma": 190.0}, ["camera.backlit"]),
        ({"camera.backlight": 120.0, "camera.mean_luma": 45.0}, ["camera.backlit"]),  # not also dark
        ({"camera.blur_var": 20.0}, ["camera.blurry"]),
        ({"camera.blur_var": 20.0, "camera.mean_luma": 30.0}, ["camera.too_dark"]),  # dark explains it
        ({"camera.frozen_pct": 100.0}, ["camera.frozen"]),
        ({"camera.black_pct": 100.0, "camera.frozen_pct": 100.0, **NO_FACE}, ["camera.covered"]),
        ({"camera.covered_pct": 80.0, "camera.mean_luma": 20.0, **NO_FACE}, ["camera.covered"]),
        ({"camera.fps": 8.0}, ["camera.too_slow"]),
        (NO_FACE, ["camera.no_face"]),
        ({"camera.face_x": 0.85}, ["camera.face_off_centre"]),
        ({"camera.face_y": 0.9}, ["camera.face_off_centre"]),
        ({"camera.face_size_pct": 7.0}, ["camera.face_too_far"]),
    ],
)
def test_picture_rules(changes: dict[str, Value], expected: list[str]) -> None:
    assert sorted(codes(changes)) == sorted(expected)


DEVICE: dict[str, Value] = {"camera.os": "Linux", "camera.frames": 0}


@pytest.mark.parametrize(
    "outcome,extra,code",
    [
        ("missing", {"camera.detail": "no such camera", "camera.device": "/dev/video0"}, "camera.missing"),
        ("busy", {"camera.detail": "Device or resource busy", "camera.holders": ("zoom (pid 42)",)}, "camera.busy"),
        ("permission", {"camera.detail": "Permission denied"}, "camera.permission_denied"),
        ("invalid", {"camera.detail": "Invalid argument"}, "camera.source_invalid"),
    ],
)
def test_device_trouble_is_one_specific_finding(outcome: str, extra: dict[str, Value], code: str) -> None:
    assert codes({"camera.outcome": outcome, **extra}, DEVICE) == [code]


def test_busy_names_the_program_without_its_pid() -> None:
    ms = [
        Measurement(k, v)
        for k, v in {
            **DEVICE,
            "camera.outcome": "busy",
            "camera.detail": "busy",
            "camera.holders": ("zoom (pid 42)", "obs (pid 7)"),
        }.items()
    ]
    f = judge("camera", ms, Thresholds())[0]
    client = f.for_audience(Audience.CLIENT)
    assert "zoom, obs" in client.text and "pid" not in client.text
    assert f.evidence["camera.holders"] == ("zoom (pid 42)", "obs (pid 7)")


@pytest.mark.parametrize(
    "os_name,words",
    [
        ("Darwin", "Privacy & Security > Camera"),
        ("Windows", "Privacy & security > Camera"),
        ("Linux", '"video" group'),
        ("Plan9", "privacy settings for the camera"),
    ],
)
def test_permission_names_the_os_setting(os_name: str, words: str) -> None:
    ms = [
        Measurement("camera.outcome", "permission"),
        Measurement("camera.os", os_name),
        Measurement("camera.detail", "Permission denied"),
    ]
    f = judge("camera", ms, Thresholds())[0]
    assert words in " ".join(f.for_audience(Audience.CLIENT).steps)


def test_unplugged_keeps_judging_the_frames_it_got() -> None:
    found = codes(
        {
            "camera.outcome": "unplugged",
            "camera.detail": "stopped after 12 frames",
            "camera.frames": 12,
            "camera.mean_luma": 30.0,
        }
    )
    assert sorted(found) == ["camera.too_dark", "camera.unplugged"]
