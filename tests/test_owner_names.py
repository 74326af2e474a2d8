"""A manager's name for a jail is not the jail's name (issue 15 item 3).

iocage calls a jail ``backup`` that the kernel (jls) knows as ``ioc-backup``; ezjail's
``forum.example.net`` is ``forum_example_net`` (docs/managers.md 1.9). jailtui names a
jail as jls does: the manager's name is refused with a hint naming the jail, through the
real entry points (``jailtui --sim``, ``--host local`` over the shims, the console's
command line), and the hint never widens a delegate's scope.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tui_fakes import settle, wait_until

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.screens.main import MainScreen
from jailtui.sim.runner import SimRunner

ROOT = Path(__file__).resolve().parent.parent
ALL = ("bastille", "iocage", "appjail", "pot", "ezjail")
HINT_BACKUP = "backup: no jail of that name; did you mean ioc-backup (iocage jail backup)?"


def jailtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jailtui.sim.builder import init_host

    return init_host(tmp_path_factory.mktemp("names") / "sim", managers=ALL)


@pytest.fixture
def sim(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "sim", symlinks=True)
    return tmp_path / "sim"


def states(*target: str) -> dict[str, str]:
    out = jailtui(*target, "list", "--json")
    assert out.returncode == 0, out.stderr
    return {r["name"]: r["state"] for r in json.loads(out.stdout) if r["state"] != "dying"}


@pytest.mark.parametrize(("verb", "alias", "hint"), [
    ("start", "backup", HINT_BACKUP),
    ("stop", "media.lan", "did you mean ioc-media_lan (iocage jail media.lan)?"),
    ("restart", "forum.example.net",
     "did you mean forum_example_net (ezjail jail forum.example.net)?"),
])
def test_cli_refuses_a_managers_name_with_a_hint(sim: Path, verb: str, alias: str,
                                                 hint: str) -> None:
    before = states("--sim", str(sim))
    out = jailtui("--sim", str(sim), verb, alias)
    assert out.returncode == 1
    assert hint in out.stderr
    assert "$ " not in out.stdout  # nothing ran: no jail(8), no manager command
    assert states("--sim", str(sim)) == before


def test_the_jls_name_works_and_so_does_the_hinted_one(sim: Path) -> None:
    out = jailtui("--sim", str(sim), "start", "ioc-backup")
    assert out.returncode == 0, out.stderr
    assert "$ iocage start backup" in out.stdout  # the manager gets its own name
    assert states("--sim", str(sim))["ioc-backup"] == "running"


def test_shell_and_exec_by_a_managers_name_are_hinted(sim: Path) -> None:
    for args in (("shell", "backup"), ("exec", "backup", "--", "hostname")):
        out = jailtui("--sim", str(sim), *args)
        assert out.returncode == 1 and HINT_BACKUP in out.stderr, out.stderr
    out = jailtui("--sim", str(sim), "exec", "forum.example.net", "--", "hostname")
    assert "did you mean forum_example_net" in out.stderr
    out = jailtui("--sim", str(sim), "exec", "forum_example_net", "--", "hostname")
    assert out.returncode == 0 and out.stdout.strip() == "forum.example.net", out.stderr


def test_through_the_shims_on_path(sim: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shims = jailtui("--sim", str(sim), "sim", "shims", str(tmp_path / "bin"))
    assert shims.returncode == 0, shims.stderr
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    local = ["--host", "local", "--root", str(sim / "root")]
    out = subprocess.run([sys.executable, "-m", "jailtui", *local, "start", "backup"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1 and HINT_BACKUP in out.stderr, out.stderr


def test_a_jail_really_named_so_is_not_an_alias(sim: Path) -> None:
    # A jail.conf jail named `backup` beside iocage's: the name is that jail's.
    (sim / "root/usr/local/jails/backup").mkdir(parents=True)
    (sim / "root/etc/jail.conf.d/backup.conf").write_text(
        'backup {\n    path = "/usr/local/jails/backup";\n    host.hostname = "b";\n'
        '    persist;\n}\n')
    out = jailtui("--sim", str(sim), "start", "backup")
    assert "did you mean" not in out.stderr
    assert out.returncode == 0, out.stderr
    assert states("--sim", str(sim))["backup"] == "running"
    assert states("--sim", str(sim))["ioc-backup"] == "stopped"


def _controller(sim: Path, scope: frozenset[str] | None) -> Controller:
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    if scope is None:
        return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=scope,
                    actions=frozenset({Action.START, Action.STOP, Action.SHELL}))
    return Controller(ScopedHost(host, scope), policy, audit=MemorySink())


def test_the_hint_is_audited(sim: Path) -> None:
    ctl = _controller(sim, None)
    asyncio.run(ctl.host.poll())
    with pytest.raises(PolicyDenied, match="did you mean ioc-backup"):
        asyncio.run(ctl.start("backup"))
    rec = ctl.audit.records[-1]  # type: ignore[attr-defined]
    assert rec.action == "start" and rec.jail == "backup"
    assert rec.result.startswith("denied: backup: no jail of that name")


def test_a_delegate_of_the_jls_name_gets_the_hint_not_the_jail(sim: Path) -> None:
    ctl = _controller(sim, frozenset({"ioc-backup"}))
    asyncio.run(ctl.host.poll())
    with pytest.raises(PolicyDenied, match="did you mean ioc-backup"):
        asyncio.run(ctl.start("backup"))
    assert states("--sim", str(sim))["ioc-backup"] == "stopped"
    result = asyncio.run(ctl.start("ioc-backup"))
    assert result.ok and "$ iocage start backup" in result.output


def test_a_delegate_named_by_the_managers_name_gains_nothing(sim: Path) -> None:
    # The policy names iocage's `backup`; the kernel's jail is ioc-backup, which is
    # not in scope: neither name reaches it, and no hint tells of it.
    ctl = _controller(sim, frozenset({"backup"}))
    asyncio.run(ctl.host.poll())
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(ctl.start("ioc-backup"))
    assert "ioc-backup" not in str(denied.value)
    result = asyncio.run(ctl.start("backup"))
    assert not result.ok and "did you mean" not in result.message
    assert "ioc-backup" not in result.message + result.output
    assert states("--sim", str(sim))["ioc-backup"] == "stopped"


def test_a_delegate_of_another_jail_learns_nothing(sim: Path) -> None:
    ctl = _controller(sim, frozenset({"wiki"}))
    asyncio.run(ctl.host.poll())
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(ctl.start("backup"))
    assert "ioc-backup" not in str(denied.value)


async def test_console_command_line_hints_the_jls_name(sim: Path) -> None:
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    app = JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid())),
                     interval=1000.0)
    notes: list[str] = []
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        orig = app.notify

        def spy(message: str, *a: object, **k: object) -> None:
            notes.append(str(message))
            orig(message, *a, **k)  # type: ignore[arg-type]

        app.notify = spy  # type: ignore[method-assign]
        await pilot.press("colon", *"start backup", "enter")
        await settle(pilot)
        assert any(HINT_BACKUP in n for n in notes), notes
        assert isinstance(app.screen, MainScreen)
        await pilot.press("colon", *"start nosuch", "enter")
        await settle(pilot)
        assert any("no jail named nosuch" in n for n in notes)
