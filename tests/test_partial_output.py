"""What a command wrote before its timeout is shown, not dropped (issue 14 item 10).

capture.collect keeps the partial output of a command killed at its
deadline (tests/test_runner_limits.py); here the three places a user sees a
timeout show it before the timeout line: ``jailtui exec`` on the command
line, the console's exec screen, and the action log entry of a lifecycle
command (``jail -c`` whose exec.prestart hangs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from test_tui_exec import SIZE, open_exec, state_text
from tui_daemon_fakes import log_text, sim_console, wait_for
from tui_fakes import settle

from jailtui.app import JailtuiApp
from jailtui.core.actions import control
from jailtui.core.actions.control import Controller, StartMethod
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import LocalRunner
from jailtui.widgets.action_log import entry_lines

ROOT = Path(__file__).resolve().parent.parent

#: Prints on both streams, then hangs: what came must be shown.
PRINTS_THEN_HANGS = "echo came-first; echo on-stderr >&2; exec sleep 600"


def no_sleeper_left(marker: str) -> bool:
    """No process of the test's command line is left (killed with its group)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["cmdline", "status"])
                if marker in " ".join(p.info["cmdline"] or [])
                and p.info["status"] != psutil.STATUS_ZOMBIE]
        if not left:
            return True
        time.sleep(0.05)
    return False


def test_cli_exec_prints_what_came_then_the_timeout(sim_dir: Path, shim_path: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jailtui", "--host", "local", "--root", str(sim_dir / "root"),
         "exec", "--timeout", "1.5", "web", "--", "sh", "-c", PRINTS_THEN_HANGS],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": shim_path})
    assert out.returncode != 0
    assert out.stdout == "came-first\n"
    err = out.stderr.strip().splitlines()
    assert err[0] == "on-stderr" and err[-1] == "jexec: timed out after 1.5 s (killed)", err


async def test_exec_screen_shows_what_came_before_the_timeout(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Controller.exec_stream

    async def soon(self: Controller, name: str, command: Any, sink: Any, *, cancel: Any,
                   timeout: float | None = 600.0) -> Any:
        # The screen's limit is the controller's 600 s: 1.5 s here.
        return await real(self, name, command, sink, cancel=cancel, timeout=1.5)

    monkeypatch.setattr(Controller, "exec_stream", soon)
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        screen.input.value = f"sh -c '{PRINTS_THEN_HANGS}'"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.running_command is None)
        lines = log_text(screen.output)
        timeout_line = lines.index("[timed out after 1.5 s (killed)]")
        assert lines.index("came-first") < timeout_line, lines
        assert lines.index("on-stderr") < timeout_line, lines
        assert "timed out after 1.5 s" in state_text(screen)
        entry = app.journal.last()
        assert entry is not None and not entry.ok
        assert "came-first" in entry.output and "on-stderr" in entry.output


async def test_a_timed_out_start_logs_the_last_lines_that_came(
        sim_dir: Path, shim_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``jail`` on PATH that prints 30 lines and hangs (a real child, killed
    with its group at the deadline): the action log entry of the start has
    the timeout line, then the last lines that came."""
    jail = Path(shim_path.split(os.pathsep, 1)[0]) / "jail"
    jail.unlink()
    jail.write_text("#!/bin/sh\nseq -f prestart-%g 1 30\nexec sleep 600\n")
    jail.chmod(0o755)
    monkeypatch.setattr(control, "ACTION_TIMEOUT", 3.0)
    runner = LocalRunner(path=shim_path)
    host = Host(runner, backend="FreeBSD", paths=PathMap(root=str(sim_dir / "root")),
                hostname="simhost")
    # jail(8) directly, so the command that hangs is the one replaced above.
    controller = Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid()),
                            method=StartMethod.JAIL)
    app = JailtuiApp(host, controller, interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        staging = (await host.poll()).jail("staging")
        assert staging is not None
        app.flows.run_lifecycle("start", staging)
        await wait_for(pilot, lambda: any(e.title == "start staging" for e in app.journal))
        entry = [e for e in app.journal if e.title == "start staging"][-1]
        assert not entry.ok and entry.message == "could not start staging: jail: timed out after 3 s (killed)"
        shown = [line.plain.lstrip("│|: ").strip() for line in entry_lines(entry)]
        assert "prestart-30" in shown and "prestart-11" in shown   # the last lines
        assert "prestart-10" not in shown and "[... 10 earlier lines]" in shown
        assert shown.index("prestart-30") > 0                       # under the headline
    assert no_sleeper_left(str(jail))
