"""The headless core must load without Textual (or any front end)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import sessioncheck

REPO = Path(__file__).resolve().parents[2]

BLOCK_TEXTUAL = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError("textual is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
"""


def front_ends() -> list[str]:
    """The front ends, as the import contract in pyproject.toml names them."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "core-imports-no-front-end")
    return list(contract["forbidden_modules"])


def is_front_end(name: str, front: list[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in front)


def core_files() -> set[str]:
    """Every module under src/sessioncheck, by file, minus the front ends."""
    src = Path(sessioncheck.__file__).parent
    names = set()
    for path in src.rglob("*.py"):
        parts = ("sessioncheck", *path.relative_to(src).with_suffix("").parts)
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return {n for n in names if not is_front_end(n, front_ends())}


def test_core_imports_without_textual() -> None:
    """Every core module (walked with pkgutil, so none is forgotten) imports with Textual blocked."""
    code = BLOCK_TEXTUAL + (
        "import importlib, json, pkgutil, sessioncheck\n"
        f"front = {front_ends()!r}\n"
        "def front_end(n): return any(n == f or n.startswith(f + '.') for f in front)\n"
        "done = ['sessioncheck']\n"
        "for m in pkgutil.walk_packages(sessioncheck.__path__, 'sessioncheck.'):\n"
        "    if not front_end(m.name):\n"
        "        importlib.import_module(m.name)\n"
        "        done.append(m.name)\n"
        "assert not any(k == 'textual' or k.startswith('textual.') for k in sys.modules)\n"
        "print(json.dumps(done))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    imported = json.loads(out.stdout)
    assert sorted(imported) == sorted(core_files())  # the whole core, every file, not a hand-kept list


def test_cli_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom sessioncheck.cli import build_parser\nbuild_parser()\n"
        "heavy = [m for m in ('aiortc', 'av', 'numpy', 'textual', 'aiohttp', 'cv2', 'psutil') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
