"""Rules for the ``camera`` probe: is the picture usable, lit, sharp, live and framed?"""

from __future__ import annotations

from ..media.errors import DeviceErrorKind
from ..model import Finding
from ..settings import Thresholds
from .catalogue import finding
from .devices_common import device_problem
from .rules import Measures

DARK_LUMA = 50.0
"""Mean luma (0–255) below which the picture is too dark."""
BACKLIGHT_LEVELS = 50.0
"""Surround brighter than the subject by this many luma levels: backlit."""
BLUR_VAR_MIN = 40.0
"""Variance of the Laplacian at 640 px width below which the picture is blurred."""
COVERED_PCT = 50.0
"""Black or covered frames (% of frames) that mean nothing is visible."""
FROZEN_PCT = 80.0
"""Identical consecutive frames (%) that mean the picture is frozen."""
MIN_FPS = 15.0
"""Achieved frames per second below which motion looks jerky."""
FACE_MIN_SIZE_PCT = 10.0
"""Face width (% of frame width) below which the person is too far away."""
FACE_CENTRE_X = (0.25, 0.75)
FACE_CENTRE_Y = (0.15, 0.75)
"""Where a face centre should be (fractions of the frame)."""
MIN_FACE_CHECKS = 3


def judge(m: Measures, t: Thresholds, timed_out: bool) -> list[Finding]:
    problem = device_problem("camera", "camera", m)
    out: list[Finding] = [problem] if problem is not None else []
    if m.num("camera.mean_luma") is None:
        return out  # no picture analysed (device trouble already said why)
    if problem is not None and m.text("camera.outcome") != DeviceErrorKind.UNPLUGGED:
        return out

    black = m.num("camera.black_pct") or 0.0
    covered = m.num("camera.covered_pct") or 0.0
    mean = m.num("camera.mean_luma") or 0.0
    if black + covered >= COVERED_PCT:
        out.append(finding("camera.covered",
                           {"camera.black_pct": black, "camera.covered_pct": covered,
                            "camera.mean_luma": mean},
                           black_pct=black, covered_pct=covered, mean_luma=mean))
        return out  # nothing else can be judged on a covered camera

    frozen = m.num("camera.frozen_pct") or 0.0
    frames = int(m.num("camera.frames") or 0)
    if frozen >= FROZEN_PCT and frames >= 3:
        out.append(finding("camera.frozen", {"camera.frozen_pct": frozen, "camera.frames": frames},
                           frozen_pct=frozen, frames=frames))

    fps = m.num("camera.fps")
    if fps is not None and fps < MIN_FPS and m.text("camera.outcome") == "ok":
        out.append(finding("camera.too_slow", {"camera.fps": fps}, fps=fps, threshold=MIN_FPS,
                           width=int(m.num("camera.width") or 0),
                           height=int(m.num("camera.height") or 0)))

    backlight = m.num("camera.backlight") or 0.0
    subject = m.num("camera.subject_luma") or 0.0
    dark = False
    if backlight >= BACKLIGHT_LEVELS:
        over = m.num("camera.over_pct") or 0.0
        out.append(finding("camera.backlit",
                           {"camera.backlight": backlight, "camera.subject_luma": subject,
                            "camera.over_pct": over},
                           backlight=backlight, subject_luma=subject,
                           threshold=BACKLIGHT_LEVELS, over_pct=over))
    elif mean < DARK_LUMA:
        dark = True
        under = m.num("camera.under_pct") or 0.0
        out.append(finding("camera.too_dark", {"camera.mean_luma": mean, "camera.under_pct": under},
                           mean_luma=mean, threshold=DARK_LUMA, under_pct=under))

    blur = m.num("camera.blur_var")
    if blur is not None and blur < BLUR_VAR_MIN and not dark:
        out.append(finding("camera.blurry", {"camera.blur_var": blur},
                           blur_var=blur, threshold=BLUR_VAR_MIN))

    checks = int(m.num("camera.face_checks") or 0)
    if m.value("camera.face_found") is False and checks >= MIN_FACE_CHECKS:
        out.append(finding("camera.no_face", {"camera.face_found": False, "camera.face_checks": checks},
                           checks=checks))
    size = m.num("camera.face_size_pct")
    x, y = m.num("camera.face_x"), m.num("camera.face_y")
    if size is not None and size < FACE_MIN_SIZE_PCT:
        out.append(finding("camera.face_too_far", {"camera.face_size_pct": size},
                           face_size_pct=size, threshold=FACE_MIN_SIZE_PCT))
    if x is not None and y is not None and not (
        FACE_CENTRE_X[0] <= x <= FACE_CENTRE_X[1] and FACE_CENTRE_Y[0] <= y <= FACE_CENTRE_Y[1]
    ):
        out.append(finding("camera.face_off_centre", {"camera.face_x": x, "camera.face_y": y},
                           face_x=x, face_y=y))
    return out
