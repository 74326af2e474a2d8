"""Issue 20: choose the columns (C), notes per jail (m), the last view remembered.

Pilot tests through the console's real keys, with the state file on disk in
the test's own $XDG_STATE_HOME (core/userstate.py), as ``jailtui`` uses it:
what the panes show is read back, the file is read back, and a second
console on the same file shows what the first one left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import (
    EVIL_ESCAPE,
    FakeController,
    FakeHost,
    make_app,
    record_notifications,
    settle,
    shows,
    table_lines,
    widget_text,
)

from jailtui.app import JailtuiApp
from jailtui.console.fleet import FleetConsole
from jailtui.core.config.settings import Settings
from jailtui.core.text import visible
from jailtui.core.userstate import StateStore, View, state_path
from jailtui.screens.columns import ColumnsScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.note import NoteScreen

WIDE = (120, 36)
NARROW = (80, 24)


def main_of(app: JailtuiApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def header(table: Any) -> list[str]:
    return table_lines(table)[0].split()


def store() -> StateStore:
    """The state file where the console keeps it ($XDG_STATE_HOME, per test)."""
    return StateStore(state_path())


def app_on(state: StateStore | None = None, **kwargs: Any) -> JailtuiApp:
    return make_app(state=state if state is not None else store(), **kwargs)


async def open_picker(pilot: Any) -> ColumnsScreen:
    await pilot.press("C")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ColumnsScreen)
    return screen


async def highlight(pilot: Any, picker: ColumnsScreen, key: str) -> None:
    from textual.widgets import OptionList

    listing = picker.query_one(OptionList)
    while listing.highlighted is not None and picker.order[listing.highlighted] != key:
        await pilot.press("down")


# -- columns ---------------------------------------------------------------------------


async def test_hide_and_reorder_jail_columns_and_it_is_remembered() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert "HOSTNAME" in header(main.jails)
        picker = await open_picker(pilot)
        await highlight(pilot, picker, "hostname")
        await pilot.press("space")
        await highlight(pilot, picker, "mem")
        await pilot.press("K", "K", "K")  # MEM before CPU%, PROCS and ADDRESS
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is main
        shown = header(main.jails)
        assert "HOSTNAME" not in shown
        assert shown.index("MEM") < shown.index("ADDRESS") < shown.index("PROCS")
        assert "HOSTNAME" not in " ".join(table_lines(main.jails))
    saved = json.loads(state_path().read_text())["columns"]["jails"]
    assert "hostname" not in saved and saved.index("mem") < saved.index("addr")
    # The next run shows the same columns.
    again = app_on()
    async with again.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "HOSTNAME" not in header(main_of(again).jails)


async def test_escape_leaves_the_columns_as_they_were() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        before = header(main_of(app).jails)
        picker = await open_picker(pilot)
        await highlight(pilot, picker, "state")
        await pilot.press("space", "escape")
        await settle(pilot)
        assert header(main_of(app).jails) == before
    assert not state_path().exists()


async def test_the_row_name_cannot_be_hidden() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot)
        await highlight(pilot, picker, "name")
        await pilot.press("space")
        assert "name" in picker.choice
        assert "always shown" in widget_text(picker.query_one("#columns-problem"))


async def test_processes_pane_columns_and_defaults_again() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("tab")
        picker = await open_picker(pilot)
        assert picker.pane == "processes"
        await highlight(pilot, picker, "user")
        await pilot.press("space", "enter")
        await settle(pilot)
        assert "USER" not in header(main.procs)
        assert "HOSTNAME" in header(main.jails)
        # r: the defaults, remembered as "no choice".
        await open_picker(pilot)
        await pilot.press("r", "enter")
        await settle(pilot)
        assert "USER" in header(main.procs)
    assert "processes" not in json.loads(state_path().read_text())["columns"]


async def test_columns_command_opens_the_picker() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"columns", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ColumnsScreen)


async def test_config_pins_the_columns_for_the_session_only() -> None:
    settings = Settings(columns={"jails": ("name", "state", "cpu")},
                        column_places={"jails": "/etc/x/config.toml:7"})
    state = store()
    state.set_columns("jails", ("name", "path"))  # a remembered choice loses to the pin
    app = app_on(state, settings=settings)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert header(main.jails)[:3] == ["NAME▲", "STATE", "CPU%"]
        picker = await open_picker(pilot)
        title = widget_text(picker.query_one("#columns-title"))
        assert "pinned by /etc/x/config.toml:7" in title and "this session" in title
        await highlight(pilot, picker, "state")
        await pilot.press("space", "enter")
        await settle(pilot)
        assert "STATE" not in header(main.jails)
    assert StateStore(state_path()).columns("jails") == ("name", "path")


async def test_whole_columns_at_80_after_a_reorder() -> None:
    """PATH moved before others stops at its cap, and every column on screen is
    whole: the header's labels are all there or absent, never cut."""
    state = store()
    state.set_columns("jails", ("name", "path", "state", "jid", "cpu", "mem"))
    app = app_on(state)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        jails = main_of(app).jails
        labels = header(jails)
        assert labels[:2] == ["NAME▲", "PATH"]
        for label in labels:
            assert label.rstrip("▲▼") in {"NAME", "PATH", "STATE", "JID", "CPU%", "MEM"}, label
        assert jails.columns[-1].key == "mem" and jails.columns[-1].last
        line = next(x for x in table_lines(jails) if "web" in x)
        assert "/usr/local/jails/web" in line


