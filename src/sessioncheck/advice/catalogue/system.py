"""Findings about this computer: its network interfaces, load, battery and WebRTC stack (probes
``system`` and ``loopback``)."""

from __future__ import annotations

from ._entry import Entry, w

ENTRIES: dict[str, Entry] = {
    # --- system ---------------------------------------------------------------------------
    "system.no_network": Entry(
        w(
            "This computer is not connected to a network",
            "We could not find any working network connection.",
            "Check that Wi-Fi is turned on, or plug in a network cable.",
            "Restart your router if other devices cannot connect either.",
            "If nothing helps, call your therapist by phone.",
        ),
        w(
            "The client's computer has no network connection",
            "No active network interface was found on the client's computer.",
            "Switch to a phone call for this session.",
        ),
        w(
            "No active network interface",
            "No interface other than loopback is up with an address.",
            "Check interface state (ip link / ipconfig).",
        ),
    ),
    "system.cpu_busy": Entry(
        w(
            "Your computer is very busy",
            "Other programs are using most of your computer's power ({cpu_pct:.0f}%). The video may stutter.",
            "Close programs you do not need, especially games, video and large downloads.",
            "Plug in your laptop: some computers slow down on battery.",
        ),
        w(
            "The client's computer is heavily loaded",
            "CPU use is {cpu_pct:.0f}% before the call starts; expect choppy video from them.",
            "Ask the client to close other programs.",
        ),
        w(
            "High CPU load before the session",
            "CPU {cpu_pct:.1f}% (threshold {threshold:.0f}%), load average {load1:.2f} on {cpus} logical CPUs.",
        ),
        fields=("cpu_pct", "threshold", "load1", "cpus"),
    ),
    "system.memory_low": Entry(
        w(
            "Your computer is low on memory",
            "Only {available_mb:.0f} MB of memory is free, so the call may freeze.",
            "Close programs and browser tabs you do not need.",
        ),
        w(
            "The client's computer is low on memory",
            "{available_mb:.0f} MB free; the call may freeze on their side.",
            "Ask the client to close other programs and browser tabs.",
        ),
        w(
            "Low available memory",
            "Available {available_mb:.0f} MB of {total_mb:.0f} MB (threshold {threshold:.0f} MB).",
        ),
        fields=("available_mb", "total_mb", "threshold"),
    ),
    "system.battery_low": Entry(
        w(
            "Your battery is low",
            "Your battery is at {battery_pct:.0f}% and not charging. It may run out during the session.",
            "Plug in your charger now.",
        ),
        w(
            "The client's laptop battery is low",
            "Battery at {battery_pct:.0f}%, not charging.",
            "Ask the client to plug in their charger.",
        ),
        w(
            "Battery low and unplugged",
            "Battery {battery_pct:.0f}% (threshold {threshold:.0f}%), on battery power.",
        ),
        fields=("battery_pct", "threshold"),
    ),
    "system.on_wifi": Entry(
        w(
            "You are using Wi-Fi",
            "Wi-Fi works, but a cable is steadier.",
            "If you can, sit close to your router or connect with a network cable.",
        ),
        w(
            "The client is on Wi-Fi",
            "Wi-Fi is the most common cause of short freezes.",
        ),
        w(
            "Wireless interface active",
            "Active interfaces: {interfaces}.",
        ),
        fields=("interfaces",),
    ),
    "system.on_vpn": Entry(
        w(
            "A VPN is turned on",
            "A VPN can slow down video calls or block them.",
            "If you do not need the VPN for this session, turn it off and run the check again.",
        ),
        w(
            "The client is connected through a VPN",
            "A VPN adds delay and can block direct connections; a relay may be used.",
            "Ask the client whether they can turn the VPN off for the session.",
        ),
        w(
            "VPN or tunnel interface active",
            "Tunnel interfaces: {interfaces}.",
        ),
        fields=("interfaces",),
    ),
    "system.on_cellular": Entry(
        w(
            "You are using mobile data",
            "Mobile data works for calls but can change quickly and may cost money.",
            "If you can, use Wi-Fi or a cable instead.",
        ),
        w(
            "The client is on mobile data",
            "Expect changing quality.",
        ),
        w(
            "Cellular interface active",
            "Cellular interfaces: {interfaces}.",
        ),
        fields=("interfaces",),
    ),
    # --- loopback: this machine's WebRTC stack -------------------------------------------
    "loopback.connect_failed": Entry(
        w(
            "Video calls cannot start on this computer",
            "A test call inside this computer did not connect.",
            "Restart your computer and run the check again.",
            "Turn off any firewall or security program for a moment and try again.",
        ),
        w(
            "WebRTC does not work on the client's computer",
            "Two test peers on the same machine could not connect.",
            "Switch to a phone call and pass the report to support.",
        ),
        w(
            "Loopback WebRTC connection failed",
            "{detail}",
        ),
        fields=("detail",),
    ),
    "loopback.connect_slow": Entry(
        w(
            "Calls are slow to start on this computer",
            "A test call took {connect_s:.1f} seconds to connect.",
            "Close programs you do not need.",
        ),
        w(
            "Slow WebRTC start on the client's computer",
            "Local connect {connect_s:.1f} s.",
        ),
        w(
            "Slow loopback connect",
            "Loopback connect {connect_s:.2f} s (threshold {threshold:.1f} s).",
        ),
        fields=("connect_s", "threshold"),
    ),
    "loopback.rtt_high": Entry(
        w(
            "Your computer is too busy for smooth video",
            "Your computer is slow to pass call data even to itself.",
            "Close programs you do not need, especially games and video.",
            "Restart your computer before the session.",
            "If it stays slow, use audio only.",
        ),
        w(
            "The client's computer is overloaded",
            "Local data round trips take {rtt_p95_ms:.0f} ms (95th percentile).",
            "Suggest audio only if video stutters.",
        ),
        w(
            "High loopback data-channel RTT",
            "Median {rtt_median_ms:.1f} ms, p95 {rtt_p95_ms:.1f} ms over {pings} pings (threshold {threshold:.0f} ms).",
        ),
        fields=("rtt_median_ms", "rtt_p95_ms", "pings", "threshold"),
    ),
    "loopback.throughput_low": Entry(
        w(
            "Your computer cannot handle video quickly enough",
            "Your computer moved test data slowly, so video may stutter.",
            "Close programs you do not need.",
            "Plug in your laptop.",
            "If it stays slow, use audio only.",
        ),
        w(
            "The client's computer is slow at processing call data",
            "Local throughput only {throughput_kbps:.0f} kbit/s.",
            "Suggest audio only if video stutters.",
        ),
        w(
            "Low loopback data-channel throughput",
            "{throughput_kbps:.0f} kbit/s (threshold {threshold:.0f} kbit/s).",
        ),
        fields=("throughput_kbps", "threshold"),
    ),
}
