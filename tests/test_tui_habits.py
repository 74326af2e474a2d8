"""htop and k9s habits (issue 20): vi movement, function keys, search beside
the filter, kernel threads hidden, one user's processes, a row yanked.

Pilot tests through the console's real keys (console/keys.py): each key is
pressed as a user would, and what the panes show (or what was copied) is read.
"""

from __future__ import annotations

from tui_fakes import (
    EVIL_ESCAPE,
    FakeHost,
    evil_snapshot,
    make_app,
    record_notifications,
    settle,
    shows,
    table_lines,
)

from jailtui.app import JailtuiApp
from jailtui.screens.help import HelpScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.users import UsersScreen

SIZE = (120, 36)


def title(table: object) -> str:
    """A pane's title as the user reads it."""
    from textual.content import Content

    return Content.from_markup(str(getattr(table, "border_title", ""))).plain


def main_of(app: JailtuiApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_vi_movement_in_the_tables() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        jails = main_of(app).jails
        await pilot.press("g")
        assert jails.cursor_index == 0
        await pilot.press("j", "j")
        assert jails.cursor_index == 2
        await pilot.press("k")
        assert jails.cursor_index == 1
        await pilot.press("G")
        assert jails.cursor_index == jails.row_count - 1
        await pilot.press("ctrl+b")
        assert jails.cursor_index < jails.row_count - 1
        await pilot.press("ctrl+f")
        assert jails.cursor_index == jails.row_count - 1
        # k moves: it no longer opens the signal dialog from the processes pane.
        await pilot.press("tab", "j", "k")
        assert isinstance(app.screen, MainScreen)


async def test_htop_function_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert shows(app, main)
        await pilot.press("tab", "f5")
        assert main.procs.tree_view
        before = main.procs.sort_column.key
        await pilot.press("f6")
        assert main.procs.sort_column.key != before
        await pilot.press("f4", *"nginx", "enter")
        assert main.procs.filter_text == "nginx"
        await pilot.press("escape")
        assert main.procs.filter_text == ""
        await pilot.press("f10")
        await pilot.pause()
    assert app.return_code == 0


async def test_search_marks_and_jumps_without_hiding_rows() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        procs = main.procs
        await pilot.press("tab", "a")
        total = procs.row_count
        await pilot.press("f3", *"nginx", "enter")
        assert procs.row_count == total  # every row stays
        assert procs.match_count == 3
        first = procs.cursor_row
        assert first is not None and "nginx" in first.command
        seen = {procs.cursor_key}
        for _ in range(2):
            await pilot.press("n")
            row = procs.cursor_row
            assert row is not None and "nginx" in row.command
            seen.add(procs.cursor_key)
        assert len(seen) == 3
        await pilot.press("n")  # wraps around to the first
        assert procs.cursor_key == first.pid
        await pilot.press("N")  # and back to the last
        assert procs.cursor_key != first.pid and procs.cursor_key in seen
        # The matches are drawn marked; the title counts them.
        assert "search “nginx” 3" in title(procs)
        # Escape on the pane clears the search (there is no filter).
        await pilot.press("escape")
        assert procs.search_text == "" and procs.match_count == 0
        seen_notes = record_notifications(app)
        await pilot.press("n")
        assert any("No search" in m for m, _s, _k in seen_notes)


async def test_a_search_that_matches_nothing_says_so() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("ctrl+s", *"nosuchjail", "enter")
        assert main.jails.match_count == 0
        notes = record_notifications(app)
        await pilot.press("n")
        assert any("No row matches" in m for m, _s, _k in notes)


async def test_hide_kernel_threads() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        procs = main_of(app).procs
        await pilot.press("tab", "a")
        pids = {p.pid for p in procs.rows}
        assert {0, 1} <= pids
        await pilot.press("K")
        pids = {p.pid for p in procs.rows}
        assert 0 not in pids and 1 in pids  # [kernel] hidden, init stays
        assert "no kernel threads" in title(procs)
        await pilot.press("K")
        assert 0 in {p.pid for p in procs.rows}


async def test_filter_by_user() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        procs = main_of(app).procs
        await pilot.press("tab", "a", "U")
        await pilot.pause()
        users = app.screen
        assert isinstance(users, UsersScreen)
        # root runs the most processes, then www: the list is in that order.
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert procs.user == "www"
        assert {p.user for p in procs.rows} == {"www"}
        assert "user www" in title(procs)
        await pilot.press("U")  # again: every user's
        assert procs.user is None
        assert len({p.user for p in procs.rows}) > 1
        # Escape leaves the list and changes nothing.
        await pilot.press("U")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and procs.user is None


async def test_yank_copies_the_row_made_visible() -> None:
    app = make_app(FakeHost(evil_snapshot()))
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign,assignment]
        await settle(pilot)
        main = main_of(app)
        main.jails.move_to_key("web")
        await pilot.press("y")
        assert copied[-1] == "web\t3\t/usr/local/jails/web"
        # The hostile process: its command line arrives with its escape
        # sequence made visible, one line, no control character at all.
        await pilot.press("tab", "a")
        main.procs.move_to_key(6666)
        await pilot.press("y")
        text = copied[-1]
        fields = text.split("\t")
        assert fields[:2] == ["6666", "9"]
        assert EVIL_ESCAPE not in text and "\\x1b]0;pwned\\x07" in text
        assert all(c.isprintable() for c in text.replace("\t", ""))
        assert "\n" not in text


async def test_search_matches_are_drawn_marked() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        jails = main.jails
        await pilot.press("f3", *"db", "enter", "g")  # cursor away from the match
        match = jails.rows.index(next(j for j in jails.rows if j.name == "db"))
        line = jails.render_line(match + 1)
        other = jails.render_line(1 + next(i for i, j in enumerate(jails.rows)
                                           if j.name not in ("db",) and i != jails.cursor_index))
        assert "db" in "".join(s.text for s in line)
        styles = {s.style.bgcolor for s in line if s.style is not None and s.text.strip()}
        others = {s.style.bgcolor for s in other if s.style is not None and s.text.strip()}
        assert styles and styles != others
        assert any("db" in ln for ln in table_lines(jails))
