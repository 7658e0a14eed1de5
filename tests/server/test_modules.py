"""The server package's shape: one concept per module, no import circle, nothing imports the routes."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sessioncheck.server

SERVER = Path(sessioncheck.server.__file__).parent
MODULES = sorted(p.stem for p in SERVER.glob("*.py") if p.stem != "__init__")


def server_imports(module: str) -> set[str]:
    """The server modules ``module`` imports, at any level (function-level imports included)."""
    tree = ast.parse((SERVER / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from . import x / from .x import y
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("sessioncheck.server."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sessioncheck.server."):
                    found.add(alias.name.split(".")[2])
    return found & set(MODULES)


def test_the_expected_modules_exist() -> None:
    assert {"app", "config", "wire", "reflector", "rooms", "guards", "page", "clock", "limits", "candidates"} <= set(
        MODULES
    )


def test_rooms_and_app_do_not_import_each_other_and_nothing_imports_app() -> None:
    assert "app" not in server_imports("rooms")
    for module in MODULES:
        if module != "app":
            assert "app" not in server_imports(module), module


def test_no_import_circle_inside_server() -> None:
    graph = {m: server_imports(m) for m in MODULES}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(m: str) -> None:
        assert m not in visiting, " -> ".join([*visiting[visiting.index(m) :], m])
        if m in done:
            return
        visiting.append(m)
        for n in sorted(graph[m]):
            visit(n)
        visiting.pop()
        done.add(m)

    for m in MODULES:
        visit(m)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"import sessioncheck.server.{module}"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", sorted(SERVER.glob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
