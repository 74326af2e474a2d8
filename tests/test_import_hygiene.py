"""The core and the simulator never import Textual (docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCKER = """
import sys, importlib.abc, pkgutil, importlib

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError(f"textual is blocked: {name}")
        return None

sys.meta_path.insert(0, Block())
import jailtui.core, jailtui.sim
for pkg in (jailtui.core, jailtui.sim):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
import jailtui.cli.main
assert not any(m == "textual" or m.startswith("textual.") for m in sys.modules), "textual imported"
print("ok")
"""


def test_core_and_sim_import_without_textual() -> None:
    out = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_blocker_really_blocks() -> None:
    """The check above can fail: importing the app with textual blocked raises."""
    code = BLOCKER.replace("import jailtui.cli.main", "import jailtui.app")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0
    assert "textual is blocked" in out.stderr
