"""Every judgement threshold lives in ``settings.Thresholds``: overriding it in the settings
file's ``[thresholds]`` changes the judgement, bad values get a plain message, and each
field says where its number comes from."""

from __future__ import annotations

import ast
import inspect
import itertools
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from sessioncheck import settings
from sessioncheck.advice.quality import TIERS
from sessioncheck.advice.rules import judge
from sessioncheck.model import Impact, Measurement, Value
from sessioncheck.settings import VIDEO_TIER_NAMES, SettingsError, Thresholds, load_settings

CAMERA: dict[str, Value] = {
    "camera.outcome": "ok",
    "camera.width": 1280,
    "camera.height": 720,
    "camera.frames": 90,
    "camera.fps": 30.0,
    "camera.mean_luma": 130.0,
    "camera.subject_luma": 150.0,
    "camera.backlight": -20.0,
    "camera.blur_var": 150.0,
    "camera.black_pct": 0.0,
    "camera.covered_pct": 0.0,
    "camera.frozen_pct": 0.0,
    "camera.face_checks": 15,
    "camera.face_found": True,
    "camera.face_size_pct": 18.0,
    "camera.face_x": 0.48,
    "camera.face_y": 0.4,
}
NO_FACE: dict[str, Value] = {
    "camera.face_found": False,
    "camera.face_size_pct": None,
    "camera.face_x": None,
    "camera.face_y": None,
}
MICROPHONE: dict[str, Value] = {
    "microphone.outcome": "ok",
    "microphone.sample_rate": 48000,
    "microphone.channels": 1,
    "microphone.seconds": 3.0,
    "microphone.peak_dbfs": -3.0,
    "microphone.clip_pct": 0.0,
    "microphone.noise_floor_dbfs": -70.0,
    "microphone.snr_db": 50.0,
    "microphone.digital_silence": False,
    "microphone.hum_prominence_db": 6.0,
    "microphone.hum_dbfs": -60.0,
    "microphone.hf_ratio_db": -18.0,
}
SPEAKER: dict[str, Value] = {"speaker.outcome": "heard", "speaker.echo_db": -30.0}
MEDIA_LOOP: dict[str, Value] = {
    "media_loop.target_fps": 30.0,
    "media_loop.fps_480p": 29.9,
    "media_loop.fps_720p": 29.8,
    "media_loop.encode_ms_480p": 7.0,
    "media_loop.encode_ms_720p": 20.0,
    "media_loop.cpu_headroom_pct": 40.0,
    "media_loop.top_processes": ("chrome 55%",),
}
PATH: dict[str, Value] = {
    "path.outcome": "ok",
    "path.rtt_ms": 20.0,
    "path.rtt_p95_ms": 25.0,
    "path.jitter_up_ms": 1.0,
    "path.jitter_down_ms": 1.5,
    "path.loss_up_pct": 0.0,
    "path.loss_down_pct": 0.0,
    "path.up_kbps": 20_000.0,
    "path.down_kbps": 50_000.0,
    "path.loaded_rtt_up_ms": 40.0,
    "path.loaded_rtt_down_ms": 30.0,
    "path.loaded_rtt_delta_ms": 20.0,
}
BASES = {"camera": CAMERA, "microphone": MICROPHONE, "speaker": SPEAKER, "media_loop": MEDIA_LOOP, "path": PATH}


@dataclass(frozen=True)
class Row:
    field: str
    toml: str
    """The override as written in ``[thresholds]``."""
    probe: str
    changes: dict[str, Value]
    code: str
    before: Impact | None
    """The finding's impact with the default thresholds; None: no such finding."""
    after: Impact | None
    """... and with the override."""


