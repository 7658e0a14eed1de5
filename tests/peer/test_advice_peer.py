"""Who has the problem: the peer rules blame the side whose direction or computer is at fault."""

from __future__ import annotations

from sessioncheck.advice.peer import judge
from sessioncheck.advice.rules import Measures
from sessioncheck.model import Audience, Impact, Measurement, Severity, Value
from sessioncheck.settings import Thresholds


def m(**values: Value) -> Measures:
    return Measures(Measurement(k.replace("__", "."), v) for k, v in values.items())


def clean(side: str) -> dict[str, Value]:
    return {
        f"peer__{side}__{k}": v
        for k, v in {
            "rtt_ms": 40.0,
            "up_kbps": 8000.0,
            "jitter_up_ms": 2.0,
            "jitter_down_ms": 2.0,
            "loss_up_pct": 0.0,
            "loss_down_pct": 0.0,
            "candidate_type": "host",
            "transport": "udp",
            "reported": True,
            "loaded_rtt_delta_ms": 20.0,
        }.items()
    }


def by_code(findings: list) -> dict:  # type: ignore[type-arg]
    return {f.code: f for f in findings}


def test_clean_path_has_only_the_summary() -> None:
    fs = by_code(judge(m(peer__outcome="ok", **clean("therapist"), **clean("client")), Thresholds(), False))
    assert set(fs) == {"peer.summary"}
    assert "Direct connection" in fs["peer.summary"].for_audience(Audience.THERAPIST).text


def test_clients_slow_upload_is_blamed_on_the_client_with_their_wifi() -> None:
    values = {
        **clean("therapist"),
        **clean("client"),
        "peer__client__up_kbps": 420.0,
        "peer__client__system__iface__wlan0__kind": "wifi",
    }
    fs = by_code(judge(m(peer__outcome="ok", **values), Thresholds(), False))
    assert "peer.therapist_upload_low" not in fs
    f = fs["peer.client_upload_low"]
    assert f.severity is Severity.FAIL and f.impact is Impact.VIDEO  # below 360p's need
    therapist = f.for_audience(Audience.THERAPIST)
    assert therapist.title == "The client's upload is the bottleneck: 420 kbit/s"
    assert "Ask the client to pause cloud backups or move closer to their router." in therapist.steps
    assert "Wi-Fi" in therapist.text
    client = f.for_audience(Audience.CLIENT)
    assert client.title == "Your upload is the bottleneck"
    assert "peer.client_on_wifi" in fs


def test_therapists_problems_are_the_therapists() -> None:
    values = {
        **clean("therapist"),
        **clean("client"),
        "peer__therapist__up_kbps": 1500.0,
        "peer__therapist__loss_up_pct": 6.0,
        "peer__client__loss_down_pct": 4.0,
        "peer__therapist__system__cpu_others_pct": 97.0,
    }
    fs = by_code(judge(m(peer__outcome="ok", **values), Thresholds(), False))
    assert {"peer.therapist_upload_low", "peer.therapist_loss_high", "peer.therapist_cpu_busy"} <= set(fs)
    assert not any(c.startswith("peer.client_") for c in fs)
    loss = fs["peer.therapist_loss_high"]
    assert loss.impact is Impact.VIDEO  # mean of the sender's 6 % and the receiver's 4 %: above fair
    assert "5.00 %" in loss.for_audience(Audience.SUPPORT).text
    assert loss.for_audience(Audience.CLIENT).title == "Some of what your therapist sends gets lost"
    assert loss.for_audience(Audience.THERAPIST).title == "What you send gets lost on the way"


def test_relay_says_whose_network_blocks_direct_connections() -> None:
    values = {
        **clean("therapist"),
        **clean("client"),
        "peer__client__candidate_type": "relay",
        "peer__client__transport": "tcp",
    }
    fs = by_code(judge(m(peer__outcome="ok", **values), Thresholds(), False))
    assert "peer.client_udp_blocked" in fs and "peer.therapist_udp_blocked" not in fs
    text = fs["peer.summary"].for_audience(Audience.THERAPIST).text
    assert "the client's network blocks direct connections" in text


def test_partial_results_name_who_left() -> None:
    values = {**clean("therapist"), "peer__client__reported": False}
    fs = by_code(
        judge(m(peer__outcome="peer_left", peer__detail="the client left the test", **values), Thresholds(), False)
    )
    assert "peer.client_left" in fs and "peer.therapist_left" not in fs


def test_refusals_are_single_plain_findings() -> None:
    for outcome, code in (
        ("bad_code", "peer.code_invalid"),
        ("expired", "peer.code_expired"),
        ("used", "peer.code_used"),
        ("rate_limited", "peer.rate_limited"),
    ):
        fs = judge(m(peer__outcome=outcome, peer__detail="x", peer__retry_after_s=42.0), Thresholds(), False)
        assert [f.code for f in fs] == [code]
    limited = judge(m(peer__outcome="rate_limited", peer__detail="x", peer__retry_after_s=42.0), Thresholds(), False)
    assert "42 seconds" in limited[0].for_audience(Audience.CLIENT).text
