"""What each probe is called, and what it says while it runs.

The single source of a probe's name: probes name themselves by id only, and every front end
(the runner's start event, the CLI's progress lines, the app's rows, the report) takes the
name from here.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    "probe.system": "Your computer",
    "probe.ice": "Reaching the call servers",
    "probe.loopback": "Video calling on this computer",
    "probe.path": "Your connection to the clinic",
    "probe.peer": "The connection between therapist and client",
    "probe.camera": "Your camera",
    "probe.microphone": "Your microphone",
    "probe.speaker": "Your speaker",
    "probe.media_loop": "Video on this computer",
}
