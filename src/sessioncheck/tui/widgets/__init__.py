"""Widgets of the app: verdict banner, probe rows, live series, camera preview, level meter."""

from .camera import CameraPreview
from .level import LevelMeter
from .probe_row import ProbeRow
from .series import LiveSeries
from .title import TitleBar
from .verdict import VerdictBanner

__all__ = ["CameraPreview", "LevelMeter", "LiveSeries", "ProbeRow", "TitleBar", "VerdictBanner"]
