"""The import contract in pyproject.toml holds, and names every module of the package.

DESIGN.md: probes measure, advice judges, front ends only present. ``lint-imports`` checks the
contracts statically (function-level imports too); the other tests here make sure a module
added later is placed on one side of them instead of slipping past.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import sessioncheck
from sessioncheck.advice.rules import RULE_MODULES

REPO = Path(__file__).resolve().parents[2]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def top_level() -> set[str]:
    return {f"sessioncheck.{m.name}" for m in pkgutil.iter_modules(sessioncheck.__path__)}


def test_lint_imports_keeps_every_contract() -> None:
    out = subprocess.run([sys.executable, "-c", LINT], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in out.stdout, out.stdout


def test_core_and_front_ends_split_the_package() -> None:
    c = contracts()
    front_ends = set(c["core-imports-no-front-end"]["forbidden_modules"])
    core = set(c["core-imports-no-front-end"]["source_modules"])
    assert not front_ends & core
    assert front_ends | core == top_level(), "place each new top-level module in the core or the front ends"
    assert set(c["core-imports-no-textual"]["source_modules"]) == core
    assert set(c["product-imports-no-lab"]["source_modules"]) == (front_ends | core) - {"sessioncheck.lab"}
    assert front_ends <= set(c["front-ends-do-not-judge"]["source_modules"])
    assert set(c["front-end-layers"]["layers"]) == front_ends


def test_every_rule_module_is_forbidden_to_front_ends() -> None:
    import sessioncheck.advice as advice

    forbidden = set(contracts()["front-ends-do-not-judge"]["forbidden_modules"])
    assert set(RULE_MODULES.values()) <= forbidden
    wording = "sessioncheck.advice.catalogue"
    judging = {
        m.name
        for m in pkgutil.walk_packages(advice.__path__, "sessioncheck.advice.")
        if m.name != wording and not m.name.startswith(wording + ".")
    }
    assert judging == forbidden, "every advice module but the wording judges: forbid it to front ends"


def test_every_source_folder_is_a_package() -> None:
    """A folder without ``__init__.py`` is invisible to lint-imports and to ``walk_packages``."""
    src = Path(sessioncheck.__file__).parent
    folders = {p.parent for p in src.rglob("*.py") if "__pycache__" not in p.parts}
    assert sorted(str(f.relative_to(src)) for f in folders if not (f / "__init__.py").exists()) == []
