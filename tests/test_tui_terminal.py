"""The console on real terminals (tmux): NO_COLOR, TERM, stderr redirected,
exit status after a crash, ctrl+z, an editor that cannot start (issue 13
items 1, 2, 4, 41, 42, 44).

Each test runs ``python -m jailtui`` (the installed entry point's code) in a
tmux pane of its own and reads the screen as a user would.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from tmux_pane import Pane, open_pane

pytestmark = [pytest.mark.e2e]


def console(sim_dir: Path, tmp_path: Path, *extra: str, **kw: object) -> Pane:
    argv = [sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "--interval", "1", *extra]
    return open_pane(argv, tmp_path, **kw)  # type: ignore[arg-type]


def shows_jails(screen: str) -> bool:
    return "SIMULATED" in screen and "staging" in screen and "db" in screen


def shell_prompt(screen: str) -> bool:
    """The banner and then the jailed shell's prompt: typed before it, keys can
    reach the simulated jexec's script(1) before its pty exists (CI caught
    an ``exit`` echoed above the banner and never read by the shell)."""
    return "jailtui: shell in jail" in screen and re.search(r"@\w+:\S+ [#$]", screen) is not None


@pytest.mark.parametrize(("value", "extra"), [("1", ()), ("", ()), ("1", ("--readonly",))])
def test_no_color_gives_a_monochrome_console(sim_dir: Path, tmp_path: Path, value: str,
                                             extra: tuple[str, ...]) -> None:
    """Item 1: NO_COLOR (even empty, even read-only) used to crash in Textual's
    monochrome filter on the table's "loading…" line."""
    pane = console(sim_dir, tmp_path, *extra, env={"NO_COLOR": value})
    try:
        pane.wait(shows_jails)
        pane.keys("enter")  # the detail screen draws through the same tables
        # its first screen (Restrictions is further down since Network and History)
        pane.wait(lambda s: "Overview" in s and "History" in s)
        pane.keys("Escape")
        pane.wait(shows_jails)
        pane.keys("q")
        assert pane.exit_status() == 0
    finally:
        pane.close()


def test_a_crash_exits_non_zero_with_the_error(sim_dir: Path, tmp_path: Path) -> None:
    """Item 2: Textual keeps the crash in App.return_code; the console used to exit 0."""
    script = tmp_path / "crash.py"
    script.write_text(
        "import sys\n"
        "from jailtui.app import JailtuiApp\n"
        "from jailtui.cli.main import main\n"
        "def boom(self):\n"
        "    raise RuntimeError('injected fault')\n"
        "JailtuiApp.action_help = boom\n"
        "sys.exit(main(sys.argv[1:]))\n")
    log = tmp_path / "err.log"
    pane = open_pane([sys.executable, str(script), "--sim", str(sim_dir)], tmp_path,
                     redirect=f"2>{log}")
    try:
        pane.wait(shows_jails)
        pane.keys("?")
        assert pane.exit_status() == 1
        assert "stopped on an unexpected error (exit status 1)" in log.read_text()
    finally:
        pane.close()


def test_stderr_redirected_still_shows_the_console(sim_dir: Path, tmp_path: Path) -> None:
    """Item 41: only stdin and stdout need to be a terminal (``jailtui 2>log``);
    the UI is drawn on the terminal, not into the log."""
    log = tmp_path / "err.log"
    pane = console(sim_dir, tmp_path, redirect=f"2>{log}")
    try:
        pane.wait(shows_jails)
        pane.keys("q")
        assert pane.exit_status() == 0
        assert "\x1b[" not in log.read_text()
    finally:
        pane.close()


def test_vt100_gets_no_colours_and_ascii_glyphs(sim_dir: Path, tmp_path: Path) -> None:
    """Item 44: TERM=vt100 (terminfo: no colours) used to get colours and Unicode."""
    pane = console(sim_dir, tmp_path, env={"TERM": "vt100"})
    try:
        screen = pane.wait(shows_jails)
        assert "NAME^" in screen  # the sort arrow in ASCII
        assert "▲" not in screen and "✓" not in screen and "…" not in screen
        # more columns to the right: ">" at the row's end (it was a lone ".")
        assert any(ln.rstrip().endswith(">") for ln in screen.splitlines()
                   if "running" in ln), screen
        # Monochrome: no 256-colour or truecolor codes, and the cursor row
        # stands out by reverse video (a real VT100 ignores colour codes).
        ansi = pane.ansi()
        assert "\x1b[38;5;" not in ansi and "\x1b[38;2;" not in ansi
        assert re.search(r"\x1b\[[0-9;]*\b7m[^\n]*running", ansi)
        pane.keys("q")
        assert pane.exit_status() == 0
    finally:
        pane.close()


