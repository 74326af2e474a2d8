"""``e`` for a delegate: a form of the parameters the policy lets them change.

No free text and no external program (docs/security.md 2.1, 2.6): one row
per parameter of ``controller.editable_params`` that is never one of the
host-side ones (``delegation.is_never_editable``), with its current
effective value from the jail's own file. Booleans (``allow.*``,
``persist``) are switches, numbers integer inputs, the rest text inputs.

ctrl+s turns the *modified* rows into changes; each is checked alone first
(``confedit.candidate_from_params``: the allowlist and the value rules), so
a refusal shows its reason on its own row; then the shared flow
(``config_flow.py``) checks the file, shows the diff and saves.

Values an admin wrote that the form cannot round-trip -- several values,
or control characters -- are shown (made visible) but not editable.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static, Switch

from jailtui.console.keys import bindings_for
from jailtui.core.actions.delegation import is_never_editable
from jailtui.core.config import confedit
from jailtui.core.config.confedit import ConfigCheckError, EditSession
from jailtui.core.errors import JailtuiError, PolicyDenied, describe
from jailtui.core.model import Jail, ParamValue
from jailtui.core.text import one_line, visible
from jailtui.screens.config_flow import ConfigEditScreen
from jailtui.screens.contracts import ConfigController
from jailtui.widgets.key_footer import KeyFooter

#: Parameters whose value is a number (check_value's rule).
NUMERIC = frozenset({"securelevel", "exec.timeout", "stop.timeout", "osreldate"})


def is_boolean(name: str) -> bool:
    """On/off parameters (check_value accepts only True/False for them)."""
    return name.startswith("allow.") or name == "persist"


def current_values(session: EditSession) -> dict[str, ParamValue]:
    """The jail's effective parameters as jail(8) would use them: the
    delegate's file holds only its block, the globals of the root that
    includes it apply (confedit.effective_params)."""
    return confedit.effective_params(session)


def as_input(value: ParamValue | None) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


class ParamFormScreen(ConfigEditScreen):
    """One row per editable parameter; dismisses True once saved."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("param_form"))

    def __init__(self, controller: ConfigController, session: EditSession, jail: Jail) -> None:
        super().__init__(controller, session, jail, id="param-form")
        allowed = controller.editable_params or ()
        #: The rows, in the policy's order; never a host-side parameter even
        #: if a policy lists one (candidate_from_params refuses it anyway).
        self.params: tuple[str, ...] = tuple(p for p in dict.fromkeys(allowed)
                                             if not is_never_editable(p))
        self.initial: dict[str, ParamValue | None] = {}
        self._load_initial()

    def _load_initial(self) -> None:
        values = current_values(self.session)
        self.initial = {p: values.get(p) for p in self.params}

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="config-title", markup=False)
        yield Static("", id="config-message", markup=False)
        with VerticalScroll(id="param-rows"):
            for i, name in enumerate(self.params):
                with Horizontal(classes="param-row", id=f"row-{i}"):
                    yield Label(Content(name), classes="param-name", markup=False)
                    yield self._field(i, name, self.initial[name])
                    yield Static("", classes="param-reason", id=f"reason-{i}", markup=False)
        yield KeyFooter()

    def _title(self) -> Content:
        return Content.assemble(
            ("Edit ", "bold"), (visible(self.jail.name, 64), "bold $text-accent"), "  ",
            (visible(self.session.path, 200), "bold $accent"),
            ("  the parameters you may change; the others are the host admin's",
             "$foreground-muted"))

    def _field(self, i: int, name: str, value: ParamValue | None) -> Input | Switch:
        if is_boolean(name):
            return Switch(value is True, animate=False, id=f"param-{i}", classes="param-value")
        text = as_input(value)
        shown = visible(text, 500)
        fixed = isinstance(value, tuple) or shown != text
        # compact: one line a row, so every parameter fits on one screen.
        return Input(shown, id=f"param-{i}", classes="param-value", compact=True,
                     placeholder="(not set)", disabled=fixed, max_length=256,
                     type="integer" if name in NUMERIC else "text")

    def on_mount(self) -> None:
        self.clear_message()
        for i, name in enumerate(self.params):
            value = self.initial[name]
            if isinstance(value, tuple):
                self._reason(i, "several values: ask the host admin", error=False)
            elif isinstance(value, str) and visible(value, 500) != value:
                self._reason(i, "control characters: ask the host admin", error=False)
        first = next((w for w in self.query(".param-value") if not w.disabled), None)
        if first is not None:
            first.focus()

    def _reason(self, i: int, text: str, *, error: bool) -> None:
        box = self.query_one(f"#reason-{i}", Static)
        box.update(Content(visible(text, 300)))
        box.set_class(error, "-error")

    def _value(self, i: int, name: str) -> ParamValue | None:
        widget = self.query_one(f"#param-{i}")
        if isinstance(widget, Switch):
            return widget.value
        assert isinstance(widget, Input)
        text = widget.value.strip()
        return text or None

    def _unchanged(self, name: str, value: ParamValue | None) -> bool:
        before = self.initial[name]
        if is_boolean(name):
            return value is (before is True)
        return value == (as_input(before) or None)

    def changes(self) -> dict[str, ParamValue | None]:
        """Modified rows only: name -> new value (None removes it)."""
        out: dict[str, ParamValue | None] = {}
        for i, name in enumerate(self.params):
            if self.query_one(f"#param-{i}").disabled:
                continue
            value = self._value(i, name)
            if not self._unchanged(name, value):
                out[name] = value
        return out

    # -- ConfigEditScreen --------------------------------------------------------------------

    def candidate(self) -> str | None:
        changes = self.changes()
        for i in range(len(self.params)):
            self._reason(i, "", error=False)
        if not changes:
            self.show_message("Nothing changed.", error=False)
            return None
        refused = 0
        for i, name in enumerate(self.params):
            if name not in changes:
                continue
            try:
                confedit.candidate_from_params(self.session, {name: changes[name]})
            except (PolicyDenied, ConfigCheckError) as exc:
                self._reason(i, one_line(describe(exc), 200), error=True)
                refused += 1
        if refused:
            self.show_problem(f"{refused} value{'s' if refused > 1 else ''} refused: "
                              "see the reason on the row")
            return None
        try:
            return confedit.candidate_from_params(self.session, changes)
        except JailtuiError as exc:
            self.show_problem(describe(exc))
            return None

    def is_dirty(self) -> bool:
        return bool(self.changes())

    def after_reload(self, old: EditSession) -> None:
        # Rows the user changed keep their value; the others show what is
        # on disk now.
        mine = self.changes()
        self._load_initial()
        for i, name in enumerate(self.params):
            if name in mine:
                continue
            widget = self.query_one(f"#param-{i}")
            value = self.initial[name]
            if isinstance(widget, Switch):
                widget.value = value is True
            elif isinstance(widget, Input):
                widget.value = visible(as_input(value), 500)
