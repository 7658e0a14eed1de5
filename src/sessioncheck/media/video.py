"""Camera picture analysis in memory, with numpy and OpenCV: light, focus, framing, motion.

Frames are RGB ``uint8`` arrays (height × width × 3) or luma (height × width). Each frame
is scaled to a working size of :data:`WORK_WIDTH` pixels wide first, so the numbers mean the
same at 480p and 1080p and the cost stays low. Nothing is stored beyond the previous
frame's small copy (for frozen-frame detection); nothing is written anywhere.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SessioncheckError

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray[Any, Any]

WORK_WIDTH = 640
"""Frames are analysed at this width (aspect kept)."""
FACE_WIDTH = 480
"""Face detection runs at this width: faces down to ~4 % of the frame width are found."""
UNDER_LUMA = 20
"""Pixels darker than this are under-exposed (lost in the dark)."""
OVER_LUMA = 245
"""Pixels brighter than this are over-exposed (washed out)."""
BLACK_MAX_LUMA = 12
"""A frame whose brightest 99.5 % stays below this is black."""
COVERED_MAX_STD = 6.0
COVERED_MAX_MEAN = 60.0
"""A dark frame with almost no detail anywhere: something is in front of the lens."""
FROZEN_MAX_DIFF = 0.15
"""Mean absolute luma change (0–255) below which two frames count as identical.
Real sensors always add some noise, so a live picture changes by more than this."""
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"


class FaceDetectorUnavailable(SessioncheckError, RuntimeError):
    """OpenCV's Haar cascades are not installed (opencv-python-headless >= 5 ships none)."""

    title_key = "error.title.device"


@functools.cache
def _cascade() -> Any:
    import cv2

    data = getattr(cv2, "data", None)
    path = getattr(data, "haarcascades", None)
    if path is None or not hasattr(cv2, "CascadeClassifier"):
        raise FaceDetectorUnavailable("OpenCV has no Haar cascades: install opencv-python-headless<5")
    clf = cv2.CascadeClassifier(path + FACE_CASCADE)
    if clf.empty():
        raise FaceDetectorUnavailable(f"could not load {path + FACE_CASCADE}")
    return clf


def luma(frame: Array) -> Array:
    """RGB (or already grey) uint8 frame → luma (BT.601), uint8."""
    import cv2

    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame[:, :, :3], cv2.COLOR_RGB2GRAY)


