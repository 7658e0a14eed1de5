"""One error base and one exit-code enum, outside the CLI: every exception class maps to them."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import sessioncheck
from sessioncheck.advice.catalogue import PHRASES
from sessioncheck.errors import INTERNAL_ONLY, ExitCode, SessioncheckError, UsageError

SRC = Path(sessioncheck.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exception_classes() -> list[tuple[str, type[Exception]]]:
    """Every class defined at the top of a module under ``src/`` that is an ``Exception``."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.bases]
        if not names:
            continue
        module = importlib.import_module(_module_name(path))
        for name in names:
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, Exception):
                found.append((f"{module.__name__}.{name}", cls))
    return found


CLASSES = _exception_classes()


def test_the_walk_finds_the_known_exception_classes() -> None:
    names = {n for n, _ in CLASSES}
    assert len(CLASSES) >= 30
    assert {
        "sessioncheck.settings.SettingsError",
        "sessioncheck.report.io.ReportFileError",
        "sessioncheck.lab.netns.LabUnavailable",
        "sessioncheck.runner.PlanError",
    } <= names


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[n for n, _ in CLASSES])
def test_every_exception_class_is_for_a_person_or_listed_as_internal(name: str, cls: type[Exception]) -> None:
    if name in INTERNAL_ONLY:
        assert not issubclass(cls, SessioncheckError), f"{name} is both internal and user-facing"
    else:
        assert issubclass(cls, SessioncheckError), (
            f"{name}: subclass sessioncheck.errors.SessioncheckError or list it in errors.INTERNAL_ONLY"
        )
        assert cls.title_key in PHRASES, f"{name}.title_key {cls.title_key!r} is not in the catalogue"
        assert isinstance(cls.exit_code, ExitCode)


def test_internal_only_names_exist() -> None:
    names = {n for n, _ in CLASSES}
    assert sorted(INTERNAL_ONLY - names) == []


def test_an_error_has_a_title_and_its_message_unchanged() -> None:
    from sessioncheck.settings import SettingsError

    e = SettingsError("config.toml: line 3: expected '='")
    assert str(e) == e.message == "config.toml: line 3: expected '='"
    assert e.title == PHRASES["error.title.settings"]
    assert e.exit_code is ExitCode.USAGE
    assert isinstance(e, ValueError)  # callers that caught ValueError still do
    assert UsageError("x", title="Own title").title == "Own title"


def test_one_handler_prints_the_message_and_exits_with_the_errors_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sessioncheck.cli import main

    missing = tmp_path / "nope.json"
    assert main(["report", "show", str(missing), "--format", "text"]) == ExitCode.USAGE
    assert capsys.readouterr().err == f"sessioncheck: {missing} does not exist; check the file name\n"


def _modules_loaded_by(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint(sorted(m for m in sys.modules if m.startswith('sessioncheck')))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded: list[str] = ast.literal_eval(out.stdout.strip())
    return loaded


def test_errors_imports_nothing_of_sessioncheck() -> None:
    assert _modules_loaded_by("import sessioncheck.errors") == ["sessioncheck", "sessioncheck.errors"]


@pytest.mark.parametrize(
    "module",
    [
        "sessioncheck.commands.check",
        "sessioncheck.commands.host",
        "sessioncheck.commands.join",
        "sessioncheck.commands.report",
        "sessioncheck.commands.serve",
        "sessioncheck.commands.web",
        "sessioncheck.commands.devices",
        "sessioncheck.commands.app",
        "sessioncheck.commands.terminal",
        "sessioncheck.tui.app",
    ],
)
def test_commands_and_the_app_do_not_import_the_cli(module: str) -> None:
    """The circle cli → commands → cli (and app → cli) is gone: only ``__main__`` imports cli."""
    assert "sessioncheck.cli" not in _modules_loaded_by(f"import {module}")


def test_no_module_but_main_imports_cli() -> None:
    importers = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                absolute = node.module if node.level == 0 else None
                if absolute == "sessioncheck.cli" or (node.level and node.module == "cli"):
                    importers.append(str(path.relative_to(SRC)))
            elif isinstance(node, ast.Import) and any(a.name == "sessioncheck.cli" for a in node.names):
                importers.append(str(path.relative_to(SRC)))
    assert importers == []
