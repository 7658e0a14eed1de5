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
    "verdict.partly": "{gaps} Everything else we tested is ready for a video session.",
    "verdict.partly_nothing": "{gaps} Run the whole check to know if you are ready.",
    "verdict.not_tested": "We could not test {what}.",
    "verdict.stopped_early": "The check was stopped before it finished.",
    "verdict.list_and": "{first} and {last}",
    "verdict.untested.system": "your computer",
    "verdict.untested.ice": "the clinic's call servers",
    "verdict.untested.path": "your connection to the clinic",
    "verdict.untested.camera": "your camera",
    "verdict.untested.microphone": "your microphone",
    "verdict.untested.speaker": "your speaker",
    "verdict.untested.peer": "the connection between you and the other person",
    "verdict.title.partly": "Partly checked",
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
    "cli.stopped": "Stopped.",
    "cli.crash": "Sorry: sessioncheck itself ran into a problem. This is not a problem with your "
    "computer or your connection.",
    "cli.crash.report_saved": "The results so far were saved to {path}.",
    "cli.crash.what_to_do": "What to do: run it again. If this happens again, send the file {log} "
    "to your clinic's support. It holds the details, with network addresses and passwords removed.",
    "cli.crash.no_log": "What to do: run it again. If this happens again, tell your clinic's support "
    "(the details could not be saved: {reason}).",
    "report.interrupted": "The check was stopped early; these are the results so far.",
    "report.what_to_do": "What to do now:",
    "report.details": "Details:",
    "report.footer": "Checked {created} with sessioncheck {version}. {redacted}",
    "report.redacted": "Network addresses and other details that could identify you or this computer "
    "(hardware addresses, user names, your home folder's name) were removed from this report.",
    "report.not_redacted": "This report contains network addresses and may contain other details that "
    "identify you or this computer.",
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
    "tui.welcome.duration": "It takes about a minute; the tests themselves take at most {seconds} seconds.",
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
    "tui.save.redacted": "Network addresses and other details that could identify you were removed before saving.",
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
    # The app broke (our bug): printed after it closed, instead of a traceback.
    "tui.crash.sorry": "Sorry: sessioncheck stopped because of a problem in sessioncheck itself, not "
    "on your computer.",
    "tui.crash.saved": "Your results so far are saved in {path}.",
    "tui.crash.not_saved": "Your results could not be saved: {detail}",
    "tui.crash.nothing": "No test had finished yet, so there are no results to save.",
    "tui.crash.log": "The details for support are in {path} (no addresses in it).",
    "tui.crash.no_log": "The details could not be written down: {detail}",
    "tui.crash.next": "Please send these files to your clinic. You can still run the check with "
    "'sessioncheck check'.",
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
        w("Your call takes a detour",
          "You are connected through a detour because a direct connection was not possible: "
          "the call is passed through one of the clinic's servers. It works, with a little "
          "more delay.",),
        w("The client connects through a relay",
          "Direct connections are blocked on their network; the call goes through TURN "
          "({transport}).",),
        w("Relay candidate selected", "Nominated pair: local relay over {transport}.",),
        fields=("transport",),
    ),
    "network.udp_blocked": Entry(
        WARN, NONE,
        w("Your network blocks direct connections",
          "You are connected through a detour because your network blocks direct connections: "
          "the call goes through one of the clinic's servers, over a secure web connection. "
          "It works, but video may be less smooth.",
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
    # CPU-starved measuring side (issue 11 item 19) and gentle capacity tests (item 7)
    "network.measure_busy": Entry(
        WARN, NONE,
        w("{where_title} was too busy to measure your connection",
          "{where_title} could not keep up with the test because other work kept it busy, so "
          "some results about your connection ({not_judged}) could not be measured properly. "
          "This does not mean your internet is bad.",
          "Close other programs, especially video, games and downloads, and run the check again.",
          "If it happens again, restart the computer before the session."),
        w("{where_title} was too busy to measure the client's connection",
          "The {not_judged} figures are left out: {where} could not keep up with the test, "
          "so they would blame the client's connection for a busy computer.",
          "Ask the client to close other programs and run the check again."),
        w("Measuring side CPU-starved: {not_judged} not judged",
          "{detail}.",
          "Rerun with fewer concurrent tests / programs; compare path.cpu.* and "
          "path.server_socket_drops."),
        fields=("where", "where_title", "not_judged", "detail"),
    ),
    "network.capacity_at_least": Entry(
        INFO, NONE,
        w("Your connection carries at least {cap_mbps:.1f} megabits per second",
          "The speed test stopped at {cap_mbps:.1f} megabits per second on purpose, so that it "
          "would not disturb a call in progress. That is enough for a video call; your "
          "{direction} may be faster.",),
        w("The client's {direction}: at least {cap_mbps:.1f} Mbit/s (gentle test)",
          "The speed test stopped at the gentle cap so as not to disturb the call; "
          "{direction} speed is at least {cap_mbps:.1f} Mbit/s, not its full capacity.",),
        w("Gentle mode: {direction} measured only up to the cap",
          "Capacity tests capped at {cap_kbps:.0f} kbit/s; {direction} reached it "
          "(up {up}, down {down}): lower bounds, not the link's capacity.",),
        fields=("direction", "cap_kbps", "cap_mbps", "up", "down"),
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
          "worst loss {loss_pct:.2f} %; up {up}, down {down}; "
          "recommended {resolution}; server {server_kind}.{local_note}",),
        fields=("quality", "mos", "r", "resolution", "rtt_ms", "jitter_ms", "loss_pct",
                "up", "down", "server_kind", "local_note"),
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
    "network.kbps": "{kbps:.0f} kbit/s",
    "network.kbps_at_least": "at least {kbps:.0f} kbit/s (gentle cap)",
    "network.busy.here": "this computer",
    "network.busy.here_title": "This computer",
    "network.busy.server": "the clinic's check server",
    "network.busy.server_title": "The clinic's check server",
    "network.busy.both": "this computer and the clinic's check server",
    "network.busy.both_title": "This computer and the clinic's check server",
    "network.busy.loss": "lost data",
    "network.busy.delay": "delay and unevenness",
    "network.busy.bufferbloat": "delay when busy",
    "network.busy.download": "download speed",
})


