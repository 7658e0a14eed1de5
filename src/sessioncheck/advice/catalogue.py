"""Every word sessioncheck says to people, in one place, per audience.

* **client**: no jargon, calm, at most a few steps they can do now.
* **therapist**: what it means for the session and what to ask the client to do.
* **support**: the numbers and the technical cause.

Texts are ``str.format`` templates; the values come from the rule that raised the
finding. A test formats every entry with its declared fields, so a typo cannot ship.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Audience, Finding, Impact, Severity, Value, Verdict, Wording


@dataclass(frozen=True)
class W:
    """A wording template for one audience."""

    title: str
    text: str
    steps: tuple[str, ...] = ()


def w(title: str, text: str, *steps: str) -> W:
    return W(title, text, tuple(steps))


@dataclass(frozen=True)
class Entry:
    """One finding code: how bad, what it rules out, and what each audience reads."""

    severity: Severity
    impact: Impact
    client: W
    therapist: W
    support: W
    fields: tuple[str, ...] = ()
    """Template fields the rule must supply."""


INFO, WARN, FAIL = Severity.INFO, Severity.WARN, Severity.FAIL
NONE, VIDEO, CALL = Impact.NONE, Impact.VIDEO, Impact.CALL

ENTRIES: dict[str, Entry] = {
    # --- system ---------------------------------------------------------------------------
    "system.no_network": Entry(
        FAIL, CALL,
        w("This computer is not connected to a network",
          "We could not find any working network connection.",
          "Check that Wi-Fi is turned on, or plug in a network cable.",
          "Restart your router if other devices cannot connect either.",
          "If nothing helps, call your therapist by phone."),
        w("The client's computer has no network connection",
          "No active network interface was found on the client's computer.",
          "Switch to a phone call for this session."),
        w("No active network interface",
          "No interface other than loopback is up with an address.",
          "Check interface state (ip link / ipconfig)."),
    ),
    "system.cpu_busy": Entry(
        WARN, NONE,
        w("Your computer is very busy",
          "Other programs are using most of your computer's power ({cpu_pct:.0f}%). "
          "The video may stutter.",
          "Close programs you do not need, especially games, video and large downloads.",
          "Plug in your laptop: some computers slow down on battery."),
        w("The client's computer is heavily loaded",
          "CPU use is {cpu_pct:.0f}% before the call starts; expect choppy video from them.",
          "Ask the client to close other programs."),
        w("High CPU load before the session",
          "CPU {cpu_pct:.1f}% (threshold {threshold:.0f}%), load average {load1:.2f} on "
          "{cpus} logical CPUs.",),
        fields=("cpu_pct", "threshold", "load1", "cpus"),
    ),
    "system.memory_low": Entry(
        WARN, NONE,
        w("Your computer is low on memory",
          "Only {available_mb:.0f} MB of memory is free, so the call may freeze.",
          "Close programs and browser tabs you do not need."),
        w("The client's computer is low on memory",
          "{available_mb:.0f} MB free; the call may freeze on their side.",
          "Ask the client to close other programs and browser tabs."),
        w("Low available memory",
          "Available {available_mb:.0f} MB of {total_mb:.0f} MB (threshold {threshold:.0f} MB).",),
        fields=("available_mb", "total_mb", "threshold"),
    ),
    "system.battery_low": Entry(
        WARN, NONE,
        w("Your battery is low",
          "Your battery is at {battery_pct:.0f}% and not charging. It may run out during the session.",
          "Plug in your charger now."),
        w("The client's laptop battery is low",
          "Battery at {battery_pct:.0f}%, not charging.",
          "Ask the client to plug in their charger."),
        w("Battery low and unplugged", "Battery {battery_pct:.0f}% (threshold {threshold:.0f}%), on battery power.",),
        fields=("battery_pct", "threshold"),
    ),
    "system.on_wifi": Entry(
        INFO, NONE,
        w("You are using Wi-Fi",
          "Wi-Fi works, but a cable is steadier.",
          "If you can, sit close to your router or connect with a network cable."),
        w("The client is on Wi-Fi",
          "Wi-Fi is the most common cause of short freezes.",),
        w("Wireless interface active", "Active interfaces: {interfaces}.",),
        fields=("interfaces",),
    ),
    "system.on_vpn": Entry(
        WARN, NONE,
        w("A VPN is turned on",
          "A VPN can slow down video calls or block them.",
          "If you do not need the VPN for this session, turn it off and run the check again."),
        w("The client is connected through a VPN",
          "A VPN adds delay and can block direct connections; a relay may be used.",
          "Ask the client whether they can turn the VPN off for the session."),
        w("VPN or tunnel interface active", "Tunnel interfaces: {interfaces}.",),
        fields=("interfaces",),
    ),
    "system.on_cellular": Entry(
        INFO, NONE,
        w("You are using mobile data",
          "Mobile data works for calls but can change quickly and may cost money.",
          "If you can, use Wi-Fi or a cable instead."),
        w("The client is on mobile data", "Expect changing quality.",),
        w("Cellular interface active", "Cellular interfaces: {interfaces}.",),
        fields=("interfaces",),
    ),
    # --- ice: reaching the connection servers --------------------------------------------
    "ice.offline": Entry(
        FAIL, CALL,
        w("This computer cannot reach the internet",
          "We could not reach any of the servers a video call needs.",
          "Check that you are connected to Wi-Fi or a network cable.",
          "Open a web page to see whether the internet works at all.",
          "If it does not, restart your router, or call your therapist by phone."),
        w("The client cannot reach the internet",
          "None of the connection servers answered from the client's computer.",
          "Switch to a phone call, or ask the client to restart their router."),
        w("No ICE server reachable",
          "0 of {tried} server checks answered (DNS failures: {dns}, timeouts: {timeouts}, "
          "other: {other}); servers tried: {servers}.",
          "Check DNS and outbound UDP 3478 / TCP 443 from this network."),
        fields=("tried", "dns", "timeouts", "other", "servers"),
    ),
    "ice.servers_unreachable": Entry(
        FAIL, CALL,
        w("We cannot reach your clinic's video-call servers",
          "Your internet works, but the servers your clinic uses for calls did not answer.",
          "Turn off any VPN or firewall program and run the check again.",
          "If you are on a work or public network, try another network.",
          "Tell your clinic: they may need to check their servers."),
        w("The client cannot reach the clinic's connection servers",
          "None of the configured STUN/TURN servers answered from the client's network.",
          "Switch to a phone call and pass the report to support."),
        w("No configured ICE server reachable",
          "0 of {tried} checks against configured servers answered (DNS failures: {dns}, "
          "timeouts: {timeouts}, other: {other}); servers: {servers}.",
          "Check the iceServers configuration and the servers' firewalls."),
        fields=("tried", "dns", "timeouts", "other", "servers"),
    ),
    "ice.dns_failed": Entry(
        WARN, NONE,
        w("A server name could not be looked up",
          "Your computer could not find one of the servers needed for calls.",
          "Restart your router.",
          "If you use a VPN or changed your internet settings, turn the VPN off and try again."),
        w("A connection server's name did not resolve on the client's side",
          "DNS lookup of {host} failed; that server cannot help this call.",),
        w("DNS resolution failed",
          "Resolving {host} for {url} failed: {detail}.",
          "Check the host name in the iceServers configuration and the resolver."),
        fields=("host", "url", "detail"),
    ),
    "ice.no_answer": Entry(
        WARN, NONE,
        w("A server did not answer",
          "One of the servers used for calls did not answer. Your network may block the "
          "kind of traffic video calls use.",
          "If you are on a work, school or hotel network, try another network.",
          "Turn off any VPN or firewall program and run the check again."),
        w("A connection server did not answer from the client's network",
          "No reply from {url} over {transport} within {timeout_s:.1f} s; UDP may be blocked.",),
        w("No answer from ICE server",
          "{url} over {transport}: no response within {timeout_s:.1f} s "
          "(UDP likely blocked, or server down).",
          "Check the server is running and UDP/TCP port {port} is open on both sides."),
        fields=("url", "transport", "timeout_s", "port"),
    ),
    "ice.udp_blocked": Entry(
        WARN, NONE,
        w("Your network blocks the fastest kind of call traffic",
          "Calls will still work through a detour, but video may be less smooth.",
          "If you are on a work, school or hotel network, try your home network.",
          "Turn off any VPN or firewall program if you can."),
        w("The client's network blocks UDP",
          "The call will go through a relay over TCP/TLS; expect more delay.",),
        w("UDP blocked; TCP/TLS works",
          "{udp_failed} UDP check(s) got no answer while {tcp_ok} TCP/TLS check(s) succeeded.",
          "Make sure a TURN server over TCP or TLS (turns:...:443) is configured."),
        fields=("udp_failed", "tcp_ok"),
    ),
    "ice.turn_auth_failed": Entry(
        FAIL, NONE,
        w("The clinic's call server refused our login",
          "One of the servers that helps calls through strict networks did not accept its "
          "password. This is not your fault.",
          "Tell your clinic that the login for their call server is wrong (the report has details)."),
        w("TURN server credentials are wrong",
          "The relay refused the configured username/password; calls that need a relay "
          "will fail.",
          "Ask support to update the TURN credentials."),
        w("TURN authentication failed (401)",
          "{url} over {transport} answered {code} {reason} to an authenticated Allocate "
          "(username {username!r}).",
          "Check the TURN username and credential (and expiry, for time-limited credentials)."),
        fields=("url", "transport", "code", "reason", "username"),
    ),
    "ice.tls_rejected": Entry(
        FAIL, NONE,
        w("A secure connection to the clinic's server could not be checked",
          "The security certificate of one of the clinic's servers was not accepted.",
          "Check that your computer's date and time are correct.",
          "Tell your clinic: their server certificate may need renewing."),
        w("TLS certificate of the TURN server rejected",
          "The client's computer does not trust the relay's certificate; TLS relaying "
          "will fail.",
          "Ask support to check the server certificate."),
        w("TLS certificate verification failed",
          "{url}: {detail}.",
          "Install a certificate from a public CA, or pass the CA with --ca-file."),
        fields=("url", "detail"),
    ),
    "ice.tcp_refused": Entry(
        FAIL, NONE,
        w("A server refused the connection",
          "One of the clinic's servers refused to connect. It may be switched off.",
          "Tell your clinic; the report has details."),
        w("A connection server refused TCP",
          "{url} refused the connection; TCP/TLS relaying through it will fail.",),
        w("TCP connection refused",
          "{url} ({transport}): {detail}.",
          "Check the server is listening on port {port}."),
        fields=("url", "transport", "detail", "port"),
    ),
    "ice.turn_quota": Entry(
        FAIL, NONE,
        w("The clinic's call server is full",
          "A server that helps calls through strict networks refused us because it is busy.",
          "Try again in a few minutes.",
          "Tell your clinic if this keeps happening."),
        w("TURN allocation refused",
          "The relay refused a new allocation ({code} {reason}); calls that need it will fail.",
          "Ask support to check the TURN server's quotas."),
        w("TURN allocation refused",
          "{url} over {transport} answered {code} {reason}.",
          "Raise the server's user/total quota or capacity."),
        fields=("url", "transport", "code", "reason"),
    ),
    "ice.server_error": Entry(
        WARN, NONE,
        w("A server gave an unexpected answer",
          "One of the servers used for calls answered in a way we did not expect.",
          "Tell your clinic; the report has details."),
        w("A connection server answered unexpectedly", "{url}: {detail}.",),
        w("Unexpected ICE server response", "{url} over {transport}: {detail}.",),
        fields=("url", "transport", "detail"),
    ),
    "ice.stun_slow": Entry(
        WARN, NONE,
        w("The connection is slow to answer",
          "Your connection takes a long time to reach the call servers. Conversation "
          "may feel delayed.",
          "Pause large downloads, uploads and streaming on your network.",
          "If you are on Wi-Fi, move closer to your router."),
        w("High delay from the client to the servers", "Round trip {rtt_ms:.0f} ms.",),
        w("High STUN round-trip time",
          "Best STUN RTT {rtt_ms:.1f} ms to {url} (threshold {threshold:.0f} ms).",),
        fields=("rtt_ms", "url", "threshold"),
    ),
    # --- loopback: this machine's WebRTC stack -------------------------------------------
    "loopback.connect_failed": Entry(
        FAIL, CALL,
        w("Video calls cannot start on this computer",
          "A test call inside this computer did not connect.",
          "Restart your computer and run the check again.",
          "Turn off any firewall or security program for a moment and try again."),
        w("WebRTC does not work on the client's computer",
          "Two test peers on the same machine could not connect.",
          "Switch to a phone call and pass the report to support."),
        w("Loopback WebRTC connection failed", "{detail}",),
        fields=("detail",),
    ),
    "loopback.connect_slow": Entry(
        WARN, NONE,
        w("Calls are slow to start on this computer",
          "A test call took {connect_s:.1f} seconds to connect.",
          "Close programs you do not need."),
        w("Slow WebRTC start on the client's computer", "Local connect {connect_s:.1f} s.",),
        w("Slow loopback connect",
          "Loopback connect {connect_s:.2f} s (threshold {threshold:.1f} s).",),
        fields=("connect_s", "threshold"),
    ),
    "loopback.rtt_high": Entry(
        WARN, VIDEO,
        w("Your computer is too busy for smooth video",
          "Your computer is slow to pass call data even to itself.",
          "Close programs you do not need, especially games and video.",
          "Restart your computer before the session.",
          "If it stays slow, use audio only."),
        w("The client's computer is overloaded",
          "Local data round trips take {rtt_p95_ms:.0f} ms (95th percentile).",
          "Suggest audio only if video stutters."),
        w("High loopback data-channel RTT",
          "Median {rtt_median_ms:.1f} ms, p95 {rtt_p95_ms:.1f} ms over {pings} pings "
          "(threshold {threshold:.0f} ms).",),
        fields=("rtt_median_ms", "rtt_p95_ms", "pings", "threshold"),
    ),
    "loopback.throughput_low": Entry(
        WARN, VIDEO,
        w("Your computer cannot handle video quickly enough",
          "Your computer moved test data slowly, so video may stutter.",
          "Close programs you do not need.",
          "Plug in your laptop.",
          "If it stays slow, use audio only."),
        w("The client's computer is slow at processing call data",
          "Local throughput only {throughput_kbps:.0f} kbit/s.",
          "Suggest audio only if video stutters."),
        w("Low loopback data-channel throughput",
          "{throughput_kbps:.0f} kbit/s (threshold {threshold:.0f} kbit/s).",),
        fields=("throughput_kbps", "threshold"),
    ),
}

# --- short phrases: skip reasons, errors, verdicts, labels ---------------------------------

PHRASES: dict[str, str] = {
    "skip.cancelled": "The check was stopped before this test finished.",
    "skip.dependency": "This was not tested because {dependency} did not succeed.",
    "skip.not_requested": "Not requested.",
    "error.timeout": "The test did not finish within {seconds} seconds.",
    "verdict.video": "Everything needed for a video session works.",
    "verdict.video_with_gaps": "Nothing wrong was found, but {count} test(s) could not run: {probes}.",
    "verdict.audio_only": "{reason} Use audio only for this session.",
    "verdict.phone": "{reason} Call your therapist by phone instead.",
    "verdict.title.video": "Ready for a video session",
    "verdict.title.audio_only": "Ready for an audio-only session",
    "verdict.title.phone": "Not ready: call by phone instead",
    "status.pass": "OK",
    "status.warn": "Needs attention",
    "status.fail": "Problem",
    "status.skip": "Not tested",
    "status.error": "Could not test",
    "cli.stopping": "Stopping... the results so far will be kept (press Ctrl-C again to quit at once).",
    "report.interrupted": "The check was stopped early; these are the results so far.",
    "report.what_to_do": "What to do now:",
    "report.details": "Details:",
    "report.footer": "Checked {created} with sessioncheck {version}. {redacted}",
    "report.redacted": "Network addresses were removed from this report.",
    "report.not_redacted": "This report contains network addresses.",
    "probe.system": "Your computer",
    "probe.ice": "Reaching the call servers",
    "probe.loopback": "Video calling on this computer",
}


# --- tui: the Textual app's own words (headings, buttons, hints, keys) ---------------------
# Owned by the app (issue 5). Finding wording stays in ENTRIES; these are the app's labels.

PHRASES.update({
    "tui.title": "sessioncheck",
    "tui.subtitle": "Getting ready for your session",
    "tui.next": "Next",
    "tui.skip": "Skip this step",
    "tui.back": "Back",
    "tui.close": "Close",
    "tui.welcome.heading": "Let's check that your session will work",
    "tui.welcome.intro": "This check looks at your camera, microphone and speaker, then at your "
    "computer and your internet connection. You will get a clear answer and, if something "
    "needs fixing, at most three things you can do now.",
    "tui.welcome.tests": "What we check:",
    "tui.welcome.devices": "Your camera, microphone and speaker (you can skip this)",
    "tui.welcome.duration": "It usually takes under a minute, and never more than {seconds} seconds.",
    "tui.welcome.privacy_title": "Your privacy",
    "tui.welcome.privacy": "Nothing is recorded and nothing about you is sent anywhere. Your "
    "picture and your voice stay on this computer. The results stay here too, unless you "
    "choose to save them and send them to your clinic.",
    "tui.welcome.start": "Start the check",
    "tui.welcome.skip_devices": "Skip camera and sound",
    "tui.devices.heading": "Your camera, microphone and speaker",
    "tui.devices.camera": "Camera",
    "tui.devices.no_camera": "No camera found.",
    "tui.devices.camera_hint": "You should see yourself here. Nothing is recorded.",
    "tui.devices.microphone": "Microphone",
    "tui.devices.no_microphone": "No microphone found.",
    "tui.devices.say_something": "Say something: the bar should move.",
    "tui.devices.speaker": "Speaker",
    "tui.devices.no_speaker": "No speaker found.",
    "tui.devices.play_tone": "Play a test sound",
    "tui.devices.playing": "Playing a test sound...",
    "tui.devices.heard": "Did you hear it?",
    "tui.devices.yes": "Yes",
    "tui.devices.no": "No",
    "tui.devices.heard_yes": "Good: your speaker works.",
    "tui.devices.heard_no": "Turn the sound up and check that the right speaker or headphones "
    "are chosen, then play the sound again.",
    "tui.devices.stopped": "{device} stopped working: {detail}",
    "tui.network.heading": "Checking your computer and connection",
    "tui.network.waiting": "Waiting",
    "tui.network.running": "Checking...",
    "tui.network.live": "Live measurements",
    "tui.network.no_samples": "Live numbers appear here while the tests run.",
    "tui.network.broke": "The check could not run: {detail}",
    "tui.sample.rtt_ms": "Round trip",
    "tui.sample.throughput_kbps": "Data speed",
    "tui.sample.connect_s": "Time to connect",
    "tui.sample.cpu_load_pct": "Processor load",
    "tui.results.heading": "Your results",
    "tui.results.no_fixes": "Nothing needs fixing.",
    "tui.results.measurements": "Measurements",
    "tui.results.evidence": "Evidence",
    "tui.results.no_measurements": "No measurements.",
    "tui.results.skipped": "Not tested: {reason}",
    "tui.results.error": "Could not test: {error}",
    "tui.results.all_fine": "No problems found here.",
    "tui.results.run_again": "Run this test again",
    "tui.results.save": "Save report",
    "tui.results.new_check": "Check again",
    "tui.results.opened": "Saved report from {created}.",
    "tui.audience.label": "Wording for:",
    "tui.audience.client": "Client",
    "tui.audience.therapist": "Therapist",
    "tui.audience.support": "Support",
    "tui.save.heading": "Save the report",
    "tui.save.prompt": "File to save to (you can send it to your clinic):",
    "tui.save.button": "Save",
    "tui.save.done": "Report saved to {path}",
    "tui.save.redacted": "Network addresses were removed before saving.",
    "tui.quit.heading": "Stop the check?",
    "tui.quit.text": "The check is still running. If you quit now, nothing is saved.",
    "tui.quit.quit": "Quit without saving",
    "tui.quit.save": "Save what we have, then quit",
    "tui.quit.cancel": "Keep checking",
    "tui.help.heading": "Keys",
    "tui.help.mouse": "You can also click any button, or press Ctrl+P to search all actions.",
    "tui.key.help": "Help",
    "tui.key.quit": "Quit",
    "tui.key.audience": "Switch wording",
    "tui.key.contrast": "High contrast",
    "tui.key.next": "Next",
    "tui.key.skip": "Skip",
    "tui.key.save": "Save report",
    "tui.key.again": "Check again",
    "tui.key.start": "Start",
    "tui.key.tone": "Test sound",
    "tui.cmd.start": "Start the check",
    "tui.cmd.start_help": "Run every test from the beginning",
    "tui.cmd.skip": "Skip this step",
    "tui.cmd.skip_help": "Go on to the next step",
    "tui.cmd.audience": "Use {audience} wording",
    "tui.cmd.audience_help": "Switch the wording of the results",
    "tui.cmd.contrast": "Toggle high contrast",
    "tui.cmd.contrast_help": "Black background, bright text",
    "tui.cmd.save": "Save report",
    "tui.cmd.save_help": "Save the results to a file you can send",
    "tui.cmd.rerun": "Run again: {probe}",
    "tui.cmd.rerun_help": "Repeat just this test",
    "tui.cmd.help": "Show keys",
    "tui.cmd.help_help": "List every key the app understands",
})


class CatalogueError(KeyError):
    """A code or phrase is not in the catalogue, or its fields are missing (our bug)."""


def phrase(key: str, **values: Any) -> str:
    try:
        template = PHRASES[key]
    except KeyError:
        raise CatalogueError(f"no phrase {key!r} in the catalogue") from None
    return template.format(**values)


def verdict_title(verdict: Verdict) -> str:
    return PHRASES[f"verdict.title.{verdict.value}"]


def finding(code: str, evidence: Mapping[str, Value], /, **values: Any) -> Finding:
    """Build a finding from its catalogue entry, formatting every audience's wording."""
    try:
        entry = ENTRIES[code]
    except KeyError:
        raise CatalogueError(f"no finding {code!r} in the catalogue") from None
    missing = [f for f in entry.fields if f not in values]
    if missing:
        raise CatalogueError(f"finding {code} needs value(s): {', '.join(missing)}")

    def fmt(t: W) -> Wording:
        return Wording(
            title=t.title.format(**values),
            text=t.text.format(**values),
            steps=tuple(s.format(**values) for s in t.steps),
        )

    return Finding(
        code=code,
        severity=entry.severity,
        impact=entry.impact,
        wording={
            Audience.CLIENT: fmt(entry.client),
            Audience.THERAPIST: fmt(entry.therapist),
            Audience.SUPPORT: fmt(entry.support),
        },
        evidence=dict(evidence),
    )
