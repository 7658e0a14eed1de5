"""Peer: the test between the therapist and the client (issue 6, probe ``peer``).

Owned by the peer test. Side-specific codes name the side whose trouble it is:
``peer.client_upload_low`` is the client's upload, ``peer.therapist_upload_low`` the
therapist's. Each audience is addressed from its own side ("your upload" / "the client's").
"""

from __future__ import annotations

from ._entry import Entry, W, w

ENTRIES: dict[str, Entry] = {}


def _side_entry(
    side: str,
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
        return Entry(own, other_for_therapist, support, fields)
    return Entry(other_for_client, own, support, fields)


_NOTHING = "You do not need to do anything: your therapist can see this too."

for _s in ("client", "therapist"):
    ENTRIES.update(
        {
            f"peer.{_s}_upload_low": _side_entry(
                _s,
                own=w(
                    "Your upload is the bottleneck",
                    "Your connection can send only {mbps:.1f} megabits per second to the other "
                    "person: they will see you at {resolution} at best.",
                    "Pause cloud backups, photo sync and file sharing.",
                    "Ask others on your network to pause video streaming and large downloads.",
                    "Move closer to your router or use a network cable.",
                    "If it stays low, use audio only.",
                ),
                other_for_client=w(
                    "Your therapist's connection is slow to send",
                    "You may see your therapist at {resolution} at best.",
                    _NOTHING,
                ),
                other_for_therapist=w(
                    "The client's upload is the bottleneck: {kbps:.0f} kbit/s",
                    "You will see the client at {resolution} at best.{hint}",
                    "Ask the client to pause cloud backups or move closer to their router.",
                ),
                support=w(
                    f"{_s.capitalize()} upload low",
                    f"{_s.capitalize()} → other: {{kbps:.0f}} kbit/s sustained → best video tier "
                    "{resolution} (720p needs {needed_kbps:.0f} kbit/s).{hint}",
                ),
                fields=("kbps", "mbps", "resolution", "needed_kbps", "hint"),
            ),
            f"peer.{_s}_loss_high": _side_entry(
                _s,
                own=w(
                    "What you send gets lost on the way",
                    "{loss_pct:.1f}% of what your computer sends does not arrive, so your words or "
                    "picture may drop out.",
                    "If you are on Wi-Fi, move closer to your router or use a network cable.",
                    "Pause downloads, streaming and cloud backups on your network.",
                    "Restart your router if this keeps happening.",
                ),
                other_for_client=w(
                    "Some of what your therapist sends gets lost",
                    "Their words or picture may drop out now and then.",
                    _NOTHING,
                ),
                other_for_therapist=w(
                    "The client's connection loses data: {loss_pct:.1f}%",
                    "Their words or picture will drop out now and then.{hint}",
                    "Ask the client to move closer to their router; use audio only if it stays bad.",
                ),
                support=w(
                    f"Packet loss {_s} → other",
                    "{loss_pct:.2f} % on the unreliable channel (sender's and receiver's view "
                    "averaged; good ≤ {good:.0f} %, fair ≤ {fair:.0f} %, poor > {poor:.0f} %).{hint}",
                ),
                fields=("loss_pct", "good", "fair", "poor", "hint"),
            ),
            f"peer.{_s}_jitter_high": _side_entry(
                _s,
                own=w(
                    "What you send arrives unevenly",
                    "Your sound and picture may stutter for the other person.",
                    "Pause downloads, streaming and cloud backups on your network.",
                    "If you are on Wi-Fi, move closer to your router or use a network cable.",
                ),
                other_for_client=w(
                    "What your therapist sends arrives unevenly", "Their sound and picture may stutter.", _NOTHING
                ),
                other_for_therapist=w(
                    "Uneven timing on the client's side: {jitter_ms:.0f} ms",
                    "Expect choppy sound or video from the client.{hint}",
                    "Ask the client to pause other internet use.",
                ),
                support=w(
                    f"Jitter {_s} → other",
                    "RFC 3550 jitter {jitter_ms:.1f} ms (good ≤ {good:.0f} ms, fair ≤ {fair:.0f} ms).{hint}",
                ),
                fields=("jitter_ms", "good", "fair", "hint"),
            ),
            f"peer.{_s}_bufferbloat": _side_entry(
                _s,
                own=w(
                    "Your connection slows down when it is busy",
                    "When your connection is busy sending, the delay grows by {delta_s:.2f} seconds.",
                    "Ask others at home not to upload large files during the session.",
                    "Pause cloud backups and photo sync.",
                    "If your router has a 'smart queue' or 'QoS' setting, turn it on.",
                ),
                other_for_client=w(
                    "Your therapist's connection slows down when busy", "You may hear them late now and then.", _NOTHING
                ),
                other_for_therapist=w(
                    "The client's connection lags when busy: +{delta_ms:.0f} ms",
                    "Delay rises while their upload is full (bufferbloat).",
                    "Ask the client to stop other uploads during the session.",
                ),
                support=w(
                    f"Latency under load ({_s} upload saturated)",
                    "RTT idle {idle_ms:.1f} ms → +{delta_ms:.0f} ms loaded (threshold {threshold:.0f} ms).",
                ),
                fields=("delta_ms", "delta_s", "idle_ms", "threshold"),
            ),
            f"peer.{_s}_video_loss": _side_entry(
                _s,
                own=w(
                    "Your picture does not arrive cleanly",
                    "Part of your picture got lost on the way in a test call, so it may freeze.",
                    "Close other programs and pause downloads on your network.",
                    "Move closer to your router or use a network cable.",
                ),
                other_for_client=w(
                    "Your therapist's picture did not arrive cleanly",
                    "Their picture may freeze now and then.",
                    _NOTHING,
                ),
                other_for_therapist=w(
                    "The client's video arrives damaged: {loss_pct:.1f}% lost",
                    "Expect their picture to freeze.{hint}",
                    "Ask the client to pause other internet use, or use audio only.",
                ),
                support=w(
                    f"Media leg: video {_s} → other",
                    "RTP loss {loss_pct:.2f} %, {fps:.1f} fps decoded at the receiver.{hint}",
                ),
                fields=("loss_pct", "fps", "hint"),
            ),
            f"peer.{_s}_cpu_busy": _side_entry(
                _s,
                own=w(
                    "Your computer is very busy",
                    "Other programs use most of your computer's power ({cpu_pct:.0f}%), so your video may stutter.",
                    "Close programs you do not need, especially games, video and large downloads.",
                ),
                other_for_client=w("Your therapist's computer is busy", "Their video may stutter.", _NOTHING),
                other_for_therapist=w(
                    "The client's computer is heavily loaded ({cpu_pct:.0f}%)",
                    "Expect choppy video from them.",
                    "Ask the client to close other programs.",
                ),
                support=w(f"High CPU load ({_s})", "Others' CPU use {cpu_pct:.1f}% (threshold {threshold:.0f}%)."),
                fields=("cpu_pct", "threshold"),
            ),
            f"peer.{_s}_on_vpn": _side_entry(
                _s,
                own=w(
                    "A VPN is turned on",
                    "A VPN can slow down the call or block a direct connection.",
                    "If you do not need the VPN for this session, turn it off and test again.",
                ),
                other_for_client=w("Your therapist uses a VPN", "It can add a little delay.", _NOTHING),
                other_for_therapist=w(
                    "The client is connected through a VPN",
                    "A VPN adds delay and can force a relayed connection.",
                    "Ask the client whether they can turn the VPN off.",
                ),
                support=w(f"VPN/tunnel interface active ({_s})", "Interfaces: {interfaces}."),
                fields=("interfaces",),
            ),
            f"peer.{_s}_on_wifi": _side_entry(
                _s,
                own=w("You are using Wi-Fi", "Wi-Fi works, but a cable is steadier."),
                other_for_client=w("Your therapist is on Wi-Fi", "This is usually fine."),
                other_for_therapist=w("The client is on Wi-Fi", "Wi-Fi is the most common cause of short freezes."),
                support=w(f"Wireless interface active ({_s})", "Interfaces: {interfaces}."),
                fields=("interfaces",),
            ),
            f"peer.{_s}_relay": _side_entry(
                _s,
                own=w(
                    "Your call takes a longer route",
                    "Your network does not allow a direct connection, so the call passes through "
                    "one of the clinic's servers. It works, with a little more delay.",
                ),
                other_for_client=w(
                    "Your call takes a longer route",
                    "Your therapist's network does not allow a direct connection; the "
                    "call passes through one of the clinic's servers.",
                ),
                other_for_therapist=w(
                    "You are connected through a relay",
                    "You are connected through a relay because the client's network "
                    "blocks direct connections; expect a little more delay.",
                ),
                support=w(
                    f"Relay candidate selected on the {_s}'s side", f"Nominated pair: {_s} relay over {{transport}}."
                ),
                fields=("transport",),
            ),
            f"peer.{_s}_udp_blocked": _side_entry(
                _s,
                own=w(
                    "Your network blocks the fastest kind of call traffic",
                    "The call can only get through by a slower route, so video may be less smooth.",
                    "If you are on a work, school or hotel network, try your home network.",
                    "Turn off any VPN or firewall program if you can.",
                ),
                other_for_client=w(
                    "Your therapist's network forces a slower route", "Video may be less smooth.", _NOTHING
                ),
                other_for_therapist=w(
                    "The client's network blocks UDP",
                    "You are connected through a relay over {transport} because the "
                    "client's network blocks direct connections; expect more delay.",
                    "If video struggles, ask the client to try another network.",
                ),
                support=w(
                    f"UDP blocked on the {_s}'s side: TURN over {{transport}}",
                    "Nominated pair uses a relay candidate over {transport}.",
                ),
                fields=("transport",),
            ),
            f"peer.{_s}_left": _side_entry(
                _s,
                own=w(
                    "The test stopped before it finished",
                    "Your computer stopped taking part before the test finished. The results measured so far are kept.",
                    "Check your internet connection and start a new test with a new code.",
                ),
                other_for_client=w(
                    "Your therapist left the test before it finished",
                    "The results measured so far are kept. {detail}",
                    "Ask your therapist for a new code if they want to test again.",
                ),
                other_for_therapist=w(
                    "The client left the test before it finished",
                    "Partial results only: {detail}.",
                    "Give the client a new code and test again.",
                ),
                support=w(f"Peer test incomplete: {_s} side missing", "{detail}."),
                fields=("detail",),
            ),
        }
    )

ENTRIES.update(
    {
        "peer.rtt_high": Entry(
            w(
                "There is a long delay between you and the other person",
                "What you say takes {rtt_s:.2f} seconds to reach the other person and come back, so "
                "you may talk over each other.",
                "Pause downloads, streaming and cloud backups on your network.",
                "Leave a short pause before you answer.",
            ),
            w(
                "Long delay between you and the client: {rtt_ms:.0f} ms",
                "Round trip {rtt_ms:.0f} ms on the real path between you; expect people to talk over each other.",
                "Leave short pauses; agree on a hand signal for turn-taking.",
            ),
            w("High RTT on the peer path", "Median RTT {rtt_ms:.1f} ms (fair ≤ {fair:.0f} ms, poor > {poor:.0f} ms)."),
            fields=("rtt_ms", "rtt_s", "fair", "poor"),
        ),
        "peer.connect_failed": Entry(
            w(
                "A test call between you and your therapist could not connect",
                "Both computers reached the test server, but a call between them could not be set "
                "up. A real call would probably fail the same way.",
                "If you are on a work, school or hotel network, try another network.",
                "Turn off any VPN or firewall program and test again.",
                "If nothing helps, use the phone for this session.",
            ),
            w(
                "The call between you and the client could not connect",
                "No direct or relayed connection came up between your computers: {detail}.",
                "Switch to a phone call; ask support to check the TURN configuration.",
            ),
            w(
                "Peer connection failed",
                "{detail}.",
                "Check that UDP or a TURN server over TCP/TLS is reachable from both networks.",
            ),
            fields=("detail",),
        ),
        "peer.server_lost": Entry(
            w(
                "The test server went away during the test",
                "The clinic's test server stopped (perhaps it restarted), so the test ended early. "
                "The results measured so far are kept.",
                "Wait a minute, then start a new test with a new code.",
            ),
            w(
                "The test server went away mid-test",
                "Partial results only: {detail}.",
                "Start a new test with a new code in a minute.",
            ),
            w("Signalling lost mid-test", "{detail}.", "Check the server's log: restarted or killed?"),
            fields=("detail",),
        ),
        "peer.server_ended": Entry(
            w(
                "The test server ended the test early",
                "The test was stopped by the clinic's test server. The results so far are kept.",
                "Start a new test with a new code.",
            ),
            w("The test server ended the test", "{detail}.", "Start a new test with a new code."),
            w("Server ended the peer test", "{detail}.", "Check --max-duration on the server."),
            fields=("detail",),
        ),
        "peer.code_invalid": Entry(
            w(
                "That code does not work",
                "No test is waiting with this code.",
                "Check the code with your therapist: it has nine letters and numbers, like 4KQ-7PZ-M2X.",
            ),
            w("The client's code did not match a room", "{detail}.", "Read the code to the client again."),
            w("Join refused: unknown code", "{detail}."),
            fields=("detail",),
        ),
        "peer.code_expired": Entry(
            w("That code has expired", "Codes only work for 15 minutes.", "Ask your therapist for a new code."),
            w("The code expired before the client joined", "{detail}.", "Start a new test and read the new code."),
            w("Join refused: code expired", "{detail}."),
            fields=("detail",),
        ),
        "peer.code_used": Entry(
            w("That code was already used", "Each code works only once.", "Ask your therapist for a new code."),
            w("The code was already used", "{detail}.", "Start a new test and read the new code."),
            w("Join refused: code already used", "{detail}."),
            fields=("detail",),
        ),
        "peer.rate_limited": Entry(
            w(
                "Too many wrong codes were tried",
                "To keep tests private, you must wait {retry_s:.0f} seconds before trying again.",
                "Wait {retry_s:.0f} seconds, then type the code carefully.",
            ),
            w(
                "The client tried too many wrong codes",
                "Joining is blocked for {retry_s:.0f} s.",
                "Read the code again slowly, group by group.",
            ),
            w(
                "Join attempts throttled",
                "{detail} (retry after {retry_s:.0f} s).",
            ),
            fields=("retry_s", "detail"),
        ),
        "peer.server_unreachable": Entry(
            w(
                "We could not reach the clinic's test server",
                "The test between you and your therapist could not start.",
                "Check that the internet works on this computer (open a web page).",
                "Check the test server address you were given.",
            ),
            w(
                "The test server could not be reached",
                "{detail}.",
                "Check the server address and that `sessioncheck serve` is running.",
            ),
            w(
                "Test server unreachable or refused",
                "{detail}.",
                "Check the URL, the token, /health, DNS and the firewall.",
            ),
            fields=("detail",),
        ),
        "peer.summary": Entry(
            w(
                "The connection between you and your therapist: {quality}",
                "Sound quality estimate: {mos:.1f} out of 4.5. Best video: {resolution_client} from "
                "you, {resolution_therapist} from your therapist. {path_client}",
            ),
            w(
                "Peer path quality: {quality}",
                "Estimated audio MOS {mos:.2f}. Best video: {resolution_client} from the client, "
                "{resolution_therapist} from you. RTT {rtt_ms:.0f} ms. {path_therapist}",
            ),
            w(
                "Peer test summary",
                "MOS {mos:.2f} (E-model, R {r:.1f}); RTT {rtt_ms:.1f} ms; worst jitter {jitter_ms:.1f} ms; "
                "worst loss {loss_pct:.2f} %; client→therapist {client_kbps:.0f} kbit/s "
                "({resolution_client}), therapist→client {therapist_kbps:.0f} kbit/s "
                "({resolution_therapist}); path: {path_support}.",
            ),
            fields=(
                "quality",
                "mos",
                "r",
                "rtt_ms",
                "jitter_ms",
                "loss_pct",
                "client_kbps",
                "therapist_kbps",
                "resolution_client",
                "resolution_therapist",
                "path_client",
                "path_therapist",
                "path_support",
            ),
        ),
    }
)

PHRASES: dict[str, str] = {
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
}