# --- peer: the test between the therapist and the client (issue 6, probe ``peer``) ------------
# Owned by the peer test. Side-specific codes name the side whose trouble it is:
# ``peer.client_upload_low`` is the client's upload, ``peer.therapist_upload_low`` the
# therapist's. Each audience is addressed from its own side ("your upload" / "the client's").


def _side_entry(
    side: str,
    severity: Severity,
    impact: Impact,
    *,
    own: W,
    other_for_client: W,
    other_for_therapist: W,
    support: W,
    fields: tuple[str, ...],
) -> Entry:
    """An entry about ``side``'s trouble: ``own`` is the wording for the person on that side,
    the others for the person on the other side (client or therapist)."""
    if side == "client":
        return Entry(severity, impact, own, other_for_therapist, support, fields)
    return Entry(severity, impact, other_for_client, own, support, fields)


_NOTHING = "You do not need to do anything: your therapist can see this too."

for _s in ("client", "therapist"):
    ENTRIES.update({
        f"peer.{_s}_upload_low": _side_entry(
            _s, WARN, NONE,
            own=w("Your upload is the bottleneck",
                  "Your connection can send only {mbps:.1f} megabits per second to the other "
                  "person: they will see you at {resolution} at best.",
                  "Pause cloud backups, photo sync and file sharing.",
                  "Ask others on your network to pause video streaming and large downloads.",
                  "Move closer to your router or use a network cable.",
                  "If it stays low, use audio only."),
            other_for_client=w("Your therapist's connection is slow to send",
                               "You may see your therapist at {resolution} at best.", _NOTHING),
            other_for_therapist=w("The client's upload is the bottleneck: {kbps:.0f} kbit/s",
                                  "You will see the client at {resolution} at best.{hint}",
                                  "Ask the client to pause cloud backups or move closer to their "
                                  "router."),
            support=w(f"{_s.capitalize()} upload low",
                      f"{_s.capitalize()} → other: {{kbps:.0f}} kbit/s sustained → best video tier "
                      "{resolution} (720p needs {needed_kbps:.0f} kbit/s).{hint}"),
            fields=("kbps", "mbps", "resolution", "needed_kbps", "hint"),
        ),
        f"peer.{_s}_loss_high": _side_entry(
            _s, WARN, NONE,
            own=w("What you send gets lost on the way",
                  "{loss_pct:.1f}% of what your computer sends does not arrive, so your words or "
                  "picture may drop out.",
                  "If you are on Wi-Fi, move closer to your router or use a network cable.",
                  "Pause downloads, streaming and cloud backups on your network.",
                  "Restart your router if this keeps happening."),
            other_for_client=w("Some of what your therapist sends gets lost",
                               "Their words or picture may drop out now and then.", _NOTHING),
            other_for_therapist=w("The client's connection loses data: {loss_pct:.1f}%",
                                  "Their words or picture will drop out now and then.{hint}",
                                  "Ask the client to move closer to their router; use audio only "
                                  "if it stays bad."),
            support=w(f"Packet loss {_s} → other",
                      "{loss_pct:.2f} % on the unreliable channel (sender's and receiver's view "
                      "averaged; good ≤ {good:.0f} %, fair ≤ {fair:.0f} %, poor > {poor:.0f} %).{hint}"),
            fields=("loss_pct", "good", "fair", "poor", "hint"),
        ),
        f"peer.{_s}_jitter_high": _side_entry(
            _s, WARN, NONE,
            own=w("What you send arrives unevenly",
                  "Your sound and picture may stutter for the other person.",
                  "Pause downloads, streaming and cloud backups on your network.",
                  "If you are on Wi-Fi, move closer to your router or use a network cable."),
            other_for_client=w("What your therapist sends arrives unevenly",
                               "Their sound and picture may stutter.", _NOTHING),
            other_for_therapist=w("Uneven timing on the client's side: {jitter_ms:.0f} ms",
                                  "Expect choppy sound or video from the client.{hint}",
                                  "Ask the client to pause other internet use."),
            support=w(f"Jitter {_s} → other",
                      "RFC 3550 jitter {jitter_ms:.1f} ms (good ≤ {good:.0f} ms, fair ≤ "
                      "{fair:.0f} ms).{hint}"),
            fields=("jitter_ms", "good", "fair", "hint"),
        ),
        f"peer.{_s}_bufferbloat": _side_entry(
            _s, WARN, NONE,
            own=w("Your connection slows down when it is busy",
                  "When your connection is busy sending, the delay grows by {delta_s:.2f} seconds.",
                  "Ask others at home not to upload large files during the session.",
                  "Pause cloud backups and photo sync.",
                  "If your router has a 'smart queue' or 'QoS' setting, turn it on."),
            other_for_client=w("Your therapist's connection slows down when busy",
                               "You may hear them late now and then.", _NOTHING),
            other_for_therapist=w("The client's connection lags when busy: +{delta_ms:.0f} ms",
                                  "Delay rises while their upload is full (bufferbloat).",
                                  "Ask the client to stop other uploads during the session."),
            support=w(f"Latency under load ({_s} upload saturated)",
                      "RTT idle {idle_ms:.1f} ms → +{delta_ms:.0f} ms loaded (threshold "
                      "{threshold:.0f} ms)."),
            fields=("delta_ms", "delta_s", "idle_ms", "threshold"),
        ),
        f"peer.{_s}_video_loss": _side_entry(
            _s, WARN, NONE,
            own=w("Your picture does not arrive cleanly",
                  "Part of your picture got lost on the way in a test call, so it may freeze.",
                  "Close other programs and pause downloads on your network.",
                  "Move closer to your router or use a network cable."),
            other_for_client=w("Your therapist's picture did not arrive cleanly",
                               "Their picture may freeze now and then.", _NOTHING),
            other_for_therapist=w("The client's video arrives damaged: {loss_pct:.1f}% lost",
                                  "Expect their picture to freeze.{hint}",
                                  "Ask the client to pause other internet use, or use audio only."),
            support=w(f"Media leg: video {_s} → other",
                      "RTP loss {loss_pct:.2f} %, {fps:.1f} fps decoded at the receiver.{hint}"),
            fields=("loss_pct", "fps", "hint"),
        ),
        f"peer.{_s}_cpu_busy": _side_entry(
            _s, WARN, NONE,
            own=w("Your computer is very busy",
                  "Other programs use most of your computer's power ({cpu_pct:.0f}%), so your "
                  "video may stutter.",
                  "Close programs you do not need, especially games, video and large downloads."),
            other_for_client=w("Your therapist's computer is busy",
                               "Their video may stutter.", _NOTHING),
            other_for_therapist=w("The client's computer is heavily loaded ({cpu_pct:.0f}%)",
                                  "Expect choppy video from them.",
                                  "Ask the client to close other programs."),
            support=w(f"High CPU load ({_s})", "Others' CPU use {cpu_pct:.1f}% (threshold {threshold:.0f}%)."),
            fields=("cpu_pct", "threshold"),
        ),
        f"peer.{_s}_on_vpn": _side_entry(
            _s, WARN, NONE,
            own=w("A VPN is turned on",
                  "A VPN can slow down the call or block a direct connection.",
                  "If you do not need the VPN for this session, turn it off and test again."),
            other_for_client=w("Your therapist uses a VPN",
                               "It can add a little delay.", _NOTHING),
            other_for_therapist=w("The client is connected through a VPN",
                                  "A VPN adds delay and can force a relayed connection.",
                                  "Ask the client whether they can turn the VPN off."),
            support=w(f"VPN/tunnel interface active ({_s})", "Interfaces: {interfaces}."),
            fields=("interfaces",),
        ),
        f"peer.{_s}_on_wifi": _side_entry(
            _s, INFO, NONE,
            own=w("You are using Wi-Fi", "Wi-Fi works, but a cable is steadier."),
            other_for_client=w("Your therapist is on Wi-Fi", "This is usually fine."),
            other_for_therapist=w("The client is on Wi-Fi", "Wi-Fi is the most common cause of short freezes."),
            support=w(f"Wireless interface active ({_s})", "Interfaces: {interfaces}."),
            fields=("interfaces",),
        ),
        f"peer.{_s}_relay": _side_entry(
            _s, INFO, NONE,
            own=w("Your call takes a longer route",
                  "Your network does not allow a direct connection, so the call passes through "
                  "one of the clinic's servers. It works, with a little more delay."),
            other_for_client=w("Your call takes a longer route",
                               "Your therapist's network does not allow a direct connection; the "
                               "call passes through one of the clinic's servers."),
            other_for_therapist=w("You are connected through a relay",
                                  "You are connected through a relay because the client's network "
                                  "blocks direct connections; expect a little more delay."),
            support=w(f"Relay candidate selected on the {_s}'s side",
                      f"Nominated pair: {_s} relay over {{transport}}."),
            fields=("transport",),
        ),
        f"peer.{_s}_udp_blocked": _side_entry(
            _s, WARN, NONE,
            own=w("Your network blocks the fastest kind of call traffic",
                  "The call can only get through by a slower route, so video may be less smooth.",
                  "If you are on a work, school or hotel network, try your home network.",
                  "Turn off any VPN or firewall program if you can."),
            other_for_client=w("Your therapist's network forces a slower route",
                               "Video may be less smooth.", _NOTHING),
            other_for_therapist=w("The client's network blocks UDP",
                                  "You are connected through a relay over {transport} because the "
                                  "client's network blocks direct connections; expect more delay.",
                                  "If video struggles, ask the client to try another network."),
            support=w(f"UDP blocked on the {_s}'s side: TURN over {{transport}}",
                      "Nominated pair uses a relay candidate over {transport}."),
            fields=("transport",),
        ),
        f"peer.{_s}_left": _side_entry(
            _s, WARN, NONE,
            own=w("The test stopped before it finished",
                  "Your computer stopped taking part before the test finished. The results "
                  "measured so far are kept.",
                  "Check your internet connection and start a new test with a new code."),
            other_for_client=w("Your therapist left the test before it finished",
                               "The results measured so far are kept. {detail}",
                               "Ask your therapist for a new code if they want to test again."),
            other_for_therapist=w("The client left the test before it finished",
                                  "Partial results only: {detail}.",
                                  "Give the client a new code and test again."),
            support=w(f"Peer test incomplete: {_s} side missing", "{detail}."),
            fields=("detail",),
        ),
    })

