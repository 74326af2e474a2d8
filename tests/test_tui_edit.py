"""Editing a jail's configuration in the console, on the real stack.

core.host.Host + core.control.Controller + the simulator (like
test_tui_sim.py): the block editor, the diff, the save, the restart offer,
syntax errors with their line, a file changed by another terminal, the
whole file in $EDITOR, and a delegate's parameter form (docs/security.md
5; attack test 20: no external program for a delegate).

The flow runs in a worker that waits on the diff screen, so these tests
never ``settle`` (which waits for every worker) while a dialog is open:
they pump with :func:`until`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import Input, Switch
from tui_fakes import record_notifications, settle, shows, table_lines, wait_until, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.control import Controller
from jailtui.core.actions.delegation import DEFAULT_EDITABLE
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.core.model import JailState
from jailtui.screens.config_editor import ConfigEditorScreen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.diff import ConflictScreen, DiffScreen, diff_text
from jailtui.screens.main import MainScreen
from jailtui.screens.param_form import ParamFormScreen
from jailtui.sim.runner import SimRunner
from jailtui.widgets.conf_area import JailConfArea, highlights

SIZE = (120, 36)
HOSTNAME_LINE = 'host.hostname = "www.example.org";'


def admin_console(sim_dir: Path) -> JailtuiApp:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    return JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid())),
                      interval=1000.0)


def delegate_console(sim_dir: Path) -> JailtuiApp:
    """alice, delegate of ci (alone in /etc/jail.conf.d/ci.conf)."""
    runner = SimRunner(sim_dir)
    inner = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    host = ScopedHost(inner, frozenset({"ci"}))
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=frozenset({"ci"}),
                    actions=frozenset({Action.EDIT, Action.RESTART}))
    return JailtuiApp(host, Controller(host, policy, editable_params=DEFAULT_EDITABLE,
                                       min_securelevel=2), interval=1000.0)


def jail_conf(sim_dir: Path) -> Path:
    return sim_dir / "root" / "etc" / "jail.conf"


async def until(pilot: Any, predicate: Callable[[], object]) -> None:
    """Pump the app until ``predicate()`` holds (no waiting on workers: the
    save flow's worker waits on the dialogs)."""
    await wait_until(pilot, lambda: bool(predicate()), settling=False)


async def open_editor(pilot: Any, jail: str) -> Any:
    app = pilot.app
    await settle(pilot)
    main = app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ConfigEditorScreen | ParamFormScreen))
    return app.screen


async def type_text(pilot: Any, text: str) -> None:
    """Type like a person, one key at a time."""
    names = {" ": "space", '"': "quotation_mark", ";": "semicolon", "=": "equals_sign",
             ".": "full_stop", "[": "left_square_bracket", "]": "right_square_bracket",
             "@": "at", "/": "slash", "_": "underscore", "-": "minus", "$": "dollar_sign",
             "{": "left_curly_bracket", "}": "right_curly_bracket"}
    await pilot.press(*[names.get(ch, ch) for ch in text])


async def add_line_after(pilot: Any, editor: ConfigEditorScreen, row: int, text: str) -> None:
    area = editor.area
    area.move_cursor((row, len(area.document.get_line(row))))
    await pilot.press("enter")
    await type_text(pilot, "    " + text)


def diff_of(app: JailtuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, DiffScreen | ConflictScreen)
    return screen.diff


@contextlib.contextmanager
def fake_suspend() -> Iterator[None]:
    """run_test cannot suspend (headless driver); the editor runs anyway."""
    yield


# -- (1) the built-in editor: hostname, diff, save, restart, new hostname ----------------------


