"""A refusal is worded once (core/actions/policy.py ``refusal``/``refused``):
the command line and the console say the same words for the same refusal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui_daemon_fakes import sim_console
from tui_fakes import record_notifications, settle

from jailtui.core.actions.policy import Action, Policy, Role, refusal
from jailtui.core.model import Jail, JailState
from jailtui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_read_only_stop_is_refused_in_the_same_words_by_cli_and_console(
        sim_dir: Path) -> None:
    out = cli("--sim", str(sim_dir), "--readonly", "stop", "web")
    assert out.returncode == 1
    assert out.stderr.strip() == "jailtui: stop: refused — read-only session"

    app = sim_console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=(160, 44)) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.jails.move_to_key("web")
        await pilot.press("d")
        await pilot.pause()
        assert seen[-1][0] == out.stderr.strip().removeprefix("jailtui: ")


def test_a_delegate_never_sees_another_jails_name() -> None:
    """Out of scope: the policy's words only, never the jail's name or state."""
    policy = Policy(Role.DELEGATE, "alice", 1001, frozenset({"web"}), frozenset({Action.STOP}))
    other = Jail("secret-db", 4, JailState.RUNNING)
    reason = refusal(policy, Action.START, other)
    assert reason is not None and "secret-db" not in reason
    assert refusal(policy, Action.START, Jail("web", 3, JailState.RUNNING)) is not None
    assert refusal(policy, Action.STOP, Jail("web", 3, JailState.RUNNING)) is None
    assert refusal(policy, Action.STOP, Jail("web", None, JailState.STOPPED)) == "web is not running"