ENTRIES.update({
    "peer.rtt_high": Entry(
        WARN, NONE,
        w("There is a long delay between you and the other person",
          "What you say takes {rtt_s:.2f} seconds to reach the other person and come back, so "
          "you may talk over each other.",
          "Pause downloads, streaming and cloud backups on your network.",
          "Leave a short pause before you answer."),
        w("Long delay between you and the client: {rtt_ms:.0f} ms",
          "Round trip {rtt_ms:.0f} ms on the real path between you; expect people to talk over "
          "each other.",
          "Leave short pauses; agree on a hand signal for turn-taking."),
        w("High RTT on the peer path", "Median RTT {rtt_ms:.1f} ms (fair ≤ {fair:.0f} ms, poor > {poor:.0f} ms)."),
        fields=("rtt_ms", "rtt_s", "fair", "poor"),
    ),
    "peer.connect_failed": Entry(
        FAIL, CALL,
        w("A test call between you and your therapist could not connect",
          "Both computers reached the test server, but a call between them could not be set "
          "up. A real call would probably fail the same way.",
          "If you are on a work, school or hotel network, try another network.",
          "Turn off any VPN or firewall program and test again.",
          "If nothing helps, use the phone for this session."),
        w("The call between you and the client could not connect",
          "No direct or relayed connection came up between your computers: {detail}.",
          "Switch to a phone call; ask support to check the TURN configuration."),
        w("Peer connection failed", "{detail}.",
          "Check that UDP or a TURN server over TCP/TLS is reachable from both networks."),
        fields=("detail",),
    ),
    "peer.server_lost": Entry(
        WARN, NONE,
        w("The test server went away during the test",
          "The clinic's test server stopped (perhaps it restarted), so the test ended early. "
          "The results measured so far are kept.",
          "Wait a minute, then start a new test with a new code."),
        w("The test server went away mid-test",
          "Partial results only: {detail}.",
          "Start a new test with a new code in a minute."),
        w("Signalling lost mid-test", "{detail}.", "Check the server's log: restarted or killed?"),
        fields=("detail",),
    ),
    "peer.server_ended": Entry(
        WARN, NONE,
        w("The test server ended the test early",
          "The test was stopped by the clinic's test server. The results so far are kept.",
          "Start a new test with a new code."),
        w("The test server ended the test", "{detail}.", "Start a new test with a new code."),
        w("Server ended the peer test", "{detail}.", "Check --max-duration on the server."),
        fields=("detail",),
    ),
    "peer.code_invalid": Entry(
        WARN, NONE,
        w("That code does not work",
          "No test is waiting with this code.",
          "Check the code with your therapist: it has nine letters and numbers, like 4KQ-7PZ-M2X."),
        w("The client's code did not match a room", "{detail}.", "Read the code to the client again."),
        w("Join refused: unknown code", "{detail}."),
        fields=("detail",),
    ),
    "peer.code_expired": Entry(
        WARN, NONE,
        w("That code has expired",
          "Codes only work for 15 minutes.",
          "Ask your therapist for a new code."),
        w("The code expired before the client joined", "{detail}.", "Start a new test and read the new code."),
        w("Join refused: code expired", "{detail}."),
        fields=("detail",),
    ),
    "peer.code_used": Entry(
        WARN, NONE,
        w("That code was already used",
          "Each code works only once.",
          "Ask your therapist for a new code."),
        w("The code was already used", "{detail}.", "Start a new test and read the new code."),
        w("Join refused: code already used", "{detail}."),
        fields=("detail",),
    ),
    "peer.rate_limited": Entry(
        WARN, NONE,
        w("Too many wrong codes were tried",
          "To keep tests private, you must wait {retry_s:.0f} seconds before trying again.",
          "Wait {retry_s:.0f} seconds, then type the code carefully."),
        w("The client tried too many wrong codes", "Joining is blocked for {retry_s:.0f} s.",
          "Read the code again slowly, group by group."),
        w("Join attempts throttled", "{detail} (retry after {retry_s:.0f} s).",),
        fields=("retry_s", "detail"),
    ),
    "peer.server_unreachable": Entry(
        WARN, NONE,
        w("We could not reach the clinic's test server",
          "The test between you and your therapist could not start.",
          "Check that the internet works on this computer (open a web page).",
          "Check the test server address you were given."),
        w("The test server could not be reached", "{detail}.",
          "Check the server address and that `sessioncheck serve` is running."),
        w("Test server unreachable or refused", "{detail}.",
          "Check the URL, the token, /health, DNS and the firewall."),
        fields=("detail",),
    ),
    "peer.summary": Entry(
        INFO, NONE,
        w("The connection between you and your therapist: {quality}",
          "Sound quality estimate: {mos:.1f} out of 4.5. Best video: {resolution_client} from "
          "you, {resolution_therapist} from your therapist. {path_client}",),
        w("Peer path quality: {quality}",
          "Estimated audio MOS {mos:.2f}. Best video: {resolution_client} from the client, "
          "{resolution_therapist} from you. RTT {rtt_ms:.0f} ms. {path_therapist}",),
        w("Peer test summary",
          "MOS {mos:.2f} (E-model, R {r:.1f}); RTT {rtt_ms:.1f} ms; worst jitter {jitter_ms:.1f} ms; "
          "worst loss {loss_pct:.2f} %; client→therapist {client_kbps:.0f} kbit/s "
          "({resolution_client}), therapist→client {therapist_kbps:.0f} kbit/s "
          "({resolution_therapist}); path: {path_support}.",),
        fields=("quality", "mos", "r", "rtt_ms", "jitter_ms", "loss_pct", "client_kbps",
                "therapist_kbps", "resolution_client", "resolution_therapist", "path_client",
                "path_therapist", "path_support"),
    ),
})

