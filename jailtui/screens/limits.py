"""A jail's rctl limits (``%`` in the detail view): the rules, add, change, remove.

Where each part comes from (core/actions/limits.py, docs/freebsd.md 7): ``rctl
jail:NAME`` lists the rules the kernel applies, the jail's block of
/etc/rctl.conf says which come back at boot, ``sysctl -n kern.racct.enable``
whether rctl can work at all (off: the screen says which tunable to set and
offers no change). All read when the screen opens, on ``r`` and after every
change, never per poll tick. ``a`` adds and ``Enter`` changes a rule through
the form (screens/limit_form.py: checked against rctl(8) before anything runs);
``d`` removes the selected one, confirmed, from the kernel and from the block.
Each change is the ``rctl`` action of the gate, in an app worker so leaving the
screen never cancels one before its audit record.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.limits import LimitChange
from jailtui.core.errors import JailtuiError, RacctUnavailable, describe
from jailtui.core.freebsd import rctl, rctlconf
from jailtui.core.model import Jail
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.limit_form import LimitFormScreen
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.limit_table import LimitRow, LimitTable
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.status_bar import StatusBar

__all__ = ["LimitsScreen"]


class LimitsScreen(GuardedScreen):
    """One jail's rctl rules, by name (its jid may change while it is open)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("limits"))

    DEFAULT_CSS = """
    LimitsScreen #limits-title { height: auto; padding: 0 1; background: $boost; }
    LimitsScreen #limits-message { height: auto; max-height: 5; padding: 0 1; }
    LimitsScreen #limits-table { height: 1fr; }
    """

    def __init__(self, jail: Jail) -> None:
        super().__init__(id="limits")
        self.jail_name = jail.name
        self.jail_host = jail.host_name
        self._jail: Jail | None = jail
        #: Why no change can be made (racct off or missing), once known.
        self._off: str | None = None
        self._busy = ""
        self._load_line: Content = Content("")
        self._action_line: Content | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(Content.assemble(("rctl limits of jail ", "bold"),
                                      (visible(self.jail_name, 64), "bold $text-accent")),
                     id="limits-title", markup=False)
        yield Static("", id="limits-message", markup=False)
        yield LimitTable(id="limits-table")
        yield KeyFooter()

    @property
    def table(self) -> LimitTable:
        return self.query_one("#limits-table", LimitTable)

    def selected_jail(self) -> Jail | None:
        return self._jail

    def selected_rule(self) -> rctl.RctlRule | None:
        row = self.table.cursor_row
        return row.rule if row is not None else None

    def on_mount(self) -> None:
        self.table.focus()
        self.console.poll_signal.subscribe(self, self.apply, immediate=True)
        self.load()

    def apply(self, state: PollState) -> None:
        snap = state.snapshot
        if snap is not None:
            found = snap.jail(self.jail_name)
            if found is not None:
                self._jail = found
        self.refresh_bindings()

    # -- loading ------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def load(self) -> None:
        controller = self.console.controller_for(self.jail_host)
        self._set_load_line(Content.styled("reading… (sysctl kern.racct.enable, rctl, "
                                           f"{rctlconf.PATH})", "$foreground-muted"))

        async def run() -> None:
            if controller is None:
                self._failed("this session has no access to the host's limits")
                return
            try:
                self._off = await controller.racct_problem()
                if self._off is not None:
                    self._racct_off(self._off)
                    return
                rules = await controller.rctl_rules(self.jail_name)
                kept = await controller.rctl_persisted(self.jail_name)
            except RacctUnavailable as exc:
                self._racct_off(one_line(exc.message, 300))
                return
            except Exception as exc:  # every failure belongs on the screen, sanitised
                self._failed(describe(exc))
                return
            texts = None if kept is None else {r.text for r in kept}
            self.table.no_rules_because = None
            self.table.set_rows([LimitRow(r, None if texts is None else r.text in texts)
                                 for r in rules])
            only_kept = [r for r in (kept or []) if r.text not in {x.text for x in rules}]
            parts: list[str | tuple[str, str]] = [
                f"{len(rules)} rule{'s' if len(rules) != 1 else ''}"]
            if kept is None:
                parts.append((f"; {rctlconf.PATH} could not be read", "$warning"))
            if only_kept:
                parts.append((f"; in {rctlconf.PATH} only (not applied now): "
                              + ", ".join(visible(r.text, 80) for r in only_kept), "$warning"))
            parts.append(("   a: add   ⏎: change   d: remove", "$foreground-muted"))
            self._set_load_line(Content.assemble(*parts))
            self.refresh_bindings()

        self.run_worker(job(run), group="limits-load", exclusive=True, exit_on_error=False,
                        description="a jail's rctl limits")

    def _racct_off(self, why: str) -> None:
        self.table.no_rules_because = "no rules apply while resource accounting is off"
        self.table.set_rows([])
        parts: list[str | tuple[str, str]] = [("No limits can be set: ", "bold $error"),
                                              (visible(why, 400), "$error")]
        if "loader.conf" not in why:
            # rctl's own words (a race with racct_problem): the way out too.
            parts += ["\n", ("rctl needs resource accounting: kern.racct.enable=1 in "
                             "/boot/loader.conf, then a reboot (a boot-time tunable).",
                             "$foreground-muted")]
        self._set_load_line(Content.assemble(*parts))
        self._off = self._off or why
        self.refresh_bindings()

    def _failed(self, message: str) -> None:
        self.table.set_rows([])
        self._set_load_line(Content.assemble(("Could not read the limits: ", "bold $error"),
                                             (one_line(message, 400), "$error")))
        self.refresh_bindings()

    def _set_load_line(self, line: Content) -> None:
        self._load_line = line
        lines = [line] if self._action_line is None else [line, self._action_line]
        self.query_one("#limits-message", Static).update(Content("\n").join(lines))

    # -- actions ------------------------------------------------------------------------

    def guard_reason(self, action: str) -> str | None:
        reason = super().guard_reason(action)
        if reason is not None or not action.startswith("limit_"):
            return reason
        if self._busy:
            return f"busy: {self._busy}"
        if self._off is not None:
            return self._off
        if action in ("limit_change", "limit_remove") and self.selected_rule() is None:
            return "no rule selected"
        return None

    def action_back(self) -> None:
        self.dismiss()

    def action_limit_add(self) -> None:
        if self.refuse_if_guarded("limit_add"):
            return
        self.app.push_screen(LimitFormScreen(self.jail_name), self._formed)

    def action_limit_change(self) -> None:
        if self.refuse_if_guarded("limit_change"):
            return
        self.app.push_screen(LimitFormScreen(self.jail_name, self.selected_rule()),
                             self._formed)

    def _formed(self, change: LimitChange | None) -> None:
        if change is not None:
            self._run(change)

    def action_limit_remove(self) -> None:
        if self.refuse_if_guarded("limit_remove"):
            return
        rule = self.selected_rule()
        if rule is None:
            return
        question = Content.assemble(
            ("Remove the rctl rule ", "bold"), (visible(rule.text, 160), "bold $accent"),
            "?\n", (f"rctl -r {visible(rule.text, 160)}, and from the jail's block of "
                    f"{rctlconf.PATH} (so it does not come back at boot).",
                    "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(LimitChange(None, rule, True))

        self.app.push_screen(ConfirmScreen(question, yes="Remove"), answered)

    def _run(self, change: LimitChange) -> None:
        controller = self.console.controller_for(self.jail_host)
        if controller is None:
            self.console.refuse("rctl", "read-only session: no actions")
            return
        console = self.console
        jail = self._jail
        title = f"rctl of {self.jail_name}: {change.describe()}"
        self._busy = change.describe()
        self.refresh_bindings()

        async def run() -> None:
            try:
                result = await controller.rctl_change(self.jail_name, change, jail)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            self._busy = ""
            console.report(title, result)
            if not self.is_attached:
                return
            mark = ((f"{glyphs().ok} ", "$success") if result.ok
                    else (f"{glyphs().bad} ", "bold $error"))
            self._action_line = Content.assemble(
                mark, one_line(result.message, 300) or ("done" if result.ok else "failed"),
                ("   L: action log", "$foreground-muted"))
            self.load()

        self.app.run_worker(job(run), group="action-rctl", exit_on_error=False,
                            description="an rctl change of a jail")
