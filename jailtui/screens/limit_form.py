"""Add or change one rctl rule of a jail: resource, action, amount, keep it at boot.

Every field is checked as it is typed against rctl(8)'s lists
(core/freebsd/rctl.py ``jail_rule``: the resource and action names, the action a
resource supports, the amount with K/M/G, ``/per``), and the line under the
fields says either what is wrong or the exact ``rctl -a`` that Enter runs, so
nothing reaches the host that rctl would refuse. The resource and action
fields complete from those lists (Textual's SuggestFromList; right arrow
accepts). Escape changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.limits import LimitChange
from jailtui.core.freebsd import rctl, rctlconf
from jailtui.core.text import visible

__all__ = ["LimitFormScreen"]


class LimitFormScreen(ModalScreen[LimitChange | None]):
    """Dismisses with the change to make, or None. ``old``: the rule being changed."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("limit_form"))

    DEFAULT_CSS = """
    LimitFormScreen { align: center middle; background: $background 60%; }
    LimitFormScreen #limit-box {
        width: 76; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    LimitFormScreen .limit-row { height: 3; }
    LimitFormScreen .limit-row Label { width: 10; padding: 1 0 0 0; }
    LimitFormScreen .limit-row Input { width: 1fr; }
    LimitFormScreen #limit-check { height: auto; min-height: 2; }
    LimitFormScreen #limit-persist { width: auto; }
    """

    def __init__(self, jail: str, old: rctl.RctlRule | None = None) -> None:
        super().__init__(id="limit_form")
        self.jail = jail
        self.old = old

    def compose(self) -> ComposeResult:
        old = self.old
        verb = "Change an rctl rule" if old is not None else "Add an rctl rule"
        with Vertical(id="limit-box"):
            yield Static(Content.assemble(
                (f"{verb} of jail ", "bold"), (visible(self.jail, 64), "bold $accent"), "\n",
                ("rctl(8): RESOURCE:ACTION=AMOUNT  Enter: apply  Escape: cancel",
                 "$foreground-muted")), markup=False)
            with Horizontal(classes="limit-row"):
                yield Label("resource")
                yield Input(old.resource if old else "", id="limit-resource",
                            placeholder="memoryuse, maxproc, pcpu, openfiles …",
                            suggester=SuggestFromList(rctl.RESOURCES), max_length=32)
            with Horizontal(classes="limit-row"):
                yield Label("action")
                yield Input(old.action if old else "deny", id="limit-action",
                            placeholder="deny, log, devctl, throttle, sigterm …",
                            suggester=SuggestFromList(rctl.ACTIONS), max_length=32)
            with Horizontal(classes="limit-row"):
                yield Label("amount")
                yield Input(_amount_input(old) if old else "", id="limit-amount",
                            placeholder="2G, 512M, 100, 50 (pcpu: percent); /process …",
                            max_length=40)
            yield Checkbox(f"keep it in {rctlconf.PATH} (applied again at boot)", True,
                           id="limit-persist")
            yield Static("", id="limit-check", markup=False)

    def on_mount(self) -> None:
        self.query_one("#limit-resource" if self.old is None else "#limit-amount",
                       Input).focus()
        self._check()

    def _text(self) -> str:
        def v(i: str) -> str:
            return self.query_one(f"#{i}", Input).value.strip()
        return f"{v('limit-resource')}:{v('limit-action')}={v('limit-amount')}"

    def _rule(self) -> rctl.RctlRule | str:
        """The rule the fields make, or what is wrong with it."""
        try:
            return rctl.jail_rule(self.jail, self._text())
        except rctl.RuleError as exc:
            return exc.message

    def _check(self) -> rctl.RctlRule | None:
        got = self._rule()
        line = self.query_one("#limit-check", Static)
        if isinstance(got, str):
            line.update(Content.styled(visible(got, 300), "$error"))
            return None
        argv = " ".join(rctl.rctl_add_argv(got))
        if self.old is not None and not rctl.same_slot(self.old, got) or \
                self.old is not None and got.action != "deny" and got != self.old:
            argv = f"{' '.join(rctl.rctl_remove_argv(self.old))}; {argv}"
        line.update(Content.assemble(("runs: ", "$foreground-muted"), visible(argv, 300)))
        return got

    @on(Input.Changed)
    def _changed(self, _event: Input.Changed) -> None:
        self._check()

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        rule = self._check()
        if rule is None:
            return
        old = self.old
        # A deny rule replaces its namesake with another amount (kern_rctl.c); any
        # other change is the old rule removed, then the new one added.
        remove = None
        if old is not None and (not rctl.same_slot(old, rule) or
                                rule.action != "deny" and rule != old):
            remove = old
        if old is not None and rule == old and remove is None:
            self.dismiss(None)
            return
        persist = self.query_one("#limit-persist", Checkbox).value
        self.dismiss(LimitChange(rule, remove, persist))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _amount_input(rule: rctl.RctlRule) -> str:
    """What a person would type for ``rule``'s amount: 2G rather than 2147483648."""
    text = str(rule.amount)
    if rule.resource in rctl.BYTE_RESOURCES:
        for unit, shift in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
            if rule.amount >= 1 << shift and rule.amount % (1 << shift) == 0:
                text = f"{rule.amount >> shift}{unit}"
                break
    return text + (f"/{rule.per}" if rule.per else "")
