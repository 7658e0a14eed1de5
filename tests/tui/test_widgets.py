"""Widgets on their own: the half-block camera drawing and the level meter."""

from __future__ import annotations

import numpy as np

from sessioncheck.tui.widgets.camera import UPPER_HALF, fit_cells, half_block_lines, scale_frame
from sessioncheck.tui.widgets.series import format_value


def test_half_blocks_put_two_pixel_rows_in_one_cell() -> None:
    frame = np.array([[[255, 0, 0], [0, 0, 255]], [[0, 255, 0], [255, 255, 255]]], dtype=np.uint8)
    (line,) = half_block_lines(frame, width=2, rows=1)
    segments = list(line)
    assert "".join(s.text for s in segments) == UPPER_HALF * 2
    first, second = segments
    assert first.style is not None and second.style is not None
    assert first.style.color.triplet == (255, 0, 0) and first.style.bgcolor.triplet == (0, 255, 0)
    assert second.style.color.triplet == (0, 0, 255) and second.style.bgcolor.triplet == (255, 255, 255)


def test_frames_are_fitted_to_the_cells() -> None:
    frame = np.arange(480 * 640 * 3, dtype=np.uint32).reshape(480, 640, 3).astype(np.uint8)
    assert scale_frame(frame, 80, 16).shape == (16, 80, 3)
    lines = half_block_lines(frame, width=40, rows=8)
    assert len(lines) == 8 and all(line.cell_length == 40 for line in lines)


def test_grey_frames_are_drawn_too() -> None:
    grey = np.full((10, 10), 77, dtype=np.uint8)
    (line,) = half_block_lines(grey, width=1, rows=1)
    style = next(iter(line)).style
    assert style is not None and style.color.triplet == (77, 77, 77)


def test_live_values_read_naturally() -> None:
    assert format_value(1.234, "ms") == "1.2 ms"
    assert format_value(950.0, "kbps") == "950 kbit/s"
    assert format_value(47000.0, "kbps") == "47.0 Mbit/s"
    assert format_value(123.4, "%") == "123 %"


def test_the_preview_keeps_the_picture_undistorted() -> None:
    # 4:3 into 38 × 10 cells: 20 pixel rows → 27 cells wide (half-blocks are about square).
    assert fit_cells(640, 480, 38, 10) == (27, 10)
    # A wide picture in a narrow box is limited by the width instead.
    assert fit_cells(1280, 720, 20, 10) == (20, 6)
