"""The footer: the keys that matter now, in one line, redrawn only when they change.

Why not Textual's ``Footer``: it recomposes (removes and mounts one widget
per key) on every ``refresh_bindings()``, and the main screen refreshes the
bindings on every poll, since what may be done depends on the selected
jail's state. That grew the console's memory while idle (~9 MB/min at the
default interval; issue 13 item 8), redrew the footer twice per tick
(item 43), and at 80 columns it scrolled ``p`` and ``q`` out of sight and
drew half keys ("^p palettel", item 13/34; textual/widgets/_footer.py).

This footer is one line of text. It keeps the list of keys shown and
refreshes only when that list (or the width) changes. When not every key
fits, the essential ones (help, quit, pause) stay, the others are shown in
order while they fit, and ``?`` says there are more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import events
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

#: Kept however narrow the terminal is: the way to every other key, the way
#: out, and the one that stops the screen from changing under you.
ESSENTIAL = frozenset({"help", "app.help", "quit", "app.quit", "pause", "app.pause"})

#: Separates two keys.
GAP = "  "

#: The help key's label when keys were left out.
MORE = "All keys"


@dataclass(frozen=True)
class FooterItem:
    """One key of the footer."""

    key: str
    label: str
    action: str
    enabled: bool
    #: Where the binding lives (the action runs there on a click).
    node: DOMNode | None = field(default=None, compare=False)

    @property
    def is_help(self) -> bool:
        return self.action in ("help", "app.help")

    def label_when(self, left_out: bool) -> str:
        """Help says there are more keys when some did not fit."""
        return MORE if left_out and self.is_help else self.label

    @property
    def width(self) -> int:
        return len(self.key) + 1 + max(len(self.label), len(MORE) if self.is_help else 0)


def footer_items(screen: Screen[object]) -> tuple[FooterItem, ...]:
    """The keys the footer offers on ``screen``, one per action, in binding order."""
    seen: set[str] = set()
    items: list[FooterItem] = []
    for node, binding, enabled, _tooltip in screen.active_bindings.values():
        if not binding.show or binding.action in seen:
            continue
        seen.add(binding.action)
        items.append(FooterItem(screen.app.get_key_display(binding), binding.description,
                                binding.action, enabled, node))
    return tuple(items)


def fit(items: tuple[FooterItem, ...], width: int) -> tuple[tuple[FooterItem, ...], bool]:
    """The items that fit in ``width`` cells (essential ones first), in their
    order, and whether any was left out."""
    essential = [i for i in items if i.action in ESSENTIAL]
    used = sum(i.width + len(GAP) for i in essential)
    chosen = {id(i) for i in essential}
    left_out = False
    for item in items:
        if id(item) in chosen:
            continue
        if used + item.width + len(GAP) <= width:
            chosen.add(id(item))
            used += item.width + len(GAP)
        else:
            left_out = True
    return tuple(i for i in items if id(i) in chosen), left_out


class KeyFooter(Widget):
    """One line of keys for the screen it is on (see the module docstring)."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._items: tuple[FooterItem, ...] = ()
        self._shown: tuple[FooterItem, ...] = ()
        #: (start, end, item) of each key on the line, for clicks.
        self._spans: list[tuple[int, int, FooterItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        items = footer_items(screen)
        if items != self._items:
            self._items = items
            self.refresh()

    @property
    def items(self) -> tuple[FooterItem, ...]:
        """Every key the screen offers now (shown or left out for width)."""
        return self._items

    @property
    def shown(self) -> tuple[FooterItem, ...]:
        """The keys on the line at the last draw."""
        return self._shown

    def render(self) -> Content:
        shown, left_out = fit(self._items, max(0, self.size.width - 1))
        self._shown = shown
        parts: list[str | tuple[str, str]] = [" "]
        spans: list[tuple[int, int, FooterItem]] = []
        x = 1
        for n, item in enumerate(shown):
            if n:
                parts.append(GAP)
                x += len(GAP)
            label = item.label_when(left_out)
            key_style = "bold $footer-key-foreground" if item.enabled else "$text-disabled"
            parts += [(item.key, key_style), " ",
                      (label, "" if item.enabled else "$text-disabled")]
            width = len(item.key) + 1 + len(label)
            spans.append((x, x + width, item))
            x += width
        self._spans = spans
        return Content.assemble(*parts)

    async def on_click(self, event: events.Click) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end and item.enabled:
                event.stop()
                await self.app.run_action(item.action, item.node or self.screen)
                return


__all__ = ["ESSENTIAL", "FooterItem", "KeyFooter", "fit", "footer_items"]
