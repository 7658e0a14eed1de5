"""Which probes a check runs: decided before the run from the settings, nothing measured twice."""

from __future__ import annotations

from sessioncheck.probes import COVERED_BY, DEFAULT_PLAN, load_plan, plan_ids
from sessioncheck.runner import Runner
from sessioncheck.settings import Settings

DEVICES = ("camera", "microphone", "speaker")


def test_with_a_server_path_replaces_loopback_and_media_loop() -> None:
    ids = plan_ids(Settings(server="ws://clinic.example:8765"))
    assert ids == ("system", "ice", "camera", "microphone", "speaker", "path")
    assert not set(COVERED_BY) & set(ids)  # left out, not run as skips: nothing "untested"


def test_without_a_server_loopback_and_media_loop_stand_in() -> None:
    assert plan_ids(Settings()) == DEFAULT_PLAN
    assert plan_ids(Settings(server="  ")) == DEFAULT_PLAN
    assert {"loopback", "media_loop", "path"} <= set(DEFAULT_PLAN)


def test_probes_given_are_run_as_given_even_with_a_server() -> None:
    settings = Settings(server="local", probes=("path", "media_loop", "path"))
    assert plan_ids(settings) == ("path", "media_loop")


def test_path_sets_up_during_the_device_tests_and_measures_after_them() -> None:
    plan = load_plan(plan_ids(Settings(server="local")))
    path = next(p for p in plan if p.id == "path")
    assert path.after == ("ice",)
    assert set(DEVICES) <= set(path.measure_after)
    Runner(plan)  # no cycles
    Runner(load_plan(plan_ids(Settings())))


def test_the_app_builds_the_same_plan() -> None:
    from sessioncheck.tui.app import default_plan

    for settings in (Settings(), Settings(server="local"), Settings(probes=("system",))):
        assert default_plan(settings) == plan_ids(settings)
