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


#: Imported on first use, never for the console's first frame (issue 18: start):
#: the screens a key opens, the editor, the CLI's printing views, the simulator builder.
LAZY = ("jailtui.screens.detail", "jailtui.screens.health", "jailtui.screens.help",
        "jailtui.screens.hosts", "jailtui.screens.log", "jailtui.screens.exec",
        "jailtui.screens.services", "jailtui.screens.signal", "jailtui.screens.confirm",
        "jailtui.screens.config_editor", "jailtui.screens.config_flow",
        "jailtui.screens.param_form", "jailtui.screens.diff", "jailtui.screens.owner_config",
        "jailtui.screens.suspend", "jailtui.widgets.conf_area", "jailtui.cli.views",
        "jailtui.sim.builder",
        # The storage layer, the editor, limits, the process screen and the posture
        # flags: the protocols of screens/contracts.py name their types only, and
        # the start's look for half-done restores reads the journal directory first.
        "jailtui.core.storage.restore", "jailtui.core.storage.backup",
        "jailtui.core.storage.changes", "jailtui.core.storage.snapshots",
        "jailtui.core.config.confedit", "jailtui.core.actions.limits",
        "jailtui.core.procdetail", "jailtui.core.posture.model",
        # The SSH transport: built only for a remote host (fleet.build_host).
        "jailtui.core.transport.ssh", "jailtui.core.transport.ssh.files",
        "jailtui.core.transport.ssh.link", "jailtui.core.transport.ssh.runner",
        # The fleet's core (tag_snapshot: several hosts only) and the user
        # picker (u): not for one host's first frame.
        "jailtui.core.hosts.fleet", "jailtui.screens.users")

FIRST_FRAME = """
import asyncio, sys
from jailtui.cli.main import build_parser, make_session
from jailtui.app import JailtuiApp

args = build_parser().parse_args(["--sim", sys.argv[1]])
session = make_session(args)

async def main() -> None:
    app = JailtuiApp(session.host, session.controller, interval=3600.0)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.poll_state.snapshot is not None:
                break
        await pilot.pause()
        assert app.poll_state.snapshot is not None, "no data on screen"
        print(" ".join(sorted(m for m in sys.modules)))

asyncio.run(main())
"""


def test_first_frame_imports_no_screen_it_does_not_show(sim_dir: Path) -> None:
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(sim_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "jailtui.screens.main" in loaded  # the check can fail: it sees what is imported
    assert sorted(m for m in LAZY if m in loaded) == []


#: Never imported by ``jailtui list`` (issue 18: its CPU): the storage layer and
#: the commands of snapshot, restore, diff, backup and quarantine (their
#: parsers are cli/storage_parsers.py), the console; what only the Controller's
#: other methods and the other commands use: the editor (confedit and its
#: safe saves), rctl limits, the process screen, ``!``, the posture flags.
LIST_LAZY = ("jailtui.core.storage.snapshots", "jailtui.core.storage.restore",
             "jailtui.core.storage.backup", "jailtui.core.storage.changes",
             "jailtui.core.storage.quarantine", "jailtui.core.storage.zfs",
             "jailtui.cli.snapshot_cmd", "jailtui.cli.restore_cmd", "jailtui.cli.diff_cmd",
             "jailtui.cli.backup_cmd", "jailtui.cli.quarantine_cmd", "jailtui.app", "textual",
             "jailtui.core.config.confedit", "jailtui.core.config.safefile",
             "jailtui.core.config.remotefile", "jailtui.core.actions.limits",
             "jailtui.core.freebsd.rctlconf", "jailtui.core.procdetail",
             "jailtui.core.freebsd.procstat", "jailtui.core.actions.exec_stream",
             "jailtui.core.posture.model", "difflib",
             # Asked for only by the simulator test (platform) and SSH's
             # batch markers (secrets, which loads OpenSSL's hmac).
             "platform", "secrets",
             # The SSH transport: built only for a remote host (fleet.build_host).
             "jailtui.core.transport.ssh", "jailtui.core.transport.ssh.files",
             "jailtui.core.transport.ssh.link", "jailtui.core.transport.ssh.runner",
             # The key table: checked only when the config file has [keys] entries.
             "jailtui.console.keys",
             # The actions layer (Session.controller is built on first use; list
             # reads the policy only), a delegate's scoped view, and what only
             # the console's detail, log, services and limits screens ask of a
             # host (JailHost's annotations name them: core/hosts/protocol.py).
             "jailtui.core.actions.control", "jailtui.core.hosts.scoped",
             "jailtui.core.network", "jailtui.core.freebsd.net", "jailtui.core.consolelog",
             "jailtui.core.checks.rcstatus", "jailtui.core.freebsd.misc",
             "jailtui.core.freebsd.rctl", "jailtui.core.freebsd.signals",
             # Read only from a config file or a delegation policy (the test's
             # HOME has neither: conftest.py).
             "tomllib")

LIST_RUN = """
import sys
from jailtui.cli.main import main

out, simdir = sys.argv[1], sys.argv[2]
try:
    code = main(["--sim", simdir, "list", "--json"])
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    f.write(" ".join(sorted(sys.modules)))
sys.exit(code)
"""


def test_list_imports_no_storage_layer(sim_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "modules"
    run = subprocess.run([sys.executable, "-c", LIST_RUN, str(out), str(sim_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.lstrip().startswith("[")           # it did list
    loaded = set(out.read_text().split())
    assert "jailtui.cli.views" in loaded                 # the check sees what is imported
    assert sorted(m for m in LIST_LAZY if m in loaded) == []


GC_RUN = """
import gc, runpy, sys
sys.argv = ["jailtui", "--version"]
try:
    runpy.run_module("jailtui", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count() > 10000, "jailtui.cli.main" in sys.modules)
"""


def test_entry_point_collects_again_after_its_imports() -> None:
    """jailtui/__main__.py turns the cyclic GC off for the imports only: it is
    on when main() runs (the console lives for hours), and the imports' objects
    are frozen, not left to the first collection."""
    out = subprocess.run([sys.executable, "-c", GC_RUN], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["True", "True", "True"]