NONE, VIDEO, CALL = Impact.NONE, Impact.VIDEO, Impact.CALL
ROWS = [
    Row("camera_dark_luma", "140.0", "camera", {}, "camera.too_dark", None, NONE),
    Row("camera_backlight_levels", "20.0", "camera", {"camera.backlight": 30.0}, "camera.backlit", None, NONE),
    Row("camera_blur_var_min", "200.0", "camera", {}, "camera.blurry", None, NONE),
    Row("camera_covered_pct", "10.0", "camera", {"camera.black_pct": 20.0}, "camera.covered", None, VIDEO),
    Row("camera_frozen_pct", "40.0", "camera", {"camera.frozen_pct": 50.0}, "camera.frozen", None, VIDEO),
    Row("camera_frozen_min_frames", "100", "camera", {"camera.frozen_pct": 100.0}, "camera.frozen", VIDEO, None),
    Row("camera_min_fps", "31.0", "camera", {}, "camera.too_slow", None, NONE),
    Row("camera_face_min_size_pct", "20.0", "camera", {}, "camera.face_too_far", None, NONE),
    Row("camera_face_centre_x", "[0.5, 0.75]", "camera", {}, "camera.face_off_centre", None, NONE),
    Row("camera_face_centre_y", "[0.5, 0.75]", "camera", {}, "camera.face_off_centre", None, NONE),
    Row("camera_min_face_checks", "20", "camera", NO_FACE, "camera.no_face", NONE, None),
    Row("microphone_silent_peak_dbfs", "-2.0", "microphone", {}, "microphone.silent", None, NONE),
    Row("microphone_clip_pct", "0.01", "microphone", {"microphone.clip_pct": 0.05}, "microphone.clipping", None, NONE),
    Row("microphone_noise_floor_dbfs", "-80.0", "microphone", {}, "microphone.noisy", None, NONE),
    Row("microphone_hum_prominence_db", "5.0", "microphone", {"microphone.hum_hz": 50.0}, "microphone.hum", None, NONE),
    Row(
        "microphone_hum_min_dbfs",
        "-50.0",
        "microphone",
        {"microphone.hum_hz": 50.0, "microphone.hum_prominence_db": 20.0},
        "microphone.hum",
        NONE,
        None,
    ),
    Row("microphone_narrowband_rates", "[48000]", "microphone", {}, "microphone.narrowband", None, NONE),
    Row("microphone_narrowband_hf_db", "-10.0", "microphone", {}, "microphone.narrowband", None, NONE),
    Row("speaker_echo_strong_db", "-40.0", "speaker", {}, "speaker.echo_strong", None, NONE),
    Row("media_fps_share_min", "1.0", "media_loop", {}, "media_loop.cpu_too_slow", None, VIDEO),
    Row("media_cpu_headroom_min_pct", "50.0", "media_loop", {}, "media_loop.cpu_short", None, NONE),
    Row("bufferbloat_ms", "10.0", "path", {}, "network.bufferbloat", None, NONE),
    Row("audio_min_kbps", "700.0", "path", {"path.up_kbps": 600.0}, "network.upload_low", VIDEO, CALL),
    Row("video_min_tier", '"180p"', "path", {"path.up_kbps": 600.0}, "network.upload_low", VIDEO, NONE),
    Row("video_headroom", "1.0", "path", {"path.up_kbps": 3000.0}, "network.upload_low", NONE, None),
    Row(
        "download_socket_drops_max",
        "50",
        "path",
        {"path.down_socket_drops": 30, "path.loaded_rtt_delta_ms": 150.0},
        "network.measure_busy",
        NONE,
        None,
    ),
    Row(
        "gentle_cap_reached",
        "0.95",
        "path",
        {"path.capacity_cap_kbps": 3000.0, "path.up_kbps": 2800.0, "path.up_kbps_capped": True},
        "network.capacity_at_least",
        NONE,
        None,
    ),
]


def _impact(probe: str, changes: dict[str, Value], t: Thresholds, code: str) -> Impact | None:
    values = {**BASES[probe], **changes}
    ms = [Measurement(k, v) for k, v in values.items() if v is not None]
    found = [f for f in judge(probe, ms, t) if f.code == code]
    return found[0].impact if found else None


def _load(tmp_path: Path, body: str) -> Thresholds:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[thresholds]\n{body}\n")
    return load_settings(cfg, env={}).thresholds


@pytest.mark.parametrize("row", ROWS, ids=[r.field for r in ROWS])
def test_an_override_in_the_settings_file_changes_the_judgement(tmp_path: Path, row: Row) -> None:
    assert _impact(row.probe, row.changes, Thresholds(), row.code) == row.before
    overridden = _load(tmp_path, f"{row.field} = {row.toml}")
    assert getattr(overridden, row.field) != getattr(Thresholds(), row.field)
    assert _impact(row.probe, row.changes, overridden, row.code) == row.after


