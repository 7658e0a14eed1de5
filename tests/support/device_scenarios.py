"""Run a device scenario (scenarios/camera, scenarios/microphone, scenarios/speaker) in this process.

The scenario's ``args`` (``--camera X``, ``--microphone Y``, ``--speaker Z``) become
:class:`Settings` fields, the probes run through the real :class:`Runner`, and the report is
checked with the lab runner's own :func:`compare`, exactly as ``python -m sessioncheck.lab
run`` would check it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sessioncheck.lab.runner import ScenarioOutcome, compare, format_outcome
from sessioncheck.lab.scenario import Scenario, load_scenario, load_scenarios
from sessioncheck.probes import load_plan
from sessioncheck.runner import Runner
from sessioncheck.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
FLAGS = {"--camera": "camera", "--microphone": "microphone", "--speaker": "speaker"}


def scenario_files(group: str) -> list[Path]:
    return [s.path for s in load_scenarios([str(SCENARIOS / group)])]


def settings_for(scenario: Scenario) -> Settings:
    s = Settings(probes=scenario.probes)
    args = list(scenario.args)
    while args:
        flag = args.pop(0)
        assert flag in FLAGS and args, f"{scenario.path}: unsupported argument {flag}"
        value = args.pop(0).replace("{scenario_dir}", str(scenario.path.parent.resolve()))
        s = replace(s, **{FLAGS[flag]: value})
    return s


async def run_device_scenario(path: Path) -> ScenarioOutcome:
    """Run the scenario in-process, as the lab runner would run it as a command."""
    scenario = load_scenario(path)
    settings = settings_for(scenario)
    report = await Runner(load_plan(scenario.probes), settings).run()
    outcome = ScenarioOutcome(scenario)
    compare(scenario, report.to_dict(), outcome)
    return outcome


def explain(outcome: ScenarioOutcome) -> str:
    return format_outcome(outcome) + f"\nmeasurements: {outcome.measurements}"
