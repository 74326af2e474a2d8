"""The simulator's layers: dispatch() knows every tool, no tool knows dispatch().

issue 12 ("the import cycle sim/commands <-> sim/jail/jexec/service is
broken"): a tool that runs another tool goes through ``Ctx.run_tool``,
the dispatcher handed to it, never through an import of
:mod:`jailtui.sim.commands`. The jail(8) simulator is split by concern:
arguments (sim/jail.py), dependency ordering (sim/jail_order.py, state.c),
start and stop sequences (sim/jail_ops.py, command.c).
"""

from __future__ import annotations

import ast
from pathlib import Path

import jailtui.sim as sim_pkg

SIM = Path(sim_pkg.__file__).parent
#: Entry points that sit above dispatch(): they may import it.
_ABOVE = {"commands.py", "runner.py", "main.py", "cli.py", "shims.py", "__init__.py"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_no_tool_module_imports_the_dispatcher() -> None:
    offenders = sorted(p.name for p in SIM.glob("*.py")
                       if p.name not in _ABOVE and "jailtui.sim.commands" in _imports(p))
    assert offenders == []


def test_dependency_ordering_is_apart_from_argument_handling() -> None:
    order = _imports(SIM / "jail_order.py")
    # Pure: no state, no output, no arguments.
    assert not {m for m in order if m.startswith(("jailtui.sim.state", "jailtui.sim.context",
                                                  "jailtui.sim.getopt", "jailtui.sim.jail."))}
    assert "jailtui.sim.jail_order.closure" in _imports(SIM / "jail_ops.py")
    assert "jailtui.sim.getopt" in _imports(SIM / "jail.py")
    assert "jailtui.sim.getopt" not in _imports(SIM / "jail_ops.py")