def test_colour_terminal_keeps_its_colours(sim_dir: Path, tmp_path: Path) -> None:
    """The other side of item 44: xterm-256color keeps colours and Unicode."""
    pane = console(sim_dir, tmp_path)
    try:
        screen = pane.wait(shows_jails)
        assert "NAME▲" in screen
        assert "\x1b[38;5;" in pane.ansi() or "\x1b[38;2;" in pane.ansi()
        pane.keys("q")
        assert pane.exit_status() == 0
    finally:
        pane.close()


def test_dumb_terminal_is_refused_with_a_way_out(sim_dir: Path, tmp_path: Path) -> None:
    """Item 44: TERM=dumb cannot address the cursor; say so, do not draw garbage."""
    log = tmp_path / "err.log"
    pane = console(sim_dir, tmp_path, env={"TERM": "dumb"}, redirect=f"2>{log}")
    try:
        assert pane.exit_status() == 1
        assert "TERM=dumb cannot show the console" in log.read_text()
        assert "jailtui list" in log.read_text()
    finally:
        pane.close()


def test_ctrl_z_suspends_to_the_shell_and_fg_resumes(sim_dir: Path, tmp_path: Path) -> None:
    """Item 42: ctrl+z stops the console (SIGTSTP) as every TUI does; fg brings it back."""
    pane = console(sim_dir, tmp_path, job_control=True)
    try:
        pane.wait(shows_jails)
        pane.keys("C-z")
        pane.wait(lambda s: "Stopped" in s and "SIMULATED" not in s)
        pane.literal("fg")
        pane.keys("Enter")
        pane.wait(shows_jails)
        pane.keys("q")
        pane.wait(lambda s: "SIMULATED" not in s)
        assert pane.last_status() == 0
    finally:
        pane.close()


def test_ctrl_c_quits(sim_dir: Path, tmp_path: Path) -> None:
    """Item 42: ctrl+c quits (as htop does), no "press ctrl+q" prompt."""
    pane = console(sim_dir, tmp_path)
    try:
        pane.wait(shows_jails)
        pane.keys("C-c")
        assert pane.exit_status() == 0
    finally:
        pane.close()


def test_an_editor_that_cannot_start_gives_the_console_back(sim_dir: Path,
                                                            tmp_path: Path) -> None:
    """Item 4: an error inside App.suspend() left the terminal suspended (blank,
    ctrl+q dead). The console must come back, with the error shown."""
    pane = console(sim_dir, tmp_path, env={"EDITOR": "nonexistent-editor",
                                           "VISUAL": "nonexistent-editor"})
    try:
        pane.wait(shows_jails)
        pane.keys("e")
        pane.wait(lambda s: "ctrl+o" in s.lower() or "^O" in s or "$EDITOR" in s)
        pane.keys("C-o")
        pane.wait(lambda s: "nonexistent-editor" in s)
        pane.keys("Escape")
        pane.wait(shows_jails)
        pane.keys("C-q")
        assert pane.exit_status() == 0
    finally:
        pane.close()


def test_the_shell_says_where_it_is_and_starts_on_a_clear_screen(sim_dir: Path,
                                                                  tmp_path: Path) -> None:
    """Item 38: a banner names the jail and the host; the previous program's
    lines do not stay on screen (the first shell's output is gone in the second)."""
    pane = console(sim_dir, tmp_path)
    try:
        pane.wait(shows_jails)
        pane.keys("x")
        screen = pane.wait(shell_prompt)
        assert "SIMULATED" in screen and "return to the console" in screen
        pane.literal("echo first-shell-output")
        pane.keys("Enter")
        pane.wait(lambda s: "first-shell-output" in s.replace("echo first-shell-output", ""))
        pane.literal("exit")
        pane.keys("Enter")
        pane.wait(shows_jails)
        pane.keys("x")
        screen = pane.wait(shell_prompt)
        assert "first-shell-output" not in screen
        pane.literal("exit")
        pane.keys("Enter")
        pane.wait(shows_jails)
        pane.keys("q")
        assert pane.exit_status() == 0
    finally:
        pane.close()
