"""Gentle mode: the capacity phases capped at a call's rate beside a live call."""

from __future__ import annotations

from typing import Any

import pytest

from sessioncheck.rtc.measure.blast import GENTLE_MAX_KBPS


def test_gentle_settings_cap_the_peer_tests_capacity_phases() -> None:
    from sessioncheck.peer.session import THERAPIST, PeerTest
    from sessioncheck.settings import Settings, settings_from_mapping

    assert settings_from_mapping({"gentle": True}, "x.toml").gentle is True
    with pytest.raises(ValueError, match="gentle must be true or false"):
        settings_from_mapping({"gentle": "yes"}, "x.toml")
    gentle = PeerTest(THERAPIST, Settings(gentle=True), "ws://127.0.0.1:1/ws")
    assert gentle.plan.measure is not None and gentle.plan.measure.max_kbps == GENTLE_MAX_KBPS
    normal = PeerTest(THERAPIST, Settings(), "ws://127.0.0.1:1/ws")
    assert normal.plan.measure is None  # the protocol's defaults: up to BLAST_MAX_KBPS


def test_check_gentle_flag_sets_the_setting(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from sessioncheck.commands import check

    monkeypatch.setenv("SESSIONCHECK_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    parser = argparse.ArgumentParser()
    check.register(parser.add_subparsers())
    assert check.build_settings(parser.parse_args(["check", "--gentle"])).gentle is True
    assert check.build_settings(parser.parse_args(["check"])).gentle is False