ORIGINAL = {  # the fields Thresholds had before issue 12; their rules have tests of their own
    "rtt_good_ms",
    "rtt_fair_ms",
    "rtt_poor_ms",
    "jitter_good_ms",
    "jitter_fair_ms",
    "loss_good_pct",
    "loss_fair_pct",
    "loss_poor_pct",
    "measure_drop_pct",
    "measure_lag_ms",
    "stun_rtt_slow_ms",
    "loopback_rtt_slow_ms",
    "loopback_throughput_low_kbps",
    "loopback_connect_slow_s",
    "cpu_busy_pct",
    "memory_low_mb",
    "battery_low_pct",
}


def test_every_moved_threshold_has_a_row() -> None:
    assert {f.name for f in fields(Thresholds)} - ORIGINAL == {r.field for r in ROWS}


def test_every_threshold_says_where_it_comes_from() -> None:
    tree = ast.parse(inspect.getsource(Thresholds))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = {
        node.target.id
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
        and ("issue" in after.value.value.lower() or "NOTES" in after.value.value)
    }
    undocumented = {f.name for f in fields(Thresholds)} - documented
    assert not undocumented


def test_the_tier_names_are_the_quality_models() -> None:
    assert VIDEO_TIER_NAMES == tuple(t.name for t in TIERS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("camera_dark_luma = 300", "threshold camera_dark_luma must be a number from 0 to 255"),
        ("camera_dark_luma = 'dim'", "threshold camera_dark_luma must be a number from 0 to 255"),
        ("microphone_silent_peak_dbfs = 3", "threshold microphone_silent_peak_dbfs must be a number from -200 to 0"),
        ("microphone_noise_floor_dbfs = nan", "must be a number from -200 to 0"),
        ("camera_blur_var_min = -1", "threshold camera_blur_var_min must be a number, 0 or more"),
        ("video_headroom = 0", "threshold video_headroom must be a number above 0 to 1"),
        ("video_headroom = 1.5", "threshold video_headroom must be a number above 0 to 1"),
        ("media_fps_share_min = true", "threshold media_fps_share_min must be a number from 0 to 1"),
        ("camera_min_face_checks = 2.5", "threshold camera_min_face_checks must be a whole number, 0 or more"),
        ("download_socket_drops_max = -3", "must be a whole number, 0 or more"),
        ("camera_frozen_min_frames = true", "must be a whole number, 0 or more"),
        ("camera_face_centre_x = [0.8, 0.2]", "two numbers from 0 to 1, the smaller first"),
        ("camera_face_centre_y = [0.1]", "two numbers from 0 to 1, the smaller first"),
        ("camera_face_centre_y = [0.1, 2]", "two numbers from 0 to 1, the smaller first"),
        ("camera_face_centre_x = 0.5", "two numbers from 0 to 1, the smaller first"),
        ("microphone_narrowband_rates = []", "must be a list of sample rates"),
        ("microphone_narrowband_rates = [8000, 'x']", "must be a list of sample rates"),
        ("microphone_narrowband_rates = 8000", "must be a list of sample rates"),
        ("video_min_tier = '4k'", "threshold video_min_tier must be one of 1080p, 720p, 540p, 360p, 270p, 180p"),
        ("video_min_tier = 360", "must be one of"),
    ],
)
def test_bad_overrides_are_refused_plainly(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[")):
        _load(tmp_path, body)


def test_overrides_keep_their_types(tmp_path: Path) -> None:
    t = _load(
        tmp_path,
        "camera_face_centre_x = [0, 1]\nmicrophone_narrowband_rates = [8000]\n"
        "camera_min_face_checks = 5\nvideo_min_tier = '720p'\ncamera_dark_luma = 40",
    )
    assert t.camera_face_centre_x == (0.0, 1.0)
    assert t.microphone_narrowband_rates == (8000,)
    assert t.camera_min_face_checks == 5 and isinstance(t.camera_min_face_checks, int)
    assert t.video_min_tier == "720p"
    assert t.camera_dark_luma == 40.0 and isinstance(t.camera_dark_luma, float)
    assert settings.Thresholds() == Thresholds()
