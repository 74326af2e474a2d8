"""The console and the command line on a host where stopped jails linger dying (issue 11).

What FreeBSD does is in docs/freebsd.md 5.4 (kern_jail.c: jail_remove keeps
the prison, dying, with its jid, while it is referenced; kern_jail_set
looks up only live jails, so the jail can be created again meanwhile: a new
jid beside the dying one on 14, the dying one replaced on 15; kern_jail_get
says ``jail "web" is dying`` to lookups without JAIL_DYING). The simulator
does the same (tests/test_sim_dying.py); these tests run the product over
it, through the shims on PATH (``--host local``, the production path) and
in-process (Host + Controller over the SimRunner, the console in Pilot).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import settle

from jailtui.core.actions.control import Controller, StartMethod
from jailtui.core.actions.policy import Action, Policy, Role, valid_for_state
from jailtui.core.checks.dying import DyingClock
from jailtui.core.checks.health import Thresholds, evaluate
from jailtui.core.errors import JailDying, JailNotFound, PolicyDenied
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.hosts.host import Host
from jailtui.core.model import JailState
from jailtui.core.transport.runner import CommandResult
from jailtui.sim.builder import init_host
from jailtui.sim.runner import SimRunner
from jailtui.sim.shims import write_shims

ROOT = Path(__file__).resolve().parent.parent


def _host(tmp_path: Path, **kw: Any) -> tuple[Path, dict[str, str]]:
    kw.setdefault("dying_seconds", 3600)
    sim = init_host(tmp_path / "sim", **kw)
    write_shims(sim, tmp_path / "bin")
    return sim, {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def jailtui(sim: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``jailtui --host local --root SIM/root ARGS`` with the shims first on PATH."""
    return subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                           str(sim / "root"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


def _rows(sim: Path, env: dict[str, str], name: str) -> list[tuple[str, int | None]]:
    out = jailtui(sim, env, "list", "--json")
    assert out.returncode == 0, out.stderr
    return sorted(((r["state"], r["jid"]) for r in json.loads(out.stdout) if r["name"] == name),
                  key=str)


@pytest.mark.parametrize("gen", [14, 15])
def test_stop_start_restart_through_the_shims(tmp_path: Path, gen: int) -> None:
    sim, env = _host(tmp_path, freebsd=gen)
    (_, jid), = _rows(sim, env, "web")
    out = jailtui(sim, env, "stop", "web")
    # Was: exit 1 with "web: removed" although the stop worked.
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert f"web: stopped (dying, jid {jid}, kernel resources still held)" in out.stdout
    # The dying jail is its own row; the configured jail's stopped row is still there.
    assert _rows(sim, env, "web") == [("dying", jid), ("stopped", None)]
    out = jailtui(sim, env, "start", "web")
    assert out.returncode == 0, (out.stdout, out.stderr)  # was: jail: "web" already exists
    rows = _rows(sim, env, "web")
    new = next(j for s, j in rows if s == "running")
    assert new != jid
    # 14: the new jail beside the dying one; 15 replaces the dying one.
    assert (("dying", jid) in rows) is (gen == 14)
    out = jailtui(sim, env, "restart", "web")
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert "web: restarted (jid " in out.stdout
    # A normal stop is not "stuck dying".
    out = jailtui(sim, env, "check", "--json")
    assert not [f for f in json.loads(out.stdout)["findings"] if f["kind"] == "dying"]


def test_check_remembers_when_it_first_saw_a_jail_dying(tmp_path: Path) -> None:
    sim, env = _host(tmp_path)
    assert jailtui(sim, env, "stop", "dns").returncode == 0
    cache = tmp_path / "cache"
    env = {**env, "XDG_CACHE_HOME": str(cache)}

    def dying_findings() -> list[str]:
        out = jailtui(sim, env, "check", "--json")
        return [f["message"] for f in json.loads(out.stdout)["findings"] if f["kind"] == "dying"]

    assert dying_findings() == []
    state = cache / "jailtui" / "dying.json"
    seen = json.loads(state.read_text())
    assert len(seen) == 1 and "\x00dns" in next(iter(seen))
    # Eleven minutes ago, as a check run then would have written it.
    state.write_text(json.dumps({k: v - 660 for k, v in seen.items()}))
    (msg,) = dying_findings()
    assert msg.startswith("dns: stuck dying for 11 min (jid ")
    # [check] dying_after moves the threshold.
    conf = tmp_path / "config.toml"
    conf.write_text("[check]\ndying_after = 3600\n")
    out = jailtui(sim, env, "--config", str(conf), "check", "--json")
    assert not [f for f in json.loads(out.stdout)["findings"] if f["kind"] == "dying"]


async def test_evaluate_counts_from_first_sight(tmp_path: Path) -> None:
    sim = init_host(tmp_path / "sim", dying_seconds=3600)
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0), method=StartMethod.JAIL)
    assert (await ctl.stop("mail")).ok
    snap = await host.poll()
    clock = DyingClock()
    th = Thresholds(dying_after=600, check_daemons=False)
    first = await evaluate(host, th, snapshot=snap, dying=clock)
    assert not [f for f in first.findings if f.kind == "dying"]
    from dataclasses import replace
    later = replace(snap, taken_at=snap.taken_at + 601)
    report = await evaluate(host, th, snapshot=later, dying=clock)
    assert [f.jail for f in report.findings if f.kind == "dying"] == ["mail"]


