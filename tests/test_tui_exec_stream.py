"""``!`` streams, caps and cancels (issue 13 items 7 and 26), on the real simulator.

``seq 1 100000`` used to freeze the console for ~40 s and take ~1 GB: the
output was buffered whole, then written to the log in one go, and the action
log kept all of it. Now lines arrive as they come, at most a cap of them is
kept on screen (the rest in a file, said so), ctrl+c kills the command, and
what is typed while a command runs is queued, not lost.
"""

from __future__ import annotations

import time
from pathlib import Path

from test_tui_exec import SIZE, open_exec, state_text
from tui_daemon_fakes import log_text, sim_console, wait_for

from jailtui.widgets.exec_output import MAX_SHOWN_LINES, SUMMARY_LINES


def last_line_and_remove(path: str) -> str:
    file = Path(path)
    try:
        return file.read_text().splitlines()[-1]
    finally:
        file.unlink()


async def test_a_flood_of_output_is_capped_and_saved(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        screen.input.value = "seq 1 100000"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.running_command is None)
        lines = log_text(screen.output)
        assert len(lines) <= MAX_SHOWN_LINES + 10
        assert "1" in lines and "100000" not in lines
        state = state_text(screen)
        assert "more lines, saved to" in state
        saved = state.split("saved to ", 1)[1].split()[0]
        assert last_line_and_remove(saved) == "100000"
        entry = app.journal.last()
        assert entry is not None and entry.ok
        # The action log keeps a summary, not 100,000 lines.
        assert len(entry.output.splitlines()) <= SUMMARY_LINES + 1
        assert "more lines" in entry.output


async def test_output_shows_while_running_and_ctrl_c_cancels(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        screen.input.value = "sh -c 'echo first-line; sleep 60; echo never'"
        await pilot.press("enter")
        # Not settle(): that waits for the worker, i.e. for the command's end.
        await wait_for(pilot, lambda: "first-line" in log_text(screen.output),
                       use_settle=False)
        assert screen.running_command is not None  # shown before the command ended
        started = time.monotonic()
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: screen.running_command is None,
                       use_settle=False)
        assert time.monotonic() - started < 30  # killed, not waited for
        assert "cancelled" in state_text(screen)
        assert "never" not in log_text(screen.output)
        assert app.is_running  # ctrl+c cancelled the command, it did not quit


async def test_type_ahead_is_queued_not_lost(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        await pilot.press(*"echo one", "enter")
        # Typed at once, while "echo one" still runs.
        await pilot.press(*"echo two", "enter")
        await wait_for(pilot, lambda: "two" in log_text(screen.output))
        await wait_for(pilot, lambda: screen.running_command is None)
        lines = log_text(screen.output)
        assert lines.index("web$ echo one") < lines.index("one") < lines.index("web$ echo two")
        assert lines.index("web$ echo two") < lines.index("two")
