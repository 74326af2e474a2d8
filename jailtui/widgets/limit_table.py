"""The limits screen's table: the rctl rules of one jail, keyed by rule text.

Keyed by the rule's text so the cursor stays on its rule across reloads; every
cell through visible() (a rule came from rctl's output, which names the jail).
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.freebsd.rctl import RctlRule, amount_text
from jailtui.core.text import visible
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable


@dataclass(frozen=True, slots=True)
class LimitRow:
    rule: RctlRule
    #: In the jail's block of /etc/rctl.conf (None: the file could not be read).
    kept: bool | None


def _kept(r: LimitRow) -> Cell:
    if r.kept is None:
        return (("?", "dim"),)
    return (("yes", "good"),) if r.kept else (("no: until reboot", "warn"),)


def limit_columns() -> list[Column[LimitRow]]:
    return [
        Column("resource", "RESOURCE", lambda r: visible(r.rule.resource, 32),
               lambda r: r.rule.resource, width=15),
        Column("action", "ACTION", lambda r: visible(r.rule.action, 16),
               lambda r: r.rule.action, width=9),
        Column("amount", "AMOUNT", lambda r: amount_text(r.rule), lambda r: r.rule.amount,
               width=10, justify="right", descending_first=True),
        Column("kept", "KEPT (rctl.conf)", _kept, lambda r: (r.kept is not True, r.kept),
               width=16),
        Column("rule", "RULE", lambda r: visible(r.rule.text, 200), lambda r: r.rule.text,
               width=20, last=True),
    ]


class LimitTable(KeyedTable[str, LimitRow]):
    """A jail's rctl rules, in rctl's order, keyed by the rule."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(limit_columns(), sort="resource", id=id)

    def row_key(self, row: LimitRow) -> str:
        return row.rule.text

    def row_matches(self, row: LimitRow, needle: str) -> bool:
        return needle in row.rule.text.lower()

    #: Why there can be no rules (racct off), instead of "no rules: a adds one".
    no_rules_because: str | None = None

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            if self.no_rules_because:
                return self.no_rules_because
            return "no rctl rules for this jail: a adds one"
        return super().placeholder()
