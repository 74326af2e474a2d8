"""The save flow both config editors share: check, diff, save, conflict.

The block editor (host admin, ``config_editor.py``) and the parameter form
(delegate, ``param_form.py``) differ only in how they build the candidate
file; from there on the steps are the controller's (docs/security.md 5):

1. ``controller.check_config`` -- our parser, then ``jail -f TMP -e``; an
   error names its line, the edit stays for another try;
2. the diff (:class:`DiffScreen`), Save or back;
3. ``controller.save_config`` -- atomic, locked, re-checked; a file changed
   since it was opened is a :class:`ConflictError` and the user chooses to
   reload (keeping the edit, to merge) or go back; busy / unsafe / failed
   saves name the file and keep the edit;
4. on success the screen dismisses with True and the app offers to restart
   the jail (app.edit_config).

Nothing is ever dropped without the user saying so: every failure returns
to the editor with the text as it was, and leaving with unsaved changes
asks first. Messages are tool or file text: shown through :func:`visible`,
with ``markup=False``.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from jailtui.core.config import confedit, safefile
from jailtui.core.config.confedit import ConfigCheckError, EditSession
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import confirm_discard
from jailtui.screens.contracts import ConfigController
from jailtui.screens.diff import ConflictScreen, DiffScreen
from jailtui.widgets.jobs import job

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp



class ConfigEditScreen(Screen[bool]):
    """Base of the config editors; dismisses True once a change is saved."""

    def __init__(self, controller: ConfigController, session: EditSession, jail: Jail,
                 *, id: str) -> None:
        super().__init__(id=id)
        self.controller = controller
        self.session = session
        self.jail = jail
        #: A check or save is running (a second ctrl+s waits for it).
        self.busy = False

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    # -- what the editors provide --------------------------------------------------------

    def candidate(self) -> str | None:
        """The whole new file, or None after showing why there is none."""
        raise NotImplementedError

    def is_dirty(self) -> bool:
        """Unsaved changes (leaving asks first)."""
        raise NotImplementedError

    def point_at(self, line: int) -> bool:
        """Put the cursor on file line ``line``; False if it is not shown."""
        return False

    def after_reload(self, old: EditSession) -> None:
        """The session was re-opened after a conflict; the edit must stay."""

    # -- messages --------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool) -> None:
        """The message line under the title (sanitised, never markup)."""
        box = self.query_one("#config-message", Static)
        box.update(Content(visible(text, 1000)))
        box.set_class(error, "-error")
        box.set_class(not error, "-note")
        box.display = bool(text)

    def clear_message(self) -> None:
        self.show_message("", error=False)

    def show_problem(self, message: str, line: int | None = None) -> None:
        """An error that keeps the edit: on the screen, as a notification,
        and the cursor on its line when the editor shows that line."""
        text = one_line(message, 600)
        if line is not None and self.point_at(line):
            text += f"   (cursor on line {line})"
        self.show_message(text, error=True)
        self.notify(text, severity="error", markup=False, timeout=10)

    # -- the flow ----------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.busy:
            self.notify("A check or save is already running.", markup=False, timeout=3)
            return
        candidate = self.candidate()
        if candidate is None:
            return
        self.start_save(candidate)

    def start_save(self, candidate: str) -> None:
        self.busy = True
        self.run_worker(job(partial(self._review_and_save, candidate)), group="config-save",
                        exit_on_error=False, description="check, diff and save jail.conf")

    async def _review_and_save(self, candidate: str) -> None:
        try:
            await self._flow(candidate)
        except Exception as exc:  # the edit must survive anything
            self.show_problem(f"unexpected error: {describe(exc)}"
                              " — your edit is kept")
        finally:
            self.busy = False

    async def _flow(self, candidate: str) -> None:
        session = self.session
        self.show_message("Checking (jail -e)…", error=False)
        try:
            await self.controller.check_config(session, candidate)
        except ConfigCheckError as exc:
            self.show_problem(exc.message, exc.line)
            return
        except JailtuiError as exc:
            self.show_problem(describe(exc))
            return
        diff = confedit.diff(session, candidate)
        if not diff:
            self.show_message("Nothing to save: the file would not change.", error=False)
            return
        self.clear_message()
        if not await self.app.push_screen_wait(DiffScreen(self._diff_title(candidate), diff)):
            self.show_message("Not saved; your edit is still here.", error=False)
            return
        try:
            result = await self.controller.save_config(session, candidate)
        except safefile.ConflictError as exc:
            await self._conflict(exc, candidate)
            return
        except ConfigCheckError as exc:
            self.show_problem(exc.message, exc.line)
            return
        except safefile.SafeFileError as exc:
            # Busy, unsafe target, disk full...: str(exc) names the file.
            self.show_problem(f"not saved: {exc}. Your edit is kept.")
            return
        except JailtuiError as exc:
            self.show_problem(f"not saved: {describe(exc)}. Your edit is kept.")
            return
        self.console.report(f"edit {self.jail.name}", result, jail=self.jail.name,
                            host_name=self.jail.host_name)
        self.dismiss(True)

    def _diff_title(self, candidate: str) -> Content:
        keys = confedit.changed_keys(self.session, candidate)
        changed = (f"{visible(self.jail.name, 64)}: {visible(', '.join(keys), 300)}" if keys
                   else "formatting or comments only")
        return Content.assemble(
            ("Save ", "bold"), (visible(self.session.path, 200), "bold $accent"), ("?", "bold"),
            "\n", ("Checked: no error from jail -e.  Changes: ", "$foreground-muted"),
            (changed, "$text-accent"))

    async def _conflict(self, exc: safefile.ConflictError, candidate: str) -> None:
        path = self.session.path
        on_disk = exc.current.decode("utf-8", "surrogateescape")
        diff = "".join(difflib.unified_diff(
            on_disk.splitlines(keepends=True), candidate.splitlines(keepends=True),
            fromfile=f"{path} (on disk now)", tofile=f"{path} (your version)"))
        title = Content.assemble(
            (visible(path, 200), "bold $warning"), (" changed on disk since you opened it", "bold"),
            "\n", ("Nothing was saved. Below: what is on disk now → your version.",
                   "$foreground-muted"))
        choice = await self.app.push_screen_wait(ConflictScreen(title, diff))
        if choice != "reload":
            self.show_message(f"Not saved: {path} changed on disk. Your edit is kept.",
                              error=True)
            return
        try:
            fresh = self.controller.open_config(self.jail.name)
        except JailtuiError as exc:
            self.show_problem(f"reload failed: {describe(exc)}. Your edit is kept.")
            return
        old, self.session = self.session, fresh
        self.after_reload(old)
        self.show_message(f"Reloaded {path} from disk; your edit is kept. Merge it with the "
                          "other change if needed, then ctrl+s (the diff shows both).",
                          error=False)

    # -- leaving -------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.busy:
            # The flow would go on (and push its diff) over the main screen.
            self.notify("A check or save is running; wait for it.", markup=False, timeout=3)
            return
        if not self.is_dirty():
            self.dismiss(False)
            return
        confirm_discard(self, self.jail.name, "configuration", "Nothing has been saved; the file stays as it is.")