PHRASES.update({
    "probe.peer": "The connection between therapist and client",
    "peer.path.direct.client": "You and your therapist are connected directly, the best kind of route.",
    "peer.path.direct.therapist": "Direct connection between you (best case).",
    "peer.path.relay.client": "The call goes through one of the clinic's servers, which adds a little delay.",
    "peer.path.relay.therapist": "Connected through a relay (TURN over {transport}): {why}.",
    "peer.path.unknown": "The route could not be read.",
    "peer.path.why.client": "the client's network blocks direct connections",
    "peer.path.why.therapist": "your network blocks direct connections",
    "peer.path.why.both": "both networks block direct connections",
    "peer.hint.client.wifi": " The client is on Wi-Fi: moving closer to the router or using a cable often helps.",
    "peer.hint.client.vpn": " The client uses a VPN, which can slow this down.",
    "peer.hint.client.cpu": " The client's computer is also very busy.",
    "peer.hint.therapist.wifi": " You are on Wi-Fi: a cable often helps.",
    "peer.hint.therapist.vpn": " You use a VPN, which can slow this down.",
    "peer.hint.therapist.cpu": " Your computer is also very busy.",
    "peer.waiting": "Read this code to your client: {code}  (it works once, for {minutes:.0f} minutes)",
})

# --- browser: the client's side of the peer test in a web browser (issue 6, /join page) ------
# Shown by the page ``sessioncheck serve`` hosts at /join (server/static/join.js), which gets
# these phrases from the server. The page fills {detail} and {what} itself.
PHRASES.update({
    "browser.title": "Test the connection to your therapist",
    "browser.intro": (
        "Type the code your therapist gave you and press Start. The test takes about half a "
        "minute. Your camera and microphone are used only to send test pictures and sound "
        "to your therapist's computer; nothing is recorded."
    ),
    "browser.code_label": "Code",
    "browser.start": "Start",
    "browser.step.media": "Asking to use your camera and microphone...",
    "browser.step.no_media": (
        "Your camera and microphone could not be used ({detail}); the test goes on without them."
    ),
    "browser.step.server": "Contacting the test server...",
    "browser.step.joined": "Found your therapist's test. Connecting to their computer...",
    "browser.step.connected": "Connected. Measuring the delay between you and your therapist...",
    "browser.step.upload": "Measuring how fast you can send to your therapist...",
    "browser.step.therapist_upload": "Measuring how fast your therapist can send to you...",
    "browser.step.media_leg": "Sending test sound and video both ways, like a call...",
    "browser.step.results": "Putting the results together...",
    "browser.done": "Done. Your therapist has the same results.",
    "browser.failed": "The test could not finish: {detail}",
    "browser.error.no_code": "Please type the code your therapist gave you.",
    "browser.error.unsupported": (
        "This browser cannot run the test. Please use an up-to-date Chrome, Edge, Firefox or Safari."
    ),
    "browser.error.server": "The test server did not answer. Check your internet connection and try again.",
    "browser.error.server_lost": "the connection to the test server was lost",
    "browser.error.peer_left": "your therapist's computer left the test",
    "browser.error.connect": (
        "your computer could not connect to your therapist's, neither directly nor through "
        "the clinic's server"
    ),
    "browser.error.silent": "your therapist's computer did not {what} in time",
})


