"""Rules for the ``camera`` probe: is the picture usable, lit, sharp, live and framed?"""

from __future__ import annotations

from ..model import DeviceErrorKind, Finding
from ..settings import Thresholds
from .devices_common import device_problem
from .rules import Measures, finding


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
    if black + covered >= t.camera_covered_pct:
        out.append(
            finding(
                "camera.covered",
                {"camera.black_pct": black, "camera.covered_pct": covered, "camera.mean_luma": mean},
                black_pct=black,
                covered_pct=covered,
                mean_luma=mean,
            )
        )
        return out  # nothing else can be judged on a covered camera

    frozen = m.num("camera.frozen_pct") or 0.0
    frames = int(m.num("camera.frames") or 0)
    if frozen >= t.camera_frozen_pct and frames >= t.camera_frozen_min_frames:
        out.append(
            finding(
                "camera.frozen",
                {"camera.frozen_pct": frozen, "camera.frames": frames},
                frozen_pct=frozen,
                frames=frames,
            )
        )

    fps = m.num("camera.fps")
    if fps is not None and fps < t.camera_min_fps and m.text("camera.outcome") == "ok":
        out.append(
            finding(
                "camera.too_slow",
                {"camera.fps": fps},
                fps=fps,
                threshold=t.camera_min_fps,
                width=int(m.num("camera.width") or 0),
                height=int(m.num("camera.height") or 0),
            )
        )

    backlight = m.num("camera.backlight") or 0.0
    subject = m.num("camera.subject_luma") or 0.0
    dark = False
    if backlight >= t.camera_backlight_levels:
        over = m.num("camera.over_pct") or 0.0
        out.append(
            finding(
                "camera.backlit",
                {"camera.backlight": backlight, "camera.subject_luma": subject, "camera.over_pct": over},
                backlight=backlight,
                subject_luma=subject,
                threshold=t.camera_backlight_levels,
                over_pct=over,
            )
        )
    elif mean < t.camera_dark_luma:
        dark = True
        under = m.num("camera.under_pct") or 0.0
        out.append(
            finding(
                "camera.too_dark",
                {"camera.mean_luma": mean, "camera.under_pct": under},
                mean_luma=mean,
                threshold=t.camera_dark_luma,
                under_pct=under,
            )
        )

    blur = m.num("camera.blur_var")
    if blur is not None and blur < t.camera_blur_var_min and not dark:
        out.append(finding("camera.blurry", {"camera.blur_var": blur}, blur_var=blur, threshold=t.camera_blur_var_min))

    checks = int(m.num("camera.face_checks") or 0)
    if m.value("camera.face_found") is False and checks >= t.camera_min_face_checks:
        out.append(finding("camera.no_face", {"camera.face_found": False, "camera.face_checks": checks}, checks=checks))
    size = m.num("camera.face_size_pct")
    x, y = m.num("camera.face_x"), m.num("camera.face_y")
    if size is not None and size < t.camera_face_min_size_pct:
        out.append(
            finding(
                "camera.face_too_far",
                {"camera.face_size_pct": size},
                face_size_pct=size,
                threshold=t.camera_face_min_size_pct,
            )
        )
    if (
        x is not None
        and y is not None
        and not (
            t.camera_face_centre_x[0] <= x <= t.camera_face_centre_x[1]
            and t.camera_face_centre_y[0] <= y <= t.camera_face_centre_y[1]
        )
    ):
        out.append(finding("camera.face_off_centre", {"camera.face_x": x, "camera.face_y": y}, face_x=x, face_y=y))
    return out
