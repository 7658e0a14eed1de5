"""Scenario files: the catalogue loads, bad files get clear errors, the runner compares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sessioncheck.lab.runner import ScenarioOutcome, compare
from sessioncheck.lab.scenario import (
    ScenarioError,
    VirtualAudioSpec,
    load_scenario,
    load_scenarios,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "scenarios" / "network"
NETWORK_CODES = {
    "network.upload_low",
    "network.loss_high",
    "network.rtt_high",
    "network.bufferbloat",
    "network.udp_blocked",
}


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_catalogue_loads_and_covers_the_required_conditions() -> None:
    scenarios = {s.name: s for s in load_scenarios([CATALOGUE])}
    assert {
        "clean-fibre",
        "home-wifi",
        "congested-wifi",
        "mobile-hotspot",
        "satellite",
        "heavy-loss",
        "asymmetric-dsl",
        "bufferbloat",
        "udp-blocked",
    } <= set(scenarios)
    cw = scenarios["congested-wifi"].network
    assert cw is not None
    assert (cw.up.rate_kbit, cw.up.delay_ms, cw.up.jitter_ms, cw.up.loss_pct) == (800, 60, 15, 3)
    assert scenarios["satellite"].truth()["path.rtt_ms"] == 600
    dsl = scenarios["asymmetric-dsl"].network
    assert dsl is not None and (dsl.up.rate_kbit, dsl.down.rate_kbit) == (512, 8000)
    blocked = scenarios["udp-blocked"].network
    assert blocked is not None and blocked.impairment.block_udp and blocked.turn
    assert scenarios["bufferbloat"].network.up.queue_ms >= 500  # type: ignore[union-attr]
    expected = {c for s in scenarios.values() for c in s.expect.findings}
    assert expected >= NETWORK_CODES


def test_catalogue_codes_exist_in_the_wording_catalogue() -> None:
    from sessioncheck.advice.catalogue import ENTRIES

    for s in load_scenarios([CATALOGUE]):
        for code in (*s.expect.findings, *s.expect.absent):
            assert code in ENTRIES, f"{s.path}: {code} is not a finding code"


def test_catalogue_ranges_follow_from_the_truth_and_the_targets() -> None:
    """Every RTT, loss and jitter range contains the configured truth, within the target."""
    for s in load_scenarios([CATALOGUE]):
        truth = s.truth()
        for key, want in s.expect.measurements.items():
            if isinstance(want, str) or key not in truth:
                continue
            lo, hi = want
            t = truth[key]
            assert lo <= t <= hi, f"{s.name}: {key} truth {t} outside [{lo}, {hi}]"
            if key == "path.rtt_ms":
                assert hi - t <= 2 + 0.05 * t + 1e-9 and t - lo <= 2 + 0.05 * t + 1e-9, s.name
            if "loss" in key or "jitter" in key:
                limit = 1.0 if "loss" in key else 3.0
                assert hi - t <= limit + 1e-9, f"{s.name}: {key}"


def test_truth_uses_the_delay_stage_model() -> None:
    s = load_scenario(CATALOGUE / "congested-wifi.toml")
    t = s.truth()
    # pings 12 ms apart through ±15 ms FIFO stages wait behind each other: 123.2, not 60 + 60
    assert t["path.up_kbps"] == 800 and t["path.rtt_ms"] == 123.2
    assert 3 < t["path.jitter_up_ms"] < 2 * 15 / 3  # FIFO at 5 ms spacing: below 2J/3


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('title = "x"\ncolour = 1\n[expect]\n', r"unknown key\(s\) 'colour' in the top level"),
        ('title = "x"\n[network]\nup_kbps = 5\n[expect]\n', r"unknown key\(s\) 'up_kbps' in \[network\]"),
        ('title = "x"\n[network]\n[expect]\nfindigs = []\n', r"unknown key\(s\) 'findigs' in \[expect\]"),
        ('title = "x"\n[network]\n[expect]\nmeasurements = { "a" = [1] }\n', r"must be \[low, high\]"),
        ('title = "x"\n[network]\n[expect]\nmeasurements = { "a" = [3, 1] }\n', "low 3 is above high 1"),
        ('title = "x"\n[network]\n[expect]\nmeasurements = { "a" = [1, "b"] }\n', "must be a number"),
        ("[network]\n[expect]\n", "needs a title"),
        ('title = "x"\n[network]\n', r"needs an \[expect\] table"),
        ('title = "x"\n[network\n', "not valid TOML"),
        ('title = "x"\n[network]\ndelay_ms = 5\njitter_ms = 9\n[expect]\n', "cannot exceed the delay"),
        ('title = "x"\n[network]\nloss_pct = "3"\n[expect]\n', "network.loss_pct must be a number"),
        ('title = "x"\n[network]\nblock_udp = 1\n[expect]\n', "must be true or false"),
        ('title = "x"\n[network]\n[expect]\nverdict = "great"\n', "is not one of: video"),
        ('title = "x"\n[network]\n[expect]\nfindings = ["a"]\nabsent = ["a"]\n', "both a finding and absent"),
        ('title = "x"\nargs = ["{nope}"]\n[network]\n[expect]\n', "unknown placeholder"),
        ('title = "x"\n[expect]\n', "say which probes to run"),
        ('title = "x"\nprobes = []\n[expect]\n', "at least one probe"),
        (
            'title = "x"\nprobes = ["speaker"]\n[virtual_audio]\nvolume = 3\n[expect]\n',
            r"unknown key\(s\) 'volume' in \[virtual_audio\]",
        ),
        (
            'title = "x"\nprobes = ["speaker"]\n[virtual_audio]\nspeaker_volume_pct = 151\n[expect]\n',
            r"speaker_volume_pct must be 0 … 150, not 151",
        ),
        (
            'title = "x"\nprobes = ["speaker"]\n[virtual_audio]\nspeaker_muted = "yes"\n[expect]\n',
            "virtual_audio.speaker_muted must be true or false",
        ),
        ('title = "x"\n[network]\n[virtual_audio]\n[expect]\n', r"either \[network\] or \[virtual_audio\]"),
    ],
)
def test_bad_files_get_clear_errors(tmp_path: Path, text: str, match: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as e:
        load_scenario(p)
    assert str(e.value).startswith(str(p))  # the message names the file


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match=r"no \.toml scenario files"):
        load_scenarios([tmp_path])


def test_device_scenario_without_network(tmp_path: Path) -> None:
    s = load_scenario(
        _write(tmp_path, 'title = "cam"\nprobes = ["system"]\nargs = ["--camera", "lavfi:testsrc"]\n[expect]\n')
    )
    assert s.network is None and s.probes == ("system",) and s.truth() == {}


def test_virtual_audio_table(tmp_path: Path) -> None:
    s = load_scenario(
        _write(tmp_path, 'title = "spk"\nprobes = ["speaker"]\n[virtual_audio]\nspeaker_volume_pct = 30\n[expect]\n')
    )
    assert s.virtual_audio == VirtualAudioSpec(speaker_volume_pct=30.0, speaker_muted=False)
    bare = load_scenario(_write(tmp_path, 'title = "cam"\nprobes = ["camera"]\n[expect]\n'))
    assert bare.virtual_audio is None


def test_per_direction_overrides(tmp_path: Path) -> None:
    s = load_scenario(
        _write(
            tmp_path,
            'title = "x"\n[network]\ndelay_ms = 10\nup_delay_ms = 30\nloss_pct = 1\ndown_loss_pct = 4\n[expect]\n',
        )
    )
    assert s.network is not None
    assert (s.network.up.delay_ms, s.network.down.delay_ms) == (30, 10)
    assert (s.network.up.loss_pct, s.network.down.loss_pct) == (1, 4)
    assert s.truth()["path.rtt_ms"] == 40


def test_compare_reports_hits_and_misses(tmp_path: Path) -> None:
    s = load_scenario(
        _write(
            tmp_path,
            (
                'title = "x"\n[network]\n[expect]\n'
                'measurements = { "path.rtt_ms" = [10, 20], "path.up_kbps" = [100, 200], '
                '"path.candidate_type" = "relay", "path.down_kbps" = [1, 2] }\n'
                'findings = ["network.loss_high", "network.rtt_high"]\nabsent = ["network.udp_blocked"]\n'
                'verdict = "video"\n'
            ),
        )
    )
    report = {
        "verdict": "audio_only",
        "results": [
            {
                "probe": "path",
                "status": "warn",
                "duration_s": 7.5,
                "measurements": [
                    {"key": "path.rtt_ms", "value": 15.0, "unit": "ms"},
                    {"key": "path.up_kbps", "value": 250.0, "unit": "kbps"},
                    {"key": "path.candidate_type", "value": "relay", "unit": ""},
                ],
                "findings": [{"code": "network.loss_high"}, {"code": "network.udp_blocked"}],
            }
        ],
    }
    o = ScenarioOutcome(s)
    compare(s, report, o)
    result = {c.what: c.ok for c in o.checks}
    assert result == {
        "path.rtt_ms": True,
        "path.up_kbps": False,
        "path.candidate_type": True,
        "path.down_kbps": False,
        "finding network.loss_high": True,
        "finding network.rtt_high": False,
        "absent network.udp_blocked": False,
        "verdict": False,
    }
    assert not o.passed and o.probe_duration_s == {"path": 7.5}


@pytest.mark.parametrize(
    ("loss", "packets", "ok"),
    [
        (8.5, 4300, True),  # inside ±1 point
        (9.3, 4300, True),  # outside ±1, but 8 % ± 1.36 (99.9 %) for 4300 packets: noise
        (9.5, 4300, False),  # beyond the noise of 4300 packets: a real error
        (9.3, 900, False),  # too few packets to say: still a miss
        (6.5, 20000, False),  # 20000 packets: 8 % ± 0.63, so 6.5 is wrong
    ],
)
def test_loss_outside_one_point_passes_only_as_binomial_noise(
    tmp_path: Path, loss: float, packets: int, ok: bool
) -> None:
    s = load_scenario(
        _write(
            tmp_path,
            ('title = "x"\n[network]\nloss_pct = 8\n[expect]\nmeasurements = { "path.loss_up_pct" = [7, 9] }\n'),
        )
    )
    report = {
        "results": [
            {
                "probe": "path",
                "status": "warn",
                "duration_s": 9.0,
                "findings": [],
                "measurements": [
                    {"key": "path.loss_up_pct", "value": loss, "unit": "%"},
                    {"key": "path.loss_up_packets", "value": packets, "unit": "count"},
                ],
            }
        ]
    }
    o = ScenarioOutcome(s)
    compare(s, report, o)
    (check,) = o.checks
    assert check.ok is ok, check
    assert ("binomial noise" in check.measured) is (ok and not 7 <= loss <= 9)


@pytest.mark.usefixtures("lab_ok", "nfqueue_ok")
def test_runner_end_to_end(tmp_path: Path) -> None:
    """The real runner, the real serve and check: a hit, a deliberate miss, exit code 1."""
    _write(
        tmp_path,
        (
            'title = "Short link"\n[network]\nup_kbit = 5000\ndown_kbit = 5000\ndelay_ms = 15\n'
            '[expect]\nmeasurements = { "path.rtt_ms" = [20, 60], "path.pings" = [100000, 200000] }\n'
            'absent = ["network.udp_blocked"]\n'
        ),
        "a-link.toml",
    )
    _write(tmp_path, 'title = "No network"\nprobes = ["system"]\n[expect]\n', "b-system.toml")
    done = subprocess.run(
        [sys.executable, "-m", "sessioncheck.lab", "run", str(tmp_path)], capture_output=True, text=True, timeout=150
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "FAIL  a-link: Short link" in out
    assert "PASS  b-system: No network" in out
    lines = {ln.split()[1]: ln.split()[0] for ln in out.splitlines() if ln.startswith("  ")}
    assert lines["path.rtt_ms"] == "ok", out  # 30 ms configured round trip
    assert lines["path.pings"] == "MISS", out
    assert "1 of 2 scenarios passed; missed: a-link" in out


def test_runner_rejects_a_bad_file_with_exit_2(tmp_path: Path) -> None:
    p = _write(tmp_path, 'title = "x"\n[network]\nupp = 1\n[expect]\n')
    done = subprocess.run(
        [sys.executable, "-m", "sessioncheck.lab", "run", str(p)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "unknown key(s) 'upp' in [network]" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.usefixtures("lab_ok", "nfqueue_ok")
def test_media_leg_reads_the_video_stream_not_its_retransmissions(tmp_path: Path) -> None:
    """On a lossy link aiortc retransmits video on a second (RTX) stream whose getStats entry
    overwrites the video's: the media leg must still count the video stream's packets."""
    from sessioncheck.lab.runner import run_scenario

    path = _write(
        tmp_path,
        ('title = "Lossy"\n[network]\nup_kbit = 10000\ndown_kbit = 10000\ndelay_ms = 10\nloss_pct = 8\n[expect]\n'),
        "lossy.toml",
    )
    o = run_scenario(load_scenario(path))
    assert o.error is None, o.error
    why = ({k: v for k, v in o.measurements.items() if k in ("path.outcome", "path.detail")}, o.probe_status)
    assert "path.media.video_packets_sent" in o.measurements, why
    sent = o.measurements["path.media.video_packets_sent"]
    received = o.measurements["path.media.video_packets_received"]
    loss = o.measurements["path.media.video_loss_pct"]
    assert isinstance(sent, int) and isinstance(received, int) and isinstance(loss, float)
    assert received >= sent // 2, (sent, received)
    assert 0.0 < loss <= 30.0, loss


@pytest.mark.usefixtures("lab_ok", "nfqueue_ok")
def test_download_delay_under_load_counts_the_pongs_still_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deep download queue: pongs of the pings sent while the download test held it full
    come back after the test ended (the media leg runs meanwhile), and still count. Read
    only by the test's end, 6 of the 14 pings had come back (measured)."""
    from sessioncheck.lab import runner

    reports: list[dict[str, Any]] = []
    compare_report = runner.compare

    def keep(scenario: Any, report: dict[str, Any], outcome: ScenarioOutcome) -> None:
        reports.append(report)
        compare_report(scenario, report, outcome)

    monkeypatch.setattr(runner, "compare", keep)
    path = _write(
        tmp_path,
        (
            'title = "Deep download queue"\n[network]\nup_kbit = 10000\ndown_kbit = 3000\n'
            "delay_ms = 10\ndown_queue_ms = 700\n[expect]\n"
        ),
        "deep.toml",
    )
    o = runner.run_scenario(load_scenario(path))
    assert o.error is None, o.error
    m = o.measurements
    assert m.get("path.outcome") == "ok", (m.get("path.outcome"), m.get("path.detail"))
    loaded = next(x for r in reports[0]["results"] for x in r["measurements"] if x["key"] == "path.loaded_rtt_down_ms")
    idle = m["path.rtt_ms"]
    assert loaded["value"] - idle >= 250.0, (idle, loaded)
    # one ping every 50 ms through a hold of about 0.7 s
    assert len(loaded["samples"]) >= 10, loaded


def test_a_folder_of_folders_is_the_whole_catalogue() -> None:
    """``lab run scenarios`` runs every kind: the top folder holds only subfolders."""
    whole = load_scenarios([CATALOGUE.parent])
    kinds = {s.path.parent.name for s in whole}
    assert kinds == {"network", "camera", "microphone", "speaker"}
    assert len(whole) == len(list(CATALOGUE.parent.rglob("*.toml")))
