"""Findings about reaching the clinic's connection servers (STUN/TURN, probe ``ice``)."""

from __future__ import annotations

from ._entry import Entry, w

ENTRIES: dict[str, Entry] = {
    # --- ice: reaching the connection servers --------------------------------------------
    "ice.offline": Entry(
        w(
            "This computer cannot reach the internet",
            "We could not reach any of the servers a video call needs.",
            "Check that you are connected to Wi-Fi or a network cable.",
            "Open a web page to see whether the internet works at all.",
            "If it does not, restart your router, or call your therapist by phone.",
        ),
        w(
            "The client cannot reach the internet",
            "None of the connection servers answered from the client's computer.",
            "Switch to a phone call, or ask the client to restart their router.",
        ),
        w(
            "No ICE server reachable",
            "0 of {tried} server checks answered (DNS failures: {dns}, timeouts: {timeouts}, "
            "other: {other}); servers tried: {servers}.",
            "Check DNS and outbound UDP 3478 / TCP 443 from this network.",
        ),
        fields=("tried", "dns", "timeouts", "other", "servers"),
    ),
    "ice.servers_unreachable": Entry(
        w(
            "We cannot reach your clinic's video-call servers",
            "The servers your clinic uses for calls did not answer from this network.",
            "Turn off any VPN or firewall program and run the check again.",
            "If you are on a work or public network, try another network.",
            "Tell your clinic: they may need to check their servers.",
        ),
        w(
            "The client cannot reach the clinic's connection servers",
            "None of the configured STUN/TURN servers answered from the client's network.",
            "Switch to a phone call and pass the report to support.",
        ),
        w(
            "No configured ICE server reachable",
            "0 of {tried} checks against configured servers answered (DNS failures: {dns}, "
            "timeouts: {timeouts}, other: {other}); servers: {servers}.",
            "Check the iceServers configuration and the servers' firewalls.",
        ),
        fields=("tried", "dns", "timeouts", "other", "servers"),
    ),
    "ice.dns_failed": Entry(
        w(
            "A server name could not be looked up",
            "Your computer could not find one of the servers needed for calls.",
            "Restart your router.",
            "If you use a VPN or changed your internet settings, turn the VPN off and try again.",
        ),
        w(
            "A connection server's name did not resolve on the client's side",
            "DNS lookup of {host} failed; that server cannot help this call.",
        ),
        w(
            "DNS resolution failed",
            "Resolving {host} for {url} failed: {detail}.",
            "Check the host name in the iceServers configuration and the resolver.",
        ),
        fields=("host", "url", "detail"),
    ),
    "ice.no_answer": Entry(
        w(
            "A server did not answer",
            "One of the servers used for calls did not answer. Your network may block the "
            "kind of traffic video calls use.",
            "If you are on a work, school or hotel network, try another network.",
            "Turn off any VPN or firewall program and run the check again.",
        ),
        w(
            "A connection server did not answer from the client's network",
            "No reply from {url} over {transport}: {detail}.",
        ),
        w(
            "No answer from ICE server",
            "{url} over {transport}: {detail}.",
            "Check the server is running and that {transport} port {port} is open on both sides.",
        ),
        fields=("url", "transport", "detail", "port"),
    ),
    "ice.udp_blocked": Entry(
        w(
            "Your network blocks the fastest kind of call traffic",
            "Calls will still work through a detour, but video may be less smooth.",
            "If you are on a work, school or hotel network, try your home network.",
            "Turn off any VPN or firewall program if you can.",
        ),
        w(
            "The client's network blocks UDP",
            "The call will go through a relay over TCP/TLS; expect more delay.",
        ),
        w(
            "UDP blocked; TCP/TLS works",
            "{udp_failed} UDP check(s) got no answer while {tcp_ok} TCP/TLS check(s) succeeded.",
            "Make sure a TURN server over TCP or TLS (turns:...:443) is configured.",
        ),
        fields=("udp_failed", "tcp_ok"),
    ),
    "ice.turn_auth_failed": Entry(
        w(
            "The clinic's call server refused our login",
            "One of the servers that helps calls through strict networks did not accept its "
            "password. This is not your fault.",
            "Tell your clinic that the login for their call server is wrong (the report has details).",
        ),
        w(
            "TURN server credentials are wrong",
            "The relay refused the configured username/password; calls that need a relay will fail.",
            "Ask support to update the TURN credentials.",
        ),
        w(
            "TURN authentication failed (401)",
            "{url} over {transport} answered {code} {reason} to an authenticated Allocate (username {username!r}).",
            "Check the TURN username and credential (and expiry, for time-limited credentials).",
        ),
        fields=("url", "transport", "code", "reason", "username"),
    ),
    "ice.tls_rejected": Entry(
        w(
            "A secure connection to the clinic's server could not be checked",
            "The security certificate of one of the clinic's servers was not accepted.",
            "Check that your computer's date and time are correct.",
            "Tell your clinic: their server certificate may need renewing.",
        ),
        w(
            "TLS certificate of the TURN server rejected",
            "The client's computer does not trust the relay's certificate; TLS relaying will fail.",
            "Ask support to check the server certificate.",
        ),
        w(
            "TLS certificate verification failed",
            "{url}: {detail}.",
            "Install a certificate from a public CA, or pass the CA with --ca-file.",
        ),
        fields=("url", "detail"),
    ),
    "ice.tcp_refused": Entry(
        w(
            "A server refused the connection",
            "One of the clinic's servers refused to connect. It may be switched off.",
            "Tell your clinic; the report has details.",
        ),
        w(
            "A connection server refused TCP",
            "{url} refused the connection; TCP/TLS relaying through it will fail.",
        ),
        w("TCP connection refused", "{url} ({transport}): {detail}.", "Check the server is listening on port {port}."),
        fields=("url", "transport", "detail", "port"),
    ),
    "ice.udp_refused": Entry(
        w(
            "A server is not answering calls",
            "One of the clinic's servers for calls is not accepting connections. It may be switched off.",
            "Tell your clinic; the report has details.",
        ),
        w(
            "A connection server is not listening",
            "{url}: nothing is listening on that port; calls through it will fail.",
        ),
        w(
            "UDP port unreachable",
            "{url} ({transport}): {detail} (ICMP port unreachable).",
            "Check the server is running and listening on UDP port {port}.",
        ),
        fields=("url", "transport", "detail", "port"),
    ),
    "ice.turn_quota": Entry(
        w(
            "The clinic's call server is full",
            "A server that helps calls through strict networks refused us because it is busy.",
            "Try again in a few minutes.",
            "Tell your clinic if this keeps happening.",
        ),
        w(
            "TURN allocation refused",
            "The relay refused a new allocation ({code} {reason}); calls that need it will fail.",
            "Ask support to check the TURN server's quotas.",
        ),
        w(
            "TURN allocation refused",
            "{url} over {transport} answered {code} {reason}.",
            "Raise the server's user/total quota or capacity.",
        ),
        fields=("url", "transport", "code", "reason"),
    ),
    "ice.server_error": Entry(
        w(
            "A server gave an unexpected answer",
            "One of the servers used for calls answered in a way we did not expect.",
            "Tell your clinic; the report has details.",
        ),
        w(
            "A connection server answered unexpectedly",
            "{url}: {detail}.",
        ),
        w(
            "Unexpected ICE server response",
            "{url} over {transport}: {detail}.",
        ),
        fields=("url", "transport", "detail"),
    ),
    "ice.stun_slow": Entry(
        w(
            "The connection is slow to answer",
            "Your connection takes a long time to reach the call servers. Conversation may feel delayed.",
            "Pause large downloads, uploads and streaming on your network.",
            "If you are on Wi-Fi, move closer to your router.",
        ),
        w(
            "High delay from the client to the servers",
            "Round trip {rtt_ms:.0f} ms.",
        ),
        w(
            "High STUN round-trip time",
            "Best STUN RTT {rtt_ms:.1f} ms to {url} (threshold {threshold:.0f} ms).",
        ),
        fields=("rtt_ms", "url", "threshold"),
    ),
}