# -- notes -------------------------------------------------------------------------------


async def type_note(pilot: Any, text: str) -> None:
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(pilot.app.screen, NoteScreen)
    screen = pilot.app.screen
    screen.field.value = ""
    if text:
        await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_note_is_written_shown_and_kept() -> None:
    app = app_on(state_host="local")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.jails.move_to_key("db")
        seen = record_notifications(app)
        await type_note(pilot, "owned by ops")
        assert any("Note on db saved" in m for m, _s, _k in seen)
        # The mark after NAME on db's row only.
        lines = table_lines(main.jails)
        db = next(x for x in lines if " db " in x)
        web = next(x for x in lines if " web " in x)
        assert "✎" in db and "✎" not in web
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        overview = str(app.screen.section("overview").render())
        assert "note" in overview and "owned by ops" in overview
    assert json.loads(state_path().read_text())["notes"] == {"local": {"db": "owned by ops"}}


async def test_an_empty_note_removes_it_and_escape_keeps_it() -> None:
    state = store()
    state.set_note("local", "web", "keep me")
    app = app_on(state, state_host="local")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main_of(app).jails.move_to_key("web")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen) and app.screen.field.value == "keep me"
        await pilot.press("x", "escape")
        await settle(pilot)
        assert StateStore(state_path()).note("local", "web") == "keep me"
        await type_note(pilot, "")
        assert StateStore(state_path()).note("local", "web") == ""
        assert all("✎" not in x for x in table_lines(main_of(app).jails))


async def test_a_note_with_control_characters_is_shown_literally() -> None:
    state = store()
    evil = f"boom{EVIL_ESCAPE}[b]x[/b]"
    state.set_note("local", "web", evil)
    settings = Settings()
    app = app_on(state, state_host="local", settings=settings)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.jails.set_choice(("name", "note", "state"))
        await settle(pilot)
        line = next(x for x in table_lines(main.jails) if x.lstrip().startswith("web"))
        assert "\x1b" not in line and "\x07" not in line
        assert visible(evil, 64)[:20] in line
        main.jails.move_to_key("web")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        # Offered escaped in the field, never raw.
        assert "\x1b" not in app.screen.field.value
        assert app.screen.field.value == visible(evil)


async def test_notes_are_per_host_on_a_console_of_several() -> None:
    a, b = FakeHost(), FakeHost()
    fleet = FleetConsole({"a": a, "b": b}, {"a": FakeController(), "b": FakeController()})
    state = store()
    app = JailtuiApp(interval=1000.0, fleet=fleet, state=state)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(app)
        app.set_view(None)
        await settle(pilot)
        assert main.jails.move_to_key(("a", "web"))
        await type_note(pilot, "on a")
        lines = table_lines(main.jails)
        web_a = next(x for x in lines if x.split()[:1] == ["a"] and " web " in x)
        web_b = next(x for x in lines if x.split()[:1] == ["b"] and " web " in x)
        assert "✎" in web_a and "✎" not in web_b
    notes = json.loads(state_path().read_text())["notes"]
    assert notes == {"a": {"web": "on a"}}


