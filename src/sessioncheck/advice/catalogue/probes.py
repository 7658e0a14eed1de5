"""What each probe is called, and what it says while it runs.

The single source of a probe's name: probes name themselves by id only, and every front end
(the runner's start event, the CLI's progress lines, the app's rows, the report) takes the
name from here. Probes also say how far they got by code (``progress.<probe>.<note>``),
worded here when a front end shows it, and record some values as codes
(``value.<measurement key>.<code>``), worded here for support.
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
    # what the runner announces when a probe starts, where it differs from the name
    "probe.camera.started": "Checking your camera",
    "probe.microphone.started": "Checking your microphone",
    "probe.speaker.started": "Checking your speaker",
    "probe.media_loop.started": "Checking that this computer can handle video",
    # progress notes: ``ctx.progress(fraction, note, **values)`` records the code ``note``
    "progress.done": "done",
    "progress.system.cpu": "measuring processor load",
    "progress.ice.trying": "trying {checks} connection(s) to the call servers",
    "progress.ice.check": "{url} over {transport}: {outcome}",
    "progress.loopback.connected": "connected",
    "progress.loopback.round_trips": "round trips measured",
    "progress.path.contacting": "contacting the check server",
    "progress.path.connected": "connected to the check server",
    "progress.path.idle_measured": "delay, jitter and loss measured",
    "progress.path.up_measured": "upload speed measured",
    "progress.path.down_measured": "download speed measured",
    "progress.camera.opening": "opening the camera",
    "progress.microphone.listening": "listening",
    "progress.speaker.playing": "playing a test sound",
    "progress.media_loop.encoding": "encoding test video",
    "progress.peer.checking_system": "checking this computer",
    "progress.peer.contacting": "contacting the test server",
    "progress.peer.waiting": "waiting for the client to enter the code",
    "progress.peer.setting_up": "connected to the other side's sessioncheck; setting up",
    "progress.peer.connected_relay": "connected to the other side through the clinic's relay server",
    "progress.peer.connected_direct": "connected to the other side directly",
    "progress.peer.idle": "measuring delay, jitter and loss both ways",
    "progress.peer.client_upload": "measuring the client's upload",
    "progress.peer.therapist_upload": "measuring the therapist's upload",
    "progress.peer.media": "sending call-quality sound and video both ways",
    # what probes record as a code (``<key> = <code>``), in words for support: ``value.<key>.<code>``
    "value.path.loaded_rtt_not_judged.tcp_relay": (
        "relayed over TCP: a saturating test fills TCP's own buffers between here and the relay, "
        "so the delay under load measures those buffers, not the network's queue"
    ),
    "value.speaker.loop_delay_note.clocks_unusable": "the audio system's clocks gave no usable delay",
    **{
        f"value.path.{d}_kbps_capped_why.{code}": words
        for d in ("up", "down")
        for code, words in {
            "sender_slow": "the sender could not keep up",
            "gentle_cap": "the gentle test's cap",
            "highest_rate": "the highest rate tried",
            "never_saturated": "the link never saturated within the time",
            "receiver_busy": "the receiving process was busy",
        }.items()
    },
    "value.path.down_kbps_capped_why.receiver_drops": (
        "this computer read too slowly ({down_socket_drops} packets dropped in its own buffer)"
    ),
}