async def test_change_hostname_in_the_editor_save_and_restart(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        editor = await open_editor(pilot, "web")
        assert isinstance(editor, ConfigEditorScreen)
        title = widget_text(editor.query_one("#config-title"))
        assert "/etc/jail.conf line 13" in title and "web" in title
        area = editor.area
        assert area.text.startswith("web {") and area.text.endswith("}")
        assert area.line_number_start == 13  # the file's own line numbers
        assert editor.focused is area
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        assert HOSTNAME_LINE in area.text
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        diff = diff_of(app)
        added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("++")]
        assert added == [f"+    {HOSTNAME_LINE}"]
        assert "host.hostname" in widget_text(app.screen.query_one(".diff-title"))
        await pilot.press("y")
        # Saved: the restart offer names the jail and its jid.
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = widget_text(app.screen.query_one("#confirm-question"))
        web = app.poll_state.snapshot.jail("web")  # type: ignore[union-attr]
        assert web is not None
        assert f"Restart jail web (jid {web.jid}) to apply?" in question
        assert HOSTNAME_LINE in jail_conf(sim_dir).read_text()
        assert any("/etc/jail.conf: saved" in m for m, _s, _mk in seen)
        await pilot.press("y")

        def new_hostname() -> bool:
            snap = app.poll_state.snapshot
            jail = snap.jail("web") if snap is not None else None
            return jail is not None and jail.hostname == "www.example.org" \
                and jail.state is JailState.RUNNING

        await until(pilot, new_hostname)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        row = next(ln for ln in table_lines(main.jails) if " web " in ln)
        assert "www.example.org" in row
        titles = [e.title for e in app.journal]
        assert "edit web" in titles and "restart web" in titles
        assert all(mk is False for _m, _s, mk in seen)


# -- (2) a syntax error: refused with its line, file unchanged, edit kept ------------------------


