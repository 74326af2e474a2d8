"""``e`` on a jail a manager owns that is not jail.conf syntax (issue 15).

Never write a file a manager regenerates (docs/managers.md 1.8):

- iocage keeps its jails' properties in ``config.json`` and writes its own
  jail.conf from them on every start: :class:`PropertyFormScreen` is a form of
  the properties (``iocage get -a``), like the delegate's parameter form, and
  saves the changed rows with ``iocage set PROP=VALUE NAME`` through the
  controller (the one gate: policy, identity, audit with the argv).
- AppJail, pot and ezjail files: :class:`OwnerFileScreen` shows the file
  read-only, with the command that changes it.

Bastille's per-jail jail.conf is jail.conf syntax and opens in the usual editor
(screens/config_editor.py). Every value shown is made visible (core.text), never
parsed as markup.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult, OwnerProperties
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.owners.iocage import property_problem
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import ConfirmScreen, confirm_discard
from jailtui.screens.contracts import ConfigController
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


class PropertyFormScreen(Screen[bool]):
    """One row per iocage property; ctrl+s runs ``iocage set`` for the changed
    rows (after saying which commands); dismisses True once set."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("property_form"))

    def __init__(self, controller: ConfigController, props: OwnerProperties,
                 jail: Jail) -> None:
        super().__init__(id="property-form")
        self.controller = controller
        self.props = props
        self.jail = jail
        self.names: tuple[str, ...] = tuple(props.values)
        #: A save is running (a second ctrl+s waits for it).
        self.busy = False

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(
            ("Edit ", "bold"), (visible(self.jail.name, 64), "bold $text-accent"), "  ",
            ("iocage properties of ", "$foreground-muted"),
            (visible(self.props.owner_name, 64), "bold"), "  ",
            (visible(self.props.file, 200), "bold $accent"),
            ("  saved with iocage set; iocage writes its jail.conf from them at the next "
             "start", "$foreground-muted")), id="config-title", markup=False)
        yield Static("", id="config-message", markup=False)
        with VerticalScroll(id="param-rows"):
            for i, name in enumerate(self.names):
                value = self.props.values[name]
                shown = visible(value, 500)
                fixed = name not in self.props.editable or shown != value
                with Horizontal(classes="param-row", id=f"row-{i}"):
                    yield Label(Content(name), classes="param-name", markup=False)
                    yield Input(shown, id=f"param-{i}", classes="param-value", compact=True,
                                disabled=fixed, max_length=1024)
                    yield Static("", classes="param-reason", id=f"reason-{i}", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_message("", error=False)
        for i, name in enumerate(self.names):
            if name not in self.props.editable:
                self._reason(i, "not yours to change: ask the host admin", error=False)
            elif visible(self.props.values[name], 500) != self.props.values[name]:
                self._reason(i, "control characters: change it with iocage set", error=False)
        first = next((w for w in self.query(".param-value") if not w.disabled), None)
        if first is not None:
            first.focus()

    def show_message(self, text: str, *, error: bool) -> None:
        box = self.query_one("#config-message", Static)
        box.update(Content(visible(text, 1000)))
        box.set_class(error, "-error")
        box.set_class(not error, "-note")
        box.display = bool(text)

    def _reason(self, i: int, text: str, *, error: bool) -> None:
        box = self.query_one(f"#reason-{i}", Static)
        box.update(Content(visible(text, 300)))
        box.set_class(error, "-error")

    def changes(self) -> dict[str, str]:
        """Modified rows only: property -> new value."""
        out: dict[str, str] = {}
        for i, name in enumerate(self.names):
            widget = self.query_one(f"#param-{i}", Input)
            if widget.disabled:
                continue
            value = widget.value.strip()
            if value != self.props.values[name]:
                out[name] = value
        return out

    def action_save(self) -> None:
        if self.busy:
            self.notify("A save is already running.", markup=False, timeout=3)
            return
        changes = self.changes()
        refused = 0
        for i, name in enumerate(self.names):
            problem = property_problem(name, changes[name]) if name in changes else None
            self._reason(i, problem or "", error=problem is not None)
            refused += problem is not None
        if not changes:
            self.show_message("Nothing changed.", error=False)
            return
        if refused:
            self.show_message(f"{refused} value{'s' if refused > 1 else ''} refused: see the "
                              "reason on the row", error=True)
            return
        commands = "\n".join(f"iocage set {p}={v} {self.props.owner_name}"
                             for p, v in changes.items())
        question = Content.assemble(
            ("Set ", "bold"), (f"{len(changes)}", "bold $accent"),
            (" iocage propert" + ("ies" if len(changes) > 1 else "y") + " of ", "bold"),
            (visible(self.jail.name, 64), "bold $accent"), ("?\n", "bold"),
            (visible(commands, 2000), "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.run_worker(job(partial(self._save, changes)), group="config-save",
                                exit_on_error=False, description="iocage set")

        self.app.push_screen(ConfirmScreen(question, yes="Set"), answered)

    async def _save(self, changes: dict[str, str]) -> None:
        try:
            result = await self.controller.set_owner_properties(self.jail.name, changes,
                                                                expect=self.jail)
        except JailtuiError as exc:
            result = ActionResult(False, describe(exc))
        except Exception as exc:  # the edit must survive anything
            result = ActionResult(False, f"unexpected error: {describe(exc)}")
        finally:
            self.busy = False
        if not result.ok:
            self.show_message(f"not set: {one_line(result.message, 600)}. Your edit is kept.",
                              error=True)
            if result.output:
                self.console.report(f"edit {self.jail.name}", result, jail=self.jail.name,
                                    host_name=self.jail.host_name)
            return
        self.console.report(f"edit {self.jail.name}", result, jail=self.jail.name,
                                    host_name=self.jail.host_name)
        self.dismiss(True)

    def action_cancel(self) -> None:
        if self.busy:
            self.notify("A save is running; wait for it.", markup=False, timeout=3)
            return
        if not self.changes():
            self.dismiss(False)
            return
        confirm_discard(self, self.jail.name, "iocage properties", "Nothing has been set.")


class OwnerFileScreen(Screen[None]):
    """A manager's file, read-only, under a note naming the command that changes it."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("owner_file"))

    def __init__(self, jail: Jail, file: str, text: str, note: str) -> None:
        super().__init__(id="owner-file")
        self.jail = jail
        self.file = file
        self.text = text
        self.note = note

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(
            (visible(self.jail.name, 64), "bold $text-accent"), "  ",
            (visible(self.file, 200), "bold $accent")), id="config-title", markup=False)
        yield Static(Content(visible(self.note, 600)), id="config-message", classes="-note",
                     markup=False)
        with VerticalScroll(id="owner-file-text"):
            # visible() keeps newlines and tabs and shows every other control
            # character (a file from the host is untrusted text).
            yield Static(Content("\n".join(visible(line, 2000)
                                           for line in self.text.splitlines())),
                         markup=False)
        yield KeyFooter()

    def action_back(self) -> None:
        self.dismiss(None)