async def test_note_command() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"note mail", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen) and app.screen.jail == "mail"


# -- the remembered view -------------------------------------------------------------------


async def test_the_view_is_saved_on_quit_and_restored() -> None:
    app = app_on()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("P")  # jails by CPU
        await pilot.press("slash", *"web|db", "enter")
        await pilot.press("tab", "t", "K")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
    view = StateStore(state_path()).view
    assert view is not None
    assert (view.focus, view.tree, view.hide_kernel) == ("processes", True, True)
    assert (view.jails.sort, view.jails.filter) == ("cpu", "web|db")
    again = app_on()
    async with again.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main = main_of(again)
        assert main.jails.sort_column.key == "cpu" and main.jails.sort_reverse
        assert main.jails.filter_text == "web|db"
        assert {j.name for j in main.jails.rows} == {"web", "db"}
        assert main.procs.tree_view and main.procs.hide_kernel
        assert main.focused is main.procs
        from textual.content import Content

        assert "filter “web|db”" in Content.from_markup(str(main.jails.border_title)).plain


@pytest.mark.parametrize("how", ["setting", "option"])
async def test_remember_view_off(how: str) -> None:
    state = store()
    state.save_view(View(tree=True))
    kwargs: dict[str, Any] = ({"settings": Settings(remember_view=False)} if how == "setting"
                              else {"remember_view": False})
    app = app_on(state, **kwargs)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert not main_of(app).procs.tree_view
        await pilot.press("P", "q")
        await settle(pilot)
    assert StateStore(state_path()).view == View(tree=True)


async def test_the_theme_is_remembered_unless_config_sets_one() -> None:
    state = store()
    state.save_view(View(theme="textual-light"))
    app = app_on(state)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
    pinned = app_on(store(), settings=Settings(theme="nord"))
    async with pinned.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert pinned.theme == "nord"


async def test_a_corrupt_state_file_is_a_warning_in_the_log() -> None:
    path = state_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    app = app_on()
    seen = record_notifications(app)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any("not JSON" in m and s == "warning" and not k for m, s, k in seen)
        assert any(e.title == "state" and "not JSON" in e.message for e in app.journal)
        await pilot.press("q")
        await settle(pilot)
    # The bad file is kept aside; the view of this run was saved anew.
    assert list(path.parent.glob("console.json.bad-*"))
    assert StateStore(path).view is not None


async def test_an_unwritable_state_file_never_stops_the_console(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("in the way")
    state = StateStore(blocker / "console.json")
    app = app_on(state, state_host="local")
    seen = record_notifications(app)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main_of(app).jails.move_to_key("web")
        await type_note(pilot, "only for now")
        assert any("not written" in m for m, _s, _k in seen)
        # The note is there for the session.
        assert any("✎" in x for x in table_lines(main_of(app).jails))


async def test_a_note_from_the_detail_view() -> None:
    app = app_on(state_host="local")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        main_of(app).jails.move_to_key("mail")
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert "note" not in str(detail.section("overview").render()).split()
        await type_note(pilot, "postfix relay")
        assert shows(app, detail)
        assert "postfix relay" in str(detail.section("overview").render())
        await pilot.press("escape")
        await settle(pilot)
        line = next(x for x in table_lines(main_of(app).jails) if " mail " in x)
        assert "✎" in line


@pytest.mark.parametrize("saved, shown", [("b", "b"), ("all", None), ("gone", "a")])
async def test_the_host_shown_is_remembered(saved: str, shown: str | None) -> None:
    state = store()
    state.save_view(View(host=saved))
    fleet = FleetConsole({"a": FakeHost(), "b": FakeHost()},
                         {"a": FakeController(), "b": FakeController()})
    default = fleet.view
    app = JailtuiApp(interval=1000.0, fleet=fleet, state=state)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.fleet.view == (default if saved == "gone" else shown)
        await pilot.press("q")
        await settle(pilot)
    view = StateStore(state_path()).view
    assert view is not None and view.host == (saved if saved != "gone" else
                                              (default if default is not None else "all"))


async def test_the_filter_matches_notes() -> None:
    state = store()
    state.set_note("local", "db", "Ops team owns it")
    app = app_on(state, state_host="local")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"ops team", "enter")
        await settle(pilot)
        assert [j.name for j in main_of(app).jails.rows] == ["db"]
