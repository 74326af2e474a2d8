"""End to end: ``jailtui --sim DIR`` in tmux remembers a note, the columns and
the view across two runs, in $XDG_STATE_HOME, and forgets the view with
``--no-state`` (issue 20).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tmux_pane import Pane, open_pane

from jailtui.core.userstate import state_path

pytestmark = [pytest.mark.e2e]


def console(sim_dir: Path, tmp: Path, *extra: str) -> Pane:
    return open_pane([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "--interval", "1",
                      *extra], tmp, size=(80, 24))


def test_note_columns_and_view_survive_a_restart(sim_dir: Path, tmp_path: Path) -> None:
    pane = console(sim_dir, tmp_path)
    try:
        pane.wait(lambda s: "SIMULATED" in s and " db " in s)
        # The cursor starts on the first running jail (cache); db is two rows down.
        pane.keys("g", "j", "j", "m")
        pane.wait(lambda s: "Note on db" in s)
        pane.literal("owned by ops")
        pane.keys("Enter")
        pane.wait(lambda s: any(" db " in ln and "✎" in ln for ln in s.splitlines()))
        # C: hide HOSTNAME (fifth in the list), apply.
        pane.keys("C")
        pane.wait(lambda s: "Columns of the jails pane" in s)
        pane.keys("Down", "Down", "Down", "Down", "Space", "Enter")
        pane.wait(lambda s: "HOSTNAME" not in s and "ADDRESS" in s)
        pane.keys("P", "t")
        pane.wait(lambda s: "sort cpu%" in s)
        pane.keys("q")
        assert pane.exit_status() == 0
    finally:
        pane.close()
    saved = json.loads(state_path().read_text())
    host = f"sim:{sim_dir.resolve()}"
    assert saved["notes"] == {host: {"db": "owned by ops"}}
    assert "hostname" not in saved["columns"]["jails"]
    assert saved["view"]["jails"]["sort"] == "cpu" and saved["view"]["tree"] is True

    again = console(sim_dir, tmp_path)
    try:
        screen = again.wait(lambda s: "sort cpu%" in s and "tree" in s and "✎" in s)
        assert "HOSTNAME" not in screen
        assert any(" db " in ln and "✎" in ln for ln in screen.splitlines()), screen
        again.keys("q")
        assert again.exit_status() == 0
    finally:
        again.close()

    fresh = console(sim_dir, tmp_path, "--no-state")
    try:
        screen = fresh.wait(lambda s: "sort name" in s and " db " in s)
        assert "tree" not in screen
        assert "HOSTNAME" not in screen  # the columns are kept, only the view is not
        fresh.keys("q")
        assert fresh.exit_status() == 0
    finally:
        fresh.close()
    assert json.loads(state_path().read_text())["view"]["jails"]["sort"] == "cpu"