class CatalogueError(KeyError):
    """A code or phrase is not in the catalogue, or its fields are missing (our bug)."""


# --- devices: camera, microphone, speaker, media_loop (issue 4) -----------------------------
# Owned by the device probes. Client wording names what people can see and touch ("a window
# behind you", "the sound settings"), never the measurement.

ENTRIES.update({
    # camera ------------------------------------------------------------------------------
    "camera.missing": Entry(
        FAIL, VIDEO,
        w("We could not find a camera",
          "No camera was found on this computer, so the other person will not see you.",
          "If your camera plugs in, plug it in and run the check again.",
          "If it has a cover or an on/off switch, open it or switch it on.",
          "Without a camera, you can still have the session by sound only."),
        w("The client has no working camera",
          "No camera was found ({detail}); the session can go ahead by audio only.",),
        w("No camera found", "Camera {device}: {detail}.",
          "Check `sessioncheck devices`; on Linux /dev/video*, on macOS/Windows the OS camera list."),
        fields=("device", "detail"),
    ),
    "camera.busy": Entry(
        FAIL, VIDEO,
        w("Another program is using your camera",
          "Your camera is in use by another program ({holders}), so it cannot be used for the session.",
          "Close {holders}, or any other video-call program.",
          "Run the check again."),
        w("The client's camera is held by another program",
          "The camera is busy ({holders}).",
          "Ask the client to close other video-call programs."),
        w("Camera busy", "Camera {device} busy: {detail}; held by: {holders}.",),
        fields=("device", "detail", "holders"),
    ),
    "camera.permission_denied": Entry(
        FAIL, VIDEO,
        w("Your computer does not allow the camera to be used",
          "The camera is there, but your computer's privacy settings block it.",
          "Open {setting}.",
          "Run the check again."),
        w("The client's camera is blocked by privacy settings",
          "The OS refused access to the camera.",
          "Guide the client to: {setting}."),
        w("Camera permission denied", "Camera {device}: {detail} (OS {os}).",
          "Grant camera access: {setting}."),
        fields=("device", "detail", "os", "setting"),
    ),
    "camera.unplugged": Entry(
        WARN, VIDEO,
        w("Your camera stopped during the check",
          "The camera stopped sending a picture part way through. It may have come loose.",
          "Check the camera's cable, or plug it into another socket.",
          "Run the check again."),
        w("The client's camera stopped mid-test",
          "The picture stopped after {frames} frames; it may stop during the session too.",
          "Ask the client to reconnect the camera."),
        w("Camera stopped delivering frames", "Camera {device}: {detail} ({frames} frames received).",),
        fields=("device", "detail", "frames"),
    ),
    "camera.source_invalid": Entry(
        WARN, NONE,
        w("The camera picture could not be read",
          "The picture source chosen for this check could not be read.",
          "Run the check again without choosing a camera, so the usual one is used."),
        w("The chosen camera source could not be read", "{detail}.",),
        w("Camera source unreadable", "{device}: {detail}.",
          "Check the --camera value: a device, a media file, or lavfi:<graph>."),
        fields=("device", "detail"),
    ),
    "camera.covered": Entry(
        WARN, VIDEO,
        w("Your camera shows only darkness",
          "The picture is black or almost completely dark and plain, as if something covers the camera.",
          "Check whether a sticker, a cover or a sliding shutter is over the camera, and open it.",
          "Some laptops have a camera switch or key: switch the camera on.",
          "Run the check again."),
        w("The client's camera shows nothing",
          "The picture is black or covered ({black_pct:.0f}% black, {covered_pct:.0f}% covered frames).",
          "Ask the client to uncover the camera or open its shutter."),
        w("Black or covered picture",
          "Black frames {black_pct:.1f}%, covered (dark, uniform) frames {covered_pct:.1f}%, "
          "mean luma {mean_luma:.0f}.",),
        fields=("black_pct", "covered_pct", "mean_luma"),
    ),
    "camera.frozen": Entry(
        WARN, VIDEO,
        w("Your camera picture is frozen",
          "The camera keeps sending the same picture, so you will look frozen to the other person.",
          "Close other programs that might use the camera.",
          "Unplug the camera and plug it in again, or restart your computer.",
          "Run the check again."),
        w("The client's camera picture is frozen",
          "{frozen_pct:.0f}% of the frames were identical; the client will look frozen.",
          "Ask the client to restart the camera or the computer."),
        w("Frozen frames", "Identical consecutive frames: {frozen_pct:.1f}% of {frames}.",),
        fields=("frozen_pct", "frames"),
    ),
    "camera.too_dark": Entry(
        WARN, NONE,
        w("Your picture is too dark",
          "The other person will find it hard to see your face.",
          "Turn on a light in front of you, for example a lamp behind your screen.",
          "Open the curtains if it is daytime, with the window in front of you, not behind."),
        w("The client's picture is dark",
          "Their face will be hard to read.",
          "Ask the client to add a light in front of them."),
        w("Under-exposed picture",
          "Mean luma {mean_luma:.0f} (threshold {threshold:.0f}), {under_pct:.0f}% of pixels under-exposed.",),
        fields=("mean_luma", "threshold", "under_pct"),
    ),
    "camera.backlit": Entry(
        WARN, NONE,
        w("There is a bright light or a window behind you",
          "Your face looks dark against the bright background.",
          "Turn so that the window or lamp is in front of you, not behind you.",
          "Or close the curtains behind you and put a light in front of you."),
        w("The client is backlit",
          "A bright background (probably a window) darkens their face.",
          "Ask the client to turn towards the light or close the curtains behind them."),
        w("Backlit subject",
          "Surround is {backlight:.0f} luma levels brighter than the subject (subject {subject_luma:.0f}, "
          "threshold {threshold:.0f}); over-exposed {over_pct:.0f}%.",),
        fields=("backlight", "subject_luma", "threshold", "over_pct"),
    ),
    "camera.blurry": Entry(
        WARN, NONE,
        w("Your picture is blurry",
          "The other person will not see your face clearly.",
          "Gently wipe the camera lens with a soft cloth.",
          "Sit a little further from the camera if you are very close.",
          "If your camera can focus, let it focus on your face."),
        w("The client's picture is blurry",
          "Their expressions will be hard to read.",
          "Ask the client to clean the camera lens."),
        w("Blurred picture",
          "Variance of the Laplacian {blur_var:.1f} (threshold {threshold:.0f}) at 640 px width.",),
        fields=("blur_var", "threshold"),
    ),
    "camera.no_face": Entry(
        INFO, NONE,
        w("We could not see your face",
          "The camera works, but we did not find a face in the picture.",
          "Sit in front of the camera, facing it, during the session."),
        w("No face was visible during the camera check", "The client may not have been in view.",),
        w("No face detected", "No frontal face in {checks} checked frames.",),
        fields=("checks",),
    ),
    "camera.face_off_centre": Entry(
        INFO, NONE,
        w("Your face is near the edge of the picture",
          "The other person may see only part of you.",
          "Move your screen or your seat so your face is in the middle of the picture."),
        w("The client is off-centre", "Their face sits near the edge of the frame.",),
        w("Face off-centre", "Face centre at x={face_x:.2f}, y={face_y:.2f} of the frame.",),
        fields=("face_x", "face_y"),
    ),
    "camera.face_too_far": Entry(
        INFO, NONE,
        w("You are far from the camera",
          "Your face looks small, so expressions are hard to see.",
          "Sit closer, so your head and shoulders fill most of the picture."),
        w("The client is far from the camera", "Their face is small in the picture.",),
        w("Face small in frame", "Face width {face_size_pct:.0f}% of the frame (threshold {threshold:.0f}%).",),
        fields=("face_size_pct", "threshold"),
    ),
    "camera.too_slow": Entry(
        WARN, NONE,
        w("Your camera picture is jerky",
          "Your camera sends only a few pictures per second, so your movements will look jerky.",
          "Add light in front of you: many cameras slow down in the dark.",
          "Close other programs that use the camera or a lot of power."),
        w("The client's camera is slow", "The picture will look jerky.",),
        w("Low camera frame rate", "{fps:.1f} fps achieved (threshold {threshold:.0f} fps), "
          "{width}x{height}.",),
        fields=("fps", "threshold", "width", "height"),
    ),
    # microphone --------------------------------------------------------------------------
    "microphone.missing": Entry(
        FAIL, CALL,
        w("We could not find a microphone",
          "No microphone was found, so the other person will not hear you.",
          "If you use a headset, plug it in (or switch it on and connect it).",
          "Run the check again.",
          "If there is still no microphone, call your therapist by phone."),
        w("The client has no working microphone", "No microphone was found ({detail}).",
          "Switch to a phone call."),
        w("No microphone found", "Input {device}: {detail}.",
          "Check `sessioncheck devices` and the OS sound input settings."),
        fields=("device", "detail"),
    ),
    "microphone.busy": Entry(
        FAIL, CALL,
        w("Another program is using your microphone",
          "Your microphone is in use by another program ({holders}).",
          "Close {holders}, or any other call program.",
          "Run the check again."),
        w("The client's microphone is held by another program", "Busy: {holders}.",
          "Ask the client to close other call programs."),
        w("Microphone busy", "Input {device}: {detail}; held by: {holders}.",),
        fields=("device", "detail", "holders"),
    ),
    "microphone.permission_denied": Entry(
        FAIL, CALL,
        w("Your computer does not allow the microphone to be used",
          "The microphone is there, but your computer's privacy settings block it.",
          "Open {setting}.",
          "Run the check again."),
        w("The client's microphone is blocked by privacy settings", "The OS refused access.",
          "Guide the client to: {setting}."),
        w("Microphone permission denied", "Input {device}: {detail} (OS {os}).",
          "Grant microphone access: {setting}."),
        fields=("device", "detail", "os", "setting"),
    ),
    "microphone.unplugged": Entry(
        WARN, NONE,
        w("Your microphone stopped during the check",
          "The microphone stopped sending sound part way through. It may have come loose.",
          "Check the headset or microphone cable, or its battery if it is wireless.",
          "Run the check again."),
        w("The client's microphone stopped mid-test", "It may drop out during the session.",
          "Ask the client to reconnect their microphone or headset."),
        w("Microphone stopped delivering sound", "Input {device}: {detail}.",),
        fields=("device", "detail"),
    ),
    "microphone.source_invalid": Entry(
        WARN, NONE,
        w("The microphone sound could not be read",
          "The sound source chosen for this check could not be read.",
          "Run the check again without choosing a microphone, so the usual one is used."),
        w("The chosen microphone source could not be read", "{detail}.",),
        w("Microphone source unreadable", "{device}: {detail}.",
          "Check the --microphone value: a device, a media file, or lavfi:<graph>."),
        fields=("device", "detail"),
    ),
    "microphone.muted": Entry(
        FAIL, NONE,
        w("Your microphone is muted",
          "We received complete silence, which usually means the microphone is muted or blocked.",
          "Check the mute switch or button on your headset or keyboard.",
          "Check that the microphone is not muted in your sound settings.",
          "If your computer asks for permission, allow the microphone: {setting}."),
        w("The client's microphone is muted", "Their microphone sends pure silence.",
          "Ask the client to unmute their microphone."),
        w("Digital silence from the input",
          "Every sample was zero over {seconds:.1f} s from {device}: muted, blocked by privacy "
          "settings (macOS sends zeros), or a dead input.",),
        fields=("seconds", "device", "setting"),
    ),
    "microphone.silent": Entry(
        WARN, NONE,
        w("We could hardly hear anything from your microphone",
          "The sound from your microphone is extremely quiet.",
          "Say a few words during the check.",
          "Check that the right microphone is chosen in your sound settings and that its volume is up.",
          "If you use a headset, check that its microphone arm is down near your mouth."),
        w("The client's microphone is almost silent", "They may not be heard.",
          "Ask the client to check their microphone choice and volume."),
        w("Very low input level", "Peak {peak_dbfs:.1f} dBFS (threshold {threshold:.0f} dBFS) from {device}.",),
        fields=("peak_dbfs", "threshold", "device"),
    ),
    "microphone.clipping": Entry(
        WARN, NONE,
        w("Your microphone is too loud and distorts",
          "Your voice is so loud that it breaks up.",
          "Turn the microphone volume down in your sound settings.",
          "Move the microphone a little further from your mouth."),
        w("The client's microphone distorts", "Their voice will sound harsh and broken.",
          "Ask the client to lower the microphone volume."),
        w("Input clipping", "{clip_pct:.2f}% of samples at full scale (threshold {threshold:.2f}%); "
          "peak {peak_dbfs:.1f} dBFS.",),
        fields=("clip_pct", "threshold", "peak_dbfs"),
    ),
    "microphone.noisy": Entry(
        WARN, NONE,
        w("There is a lot of background noise",
          "The other person will hear noise behind your voice.",
          "Move to a quieter room, or close windows and doors.",
          "Turn off fans, music or the television nearby.",
          "A headset with a microphone near your mouth helps."),
        w("The client's surroundings are noisy", "Background noise will mix with their voice.",
          "Suggest a quieter room or a headset."),
        w("High noise floor", "Noise floor {noise_floor_dbfs:.1f} dBFS (threshold {threshold:.0f}), "
          "voice-to-noise {snr_db:.1f} dB.",),
        fields=("noise_floor_dbfs", "threshold", "snr_db"),
    ),
    "microphone.hum": Entry(
        WARN, NONE,
        w("Your microphone picks up a humming sound",
          "A low hum from the electricity supply will be heard behind your voice.",
          "If your laptop is charging, try unplugging the charger for a moment: if the hum stops, "
          "use it on battery during the session.",
          "Move microphone cables away from power cables.",
          "Try another socket, or another microphone."),
        w("The client's microphone hums", "A mains hum will be heard behind their voice.",
          "Ask the client to unplug the charger or use a headset."),
        w("Mains hum", "{hum_hz:.0f} Hz line {prominence_db:.0f} dB above its neighbourhood, "
          "at {hum_dbfs:.1f} dBFS.",),
        fields=("hum_hz", "prominence_db", "hum_dbfs"),
    ),
    "microphone.narrowband": Entry(
        WARN, NONE,
        w("Your headset switched to call mode; sound will be muffled",
          "Your wireless headset is using its low-quality call mode, so both of you will sound "
          "muffled, like an old telephone.",
          "Use your computer's own microphone, or a wired headset, and keep the wireless headset "
          "for listening only.",
          "Or, in your sound settings, choose the headset's normal (not hands-free) output and "
          "another microphone."),
        w("The client's headset is in call (hands-free) mode",
          "Their voice will sound like a telephone.",
          "Ask the client to use the computer's microphone or a wired headset."),
        w("Narrowband input",
          "Input at {sample_rate} Hz with {channels} channel(s); energy above 4.2 kHz {hf_ratio}. "
          "Typical of Bluetooth HFP/HSP.",),
        fields=("sample_rate", "channels", "hf_ratio"),
    ),
    # speaker -----------------------------------------------------------------------------
    "speaker.missing": Entry(
        FAIL, CALL,
        w("We could not find a speaker or headphones",
          "No sound output was found, so you will not hear the other person.",
          "Plug in headphones or speakers, or switch on your wireless headset.",
          "Run the check again.",
          "If there is still no sound output, call your therapist by phone."),
        w("The client has no sound output", "No speaker was found ({detail}).",
          "Switch to a phone call."),
        w("No output device", "Output {device}: {detail}.",
          "Check `sessioncheck devices` and the OS sound output settings."),
        fields=("device", "detail"),
    ),
    "speaker.unavailable": Entry(
        WARN, NONE,
        w("Your speaker could not be used",
          "Sound could not be played on your speaker or headphones.",
          "Close other programs that play sound, especially other call programs.",
          "Unplug the headphones and plug them in again, then run the check again."),
        w("The client's speaker could not be tested", "{detail}.",),
        w("Output device unusable", "Output {device} ({problem}): {detail}. Held by: {holders}.",),
        fields=("device", "problem", "detail", "holders"),
    ),
    "speaker.no_sound_heard": Entry(
        WARN, NONE,
        w("We could not hear our test sound",
          "We played a short sound but the microphone did not pick it up. That is fine if you "
          "wear headphones. Otherwise your speaker may be off or too quiet.",
          "If you are not wearing headphones, turn the volume up and check the sound is not muted.",
          "Check that the right speaker is chosen in your sound settings."),
        w("The client's test sound was not heard",
          "Either they wear headphones (fine) or their speaker is silent.",
          "Ask the client whether they can hear you."),
        w("Test chirp not detected", "No correlation peak from {device} into {microphone} "
          "(background {background_dbfs:.1f} dBFS).",),
        fields=("device", "microphone", "background_dbfs"),
    ),
    "speaker.echo_strong": Entry(
        WARN, NONE,
        w("Your speaker will echo into the call: use headphones",
          "Your microphone picks up a lot of the sound from your speaker, so the other person "
          "may hear themselves echo.",
          "Use headphones or earbuds for the session.",
          "If you have none, turn the speaker volume down a little."),
        w("Strong echo path on the client's side",
          "Their microphone hears their speaker loudly; you may hear an echo of yourself.",
          "Ask the client to use headphones."),
        w("Strong speaker-to-microphone coupling",
          "Test chirp came back at {echo_db:.1f} dB (threshold {threshold:.0f} dB), loop delay "
          "{delay}.",),
        fields=("echo_db", "threshold", "delay"),
    ),
    "speaker.unverified": Entry(
        INFO, NONE,
        w("We could not check your speaker by ourselves",
          "No microphone could listen to our test sound, so please check that you can hear sound.",
          "Play a sound or a video and check that you hear it."),
        w("The client's speaker was not verified", "{detail}.",),
        w("Speaker unverified", "{detail}.",),
        fields=("detail",),
    ),
    # media_loop --------------------------------------------------------------------------
    "media_loop.cpu_short": Entry(
        WARN, NONE,
        w("Your computer may struggle to send high-quality video",
          "Your computer is too busy to handle sharp video smoothly, so the picture may be "
          "less sharp or jerky. Programs using the most power: {top}.",
          "Close programs you do not need, especially {top}.",
          "Plug in your laptop: some computers slow down on battery."),
        w("The client's computer is short of power for sharp video",
          "Expect a lower-quality picture from them. Busy programs: {top}.",
          "Ask the client to close other programs."),
        w("Insufficient CPU for 720p",
          "720p loop {fps:.1f} fps of {target:.0f}, encode {encode_ms:.1f} ms/frame, CPU headroom "
          "{headroom:.0f}% (threshold {threshold:.0f}%); top processes: {top}.",),
        fields=("top", "fps", "target", "encode_ms", "headroom", "threshold"),
    ),
    "media_loop.cpu_too_slow": Entry(
        FAIL, VIDEO,
        w("Your computer is too busy for video",
          "Your computer cannot handle even basic video right now. Programs using the most "
          "power: {top}.",
          "Close programs you do not need, especially {top}, and run the check again.",
          "If it stays slow, have the session by sound only."),
        w("The client's computer cannot handle video",
          "Even low-resolution video could not be processed in real time. Busy programs: {top}.",
          "Use audio only."),
        w("Insufficient CPU for 480p",
          "480p loop {fps:.1f} fps of {target:.0f}, encode {encode_ms:.1f} ms/frame; top "
          "processes: {top}.",),
        fields=("top", "fps", "target", "encode_ms"),
    ),
})

