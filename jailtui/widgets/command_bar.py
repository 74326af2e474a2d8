"""The ``:`` command line's field: a FilterBar that completes with Tab.

The completion is console/commands.py's (command names, then the jail, host
or column names the screen hands in through ``candidates``), shown greyed
after the cursor as Textual's Input shows a suggestion, and taken with Tab
(or Right at the end, as Input does). Tab computes it again at once rather
than taking the shown suggestion, which Input finds in a worker: a Tab typed
in the same burst as the letters before it completes what they typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from textual.binding import BindingType
from textual.suggester import Suggester

from jailtui.console.commands import Arg, complete
from jailtui.console.keys import bindings_for
from jailtui.widgets.filter_bar import FilterBar

Candidates = Callable[[], Mapping[Arg, Sequence[str]]]


class _Completion(Suggester):
    def __init__(self, candidates: Candidates) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._candidates = candidates

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self._candidates())


class CommandBar(FilterBar):
    """``:stop web`` and friends; Enter runs, Escape leaves, Tab completes."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("command"))

    def __init__(self, candidates: Candidates, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._candidates = candidates
        self.suggester = _Completion(candidates)
        self.placeholder = ("command…  stop web · host db1 · sort mem · filter TEXT   "
                            "(Tab completes, Enter runs, Escape leaves)")

    def action_complete(self) -> None:
        done = complete(self.value, self._candidates())
        if done is not None:
            self.value = done
            self.cursor_position = len(done)
