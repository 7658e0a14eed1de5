"""Why a camera, microphone or speaker could not be used, and how to tell from an OS error.

Every source (:mod:`.camera`, :mod:`.microphone`, :mod:`.speaker`) raises
:class:`DeviceError` with one :class:`DeviceErrorKind`; the probes record the kind as
``<probe>.outcome`` and advice judges it. Also here: the parts of a source spec that every
kind of device shares (``lavfi:`` virtual sources) and the stall limit for live sources.
Standard library only (and the project's model and error base).
"""

from __future__ import annotations

import errno

from ..errors import SessioncheckError
from ..model import DeviceErrorKind

LAVFI_PREFIX = "lavfi:"
"""A spec starting with this is an ffmpeg virtual source: ``lavfi:testsrc2=size=1280x720``."""
STALL_SECONDS = 2.5
"""A live source that delivers nothing for this long has stopped (unplugged)."""


class DeviceError(SessioncheckError):
    """A device could not be used. ``kind`` says why, in a way advice can judge."""

    title_key = "error.title.device"

    def __init__(self, kind: DeviceErrorKind | str, device: str, detail: str, holders: tuple[str, ...] = ()) -> None:
        super().__init__(f"{device}: {detail}")
        self.kind = DeviceErrorKind(kind)
        self.device = device
        self.detail = detail
        self.holders = holders
        """Programs holding the device, when it is busy and the OS lets us see them."""


class AudioSystemUnavailable(SessioncheckError, RuntimeError):
    """The PortAudio library (Debian ``libportaudio2``) could not be loaded."""

    title_key = "error.title.device"


def lavfi_graph(spec: str) -> str | None:
    """The filter graph of a ``lavfi:`` spec, None for any other spec.

    Raises :class:`DeviceError` ``invalid`` when the graph is empty.
    """
    if not spec.startswith(LAVFI_PREFIX):
        return None
    graph = spec[len(LAVFI_PREFIX) :]
    if not graph:
        raise DeviceError(DeviceErrorKind.INVALID, spec, "the virtual source has no filter graph")
    return graph


def classify_os_error(e: BaseException) -> DeviceErrorKind:
    """Map an open/read error (OS or FFmpeg) to a :class:`DeviceErrorKind`."""
    code = getattr(e, "errno", None)
    if isinstance(e, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return DeviceErrorKind.PERMISSION
    if code == errno.EBUSY:
        return DeviceErrorKind.BUSY
    if isinstance(e, FileNotFoundError) or code in (errno.ENOENT, errno.ENXIO):
        return DeviceErrorKind.MISSING
    if code in (errno.ENODEV, errno.EIO, errno.EPIPE, errno.ESHUTDOWN):
        return DeviceErrorKind.UNPLUGGED
    return DeviceErrorKind.INVALID


def classify_portaudio_error(e: BaseException) -> DeviceErrorKind:
    """Map a ``sounddevice.PortAudioError`` (message, code) to a :class:`DeviceErrorKind`."""
    code = e.args[1] if len(e.args) > 1 else None
    text = str(e).lower()
    if code == -9985 or "unavailable" in text or "busy" in text:
        return DeviceErrorKind.BUSY
    if code == -9996 or "invalid device" in text:
        return DeviceErrorKind.MISSING
    if "permission" in text or "denied" in text:
        return DeviceErrorKind.PERMISSION
    return DeviceErrorKind.INVALID


def short_detail(e: BaseException) -> str:
    """What the OS said, without the path FFmpeg appends (``...: '/dev/video0'``)."""
    text = getattr(e, "strerror", None) or str(e)
    return str(text).split(": '")[0]
