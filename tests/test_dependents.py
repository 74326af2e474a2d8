"""Jails that stop with the jail they depend on (docs/freebsd.md 3.7).

jail(8) removes every configured jail whose ``depend`` names the jail being
stopped, first (state.c dep_check), and a restart does not bring them back.
On the demo host ``git`` has ``depend = db``: stopping db stopped git with
no word said (seen in tmux). The questions now name them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tui_daemon_fakes import sim_console, wait_for
from tui_fakes import settle, widget_text

from jailtui.console.flows import bulk_question, lifecycle_question
from jailtui.core.hosts import confsource
from jailtui.core.model import Jail, JailState, ParamValue
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parent.parent


def conf_of(params: dict[str, dict[str, ParamValue]]) -> confsource.ConfiguredJails:
    jails = {n: confsource.ConfiguredJail(name=n, params=p, file="/etc/jail.conf", enabled=True)
             for n, p in params.items()}
    return confsource.ConfiguredJails(jails=jails, errors=[], enabled_list=[], jail_enable=True)


def test_dependents_are_transitive_running_and_include_children() -> None:
    conf = conf_of({"db": {}, "git": {"depend": "db"}, "ci": {"depend": ("git", "web")},
                    "web": {}, "old": {"depend": "db"}, "x": {"depend": "db, web"}})
    running = ["db", "git", "ci", "web", "db.replica", "x"]  # old is stopped
    got = confsource.dependents(conf, running)
    assert got["db"] == ("git", "x", "db.replica", "ci")
    assert got["git"] == ("ci",) and set(got["web"]) == {"ci", "x"}
    assert "ci" not in got and "old" not in got["db"]


def test_the_demo_host_knows_git_stops_with_db(sim_dir: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "list",
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    by_name = {j["name"]: j for j in json.loads(out.stdout)}
    assert by_name["db"]["state"] == "running" and by_name["git"]["state"] == "running"
    # what the kernel does, through the real jail(8) path of the simulator:
    stop = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "stop", "db"],
                          cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert stop.returncode == 0, stop.stderr
    assert "db: stopped" in stop.stdout and "also stopped git (depends on it)" in stop.stdout
    after = {j["name"]: j["state"] for j in json.loads(subprocess.run(
        [sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "list", "--json"], cwd=ROOT,
        capture_output=True, text=True, timeout=90).stdout) if j["state"] != "dying"}
    assert after["db"] == "stopped" and after["git"] == "stopped"


def test_questions_name_the_dependents() -> None:
    db = Jail(name="db", jid=2, state=JailState.RUNNING, dependents=("git",))
    stop = lifecycle_question("stop", db).plain
    assert "Also stops git first (it depends on it: jail.conf depend)." in stop
    restart = lifecycle_question("restart", db).plain
    assert "and stays stopped." in restart
    assert "Also stops" not in lifecycle_question("stop", Jail(name="web", jid=1,
                                                               state=JailState.RUNNING)).plain
    assert "also stops git" in bulk_question("stop", [db], []).plain
    assert "also stops" not in bulk_question("start", [db], []).plain


async def test_stop_question_on_the_demo_host_names_git(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.jails.move_to_key("db"))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = widget_text(app.screen.query_one("#confirm-question"))
        assert "Stop jail db" in question and "Also stops git first" in question
        await pilot.press("n")
        await settle(pilot)
        assert main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Also stops" not in widget_text(app.screen.query_one("#confirm-question"))
