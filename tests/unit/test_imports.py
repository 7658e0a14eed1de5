"""The headless core must load without Textual (or any front end)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "sessioncheck.model",
    "sessioncheck.settings",
    "sessioncheck.events",
    "sessioncheck.runner",
    "sessioncheck.probes",
    "sessioncheck.probes.system",
    "sessioncheck.probes.ice",
    "sessioncheck.probes.loopback",
    "sessioncheck.advice.catalogue",
    "sessioncheck.advice.rules",
    "sessioncheck.advice.verdict",
    "sessioncheck.report",
    "sessioncheck.report.io",
    "sessioncheck.report.text",
    "sessioncheck.report.redact",
    "sessioncheck.cli",
]

BLOCK_TEXTUAL = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError("textual is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
"""


def test_core_imports_without_textual() -> None:
    code = BLOCK_TEXTUAL + "\n".join(f"import {m}" for m in CORE) + "\n"
    code += "import sessioncheck.advice.rules as r, importlib\n"
    code += "[importlib.import_module(m) for m in r.RULE_MODULES.values()]\n"
    code += "assert not any(k.startswith('textual') for k in sys.modules)\nprint('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_cli_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom sessioncheck.cli import build_parser\nbuild_parser()\n"
        "heavy = [m for m in ('aiortc', 'av', 'numpy', 'textual', 'aiohttp', 'cv2', 'psutil') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