async def test_a_dying_row_never_acts_on_the_live_jail(tmp_path: Path) -> None:
    sim = init_host(tmp_path / "sim", freebsd=14, dying_seconds=3600)
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
    assert (await ctl.restart("web")).ok
    snap = await host.poll()
    rows = [j for j in snap.jails if j.name == "web"]
    dying = next(j for j in rows if j.state is JailState.DYING)
    live = next(j for j in rows if j.state is JailState.RUNNING)
    assert dying.key != live.key and snap.jail("web") == live
    for action in (Action.STOP, Action.RESTART, Action.START, Action.SHELL, Action.EDIT):
        assert not ctl.allowed(action, dying)
        assert not valid_for_state(action, dying)
    assert ctl.allowed(Action.VIEW, dying)
    with pytest.raises(PolicyDenied, match="is dying"):
        await ctl.stop("web", expect=dying)
    after = await host.poll()
    assert after.jail("web") == live or after.jail("web").jid == live.jid  # type: ignore[union-attr]


async def test_poll_without_the_jail_keyword(tmp_path: Path) -> None:
    """ps keyword.c findvar: ``ps: jail: keyword not found``, the rest printed, exit 1."""
    sim = init_host(tmp_path / "sim", ps_jail_keyword=False)
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    snap = await host.poll()
    web = snap.jail("web")
    assert web is not None and web.jid is not None
    procs = snap.processes_of(web.jid)
    assert procs and {p.jail for p in procs} == {"web"}  # named from jls by jid
    assert host.ps_jail_keyword is False and "jail" not in host.ps_argv()[-1].split(",")
    await host.poll()  # asks without the keyword from now on


def test_list_and_ps_without_the_jail_keyword_through_the_shims(tmp_path: Path) -> None:
    sim, env = _host(tmp_path, ps_jail_keyword=False)
    out = jailtui(sim, env, "ps", "--jail", "web", "--json")
    assert out.returncode == 0, out.stderr
    procs = json.loads(out.stdout)
    assert procs and all(p["jail"] == "web" for p in procs)
    assert jailtui(sim, env, "list").returncode == 0


