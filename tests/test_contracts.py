"""The contracts are complete: production code never probes a host, a
controller or a runner for what it can do (issue 12).

What a screen, the command line or the poller needs of them is a member of
``screens/contracts.py`` (ConsoleHost, ConsoleController),
``core/hosts/protocol.py`` (JailHost) or ``core/transport/runner.py``
(Runner); a ``getattr(controller, "...")`` or ``isinstance(runner,
SSHRunner)`` means a member is missing there, and a fake that lacks it
would silently take another branch than the real thing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jailtui

PACKAGE = Path(jailtui.__file__).parent

#: Names whose objects must be used through their protocol.
PROBED = ("controller", "runner", "host")
#: Concrete classes behind those protocols.
CONCRETE = {"SSHRunner", "LocalRunner", "SimRunner", "Host", "ScopedHost", "Controller",
            "FakeHost", "FakeController"}


def _names(node: ast.AST) -> str:
    """The dotted source of a Name/Attribute chain (``self.app.controller``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_names(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _names(node.func) + "()"
    return ""


def _probes(path: Path, base: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "getattr" and node.args:
            last = _names(node.args[0]).rsplit(".", 1)[-1].rstrip("()")
            if any(last.endswith(p) for p in PROBED):
                found.append(f"{path.relative_to(base)}:{node.lineno}: getattr on {last}")
        if node.func.id == "isinstance" and len(node.args) == 2:
            kinds = node.args[1]
            parts = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
            if isinstance(kinds, ast.BinOp):
                parts = [kinds.left, kinds.right]
            named = {_names(p).rsplit(".", 1)[-1] for p in parts}
            if named & CONCRETE:
                found.append(f"{path.relative_to(base)}:{node.lineno}: isinstance "
                             f"against {sorted(named & CONCRETE)}")
    return found


def test_no_production_code_probes_a_host_controller_or_runner() -> None:
    # The simulator is the other side of the runner (it is the host): not a client.
    files = [p for p in PACKAGE.rglob("*.py") if "sim" not in p.relative_to(PACKAGE).parts]
    probes = [probe for p in sorted(files) for probe in _probes(p)]
    assert not probes, "members missing from a protocol:\n" + "\n".join(probes)


def test_the_probe_finder_finds_probes(tmp_path: Path) -> None:
    """The finder itself: a probe of each kind is found (so the test above can fail)."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f(app, runner):\n"
                      "    getattr(app.controller, 'resolve', None)\n"
                      "    isinstance(runner, SSHRunner)\n"
                      "    isinstance(app.host, Host | ScopedHost)\n", encoding="utf-8")
    assert len(_probes(sample, tmp_path)) == 3
