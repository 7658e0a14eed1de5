"""Picture analysis on a real face (scikit-image's astronaut) with known defects."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from sessioncheck.media.video import (
    FROZEN_MAX_DIFF,
    PictureAnalyzer,
    PictureStats,
    detect_faces,
    frame_stats,
    luma,
    work_image,
)
from support.media_clips import canvas, face_crop, sensor_noise


def watch(frame: Any, n: int = 6, noise: bool = True, face_every: int = 2) -> PictureStats:
    rng = np.random.default_rng(5)
    a = PictureAnalyzer(face_every=face_every)
    for _ in range(n):
        a.add(sensor_noise(frame, rng) if noise else frame)
    return a.result()


@pytest.fixture(scope="module")
def face() -> Any:
    return face_crop()


def test_good_picture(face: Any) -> None:
    s = watch(canvas(face))
    assert 90 < s.mean_luma < 180
    assert s.blur_var > 100
    assert abs(s.backlight) < 50
    assert s.black_frac == s.covered_frac == s.frozen_frac == 0
    assert s.face_found_frac == 1.0
    assert s.face_size is not None and 0.12 < s.face_size < 0.3
    assert s.face_x is not None and s.face_y is not None
    assert 0.4 < s.face_x < 0.6 and 0.25 < s.face_y < 0.55
    assert (s.width, s.height) == (1280, 720)


def test_dark_picture_keeps_its_face(face: Any) -> None:
    s = watch((canvas(face) * 0.3).astype(np.uint8))
    assert s.mean_luma < 50
    assert s.face_found_frac > 0  # the face survives: judge darkness by luma, not by the face


def test_backlit_face(face: Any) -> None:
    img = canvas((face * 0.4).astype(np.uint8), height=540, bg=(250, 250, 250))
    s = watch(img)
    assert s.face_found_frac > 0
    assert s.backlight > 100
    assert s.subject_luma < 90
    assert s.over_frac > 0.3


@pytest.mark.parametrize("sigma", [3.0, 5.0])
def test_blur_lowers_laplacian_variance(face: Any, sigma: float) -> None:
    sharp = watch(canvas(face)).blur_var
    blurred = watch(cv2.GaussianBlur(canvas(face), (0, 0), sigma)).blur_var
    assert blurred < 40 < sharp


def test_black_and_covered_frames() -> None:
    black = watch(np.zeros((720, 1280, 3), np.uint8), noise=False)
    assert black.black_frac == 1.0
    covered = np.full((720, 1280, 3), (40, 10, 10), np.uint8)
    c = watch(covered)
    assert c.covered_frac == 1.0 and c.black_frac == 0


def test_frozen_frames_are_identical_frames(face: Any) -> None:
    frozen = watch(canvas(face), noise=False)
    assert frozen.frozen_frac == 1.0
    live = watch(canvas(face))
    assert live.frozen_frac == 0.0


def test_frame_difference_threshold_is_below_sensor_noise(face: Any) -> None:
    rng = np.random.default_rng(9)
    img = work_image(luma(canvas(face)))
    a, b = sensor_noise(img, rng, 1.0), sensor_noise(img, rng, 1.0)
    st = frame_stats(b, a)
    assert st.diff is not None and st.diff > FROZEN_MAX_DIFF


def test_face_position_and_size(face: Any) -> None:
    right = watch(canvas(face, cx=1100))
    assert right.face_x is not None and right.face_x > 0.75
    far = watch(canvas(face, height=330))
    assert far.face_size is not None and far.face_size < 0.1


def test_no_face_in_a_test_pattern() -> None:
    rng = np.random.default_rng(1)
    pattern = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    assert detect_faces(luma(pattern)) == []


def test_grey_input_is_accepted(face: Any) -> None:
    g = luma(canvas(face))
    assert g.ndim == 2
    s = watch(np.dstack([g, g, g]))
    t = watch(g)
    assert s.mean_luma == pytest.approx(t.mean_luma, abs=1.0)
