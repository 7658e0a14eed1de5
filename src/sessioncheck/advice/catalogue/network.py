"""Network: the path to the clinic's check server (issue 3, probe ``path``).

Owned by the path probe. Directions are named from the client's side: "upload" is what
they send, "download" what they receive.
"""

from __future__ import annotations

from ._entry import Entry, w

ENTRIES: dict[str, Entry] = {
    "network.server_address_invalid": Entry(
        w(
            "The check server address is not right",
            "The address given for your clinic's check server is not a valid address, so your "
            "connection to the clinic was not tested.",
            "Check the address your clinic gave you (it starts with wss://) and run the check again.",
        ),
        w(
            "The client's check server address is invalid",
            "The connection to the clinic was not tested: {detail}.",
            "Send the client the exact check server address.",
        ),
        w(
            "Invalid check server URL",
            "{detail}.",
            "Use ws://HOST:PORT or wss://HOST:PORT (path /ws by default), or 'local'.",
        ),
        fields=("detail",),
    ),
    "network.server_unreachable": Entry(
        w(
            "We could not reach your clinic's check server",
            "Your connection to the clinic could not be tested because its check server did not answer.",
            "Check that the internet works on this computer (open a web page).",
            "Turn off any VPN or firewall program and run the check again.",
            "If it still fails, tell your clinic: their check server may be switched off.",
        ),
        w(
            "The client could not reach the check server",
            "The path to the clinic was not measured: {detail}.",
            "Check that the check server is running, or ask the client to try another network.",
        ),
        w(
            "Check server unreachable",
            "{detail}.",
            "Check `sessioncheck serve` is running, its /health endpoint, DNS, and the firewall.",
        ),
        fields=("detail",),
    ),
    "network.server_auth_failed": Entry(
        w(
            "The clinic's check server did not accept our access code",
            "The access code for your clinic's check server is missing or wrong, so your "
            "connection to the clinic was not tested. This is not your fault.",
            "Ask your clinic for the current access code and run the check again with it.",
        ),
        w(
            "The check server refused the client's access token",
            "The path was not measured because the token was missing or wrong.",
            "Send the client the current check server token.",
        ),
        w(
            "Check server token rejected",
            "{detail}.",
            "Compare the client's --token with the server's --token / SESSIONCHECK_SERVE_TOKEN.",
        ),
        fields=("detail",),
    ),
    "network.server_busy": Entry(
        w(
            "The clinic's check server is busy",
            "Too many people are testing at the moment, so your connection to the clinic was not tested yet.",
            "Wait {retry_s:.0f} seconds and run the check again.",
        ),
        w(
            "The check server was full",
            "The server turned the client's test away; it asked them to retry in {retry_s:.0f} s.",
            "Ask the client to run the check again in a minute.",
        ),
        w(
            "Check server at capacity",
            "{detail} (retry after {retry_s:.0f} s).",
            "Raise --max-tests on the server if this happens often.",
        ),
        fields=("retry_s", "detail"),
    ),
    "network.server_stopped": Entry(
        w(
            "The clinic's check server stopped answering",
            "The test of your connection to the clinic stopped half way because the check server "
            "stopped answering. The results measured before that are kept.",
            "Run the check again in a few minutes.",
            "If it happens again, tell your clinic.",
        ),
        w(
            "The check server stopped answering mid-test",
            "Partial path results only: {detail}.",
            "Run the test again; if it repeats, check the server.",
        ),
        w(
            "Check server stopped answering mid-test",
            "{detail}. Measurements recorded before the stop are kept.",
            "Check the server's log and whether it was restarted or killed.",
        ),
        fields=("detail",),
    ),
    "network.connect_failed": Entry(
        w(
            "A test call to your clinic could not connect",
            "Your computer reached the clinic's check server but a test call to it could not be "
            "set up. A real call would probably fail the same way.",
            "If you are on a work, school or hotel network, try another network.",
            "Turn off any VPN or firewall program and run the check again.",
            "If nothing helps, call your therapist by phone.",
        ),
        w(
            "WebRTC to the check server failed from the client's network",
            "Signalling worked but no ICE/DTLS connection came up: {detail}.",
            "Switch to a phone call; ask support to check the TURN configuration.",
        ),
        w(
            "Path test: peer connection failed",
            "{detail}.",
            "Check that UDP or a TURN server over TCP/TLS is reachable from this network.",
        ),
        fields=("detail",),
    ),
    "network.rtt_high": Entry(
        w(
            "Your connection has a long delay",
            "What you say takes {rtt_s:.2f} seconds to get to the clinic and back, so you may talk over each other.",
            "Pause downloads, streaming and cloud backups on your network.",
            "If you are on Wi-Fi, move closer to your router or use a network cable.",
            "Leave a short pause before you answer.",
        ),
        w(
            "Long delay on the client's connection",
            "Round trip {rtt_ms:.0f} ms to the check server; expect people to talk over each other.",
            "Leave short pauses; agree on a hand signal for turn-taking.",
        ),
        w(
            "High round-trip time to the check server",
            "Median RTT {rtt_ms:.1f} ms, p95 {rtt_p95_ms:.1f} ms over {pings} pings "
            "(fair ≤ {fair:.0f} ms, poor > {poor:.0f} ms).",
        ),
        fields=("rtt_ms", "rtt_s", "rtt_p95_ms", "pings", "fair", "poor"),
    ),
    "network.jitter_high": Entry(
        w(
            "Your {direction} is uneven",
            "Data on your {direction} arrives unevenly, so sound and picture may stutter.",
            "Pause downloads, streaming and cloud backups on your network.",
            "If you are on Wi-Fi, move closer to your router or use a network cable.",
        ),
        w(
            "Uneven timing on the client's {direction}",
            "Jitter {jitter_ms:.1f} ms on their {direction}; expect choppy sound or video.",
            "Ask the client to pause other internet use.",
        ),
        w(
            "High interarrival jitter ({direction})",
            "RFC 3550 jitter: upload {jitter_up}, download {jitter_down} (good ≤ {good:.0f} ms, fair ≤ {fair:.0f} ms).",
        ),
        fields=("direction", "jitter_ms", "jitter_up", "jitter_down", "good", "fair"),
    ),
    "network.loss_high": Entry(
        w(
            "Your {direction} loses data",
            "{loss_pct:.1f}% of the data on your {direction} gets lost, so words or the picture may drop out.",
            "If you are on Wi-Fi, move closer to your router or use a network cable.",
            "Pause downloads, streaming and cloud backups on your network.",
            "Restart your router if this keeps happening.",
        ),
        w(
            "Packet loss on the client's {direction}",
            "{loss_pct:.1f}% loss on their {direction}; expect words or picture to drop out.",
            "Ask the client to move closer to their router; use audio only if it stays bad.",
        ),
        w(
            "Packet loss ({direction})",
            "Unreliable-channel loss: upload {loss_up}, download {loss_down} over {packets} paced "
            "packets per direction (good ≤ {good:.0f} %, fair ≤ {fair:.0f} %, poor > {poor:.0f} %).",
        ),
        fields=("direction", "loss_pct", "loss_up", "loss_down", "packets", "good", "fair", "poor"),
    ),
    "network.upload_low": Entry(
        w(
            "Your upload speed is too low for good video",
            "Your connection can send {mbps:.1f} megabits per second, enough for {resolution} video at most.",
            "Close apps that upload (cloud backups, photo sync, file sharing).",
            "Ask others on your network to pause video streaming and large downloads.",
            "Move closer to your router or use a network cable.",
            "If it stays low, use audio only.",
        ),
        w(
            "The client's upload is the bottleneck",
            "Their upload carries {kbps:.0f} kbit/s: your picture of them will be {resolution} at best.",
            "Ask the client to pause cloud backups or move closer to their router.",
        ),
        w(
            "Low upload throughput",
            "Upload {kbps:.0f} kbit/s → best video tier {resolution} (720p needs {needed_kbps:.0f} kbit/s measured).",
        ),
        fields=("kbps", "mbps", "resolution", "needed_kbps"),
    ),
    "network.download_low": Entry(
        w(
            "Your download speed is too low for good video",
            "Your connection can receive {mbps:.1f} megabits per second, enough for {resolution} video at most.",
            "Pause streaming, games and large downloads on your network.",
            "Ask others on your network to pause video streaming.",
            "Move closer to your router or use a network cable.",
            "If it stays low, use audio only.",
        ),
        w(
            "The client's download is limited",
            "Their download carries {kbps:.0f} kbit/s: they will see you at {resolution} at best.",
            "Ask the client to pause streaming and downloads at home.",
        ),
        w(
            "Low download throughput",
            "Download {kbps:.0f} kbit/s → best video tier {resolution} (720p needs {needed_kbps:.0f} kbit/s measured).",
        ),
        fields=("kbps", "mbps", "resolution", "needed_kbps"),
    ),
    "network.bufferbloat": Entry(
        w(
            "Your connection slows down when it is busy",
            "When your {direction} is busy, the delay grows by {delta_s:.2f} seconds. Someone else "
            "downloading or uploading during the session will make you hard to follow.",
            "Ask others at home not to upload or download large files during the session.",
            "Pause cloud backups and game downloads.",
            "If your router has a 'smart queue' or 'QoS' setting, turn it on.",
        ),
        w(
            "The client's connection lags when busy",
            "Delay rises by {delta_ms:.0f} ms while their {direction} is full (bufferbloat).",
            "Ask the client to stop other uploads/downloads during the session.",
        ),
        w(
            "Latency under load (bufferbloat)",
            "RTT idle {idle_ms:.1f} ms → {loaded_ms:.1f} ms with the {direction} saturated "
            "(+{delta_ms:.0f} ms, threshold {threshold:.0f} ms).",
        ),
        fields=("direction", "delta_ms", "delta_s", "idle_ms", "loaded_ms", "threshold"),
    ),
    "network.relay_used": Entry(
        w(
            "Your call takes a detour",
            "You are connected through a detour because a direct connection was not possible: "
            "the call is passed through one of the clinic's servers. It works, with a little "
            "more delay.",
        ),
        w(
            "The client connects through a relay",
            "Direct connections are blocked on their network; the call goes through TURN ({transport}).",
        ),
        w(
            "Relay candidate selected",
            "Nominated pair: local relay over {transport}.",
        ),
        fields=("transport",),
    ),
    "network.udp_blocked": Entry(
        w(
            "Your network blocks direct connections",
            "You are connected through a detour because your network blocks direct connections: "
            "the call goes through one of the clinic's servers, over a secure web connection. "
            "It works, but video may be less smooth.",
            "If you are on a work, school or hotel network, try your home network.",
            "Turn off any VPN or firewall program if you can.",
        ),
        w(
            "The client's network blocks UDP",
            "You are connected through a relay over {transport} because the client's network blocks "
            "direct connections; expect more delay.",
        ),
        w(
            "UDP blocked: TURN over {transport}",
            "Nominated pair uses a relay candidate over {transport}.",
            "Expected on restrictive networks; keep turns:…:443 configured.",
        ),
        fields=("transport",),
    ),
    # CPU-starved measuring side (issue 11 item 19) and gentle capacity tests (item 7)
    "network.measure_busy": Entry(
        w(
            "{where_title} was too busy to measure your connection",
            "{where_title} could not keep up with the test because other work kept it busy, so "
            "some results about your connection ({not_judged}) could not be measured properly. "
            "This does not mean your internet is bad.",
            "Close other programs, especially video, games and downloads, and run the check again.",
            "If it happens again, restart the computer before the session.",
        ),
        w(
            "{where_title} was too busy to measure the client's connection",
            "The {not_judged} figures are left out: {where} could not keep up with the test, "
            "so they would blame the client's connection for a busy computer.",
            "Ask the client to close other programs and run the check again.",
        ),
        w(
            "Measuring side CPU-starved: {not_judged} not judged",
            "{detail}.",
            "Rerun with fewer concurrent tests / programs; compare path.cpu.* and path.server_socket_drops.",
        ),
        fields=("where", "where_title", "not_judged", "detail"),
    ),
    "network.capacity_at_least": Entry(
        w(
            "Your connection carries at least {cap_mbps:.1f} megabits per second",
            "The speed test stopped at {cap_mbps:.1f} megabits per second on purpose, so that it "
            "would not disturb a call in progress. That is enough for a video call; your "
            "{direction} may be faster.",
        ),
        w(
            "The client's {direction}: at least {cap_mbps:.1f} Mbit/s (gentle test)",
            "The speed test stopped at the gentle cap so as not to disturb the call; "
            "{direction} speed is at least {cap_mbps:.1f} Mbit/s, not its full capacity.",
        ),
        w(
            "Gentle mode: {direction} measured only up to the cap",
            "Capacity tests capped at {cap_kbps:.0f} kbit/s; {direction} reached it "
            "(up {up}, down {down}): lower bounds, not the link's capacity.",
        ),
        fields=("direction", "cap_kbps", "cap_mbps", "up", "down"),
    ),
    "network.summary": Entry(
        w(
            "Connection to the clinic: {quality}",
            "Sound quality estimate: {mos:.1f} out of 4.5. Best video for your connection: {resolution}.{local_note}",
        ),
        w(
            "Path quality: {quality}",
            "Estimated audio MOS {mos:.2f}; recommended video {resolution}. RTT {rtt_ms:.0f} ms, "
            "jitter {jitter_ms:.1f} ms, loss {loss_pct:.1f} %.{local_note}",
        ),
        w(
            "Path summary",
            "MOS {mos:.2f} (E-model, R {r:.1f}); RTT {rtt_ms:.1f} ms, worst jitter {jitter_ms:.1f} ms, "
            "worst loss {loss_pct:.2f} %; up {up}, down {down}; "
            "recommended {resolution}; server {server_kind}.{local_note}",
        ),
        fields=(
            "quality",
            "mos",
            "r",
            "resolution",
            "rtt_ms",
            "jitter_ms",
            "loss_pct",
            "up",
            "down",
            "server_kind",
            "local_note",
        ),
    ),
}

PHRASES: dict[str, str] = {
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
}