PHRASES.update({
    "probe.camera": "Your camera",
    "probe.microphone": "Your microphone",
    "probe.speaker": "Your speaker",
    "probe.media_loop": "Video on this computer",
    "devices.unknown_holder": "another program",
    "devices.permission.camera.Darwin": "System Settings > Privacy & Security > Camera, and "
    "allow the program you use for sessions",
    "devices.permission.camera.Windows": "Settings > Privacy & security > Camera, and turn on "
    "camera access for apps and desktop apps",
    "devices.permission.camera.Linux": "your computer's settings for camera access (your "
    "account may need to be in the \"video\" group; ask whoever looks after your computer)",
    "devices.permission.camera.other": "your computer's privacy settings for the camera",
    "devices.permission.microphone.Darwin": "System Settings > Privacy & Security > "
    "Microphone, and allow the program you use for sessions",
    "devices.permission.microphone.Windows": "Settings > Privacy & security > Microphone, "
    "and turn on microphone access for apps and desktop apps",
    "devices.permission.microphone.Linux": "your computer's sound settings (your account may "
    "need to be in the \"audio\" group; ask whoever looks after your computer)",
    "devices.permission.microphone.other": "your computer's privacy settings for the microphone",
    "devices.heading.cameras": "Cameras",
    "devices.heading.audio": "Microphones and speakers",
    "devices.none.cameras": "No camera found.",
    "devices.none.audio": "No microphone or speaker found.",
    "devices.audio_unavailable": "Sound devices could not be listed: {reason}",
})


def phrase(key: str, **values: Any) -> str:
    try:
        template = PHRASES[key]
    except KeyError:
        raise CatalogueError(f"no phrase {key!r} in the catalogue") from None
    return template.format(**values)


def verdict_title(verdict: Verdict, *, complete: bool = True) -> str:
    """The banner's title. A video verdict that is not complete is "Partly checked", never "Ready"."""
    if verdict is Verdict.VIDEO and not complete:
        return PHRASES["verdict.title.partly"]
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


# --- frontends additions ---
# Titles of user-facing errors (sessioncheck.errors.SessioncheckError.title_key).
PHRASES.update({
    "error.title.usage": "Check the command",
    "error.title.settings": "Check the settings",
    "error.title.report_file": "This report file cannot be used",
    "error.title.server": "The check server cannot be used",
    "error.title.device": "This device cannot be used",
    "error.title.lab": "The test lab cannot run here",
})
