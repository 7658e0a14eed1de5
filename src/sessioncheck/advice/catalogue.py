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
          "The servers your clinic uses for calls did not answer from this network.",
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
          "No reply from {url} over {transport}: {detail}.",),
        w("No answer from ICE server",
          "{url} over {transport}: {detail}.",
          "Check the server is running and that {transport} port {port} is open on both sides."),
        fields=("url", "transport", "detail", "port"),
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
    "ice.udp_refused": Entry(
        FAIL, NONE,
        w("A server is not answering calls",
          "One of the clinic's servers for calls is not accepting connections. It may be "
          "switched off.",
          "Tell your clinic; the report has details."),
        w("A connection server is not listening",
          "{url}: nothing is listening on that port; calls through it will fail.",),
        w("UDP port unreachable",
          "{url} ({transport}): {detail} (ICMP port unreachable).",
          "Check the server is running and listening on UDP port {port}."),
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
    "skip.path_no_server": (
        "The connection to your clinic was not tested because no check server is set up. "
        "Ask your clinic for its check server address and run the check again with it."
    ),
    "skip.loopback_no_network": "This computer has no network connection, so a test call could not be made.",
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


# --- network: the path to the clinic's check server (issue 3, probe ``path``) --------------
# Owned by the path probe. Directions are named from the client's side: "upload" is what
# they send, "download" what they receive.

ENTRIES.update({
    "network.server_address_invalid": Entry(
        FAIL, NONE,
        w("The check server address is not right",
          "The address given for your clinic's check server is not a valid address, so your "
          "connection to the clinic was not tested.",
          "Check the address your clinic gave you (it starts with wss://) and run the check again."),
        w("The client's check server address is invalid",
          "The connection to the clinic was not tested: {detail}.",
          "Send the client the exact check server address."),
        w("Invalid check server URL", "{detail}.",
          "Use ws://HOST:PORT or wss://HOST:PORT (path /ws by default), or 'local'."),
        fields=("detail",),
    ),
    "network.server_unreachable": Entry(
        WARN, NONE,
        w("We could not reach your clinic's check server",
          "Your connection to the clinic could not be tested because its check server did not "
          "answer.",
          "Check that the internet works on this computer (open a web page).",
          "Turn off any VPN or firewall program and run the check again.",
          "If it still fails, tell your clinic: their check server may be switched off."),
        w("The client could not reach the check server",
          "The path to the clinic was not measured: {detail}.",
          "Check that the check server is running, or ask the client to try another network."),
        w("Check server unreachable", "{detail}.",
          "Check `sessioncheck serve` is running, its /health endpoint, DNS, and the firewall."),
        fields=("detail",),
    ),
    "network.server_auth_failed": Entry(
        WARN, NONE,
        w("The clinic's check server did not accept our access code",
          "The access code for your clinic's check server is missing or wrong, so your "
          "connection to the clinic was not tested. This is not your fault.",
          "Ask your clinic for the current access code and run the check again with it."),
        w("The check server refused the client's access token",
          "The path was not measured because the token was missing or wrong.",
          "Send the client the current check server token."),
        w("Check server token rejected", "{detail}.",
          "Compare the client's --token with the server's --token / SESSIONCHECK_SERVE_TOKEN."),
        fields=("detail",),
    ),
    "network.server_busy": Entry(
        WARN, NONE,
        w("The clinic's check server is busy",
          "Too many people are testing at the moment, so your connection to the clinic was not "
          "tested yet.",
          "Wait {retry_s:.0f} seconds and run the check again."),
        w("The check server was full",
          "The server turned the client's test away; it asked them to retry in {retry_s:.0f} s.",
          "Ask the client to run the check again in a minute."),
        w("Check server at capacity", "{detail} (retry after {retry_s:.0f} s).",
          "Raise --max-tests on the server if this happens often."),
        fields=("retry_s", "detail"),
    ),
    "network.server_stopped": Entry(
        WARN, NONE,
        w("The clinic's check server stopped answering",
          "The test of your connection to the clinic stopped half way because the check server "
          "stopped answering. The results measured before that are kept.",
          "Run the check again in a few minutes.",
          "If it happens again, tell your clinic."),
        w("The check server stopped answering mid-test",
          "Partial path results only: {detail}.",
          "Run the test again; if it repeats, check the server."),
        w("Check server stopped answering mid-test",
          "{detail}. Measurements recorded before the stop are kept.",
          "Check the server's log and whether it was restarted or killed."),
        fields=("detail",),
    ),
    "network.connect_failed": Entry(
        FAIL, CALL,
        w("A test call to your clinic could not connect",
          "Your computer reached the clinic's check server but a test call to it could not be "
          "set up. A real call would probably fail the same way.",
          "If you are on a work, school or hotel network, try another network.",
          "Turn off any VPN or firewall program and run the check again.",
          "If nothing helps, call your therapist by phone."),
        w("WebRTC to the check server failed from the client's network",
          "Signalling worked but no ICE/DTLS connection came up: {detail}.",
          "Switch to a phone call; ask support to check the TURN configuration."),
        w("Path test: peer connection failed", "{detail}.",
          "Check that UDP or a TURN server over TCP/TLS is reachable from this network."),
        fields=("detail",),
    ),
    "network.rtt_high": Entry(
        WARN, NONE,
        w("Your connection has a long delay",
          "What you say takes {rtt_s:.2f} seconds to get to the clinic and back, so you may talk "
          "over each other.",
          "Pause downloads, streaming and cloud backups on your network.",
          "If you are on Wi-Fi, move closer to your router or use a network cable.",
          "Leave a short pause before you answer."),
        w("Long delay on the client's connection",
          "Round trip {rtt_ms:.0f} ms to the check server; expect people to talk over each other.",
          "Leave short pauses; agree on a hand signal for turn-taking."),
        w("High round-trip time to the check server",
          "Median RTT {rtt_ms:.1f} ms, p95 {rtt_p95_ms:.1f} ms over {pings} pings "
          "(fair ≤ {fair:.0f} ms, poor > {poor:.0f} ms).",),
        fields=("rtt_ms", "rtt_s", "rtt_p95_ms", "pings", "fair", "poor"),
    ),
    "network.jitter_high": Entry(
        WARN, NONE,
        w("Your {direction} is uneven",
          "Data on your {direction} arrives unevenly, so sound and picture may stutter.",
          "Pause downloads, streaming and cloud backups on your network.",
          "If you are on Wi-Fi, move closer to your router or use a network cable."),
        w("Uneven timing on the client's {direction}",
          "Jitter {jitter_ms:.1f} ms on their {direction}; expect choppy sound or video.",
          "Ask the client to pause other internet use."),
        w("High interarrival jitter ({direction})",
          "RFC 3550 jitter: upload {jitter_up}, download {jitter_down} "
          "(good ≤ {good:.0f} ms, fair ≤ {fair:.0f} ms).",),
        fields=("direction", "jitter_ms", "jitter_up", "jitter_down", "good", "fair"),
    ),
    "network.loss_high": Entry(
        WARN, NONE,
        w("Your {direction} loses data",
          "{loss_pct:.1f}% of the data on your {direction} gets lost, so words or the picture may "
          "drop out.",
          "If you are on Wi-Fi, move closer to your router or use a network cable.",
          "Pause downloads, streaming and cloud backups on your network.",
          "Restart your router if this keeps happening."),
        w("Packet loss on the client's {direction}",
          "{loss_pct:.1f}% loss on their {direction}; expect words or picture to drop out.",
          "Ask the client to move closer to their router; use audio only if it stays bad."),
        w("Packet loss ({direction})",
          "Unreliable-channel loss: upload {loss_up}, download {loss_down} over {packets} paced "
          "packets per direction (good ≤ {good:.0f} %, fair ≤ {fair:.0f} %, poor > {poor:.0f} %).",),
        fields=("direction", "loss_pct", "loss_up", "loss_down", "packets", "good", "fair", "poor"),
    ),
    "network.upload_low": Entry(
        WARN, NONE,
        w("Your upload speed is too low for good video",
          "Your connection can send {mbps:.1f} megabits per second, enough for {resolution} video at "
          "most.",
          "Close apps that upload (cloud backups, photo sync, file sharing).",
          "Ask others on your network to pause video streaming and large downloads.",
          "Move closer to your router or use a network cable.",
          "If it stays low, use audio only."),
        w("The client's upload is the bottleneck",
          "Their upload carries {kbps:.0f} kbit/s: your picture of them will be {resolution} at "
          "best.",
          "Ask the client to pause cloud backups or move closer to their router."),
        w("Low upload throughput",
          "Upload {kbps:.0f} kbit/s → best video tier {resolution} (720p needs "
          "{needed_kbps:.0f} kbit/s measured).",),
        fields=("kbps", "mbps", "resolution", "needed_kbps"),
    ),
    "network.download_low": Entry(
        WARN, NONE,
        w("Your download speed is too low for good video",
          "Your connection can receive {mbps:.1f} megabits per second, enough for {resolution} video "
          "at most.",
          "Pause streaming, games and large downloads on your network.",
          "Ask others on your network to pause video streaming.",
          "Move closer to your router or use a network cable.",
          "If it stays low, use audio only."),
        w("The client's download is limited",
          "Their download carries {kbps:.0f} kbit/s: they will see you at {resolution} at best.",
          "Ask the client to pause streaming and downloads at home."),
        w("Low download throughput",
          "Download {kbps:.0f} kbit/s → best video tier {resolution} (720p needs "
          "{needed_kbps:.0f} kbit/s measured).",),
        fields=("kbps", "mbps", "resolution", "needed_kbps"),
    ),
    "network.bufferbloat": Entry(
        WARN, NONE,
        w("Your connection slows down when it is busy",
          "When your {direction} is busy, the delay grows by {delta_s:.2f} seconds. Someone else "
          "downloading or uploading during the session will make you hard to follow.",
          "Ask others at home not to upload or download large files during the session.",
          "Pause cloud backups and game downloads.",
          "If your router has a 'smart queue' or 'QoS' setting, turn it on."),
        w("The client's connection lags when busy",
          "Delay rises by {delta_ms:.0f} ms while their {direction} is full (bufferbloat).",
          "Ask the client to stop other uploads/downloads during the session."),
        w("Latency under load (bufferbloat)",
          "RTT idle {idle_ms:.1f} ms → {loaded_ms:.1f} ms with the {direction} saturated "
          "(+{delta_ms:.0f} ms, threshold {threshold:.0f} ms).",),
        fields=("direction", "delta_ms", "delta_s", "idle_ms", "loaded_ms", "threshold"),
    ),
    "network.relay_used": Entry(
        INFO, NONE,
        w("Your call takes a longer route",
          "A direct connection was not possible, so the call is passed through one of the "
          "clinic's servers. It works, with a little more delay.",),
        w("The client connects through a relay",
          "Direct connections are blocked on their network; the call goes through TURN "
          "({transport}).",),
        w("Relay candidate selected", "Nominated pair: local relay over {transport}.",),
        fields=("transport",),
    ),
    "network.udp_blocked": Entry(
        WARN, NONE,
        w("Your network blocks the fastest kind of call traffic",
          "The call can only get through by a slower route (through one of the clinic's servers, "
          "over a secure web connection). It works, but video may be less smooth.",
          "If you are on a work, school or hotel network, try your home network.",
          "Turn off any VPN or firewall program if you can."),
        w("The client's network blocks UDP",
          "You are connected through a relay over {transport} because the client's network blocks "
          "direct connections; expect more delay.",),
        w("UDP blocked: TURN over {transport}",
          "Nominated pair uses a relay candidate over {transport}.",
          "Expected on restrictive networks; keep turns:…:443 configured."),
        fields=("transport",),
    ),
    "network.summary": Entry(
        INFO, NONE,
        w("Connection to the clinic: {quality}",
          "Sound quality estimate: {mos:.1f} out of 4.5. Best video for your connection: "
          "{resolution}.{local_note}",),
        w("Path quality: {quality}",
          "Estimated audio MOS {mos:.2f}; recommended video {resolution}. RTT {rtt_ms:.0f} ms, "
          "jitter {jitter_ms:.1f} ms, loss {loss_pct:.1f} %.{local_note}",),
        w("Path summary",
          "MOS {mos:.2f} (E-model, R {r:.1f}); RTT {rtt_ms:.1f} ms, worst jitter {jitter_ms:.1f} ms, "
          "worst loss {loss_pct:.2f} %; up {up_kbps:.0f} kbit/s, down {down_kbps:.0f} kbit/s; "
          "recommended {resolution}; server {server_kind}.{local_note}",),
        fields=("quality", "mos", "r", "resolution", "rtt_ms", "jitter_ms", "loss_pct",
                "up_kbps", "down_kbps", "server_kind", "local_note"),
    ),
})

PHRASES.update({
    "probe.path": "Your connection to the clinic",
    "network.upload": "upload",
    "network.download": "download",
    "network.both": "upload and download",
    "network.no_video": "no video (audio only)",
    "network.quality.good": "good",
    "network.quality.fair": "fair",
    "network.quality.poor": "poor",
    "network.local_note": " (Measured inside this computer only, not to the clinic.)",
    "network.timed_out": "the test did not finish within its time limit",
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
