"""The simulator's runner really kills a timed-out command (issue 12; issue 13
item 10: `exec web -- sleep 70` was reported killed at the timeout while the
child lived on, and quitting waited for it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from jailtui.core.errors import CommandTimeout
from jailtui.sim.runner import SimRunner

ROOT = Path(__file__).resolve().parent.parent


def _sleepers(marker: str) -> list[psutil.Process]:
    """Live processes whose command line carries ``marker``."""
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            if marker in " ".join(p.info["cmdline"] or ()) and \
                    p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _wait_gone(marker: str) -> None:
    deadline = time.monotonic() + 30  # a bound on waiting, not a timing assertion
    while _sleepers(marker):
        assert time.monotonic() < deadline, f"still alive: {_sleepers(marker)}"
        time.sleep(0.05)


def test_timed_out_jexec_command_is_killed(sim_dir: Path) -> None:
    # A distinct duration, so that only this test's sleep matches.
    seconds = "597.25"
    runner = SimRunner(sim_dir)

    async def go() -> None:
        with pytest.raises(CommandTimeout, match="timed out after 1 s"):
            await runner.run(["jexec", "web", "sleep", seconds], timeout=1)

    asyncio.run(go())
    # asyncio.run has waited for the worker thread: the child is gone with it.
    assert _sleepers(f"sleep {seconds}") == []


def test_a_timed_out_command_saves_no_state(sim_dir: Path) -> None:
    """A start whose exec.start hook outlives the caller's timeout leaves the
    jail as it was: the thread stops before saving."""
    # The demo host keeps staging in /etc/jail.conf.d (docs/freebsd.md 8.2).
    conf = sim_dir / "root" / "etc" / "jail.conf.d" / "staging.conf"
    text = conf.read_text()
    assert "staging {" in text
    conf.write_text(text.replace("staging {", 'staging {\n    exec.prestart = "sleep 596.5";', 1))
    runner = SimRunner(sim_dir)

    async def go() -> None:
        with pytest.raises(CommandTimeout):
            await runner.run(["jail", "-c", "staging"], timeout=1)
        res = await runner.run(["jls", "-j", "staging"], timeout=10)
        assert res.returncode != 0  # not created

    asyncio.run(go())
    _wait_gone("sleep 596.5")


def test_quitting_does_not_wait_for_a_timed_out_exec(sim_dir: Path) -> None:
    """The production path (Controller.exec over the SimRunner) in a process
    of its own: it must end soon after the timeout, not after the command."""
    script = textwrap.dedent(f"""
        import asyncio
        from jailtui.core.actions.control import Controller
        from jailtui.core.actions.policy import Policy, Role
        from jailtui.core.hosts.host import Host
        from jailtui.sim.runner import SimRunner
        runner = SimRunner({str(sim_dir)!r})
        host = Host(runner, backend="SIMULATED", paths=runner.paths)
        ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
        result = asyncio.run(ctl.exec("web", ["sleep", "598.75"], timeout=1))
        print(result.ok, result.message)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)  # the command alone would take 600 s
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("False") and "timed out after 1 s" in out.stdout
    # The sleep is killed with its group; bubblewrap's two processes around it (sim/
    # confine.py) exit when they see it gone, a moment later under load: waited for,
    # bounded, where a sleep that was not killed would outlive the bound by ten minutes.
    _wait_gone("sleep 598.75")


def test_cli_exec_past_its_timeout_is_killed_and_exits_124(sim_dir: Path) -> None:
    """``jailtui --sim DIR exec --timeout 1 web -- sleep N``: the sleep is
    killed at the timeout, the line names jexec (not the simulator's python3)
    and the exit status is timeout(1)'s 124, not 1 as for any other failure."""
    seconds = "596.125"
    out = subprocess.run(
        [sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "exec", "--timeout", "1",
         "web", "--", "sleep", seconds],
        cwd=ROOT, capture_output=True, text=True, timeout=120)  # the sleep alone: 596 s
    assert out.returncode == 124, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "jexec: timed out after 1 s (killed)"
    _wait_gone(f"sleep {seconds}")