def test_hierarchical_name_is_stopped_with_jail8(tmp_path: Path) -> None:
    """rc.d/jail turns ``ci.build`` into ``ci_build`` and skips it (exit 0)."""
    sim, env = _host(tmp_path, dying_seconds=0)
    res = subprocess.run([str(tmp_path / "bin" / "jexec"), "ci", "jail", "-c", "name=build",
                          "path=/", "persist"], capture_output=True, timeout=60, env=env,
                         check=False)
    assert res.returncode == 0, res.stderr
    # Made by hand with jail(8): no manager's file and no jail.conf block, so its
    # owner is unknown and jail(8) needs saying so (issue 15).
    out = jailtui(sim, env, "stop", "--jail8", "ci.build")
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert "ci.build: stopped" in out.stdout
    assert _rows(sim, env, "ci.build") == []
    ctl = Controller(Host(SimRunner(sim), backend="SIMULATED"), Policy(Role.HOST_ADMIN, "r", 0),
                     method=StartMethod.SERVICE)
    assert ctl.lifecycle_argv(Action.STOP, "ci.build")[0] == "jail"
    assert ctl.lifecycle_argv(Action.STOP, "web")[:2] == ["service", "jail"]


def test_is_dying_is_a_typed_error(tmp_path: Path) -> None:
    sim, env = _host(tmp_path)
    assert jailtui(sim, env, "stop", "db").returncode == 0
    for tool in ("jls", "jexec"):
        argv = [tool, "-j", "db"] if tool == "jls" else [tool, "db", "true"]
        res = subprocess.run([str(tmp_path / "bin" / tool), *argv[1:]], capture_output=True,
                             timeout=60, env=env, check=False)
        err = tool_error(CommandResult(tuple(argv), res.returncode, res.stdout, res.stderr))
        assert isinstance(err, JailDying) and isinstance(err, JailNotFound)
        assert err.message == f'{tool}: jail "db" is dying'
    out = jailtui(sim, env, "exec", "db", "--", "true")
    assert out.returncode != 0 and 'jail "db" is dying' in out.stderr


async def test_console_rows_for_a_lingering_jail(tmp_path: Path) -> None:
    """The dying row is its own greyed row with no action; Start stays on the stopped row."""
    from jailtui.app import JailtuiApp
    from jailtui.screens.main import MainScreen

    sim = init_host(tmp_path / "sim", freebsd=14, dying_seconds=3600)
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid()))
    assert (await ctl.stop("web")).ok
    app = JailtuiApp(host, ctl, interval=1000.0)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        web = [j for j in main.jails.rows if j.name == "web"]
        assert sorted(j.state.value for j in web) == ["dying", "stopped"]
        dying = next(j for j in web if j.dying)
        assert main.jails.move_to_key(dying.key)
        await settle(pilot)
        assert app.gate_reason(Action.STOP, dying) is not None
        assert app.gate_reason(Action.START, dying) is not None
        text = "".join(s.text for s in main.jails._row_strip(main.jails._cursor))
        # No processes left: "-", not a misleading 0 (jail_remove killed them).
        words = text.split()
        assert words[0] == "dying" and words[2] == "web" and words[7:10] == ["-", "-", "-"]
        assert main.jails.move_to_key("web")
        await settle(pilot)
        stopped = main.jails.cursor_row
        assert stopped is not None and stopped.state is JailState.STOPPED
        assert app.gate_reason(Action.START, stopped) is None
        # "N/M jails up" counts jails, not the dying row beside the stopped one.
        from jailtui.core.model import jails_up

        snap = app.poll_state.snapshot
        assert snap is not None
        up, total = jails_up(snap.jails)
        assert total == len(snap.jails) - 1
        status = str(app.screen.query_one("#status").render())
        assert f"{up}/{total} jails up" in status, status


async def test_evaluate_reads_the_configuration_once(tmp_path: Path) -> None:
    """The drift of every running jail is compared with one reading of the
    configuration (issue 18: one load per running jail before)."""
    sim = init_host(tmp_path / "sim", jails=6, processes=60)
    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    snap = await host.poll()
    calls: list[int] = []
    real = host.configured

    def counting(*, freebsd: int | None = None) -> Any:
        calls.append(1)
        return real(freebsd=freebsd)

    host.configured = counting  # type: ignore[method-assign]
    report = await evaluate(host, Thresholds(check_daemons=False), snapshot=snap)
    assert sum(j.state is JailState.RUNNING for j in snap.jails) > 1
    assert report.jails and len(calls) == 1
