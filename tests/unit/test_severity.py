"""The severity table and the catalogue know the same codes, and every code a rule raises has words.

The rules' codes are read from their source (``finding("code", ...)`` calls, literal or
f-string), so a rule that raises a code nobody worded fails here before it fails for a user.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

import pytest

from sessioncheck.advice import catalogue, rules
from sessioncheck.advice.devices_common import DEVICE_PROBLEMS
from sessioncheck.advice.severity import SEVERITY
from sessioncheck.model import Audience, Impact, Severity

RULE_SOURCES = sorted(
    f.name
    for f in resources.files("sessioncheck.advice").iterdir()
    if f.name.endswith(".py") and f.name != "__init__.py"
)


def _pattern(node: ast.expr) -> re.Pattern[str] | None:
    """A finding code argument as a regex: literal → itself, f-string → its parts with ``[a-z_]+``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.compile(re.escape(node.value))
    if isinstance(node, ast.JoinedStr):
        parts = [
            re.escape(v.value) if isinstance(v, ast.Constant) and isinstance(v.value, str) else "[a-z_]+"
            for v in node.values
        ]
        return re.compile("".join(parts))
    return None


def _raised() -> tuple[list[tuple[str, str]], set[str]]:
    """(file, code pattern) of each ``finding(<code>, ...)`` call whose code is written at the call,
    and every string constant in the rule modules (codes kept in tables)."""
    calls: list[tuple[str, str]] = []
    constants: set[str] = set()
    for name in RULE_SOURCES:
        tree = ast.parse(resources.files("sessioncheck.advice").joinpath(name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "finding"
                and node.args
                and (p := _pattern(node.args[0])) is not None
            ):
                calls.append((name, p.pattern))
    return calls, constants


CALLS, CONSTANTS = _raised()


def test_the_table_and_the_catalogue_know_the_same_codes() -> None:
    assert set(SEVERITY) == set(catalogue.ENTRIES)
    for code, (severity, impact) in SEVERITY.items():
        assert isinstance(severity, Severity) and isinstance(impact, Impact), code


def test_the_source_scan_sees_the_rules() -> None:
    """Guards the next tests against passing on an empty scan."""
    assert {"path.py", "peer.py", "ice.py", "system.py", "speaker.py"} <= set(RULE_SOURCES)
    assert len(CALLS) >= 40
    assert any("{" not in code and "[a-z_]+" in code for _, code in CALLS)  # f-string codes are read


@pytest.mark.parametrize(("module", "code"), CALLS)
def test_every_code_a_rule_raises_is_worded_and_ranked(module: str, code: str) -> None:
    matches = [c for c in catalogue.ENTRIES if re.fullmatch(code, c)]
    assert matches, f"{module} raises {code!r}, which the catalogue does not word"
    assert all(c in SEVERITY for c in matches)


@pytest.mark.parametrize("code", sorted(catalogue.ENTRIES))
def test_every_worded_code_is_raised_by_a_rule(code: str) -> None:
    """No dead wording: the code is written in a rule module, built by an f-string there, or is a
    device problem (``<probe>.<DEVICE_PROBLEMS value>``)."""
    prefix, _, suffix = code.partition(".")
    assert (
        code in CONSTANTS
        or any(re.fullmatch(p, code) for _, p in CALLS if re.sub(r"\[a-z_\]\+|\\\.", "", p))
        or (prefix in ("camera", "microphone") and suffix in DEVICE_PROBLEMS.values())
    ), f"{code} is worded but no rule raises it"


@pytest.mark.parametrize("code", sorted(catalogue.ENTRIES))
def test_every_code_has_words_for_each_audience(code: str) -> None:
    entry = catalogue.ENTRIES[code]
    f = rules.finding(code, {}, **{k: 1.0 for k in entry.fields})
    assert (f.severity, f.impact) == SEVERITY[code]
    for audience in Audience:
        words = f.for_audience(audience)
        assert words.title.strip() and words.text.strip(), (code, audience)


AREAS = {
    "system": ("system.", "loopback."),
    "ice": ("ice.",),
    "network": ("network.",),
    "peer": ("peer.",),
    "devices": ("camera.", "media_loop.", "devices."),
    "audio": ("microphone.", "speaker."),
    "browser": ("browser.",),
    "tui": ("tui.",),
    "probes": ("probe.", "progress.", "value."),
    "common": ("skip.", "error.", "verdict.", "status.", "cli.", "report."),
}


@pytest.mark.parametrize("area", sorted(AREAS))
def test_each_area_module_words_only_its_area(area: str) -> None:
    module = getattr(catalogue, area)
    keys = [*getattr(module, "ENTRIES", {}), *getattr(module, "PHRASES", {})]
    assert keys, area
    strays = [k for k in keys if not k.startswith(AREAS[area])]
    assert not strays, f"catalogue/{area}.py words other areas' keys: {strays}"
