"""``sessioncheck devices``: list the cameras, microphones and speakers this computer offers.

The names and numbers shown are what ``--camera``, ``--microphone`` and ``--speaker`` accept.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TypedDict

from ..errors import ExitCode

if TYPE_CHECKING:
    from .terminal import Subcommands


class Found(TypedDict):
    """What ``devices --format json`` prints: the ``asdict`` of each camera and audio device."""

    os: str
    cameras: list[dict[str, object]]
    audio: list[dict[str, object]]
    audio_error: str | None
    """Why audio devices could not be listed, when they could not."""


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "devices",
        help="list cameras, microphones and speakers",
        description="List the cameras, microphones and speakers found on this computer, with the "
        "names and numbers that --camera, --microphone and --speaker accept.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(func=run)


def collect() -> Found:
    """What is found, as plain data (cameras, audio devices, and why audio could not be listed)."""
    import platform
    from dataclasses import asdict

    from ..media.devices import list_audio_devices, list_cameras
    from ..media.errors import AudioSystemUnavailable

    out: Found = {"os": platform.system(), "cameras": [], "audio": [], "audio_error": None}
    out["cameras"] = [asdict(c) for c in list_cameras()]
    try:
        out["audio"] = [asdict(d) for d in list_audio_devices()]
    except AudioSystemUnavailable as e:
        out["audio_error"] = str(e)
    return out


def render_text(found: Found) -> str:
    from ..advice.catalogue import phrase

    lines = [phrase("devices.heading.cameras")]
    if not found["cameras"]:
        lines.append(f"  {phrase('devices.none.cameras')}")
    for c in found["cameras"]:
        lines.append(f"  {c['index']:>3}  {c['name']}  ({c['fmt']}: {c['target']})")
    lines.append("")
    lines.append(phrase("devices.heading.audio"))
    if found["audio_error"]:
        lines.append(f"  {phrase('devices.audio_unavailable', reason=found['audio_error'])}")
    elif not found["audio"]:
        lines.append(f"  {phrase('devices.none.audio')}")
    for d in found["audio"]:
        roles = []
        if d["inputs"]:
            roles.append("microphone" + (" (default)" if d["default_input"] else ""))
        if d["outputs"]:
            roles.append("speaker" + (" (default)" if d["default_output"] else ""))
        lines.append(
            f"  {d['index']:>3}  {d['name']}  [{', '.join(roles)}; {d['host_api']}, {d['default_rate']:.0f} Hz]"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    found = collect()
    if args.format == "json":
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(found))
    return ExitCode.VIDEO
