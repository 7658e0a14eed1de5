"""A live camera preview drawn with half-block characters: two pixels per terminal cell.

Each cell shows ``▀`` with the upper pixel as the foreground colour and the lower pixel as
the background. Frames are numpy arrays (height × width × 3, RGB, uint8) and are only held
in memory for drawing: nothing is stored or sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    import numpy as np

UPPER_HALF = "▀"


def scale_frame(frame: np.ndarray[Any, Any], width: int, height: int) -> np.ndarray[Any, Any]:
    """Nearest-neighbour resize of an RGB frame to ``height × width`` pixels."""
    import numpy as np

    src_h, src_w = frame.shape[:2]
    ys = (np.arange(height) * src_h // max(height, 1)).clip(0, src_h - 1)
    xs = (np.arange(width) * src_w // max(width, 1)).clip(0, src_w - 1)
    scaled: np.ndarray[Any, Any] = frame[ys][:, xs]
    return scaled


def half_block_lines(frame: np.ndarray[Any, Any], width: int, rows: int) -> list[Strip]:
    """Render ``frame`` as ``rows`` strips of ``width`` half-block cells."""
    import numpy as np

    if frame.ndim == 2:  # grey: repeat into RGB
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    pixels = scale_frame(frame[:, :, :3], width, rows * 2).astype(np.uint8)
    strips: list[Strip] = []
    cache: dict[tuple[int, int, int, int, int, int], Style] = {}
    for row in range(rows):
        top = pixels[2 * row].tolist()
        bottom = pixels[2 * row + 1].tolist()
        segments = []
        for (r1, g1, b1), (r2, g2, b2) in zip(top, bottom, strict=True):
            key = (r1, g1, b1, r2, g2, b2)
            style = cache.get(key)
            if style is None:
                style = Style(color=f"rgb({r1},{g1},{b1})", bgcolor=f"rgb({r2},{g2},{b2})")
                cache[key] = style
            segments.append(Segment(UPPER_HALF, style))
        strips.append(Strip(Segment.simplify(segments), width))
    return strips


def fit_cells(frame_w: int, frame_h: int, cells_w: int, cells_h: int) -> tuple[int, int]:
    """The largest (cells wide, rows) that shows the frame undistorted.

    A terminal cell is about twice as tall as wide, so one half-block is about square.
    """
    if frame_w <= 0 or frame_h <= 0 or cells_w <= 0 or cells_h <= 0:
        return max(cells_w, 0), max(cells_h, 0)
    width = min(cells_w, round(cells_h * 2 * frame_w / frame_h))
    rows = min(cells_h, round(width * frame_h / frame_w / 2))
    return max(width, 1), max(rows, 1)


class CameraPreview(Widget):
    """Draws the latest frame given to :meth:`show`, fitted to the widget's size."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._frame: np.ndarray[Any, Any] | None = None
        self._lines: list[Strip] = []
        self._drawn_for: tuple[int, int] | None = None
        self.frames_shown = 0

    def show(self, frame: np.ndarray[Any, Any]) -> None:
        self._frame = frame
        self._drawn_for = None
        self.frames_shown += 1
        self.refresh()

    def _ensure_lines(self) -> None:
        size = (self.size.width, self.size.height)
        if self._frame is None or self._drawn_for == size:
            return
        width, rows = fit_cells(self._frame.shape[1], self._frame.shape[0], *size)
        pad = (size[0] - width) // 2
        blank = Strip.blank(pad, self.rich_style)
        self._lines = [Strip.join([blank, line]) for line in half_block_lines(self._frame, width, rows)]
        self._drawn_for = size

    def render_line(self, y: int) -> Strip:
        self._ensure_lines()
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)
