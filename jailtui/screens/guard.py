"""Hide what you may not do; say so when you try anyway.

``check_action`` returning False hides a binding from the footer *and*
makes Textual skip it silently (``App.run_action`` checks it before
dispatching; ``Screen.active_bindings`` drops it). A remapped key or a
command-palette entry must not fail silently, so:

- keys: :meth:`GuardedScreen.on_key` runs before the App's binding check
  (a Key bubbles from the focused widget to the screen, then to the App,
  whose ``_on_key`` checks bindings); for a guarded binding whose action is
  refused it shows the reason and stops the event;
- palette: commands call the action methods directly, which check again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events
from textual.binding import Binding, BindingType
from textual.screen import Screen

from jailtui.console.keys import GUARDED
from jailtui.core.model import Jail

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


class GuardedScreen(Screen[None]):
    """A screen whose jail/process actions are gated by the controller."""

    BINDINGS: ClassVar[list[BindingType]] = []

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    def selected_jail(self) -> Jail | None:
        """The jail the jail actions apply to."""
        raise NotImplementedError

    def guard_reason(self, action: str) -> str | None:
        """Why ``action`` (an action name) is refused now; None if allowed."""
        gate = GUARDED.get(action)
        if gate is None:
            return None
        return self.console.gate_reason(gate, self.selected_jail())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in GUARDED:
            return self.guard_reason(action) is None
        return True

    def refuse_if_guarded(self, action: str) -> bool:
        """Show why ``action`` is refused and return True, or return False."""
        reason = self.guard_reason(action)
        if reason is None:
            return False
        self.console.refuse(action, reason)
        return True

    def on_key(self, event: events.Key) -> None:
        for binding in self._guarded_bindings():
            keys = self.console.binding_keys(binding)
            if event.key in keys or (event.character is not None and event.character in keys):
                if self.refuse_if_guarded(binding.action):
                    event.stop()
                    event.prevent_default()
                return

    @classmethod
    def _guarded_bindings(cls) -> list[Binding]:
        return [b for b in cls.BINDINGS
                if isinstance(b, Binding) and b.id in GUARDED]
