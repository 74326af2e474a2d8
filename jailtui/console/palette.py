"""The command palette: our commands only, and only what the session may do.

A Textual :class:`~textual.command.Provider` (App.COMMANDS) instead of the
default ``SystemCommandsProvider``, whose ``App.get_system_commands`` adds
Textual's own entries: "Screenshot" (writes to ~/Downloads, fails here),
"Quit" a second time, "Keys", "Maximize", "Theme" (never saved) (issue 13
item 25; textual/app.py ``get_system_commands``).

Every entry is a binding of the screen or the app (its title, help and
keys from the key table, console/keys.py, as the help screen shows them). A guarded
action the session's role can never take is not offered (read-only: no
Start/Stop/Shell/...; issue 13 item 24); one it may take but not on the
selected row is offered and refused with the reason when chosen, as its key
is (screens/guard.py). With several hosts: "Show all hosts" and "Show host
NAME".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape as escape_markup
from textual.screen import Screen

from jailtui.console.keys import GUARDED, SPECS
from jailtui.core.text import visible
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.main import MainScreen

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

def title(binding: Binding) -> str:
    """The palette's title of a binding (the key table's; console/keys.py)."""
    spec = SPECS.get(binding.id or "")
    return spec.palette_title if spec is not None else (binding.description or binding.action)


def entries(app: JailtuiApp, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette's commands on ``screen`` (see the module docstring)."""
    seen: set[str] = set()
    targets: list[tuple[Any, Sequence[BindingType]]] = []
    if isinstance(screen, GuardedScreen):
        targets.append((screen, type(screen).BINDINGS))
    targets.append((app, app.BINDINGS))
    for namespace, bindings in targets:
        for b in bindings:
            if not isinstance(b, Binding) or not b.id or b.id in seen:
                continue
            spec = SPECS[b.id]
            if not spec.palette or not app.offers(spec):
                continue  # not this console's, or the role can never do it: not offered
            seen.add(b.id)
            # The palette parses help as markup (textual/command.py,
            # build_prompt: Content.from_markup(hit.help)): escape it, the
            # keys may come from the user's config.
            help_text = escape_markup(f"{spec.help} — key: {app.keys_text(spec)}")
            yield SystemCommand(title(b), help_text, _callback(app, namespace, b))
    if app.fleet.several and isinstance(screen, MainScreen):
        yield from _host_commands(app)


def _host_commands(app: JailtuiApp) -> Iterable[SystemCommand]:
    """``Show host NAME`` / ``Show all hosts``: the switcher by name."""
    fleet = app.fleet
    yield SystemCommand("Show all hosts", "every host's jails and processes, a HOST column",
                        lambda: app.set_view(None))
    for name in fleet.names():
        view = fleet.state.get(name)
        state = view.describe(app.now()) if view is not None else ""
        # The palette parses help as markup (see above): escape what
        # comes from the user's config and from ssh.
        yield SystemCommand(f"Show host {visible(name, 32)}", escape_markup(visible(state)),
                            partial(app.set_view, name))


def _callback(app: JailtuiApp, namespace: Any, binding: Binding) -> Callable[[], Any]:
    """Guarded actions call the screen's action method directly, which refuses
    with a reason when not allowed (``run_action`` would check ``check_action``
    and do nothing, silently)."""
    if binding.action in GUARDED:
        method = getattr(namespace, f"action_{binding.action}")
        return lambda: method()

    async def run() -> None:
        await app.run_action(binding.action, namespace)

    return run


class ConsoleCommands(Provider):
    """The palette's provider (App.COMMANDS): :func:`entries`, fuzzy-matched."""

    def _entries(self) -> list[SystemCommand]:
        from jailtui.app import JailtuiApp

        app = self.app
        assert isinstance(app, JailtuiApp)
        return list(entries(app, self.screen))

    async def discover(self) -> Hits:
        for command in sorted(self._entries(), key=lambda c: c.title):
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._entries():
            if (score := matcher.match(command.title)) > 0:
                yield Hit(score, matcher.highlight(command.title), command.callback,
                          help=command.help)


__all__ = ["ConsoleCommands", "entries", "title"]
