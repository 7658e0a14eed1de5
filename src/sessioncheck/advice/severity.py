"""How bad each finding is, beside the rules that raise it: finding code → (severity, impact).

* **severity**: ``info`` (worth knowing), ``warn`` (needs attention), ``fail`` (a problem).
* **impact**: what the finding rules out for the session: ``none``, ``video`` (audio only
  still works) or ``call`` (call by phone instead). The verdict follows the worst impact.

These are the levels a finding starts at. Rules whose level grows with the measurement
(``advice/path.py``, ``advice/peer.py``: delay, jitter, loss, bandwidth) escalate from here
with :func:`dataclasses.replace`. The wording for every code is in
:mod:`sessioncheck.advice.catalogue`, which holds words only; a test checks that both
know the same codes.
"""

from __future__ import annotations

from ..model import Impact, Severity

INFO, WARN, FAIL = Severity.INFO, Severity.WARN, Severity.FAIL
NONE, VIDEO, CALL = Impact.NONE, Impact.VIDEO, Impact.CALL

SEVERITY: dict[str, tuple[Severity, Impact]] = {
    # system: this computer
    "system.no_network": (FAIL, CALL),
    "system.cpu_busy": (WARN, NONE),
    "system.memory_low": (WARN, NONE),
    "system.battery_low": (WARN, NONE),
    "system.on_wifi": (INFO, NONE),
    "system.on_vpn": (WARN, NONE),
    "system.on_cellular": (INFO, NONE),
    # ice: the call servers
    "ice.offline": (FAIL, CALL),
    "ice.servers_unreachable": (FAIL, CALL),
    "ice.dns_failed": (WARN, NONE),
    "ice.no_answer": (WARN, NONE),
    "ice.udp_blocked": (WARN, NONE),
    "ice.turn_auth_failed": (FAIL, NONE),
    "ice.tls_rejected": (FAIL, NONE),
    "ice.tcp_refused": (FAIL, NONE),
    "ice.udp_refused": (FAIL, NONE),
    "ice.turn_quota": (FAIL, NONE),
    "ice.server_error": (WARN, NONE),
    "ice.stun_slow": (WARN, NONE),
    # loopback: this computer's WebRTC stack
    "loopback.connect_failed": (FAIL, CALL),
    "loopback.connect_slow": (WARN, NONE),
    "loopback.rtt_high": (WARN, VIDEO),
    "loopback.throughput_low": (WARN, VIDEO),
    # network: the path to the check server (raised by advice/path.py; rules there escalate some)
    "network.server_address_invalid": (FAIL, NONE),
    "network.server_unreachable": (WARN, NONE),
    "network.server_auth_failed": (WARN, NONE),
    "network.server_busy": (WARN, NONE),
    "network.server_stopped": (WARN, NONE),
    "network.connect_failed": (FAIL, CALL),
    "network.rtt_high": (WARN, NONE),
    "network.jitter_high": (WARN, NONE),
    "network.loss_high": (WARN, NONE),
    "network.upload_low": (WARN, NONE),
    "network.download_low": (WARN, NONE),
    "network.bufferbloat": (WARN, NONE),
    "network.relay_used": (INFO, NONE),
    "network.udp_blocked": (WARN, NONE),
    "network.measure_busy": (WARN, NONE),
    "network.capacity_at_least": (INFO, NONE),
    "network.summary": (INFO, NONE),
    # peer: therapist ↔ client (advice/peer.py escalates some with the level)
    "peer.client_upload_low": (WARN, NONE),
    "peer.client_loss_high": (WARN, NONE),
    "peer.client_jitter_high": (WARN, NONE),
    "peer.client_bufferbloat": (WARN, NONE),
    "peer.client_video_loss": (WARN, NONE),
    "peer.client_cpu_busy": (WARN, NONE),
    "peer.client_on_vpn": (WARN, NONE),
    "peer.client_on_wifi": (INFO, NONE),
    "peer.client_relay": (INFO, NONE),
    "peer.client_udp_blocked": (WARN, NONE),
    "peer.client_left": (WARN, NONE),
    "peer.therapist_upload_low": (WARN, NONE),
    "peer.therapist_loss_high": (WARN, NONE),
    "peer.therapist_jitter_high": (WARN, NONE),
    "peer.therapist_bufferbloat": (WARN, NONE),
    "peer.therapist_video_loss": (WARN, NONE),
    "peer.therapist_cpu_busy": (WARN, NONE),
    "peer.therapist_on_vpn": (WARN, NONE),
    "peer.therapist_on_wifi": (INFO, NONE),
    "peer.therapist_relay": (INFO, NONE),
    "peer.therapist_udp_blocked": (WARN, NONE),
    "peer.therapist_left": (WARN, NONE),
    "peer.rtt_high": (WARN, NONE),
    "peer.connect_failed": (FAIL, CALL),
    "peer.server_lost": (WARN, NONE),
    "peer.server_ended": (WARN, NONE),
    "peer.code_invalid": (WARN, NONE),
    "peer.code_expired": (WARN, NONE),
    "peer.code_used": (WARN, NONE),
    "peer.rate_limited": (WARN, NONE),
    "peer.server_unreachable": (WARN, NONE),
    "peer.summary": (INFO, NONE),
    # camera
    "camera.missing": (FAIL, VIDEO),
    "camera.busy": (FAIL, VIDEO),
    "camera.permission_denied": (FAIL, VIDEO),
    "camera.unplugged": (WARN, VIDEO),
    "camera.source_invalid": (WARN, NONE),
    "camera.covered": (WARN, VIDEO),
    "camera.frozen": (WARN, VIDEO),
    "camera.too_dark": (WARN, NONE),
    "camera.backlit": (WARN, NONE),
    "camera.blurry": (WARN, NONE),
    "camera.no_face": (INFO, NONE),
    "camera.face_off_centre": (INFO, NONE),
    "camera.face_too_far": (INFO, NONE),
    "camera.too_slow": (WARN, NONE),
    # microphone
    "microphone.missing": (FAIL, CALL),
    "microphone.busy": (FAIL, CALL),
    "microphone.permission_denied": (FAIL, CALL),
    "microphone.unplugged": (WARN, NONE),
    "microphone.source_invalid": (WARN, NONE),
    "microphone.muted": (FAIL, NONE),
    "microphone.silent": (WARN, NONE),
    "microphone.clipping": (WARN, NONE),
    "microphone.noisy": (WARN, NONE),
    "microphone.hum": (WARN, NONE),
    "microphone.narrowband": (WARN, NONE),
    # speaker
    "speaker.missing": (FAIL, CALL),
    "speaker.unavailable": (WARN, NONE),
    "speaker.no_sound_heard": (WARN, NONE),
    "speaker.echo_strong": (WARN, NONE),
    "speaker.unverified": (INFO, NONE),
    # media_loop
    "media_loop.cpu_short": (WARN, NONE),
    "media_loop.cpu_too_slow": (FAIL, VIDEO),
}