def work_image(grey: Array) -> Array:
    """Scale luma to :data:`WORK_WIDTH` wide (area averaging)."""
    import cv2

    h, w = grey.shape[:2]
    if w == WORK_WIDTH:
        return grey
    height = max(1, round(h * WORK_WIDTH / w))
    return cv2.resize(grey, (WORK_WIDTH, height), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Face:
    """A detected face, in fractions of the frame (0..1), so resolution does not matter."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def detect_faces(grey: Array) -> list[Face]:
    """Frontal faces in a luma frame, largest first."""
    import cv2

    h, w = grey.shape[:2]
    scale = FACE_WIDTH / w
    small = cv2.resize(grey, (FACE_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    small = cv2.equalizeHist(small)
    sh, sw = small.shape[:2]
    found = _cascade().detectMultiScale(small, scaleFactor=1.1, minNeighbors=4, minSize=(20, 20))
    faces = [
        Face(float(x) / sw, float(y) / sh, float(fw) / sw, float(fh) / sh)
        for (x, y, fw, fh) in (found if len(found) else [])
    ]
    return sorted(faces, key=lambda f: -f.w * f.h)


@dataclass(frozen=True)
class FrameStats:
    """One frame, measured. Luma values are 0–255."""

    mean_luma: float
    std_luma: float
    under_frac: float
    over_frac: float
    blur_var: float
    """Variance of the Laplacian at :data:`WORK_WIDTH`: low = soft, blurred picture."""
    subject_luma: float
    """Mean luma of the face (when given) or of the centre region."""
    surround_luma: float
    """Mean luma outside the (enlarged) subject region."""
    black: bool
    covered: bool
    diff: float | None
    """Mean absolute change from the previous frame; None for the first."""


def _regions(img: Array, face: Face | None) -> tuple[float, float]:
    """(subject mean, surround mean): the face or the centre third vs everything around it."""
    import numpy as np

    h, w = img.shape[:2]
    if face is not None:
        x0, y0, x1, y1 = face.x, face.y, face.x + face.w, face.y + face.h
    else:
        x0, y0, x1, y1 = 1 / 3, 1 / 4, 2 / 3, 3 / 4
    sx0, sy0, sx1, sy1 = (
        int(x0 * w),
        int(y0 * h),
        max(int(x1 * w), int(x0 * w) + 1),
        max(int(y1 * h), int(y0 * h) + 1),
    )
    subject = float(img[sy0:sy1, sx0:sx1].mean())
    # the surround leaves a margin around the subject (hair, shoulders, neck)
    mx, my = (x1 - x0) * 0.5, (y1 - y0) * 0.5
    ex0, ey0 = max(0, int((x0 - mx) * w)), max(0, int((y0 - my) * h))
    ex1, ey1 = min(w, int((x1 + mx) * w)), min(h, int((y1 + my) * h))
    total = float(img.sum(dtype=np.int64))
    inner = float(img[ey0:ey1, ex0:ex1].sum(dtype=np.int64))
    count = h * w - (ey1 - ey0) * (ex1 - ex0)
    surround = (total - inner) / count if count > 0 else subject
    return subject, surround


def frame_stats(img: Array, previous: Array | None = None, face: Face | None = None) -> FrameStats:
    """Measure one working-size luma image (see :func:`work_image`)."""
    import cv2
    import numpy as np

    mean, std = cv2.meanStdDev(img)
    mean_l, std_l = float(mean[0][0]), float(std[0][0])
    hist = np.bincount(img.reshape(-1), minlength=256)
    n = float(img.size)
    under = float(hist[:UNDER_LUMA].sum()) / n
    over = float(hist[OVER_LUMA + 1 :].sum()) / n
    p995 = int(np.searchsorted(np.cumsum(hist), 0.995 * n))
    lap = cv2.Laplacian(img, cv2.CV_16S, ksize=1)
    _, lap_std = cv2.meanStdDev(lap)
    blur = float(lap_std[0][0]) ** 2
    subject, surround = _regions(img, face)
    diff = None
    if previous is not None and previous.shape == img.shape:
        diff = float(cv2.absdiff(img, previous).mean())
    black = p995 < BLACK_MAX_LUMA
    covered = not black and std_l < COVERED_MAX_STD and mean_l < COVERED_MAX_MEAN
    return FrameStats(mean_l, std_l, under, over, blur, subject, surround, black, covered, diff)


def _median(values: list[float]) -> float:
    s = sorted(values)
    if not s:
        return math.nan
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class PictureStats:
    """A few seconds of camera frames, summed up (medians across frames)."""

    frames: int
    width: int
    height: int
    mean_luma: float
    under_frac: float
    over_frac: float
    blur_var: float
    backlight: float
    """Surround minus subject mean luma: large = bright behind, dark face (a window behind)."""
    subject_luma: float
    black_frac: float
    covered_frac: float
    frozen_frac: float
    """Fraction of consecutive frame pairs that were identical."""
    face_checks: int
    face_found_frac: float
    face_size: float | None
    """Face width as a fraction of the frame width (median over detections)."""
    face_x: float | None
    """Face centre, 0 = left edge, 1 = right edge."""
    face_y: float | None
    """Face centre, 0 = top, 1 = bottom."""


@dataclass
class PictureAnalyzer:
    """Feed frames with :meth:`add`; faces are looked for every ``face_every`` frames."""

    face_every: int = 10
    """Face detection costs 20–90 ms here, so it runs on every 10th frame only."""
    max_face_checks: int = 8
    detect: bool = True
    _stats: list[FrameStats] = field(default_factory=list)
    _faces: list[Face | None] = field(default_factory=list)
    _previous: Array | None = None
    _last_face: Face | None = None
    _size: tuple[int, int] = (0, 0)

    def add(self, frame: Array) -> FrameStats:
        grey = luma(frame)
        self._size = (grey.shape[1], grey.shape[0])
        img = work_image(grey)
        n = len(self._stats)
        if self.detect and n % self.face_every == 0 and len(self._faces) < self.max_face_checks:
            faces = detect_faces(img)
            self._last_face = faces[0] if faces else None
            self._faces.append(self._last_face)
        stats = frame_stats(img, self._previous, self._last_face)
        self._previous = img
        self._stats.append(stats)
        return stats

    @property
    def frames(self) -> int:
        return len(self._stats)

    def result(self) -> PictureStats:
        s = self._stats
        n = max(1, len(s))
        diffs = [x.diff for x in s if x.diff is not None]
        found = [f for f in self._faces if f is not None]
        return PictureStats(
            frames=len(s),
            width=self._size[0],
            height=self._size[1],
            mean_luma=round(_median([x.mean_luma for x in s]), 2),
            under_frac=round(_median([x.under_frac for x in s]), 4),
            over_frac=round(_median([x.over_frac for x in s]), 4),
            blur_var=round(_median([x.blur_var for x in s]), 2),
            backlight=round(_median([x.surround_luma - x.subject_luma for x in s]), 2),
            subject_luma=round(_median([x.subject_luma for x in s]), 2),
            black_frac=round(sum(x.black for x in s) / n, 4),
            covered_frac=round(sum(x.covered for x in s) / n, 4),
            frozen_frac=round(sum(d < FROZEN_MAX_DIFF for d in diffs) / len(diffs), 4) if diffs else 0.0,
            face_checks=len(self._faces),
            face_found_frac=round(len(found) / len(self._faces), 4) if self._faces else 0.0,
            face_size=round(_median([f.w for f in found]), 4) if found else None,
            face_x=round(_median([f.centre[0] for f in found]), 4) if found else None,
            face_y=round(_median([f.centre[1] for f in found]), 4) if found else None,
        )
