"""``e`` for a host admin: the jail's block in a built-in editor, or the whole file in $EDITOR.

The built-in editor holds the jail's block (from its name to its ``}``) with
the file's own line numbers in the gutter, so "line 15" in a jail(8) error
is line 15 on screen. ctrl+s builds the whole file with the block replaced
(``confedit.candidate_from_block``) and runs the shared flow
(``config_flow.py``: check, diff, save, conflict).

ctrl+o edits the *whole file* in ``$VISUAL`` / ``$EDITOR`` (``vi`` if
neither is set), host admin only (``controller.external_editor_allowed``:
an editor's shell escape in a delegate's root session would be host root,
docs/security.md 2.1). The editor gets a private copy (``mkdtemp`` 0700,
file 0600), never the live file, and runs in the suspended terminal
(``App.suspend``, docs/textual.md 2.4); what it wrote comes back into this
screen as the whole file, and the same flow checks, diffs and saves it. An
edit of the block made before is carried into that copy, and a whole-file
edit that fails its check stays here for the next try.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.config import confedit
from jailtui.core.config.confedit import ConfigCheckError, EditSession
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.text import visible
from jailtui.screens.config_flow import ConfigEditScreen
from jailtui.screens.contracts import ConfigController
from jailtui.screens.param_form import ParamFormScreen
from jailtui.screens.suspend import lend_terminal
from jailtui.widgets.conf_area import JailConfArea
from jailtui.widgets.key_footer import KeyFooter


def config_screen(controller: ConfigController, session: EditSession,
                  jail: Jail) -> Screen[bool]:
    """The editor for this session: free text for a host admin, the
    parameter form for a delegate (``controller.editable_params``)."""
    if controller.editable_params is None:
        return ConfigEditorScreen(controller, session, jail)
    return ParamFormScreen(controller, session, jail)


def editor_argv(environ: Mapping[str, str]) -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi``, split like a shell word
    list (no shell runs it). Raises ValueError on unbalanced quotes."""
    command = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    argv = shlex.split(command)
    if not argv:
        raise ValueError("empty editor command")
    return argv


def run_editor(app: App[object], argv: list[str]) -> int | None:
    """Run the editor on the real terminal, the console suspended; its exit
    status, or None when there is no terminal to lend (said so).

    ``subprocess.call`` blocks the event loop on purpose: the poller's
    timer stops while the editor runs (docs/textual.md 2.4); the console
    polls again when it is back. Unlike the jail shell this is the admin's
    own program on their own terminal, so no pty relay.
    """
    # argv is a list, never a shell string.
    return lend_terminal(app, lambda: subprocess.call(argv), what="an external editor",
                         program=argv[0])


class ConfigEditorScreen(ConfigEditScreen):
    """The jail's block in a TextArea (or, after ctrl+o, the whole file)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("config_editor"))

    def __init__(self, controller: ConfigController, session: EditSession, jail: Jail) -> None:
        super().__init__(controller, session, jail, id="config-editor")
        #: What the TextArea holds: the jail's "block" or the "file" (after
        #: an external edit).
        self.mode = "block"
        self.editor_name = ""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="config-title", markup=False)
        yield Static("", id="config-message", markup=False)
        yield JailConfArea(self.session.block_text, line_number_start=self.session.block_line,
                           id="config-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.clear_message()
        area = self.area
        if not self.app.current_theme.dark:
            area.theme = "github_light"
        area.focus()

    @property
    def area(self) -> JailConfArea:
        return self.query_one("#config-text", JailConfArea)

    def _title(self) -> Content:
        path = visible(self.session.path, 200)
        name = visible(self.jail.name, 64)
        if self.mode == "file":
            where: list[tuple[str, str] | str] = [
                (path, "bold $accent"),
                (f"  whole file, as {visible(self.editor_name, 60)} left it", "$foreground-muted")]
        else:
            where = [(path, "bold $accent"), (f" line {self.session.block_line}", "bold"),
                     ("  the jail's block", "$foreground-muted")]
        return Content.assemble(("Edit ", "bold"), (name, "bold $text-accent"), "  ", *where)

    def _refresh_title(self) -> None:
        self.query_one("#config-title", Static).update(self._title())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "external":
            return self.controller.external_editor_allowed
        return True

    # -- ConfigEditScreen --------------------------------------------------------------------

    def candidate(self) -> str | None:
        text = self.area.text
        if self.mode == "file":
            return text
        try:
            return confedit.candidate_from_block(self.session, text)
        except ConfigCheckError as exc:
            self.show_problem(exc.message, exc.line)
        except JailtuiError as exc:
            self.show_problem(describe(exc))
        return None

    def is_dirty(self) -> bool:
        base = self.session.text if self.mode == "file" else self.session.block_text
        return self.area.text != base

    def point_at(self, line: int) -> bool:
        area = self.area
        row = line - (1 if self.mode == "file" else self.session.block_line)
        if not 0 <= row < area.document.line_count:
            return False
        area.move_cursor((row, 0), center=True)
        area.focus()
        return True

    def after_reload(self, old: EditSession) -> None:
        # The user's text stays in the TextArea; only the base moved (the
        # block may start on another line now).
        if self.mode == "block":
            self.area.line_number_start = self.session.block_line
        self._refresh_title()

    # -- the external editor ---------------------------------------------------------------

    def action_external(self) -> None:
        if not self.controller.external_editor_allowed:
            # Hidden and skipped by check_action; refused again here for a
            # direct call (docs/security.md 2.1, attack test 20).
            self.notify("An external editor is for the host admin only.", severity="warning",
                        markup=False)
            return
        if self.busy:
            return
        if self.mode == "file":
            start = self.area.text
        elif self.is_dirty():
            # Carry the block edit into the copy, so it is not lost.
            built = self.candidate()
            if built is None:
                return
            start = built
        else:
            start = self.session.text
        try:
            argv = editor_argv(os.environ)
        except ValueError as exc:
            self.show_problem(f"$VISUAL / $EDITOR: {exc}")
            return
        edited = self._edit_copy(argv, start)
        if edited is None:
            return
        if edited == start:
            self.show_message(f"{argv[0]}: no change made.", error=False)
            return
        self.mode = "file"
        self.editor_name = os.path.basename(argv[0])
        area = self.area
        area.load_text(edited)
        area.line_number_start = 1
        self._refresh_title()
        self.start_save(edited)

    def _edit_copy(self, argv: list[str], text: str) -> str | None:
        """Run the editor on a private copy of ``text``; what it saved, or
        None (said why). The copy is removed whatever happens."""
        tmpdir = tempfile.mkdtemp(prefix="jailtui-edit.")  # 0700, ours only
        try:
            name = os.path.basename(self.session.path) or "jail.conf"
            path = os.path.join(tmpdir, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8", "surrogateescape"))
            code = run_editor(self.app, [*argv, path])
            self.console.poll_now()
            if code is None:
                return None
            if code != 0:
                self.show_problem(f"{argv[0]} exited with status {code}: its changes were not "
                                  "taken (your edit here is unchanged)")
                return None
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as f:
                data = f.read(confedit.MAX_BYTES + 1)
            if len(data) > confedit.MAX_BYTES:
                self.show_problem(f"the edited file is larger than {confedit.MAX_BYTES} bytes; "
                                  "not taken")
                return None
            return data.decode("utf-8", "surrogateescape")
        except OSError as exc:
            self.show_problem(f"external editor: {exc.strerror or exc}")
            return None
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