async def test_syntax_error_is_refused_with_its_line(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    before = jail_conf(sim_dir).read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        assert isinstance(editor, ConfigEditorScreen)
        await add_line_after(pilot, editor, 0, "bogus = = 1;")
        text = editor.area.text
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "syntax error" in widget_text(editor.query_one("#config-message")))
        message = widget_text(editor.query_one("#config-message"))
        assert "/etc/jail.conf line 14" in message and "cursor on line 14" in message
        assert shows(app, editor)  # no diff, still editing
        assert editor.area.cursor_location[0] == 14 - 13  # file line 14 = second row here
        assert editor.area.text == text  # the edit stays for another try
        assert jail_conf(sim_dir).read_bytes() == before
        # A mistake jail(8) finds only when it expands variables: no line, same rules.
        editor.area.load_text(text.replace("bogus = = 1;", "host.hostname = $nope;"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "nope" in widget_text(editor.query_one("#config-message")))
        assert shows(app, editor)
        assert jail_conf(sim_dir).read_bytes() == before


async def test_untrusted_text_in_messages_is_shown_literally(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        editor = await open_editor(pilot, "web")
        await add_line_after(pilot, editor, 0, "[@click=app.quit]x [b]bold")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "error" in widget_text(editor.query_one("#config-message")))
        assert "[b]bold: syntax error" in widget_text(editor.query_one("#config-message"))
        assert app.is_running and all(mk is False for _m, _s, mk in seen)


async def test_leaving_with_unsaved_changes_asks_first(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    before = jail_conf(sim_dir).read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        await pilot.press("escape")  # nothing changed: leaves at once
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        editor = await open_editor(pilot, "web")
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Discard your changes" in widget_text(app.screen.query_one("#confirm-question"))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is editor)
        assert HOSTNAME_LINE in editor.area.text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert jail_conf(sim_dir).read_bytes() == before


# -- (3) the file changed on disk between open and save ----------------------------------------


async def test_conflict_loses_nothing_and_reload_keeps_the_edit(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    conf = jail_conf(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        editor = await open_editor(pilot, "web")
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        # Another terminal edits the file meanwhile (a line above web's block).
        other = "# added by another admin\n" + conf.read_text()
        conf.write_text(other)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        diff = diff_of(app)
        assert "(on disk now)" in diff and "(your version)" in diff
        assert "-# added by another admin" in diff.splitlines()
        assert f"+    {HOSTNAME_LINE}" in diff.splitlines()
        assert conf.read_text() == other  # nothing saved
        # Cancel: back to the edit, text intact, still nothing saved.
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)
        assert HOSTNAME_LINE in editor.area.text
        assert "changed on disk" in widget_text(editor.query_one("#config-message"))
        assert conf.read_text() == other
        # Again, and this time reload keeping the edit.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("r")
        await until(pilot, lambda: app.screen is editor)
        assert HOSTNAME_LINE in editor.area.text
        assert editor.session.text == other
        assert editor.area.line_number_start == 14  # the block moved down a line
        assert "Reloaded" in widget_text(editor.query_one("#config-message"))
        # Saving now keeps the other admin's line and adds ours.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        assert "-# added by another admin" not in diff_of(app).splitlines()
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # no restart
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert any("applies when web next starts" in m for m, _s, _mk in seen)
    text = conf.read_text()
    assert text.startswith("# added by another admin\n") and HOSTNAME_LINE in text


async def test_busy_save_names_the_file_and_keeps_the_edit(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jailtui.core.config import safefile

    def busy(*_a: object, **_k: object) -> object:
        raise safefile.BusyError(str(jail_conf(sim_dir)), "another save holds the lock")

    monkeypatch.setattr(safefile, "save", busy)
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        assert isinstance(editor, ConfigEditorScreen)
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        await pilot.press("y")
        await until(pilot, lambda: "not saved" in widget_text(editor.query_one("#config-message")))
        message = widget_text(editor.query_one("#config-message"))
        assert "/etc/jail.conf: another save holds the lock" in message
        assert shows(app, editor) and HOSTNAME_LINE in editor.area.text


# -- (4) the whole file in $EDITOR -------------------------------------------------------------


def editor_script(tmp_path: Path, body: str) -> Path:
    """An $EDITOR that records what it was given, then edits the file."""
    script = tmp_path / "fake-editor"
    script.write_text(f"""#!{sys.executable}
import json, os, stat, sys
path = sys.argv[-1]
st, dst = os.stat(path), os.stat(os.path.dirname(path))
with open(path) as f:
    text = f.read()
with open({str(tmp_path / "editor.log")!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "mode": stat.S_IMODE(st.st_mode),
                          "dir_mode": stat.S_IMODE(dst.st_mode), "text": text}}) + "\\n")
{body}
""")
    script.chmod(0o755)
    return script


def editor_log(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "editor.log"
    if not path.exists():
        return []
    return [json.loads(ln) for ln in path.read_text().splitlines()]


async def test_whole_file_in_the_external_editor(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = editor_script(tmp_path, """
text = text.replace("web {\\n", 'web {\\n    host.hostname = "ext.example.org";\\n', 1)
with open(path, "w") as f:
    f.write(text)
""")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{script} --flag")
    conf = jail_conf(sim_dir)
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", fake_suspend)
        await open_editor(pilot, "web")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        (run,) = editor_log(tmp_path)
        # A private copy: never the live file; 0600 in a 0700 directory, removed after.
        assert run["argv"][0] == "--flag"
        copy = run["argv"][1]
        assert copy != str(conf) and not copy.startswith(str(sim_dir))
        assert os.path.basename(copy) == "jail.conf"
        assert run["mode"] == 0o600 and run["dir_mode"] == 0o700
        assert not Path(copy).parent.exists()  # removed after the edit
        assert run["text"] == conf.read_text()  # the whole file
        assert '+    host.hostname = "ext.example.org";' in diff_of(app).splitlines()
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert 'host.hostname = "ext.example.org";' in conf.read_text()


async def test_external_edit_with_an_error_stays_for_another_try(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = editor_script(tmp_path, """
if "broken = = 1;" not in text:
    with open(path, "a") as f:
        f.write("broken = = 1;\\n")
""")
    monkeypatch.setenv("VISUAL", str(script))
    conf = jail_conf(sim_dir)
    before = conf.read_bytes()
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        monkeypatch.setattr(app, "suspend", fake_suspend)
        # A block edit made first is carried into the editor's copy.
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: "syntax error" in widget_text(editor.query_one("#config-message")))
        assert HOSTNAME_LINE in editor_log(tmp_path)[0]["text"]
        assert editor.mode == "file" and "broken = = 1;" in editor.area.text
        assert editor.area.line_number_start == 1
        assert "whole file" in widget_text(editor.query_one("#config-title"))
        # The error's line is the file's line, and the cursor is on it.
        last = editor.area.text.rstrip("\n").count("\n") + 1
        message = widget_text(editor.query_one("#config-message"))
        assert f"line {last}" in message and f"cursor on line {last}" in message
        assert editor.area.cursor_location[0] == last - 1
        assert conf.read_bytes() == before
        # ctrl+o again opens the edited text, not the file on disk.
        await pilot.press("ctrl+o")
        await until(pilot, lambda: len(editor_log(tmp_path)) == 2)
        assert "broken = = 1;" in editor_log(tmp_path)[1]["text"]
    assert conf.read_bytes() == before


async def test_external_editor_failing_changes_nothing(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = editor_script(tmp_path, """
with open(path, "w") as f:
    f.write("garbage")
sys.exit(1)
""")
    monkeypatch.setenv("VISUAL", str(script))
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        monkeypatch.setattr(app, "suspend", fake_suspend)
        block = editor.area.text
        await pilot.press("ctrl+o")
        await until(pilot, lambda: "status 1" in widget_text(editor.query_one("#config-message")))
        assert editor.mode == "block" and editor.area.text == block


async def test_no_terminal_to_suspend_says_so(sim_dir: Path) -> None:
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        editor = await open_editor(pilot, "web")
        assert isinstance(editor, ConfigEditorScreen)
        await pilot.press("ctrl+o")  # run_test cannot suspend
        await until(pilot, lambda: any("cannot be suspended" in m for m, _s, _mk in seen))
        assert shows(app, editor) and editor.mode == "block"


# -- (5) a delegate: the parameter form ------------------------------------------------------------


async def test_delegate_form_changes_hostname(sim_dir: Path) -> None:
    app = delegate_console(sim_dir)
    ci_conf = sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf"
    async with app.run_test(size=SIZE) as pilot:
        form = await open_editor(pilot, "ci")
        assert isinstance(form, ParamFormScreen)
        assert set(form.params) == set(DEFAULT_EDITABLE)
        # Denied parameters have no row at all: nothing to reach.
        for denied in ("path", "ip4.addr", "exec.prestart", "mount.devfs", "children.max",
                       "exec.consolelog", "devfs_ruleset"):
            assert denied not in form.params
        assert len(form.query(".param-value")) == len(DEFAULT_EDITABLE)
        i = form.params.index("host.hostname")
        field = form.query_one(f"#param-{i}", Input)
        assert field.value == "ci.example.org"  # effective: $name expanded
        assert isinstance(form.query_one(f"#param-{form.params.index('persist')}"), Switch)
        assert widget_text(form.query_one("#config-title")).count("/etc/jail.conf.d/ci.conf")
        field.focus()
        field.value = ""
        await type_text(pilot, "runner.example.org")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        diff = diff_of(app)
        # The old value was a global of /etc/jail.conf (which includes
        # ci.conf): the block gains the line, nothing is removed from it.
        assert "+    host.hostname = runner.example.org;" in diff.splitlines()
        assert not [ln for ln in diff.splitlines() if ln.startswith("-    ")]
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")

        def renamed() -> bool:
            snap = app.poll_state.snapshot
            ci = snap.jail("ci") if snap is not None else None
            return ci is not None and ci.hostname == "runner.example.org"

        await until(pilot, renamed)
    assert "host.hostname = runner.example.org;" in ci_conf.read_text()


async def test_delegate_refusals_show_on_their_row(sim_dir: Path) -> None:
    app = delegate_console(sim_dir)
    ci_conf = sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf"
    before = ci_conf.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_editor(pilot, "ci")
        assert isinstance(form, ParamFormScreen)
        level = form.params.index("securelevel")
        host = form.params.index("host.hostname")
        form.query_one(f"#param-{level}", Input).value = "1"
        form.query_one(f"#param-{host}", Input).value = "bad name;touch /tmp/pwn"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "refused" in widget_text(form.query_one("#config-message")))
        assert "lowered below 3" in widget_text(form.query_one(f"#reason-{level}"))
        assert "not a valid host name" in widget_text(form.query_one(f"#reason-{host}"))
        assert app.screen is form and ci_conf.read_bytes() == before
        # The edit stays; leaving asks first.
        assert form.query_one(f"#param-{level}", Input).value == "1"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_delegate_never_starts_an_external_program(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack test 20: EDITOR=/bin/sh (or anything) starts nothing for a delegate."""
    marker = tmp_path / "ran"
    script = tmp_path / "evil-editor"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", "/bin/sh")
    monkeypatch.setenv("VISUAL", str(script))
    started: list[object] = []

    def started_call(*a: object, **k: object) -> int:
        started.append(a)
        return 0

    monkeypatch.setattr(subprocess, "call", started_call)
    monkeypatch.setattr(subprocess, "Popen", started_call)
    app = delegate_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        monkeypatch.setattr(app, "suspend", fake_suspend)
        controller = app.controller
        assert isinstance(controller, Controller)
        assert controller.external_editor_allowed is False
        form = await open_editor(pilot, "ci")
        assert isinstance(form, ParamFormScreen)
        assert "external" not in {b.action for b in form.BINDINGS if isinstance(b, Binding)}
        await pilot.press("ctrl+o")
        await pilot.pause()
        # Even the admin's editor screen, forced on a delegate, refuses.
        session = controller.open_config("ci")
        jail = app.poll_state.snapshot.jail("ci")  # type: ignore[union-attr]
        assert jail is not None
        editor = ConfigEditorScreen(controller, session, jail)
        await app.push_screen(editor)
        await pilot.pause()
        assert not editor.check_action("external", ())
        await pilot.press("ctrl+o")
        editor.action_external()
        await pilot.pause()
        assert any("host admin only" in m for m, _s, _mk in seen)
    assert started == [] and not marker.exists()


async def test_delegate_cannot_edit_a_shared_file(sim_dir: Path) -> None:
    """A delegate of web (in the shared /etc/jail.conf) gets a refusal, no editor."""
    runner = SimRunner(sim_dir)
    host = ScopedHost(Host(runner, backend="SIMULATED", paths=runner.paths), frozenset({"web"}))
    policy = Policy(Role.DELEGATE, "bob", 1002, scope=frozenset({"web"}),
                    actions=frozenset({Action.EDIT}))
    app = JailtuiApp(host, Controller(host, policy, editable_params=DEFAULT_EDITABLE),
                     interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen) and main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("e")
        await until(pilot, lambda: any("file of its own" in m for m, _s, _mk in seen))
        assert isinstance(app.screen, MainScreen)


# -- pieces --------------------------------------------------------------------------------------


def test_highlights_follow_jail8s_lexer() -> None:
    text = ('# c\nweb {\n\tpath = "/jails/$name";\n\tpersist;\n'
            '\tsecurelevel = 3;\n\t"q.*" { }\n}\n')
    marks = highlights(text)

    def names(row: int) -> list[tuple[str, str]]:
        line = text.split("\n")[row].encode()
        return [(line[s:e].decode() if e is not None else line[s:].decode(), n)
                for s, e, n in marks[row]]

    assert names(0) == [("# c", "comment")]
    assert ("web", "tag") in names(1) and ("{", "punctuation.bracket") in names(1)
    assert names(2) == [("path", "css.property"), ('"/jails/', "string"),
                        ("$name", "constant.builtin"), ('"', "string")]
    assert names(3) == [("persist", "css.property")]
    assert ("3", "number") in names(4)
    assert ('"q.*"', "tag") in names(5)
    # Byte columns (TextArea's unit) after a multi-byte character.
    assert highlights('# é\nx = "é", "b";')[1] == [(0, 1, "css.property"), (4, 8, "string"),
                                                   (10, 13, "string")]


async def test_controls_in_the_file_never_reach_the_terminal() -> None:
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield JailConfArea('web {\n\thost.hostname = "\x1b]0;pwned\x07x\x9b31m";\n}')

    app = One()
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        area = app.query_one(JailConfArea)
        rendered = "".join(seg.text for y in range(3) for seg in area.render_line(y))
        assert "\x1b" not in rendered and "\x9b" not in rendered
        assert "pwned" in rendered and "\x1b]0;pwned" in area.text


def test_diff_text_is_coloured_and_sanitised() -> None:
    diff = ("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new \x1b[2J [b]x[/b]\n same\n")
    text = diff_text(diff)
    assert "\x1b" not in text.plain and "\\x1b[2J [b]x[/b]" in text.plain
    styles = {text.plain[s.start:s.end].split("\n")[0]: str(s.style) for s in text.spans}
    assert styles["-old"] == "red" and styles["+new \\x1b[2J [b]x[/b]"] == "green"



# -- (5) a full file system at check and at save (issue 14 item 10) ------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("stage", ["check", "save"])
async def test_a_full_disk_says_so_and_leaks_nothing(sim_dir: Path, stage: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC on the file system holding /etc: while writing the copy ``jail -e``
    checks, or the save's temp file. One message with the remedy and the host
    path, the edit kept, the original untouched, no descriptor and no temp
    file left behind."""
    import errno

    etc = sim_dir / "root" / "etc"
    original = jail_conf(sim_dir).read_bytes()
    real_write = os.write
    victim = ".jailtui-check." if stage == "check" else ".jail.conf.jailtui-"

    def full(fd: int, data: Any) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if os.path.dirname(target) == str(etc) and os.path.basename(target).startswith(victim):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        assert isinstance(editor, ConfigEditorScreen)
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        monkeypatch.setattr(os, "write", full)
        fds = open_fds()
        await pilot.press("ctrl+s")
        if stage == "save":
            await until(pilot, lambda: isinstance(app.screen, DiffScreen))
            await pilot.press("y")
        await until(pilot, lambda: "nothing was changed"
                    in widget_text(editor.query_one("#config-message")))
        message = widget_text(editor.query_one("#config-message"))
        monkeypatch.undo()
        assert ("no space left on the file system holding /etc/jail.conf; free some space, "
                "then save again; nothing was changed") in message, message
        assert "unexpected" not in message and "OSError" not in message
        assert str(sim_dir) not in message          # the host's path, not this machine's
        assert open_fds() == fds
        assert shows(app, editor) and HOSTNAME_LINE in editor.area.text
    assert jail_conf(sim_dir).read_bytes() == original
    assert [n for n in os.listdir(etc) if "jailtui-" in n and "lock" not in n] == []


# -- (6) another jail's block never reaches a delegate (ScopedHost.conf_path_allowed) ----------


async def test_another_jails_block_never_reaches_a_delegate(sim_dir: Path) -> None:
    """The controller reads /etc/jail.conf and its includes to check ci's edit
    in context; what web's block and git's file hold (a value, a comment, a
    variable that does not resolve) appears nowhere the delegate looks: the
    form, the diff, the messages, the notifications, the action log."""
    etc = sim_dir / "root" / "etc"
    root = etc / "jail.conf"
    root.write_text(root.read_text().replace("web {\n", (
        "web {\n    # SECRET-COMMENT-1\n"
        '    exec.prestart = "echo SECRET-VALUE-2 ${SECRET_UNDEFINED_3}";\n'), 1))
    git = etc / "jail.conf.d" / "git.conf"
    git.write_text(git.read_text().replace("git {\n", 'git {\n    exec.poststart = '
                                           '"echo SECRET-VALUE-4";\n', 1))
    app = delegate_console(sim_dir)
    seen = record_notifications(app)
    screens: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        form = await open_editor(pilot, "ci")
        assert isinstance(form, ParamFormScreen)
        screens.append(app.export_screenshot())
        field = form.query_one(f"#param-{form.params.index('host.hostname')}", Input)
        field.focus()
        field.value = ""
        await type_text(pilot, "runner.example.org")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        diff = diff_of(app)
        screens.append(app.export_screenshot())
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screens.append(app.export_screenshot())
        await pilot.press("n")
        await settle(pilot)
        screens.append(app.export_screenshot())
        journal = [f"{e.title} {e.message} {e.output}" for e in app.journal]
    assert "+    host.hostname = runner.example.org;" in diff.splitlines()   # it did run
    shown = "\n".join([diff, *screens, *journal, *(m for m, _s, _k in seen)])
    assert "SECRET" not in shown


async def test_f10_in_the_editor_asks_before_losing_the_edit(sim_dir: Path) -> None:
    """Issue 20: F10 (htop's quit) reaches the app from the editor, whose
    text area does not take it; it leaves the editor as Escape does."""
    app = admin_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, "web")
        await add_line_after(pilot, editor, 2, HOSTNAME_LINE)
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.is_running
        await pilot.press("n")
        await until(pilot, lambda: app.screen is editor)
        assert HOSTNAME_LINE in editor.area.text
