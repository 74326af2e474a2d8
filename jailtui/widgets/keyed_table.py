"""A keyed, sortable, filterable table drawn with the line API.

Why not ``DataTable``: it formats and measures every row (the first layout of
10,000 rows takes seconds), ``remove_row`` is O(n) and relayouts (Textual
issue #5273), ``sort`` keeps the cursor *index* so the highlighted process
silently changes, and ``str`` cells are parsed as markup (docs/textual.md
section 2.1). This widget follows toolong's ``LogLines`` instead: a
``ScrollView`` whose :meth:`render_line` formats only the lines on screen,
so a refresh costs the same at 500 and at 50,000 rows. The data work per
tick (filter and sort of the model rows) is plain Python over tuples.

Rows are model objects; each has a key (jail name, pid). The cursor belongs
to a key, not to an index: across refresh, sort and filter it stays on its
row, and only when that row disappears does it stay at the same position.

Line 0 of the widget is the header and never scrolls vertically; data row
``i`` is drawn at ``y = i - scroll_y + 1``. The virtual height is therefore
``rows + 1``, which also makes ``height: auto`` work
(``ScrollView.get_content_height`` returns the virtual height).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jailtui.console.keys import bindings_for
from jailtui.core.text import one_line
from jailtui.widgets.glyphs import glyphs

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

#: A cell: plain text (already passed through ``visible()``), or parts of
#: (text, style role) where the role names a ``keyed-table--<role>``
#: component class (good, warn, bad, dim, accent).
Cell = str | tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    """One column: how to show a row's value and how to sort by it."""

    key: str
    label: str
    cell: Callable[[R], Cell]
    sort_key: Callable[[R], Any]
    #: Fixed width; with ``measure`` the minimum width.
    width: int = 8
    #: Width from the data (cheap: lengths of raw strings), capped at ``max_width``.
    measure: Callable[[Sequence[R]], int] | None = None
    max_width: int = 0
    justify: Literal["left", "right"] = "left"
    #: Numbers sort largest first on the first press (htop's %CPU, %MEM).
    descending_first: bool = False
    #: The last column is never cut: the table scrolls horizontally instead.
    last: bool = False


#: Rendered lines kept per table (see KeyedTable.__init__).
LINE_CACHE_SIZE = 128


class KeyedTable(ScrollView, Generic[K, R], can_focus=True):
    """A table of model rows with a key-bound cursor; subclasses define columns."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--sorted",
        "keyed-table--cursor",
        "keyed-table--cursor-blurred",
        "keyed-table--placeholder",
        "keyed-table--good",
        "keyed-table--warn",
        "keyed-table--bad",
        "keyed-table--dim",
        "keyed-table--accent",
        "keyed-table--match",
    }

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        overflow: auto auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("table"))

    class CursorMoved(Message):
        """The cursor is on another row (another key), or on none."""

        def __init__(self, table: KeyedTable[Any, Any], key: Hashable | None) -> None:
            self.table = table
            self.key = key
            super().__init__()

        @property
        def control(self) -> KeyedTable[Any, Any]:
            return self.table

    class Activated(Message):
        """A row was double-clicked (Enter is a screen binding)."""

        def __init__(self, table: KeyedTable[Any, Any], key: Hashable) -> None:
            self.table = table
            self.key = key
            super().__init__()

        @property
        def control(self) -> KeyedTable[Any, Any]:
            return self.table

    class SortChanged(Message):
        """The sort column or direction changed (the pane title shows it)."""

        def __init__(self, table: KeyedTable[Any, Any]) -> None:
            self.table = table
            super().__init__()

        @property
        def control(self) -> KeyedTable[Any, Any]:
            return self.table

    def __init__(self, columns: Sequence[Column[R]], *, sort: str, reverse: bool = False,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._columns: list[Column[R]] = list(columns)
        self._source: Sequence[R] = ()
        self._view: list[R] = []
        self._keys: list[K] = []
        self._pos: dict[K, int] = {}
        self._filter = ""
        #: The search (F3): rows stay, the matching ones are marked.
        self._search = ""
        self._matches: list[int] = []
        self._match_set: frozenset[int] = frozenset()
        self._sort = sort
        self._reverse = reverse
        self._cursor = 0
        self._cursor_key: K | None = None
        self._widths: list[int] = [c.width for c in self._columns]
        self._total_width = 0
        self._loaded = False
        #: Why there are no rows yet (set_unavailable); None: loading.
        self._unavailable: str | None = None
        # Rendered (uncropped) rows; keys include the row value itself, so an
        # unchanged row is not formatted again on the next tick. A few screens'
        # worth: every Strip carries its own crop/style caches (textual/strip.py),
        # so 1024 of them per table were megabytes that only filled up over an
        # idle hour of changing CPU figures (issue 13 item 8); 256 still grew RSS
        # by 10 % in the hour's first 20 minutes (benchmarks/soak.py). 128 is
        # more than two screens of rows at 200x50.
        self._line_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(LINE_CACHE_SIZE)
        self._role_styles: dict[str, Style] = {}
        #: What each line on screen showed at the last partial refresh
        #: (None: unknown, refresh everything), and the scroll offset then.
        self._on_screen: list[Hashable] | None = None
        self._drawn_offset = Offset(0, 0)

    # -- what subclasses say about their rows ----------------------------------

    def row_key(self, row: R) -> K:
        raise NotImplementedError

    def row_matches(self, row: R, needle: str) -> bool:
        """Does ``row`` match the (lower-case) filter text?"""
        raise NotImplementedError

    def row_shown(self, row: R) -> bool:
        """Is ``row`` shown at all, before the filter (a pane's own modes:
        the processes pane hides kernel threads, or shows one user's)."""
        return True

    def order_rows(self, rows: list[R], column: Column[R], reverse: bool) -> list[R]:
        """Rows in display order; the tree view overrides this."""
        rows.sort(key=column.sort_key, reverse=reverse)
        return rows

    def row_decoration(self, row: R) -> Hashable:
        """Anything besides the row that changes how it is drawn (tree prefix)."""
        return None

    def set_unavailable(self, reason: str | None) -> None:
        """Before the first rows: why there are none yet (a failed first
        poll), shown instead of "loading…"; None: loading again."""
        if self._loaded or reason == self._unavailable:
            return
        self._unavailable = reason
        self.refresh()

    def placeholder(self) -> str:
        """The line shown where there are no rows."""
        if not self._loaded:
            if self._unavailable:
                return f"no data: {one_line(self._unavailable, 400)}"
            return "loading…"
        if self._filter:
            return f"nothing matches the filter “{self._filter}” (Escape clears it)"
        return "nothing to show"

    # -- public API ---------------------------------------------------------------

    @property
    def columns(self) -> Sequence[Column[R]]:
        return tuple(self._columns)

    @property
    def rows(self) -> Sequence[R]:
        """The rows shown, in display order (after filter and sort)."""
        return tuple(self._view)

    @property
    def row_count(self) -> int:
        return len(self._view)

    @property
    def source_count(self) -> int:
        return len(self._source)

    @property
    def cursor_key(self) -> K | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> R | None:
        return self._view[self._cursor] if self._view else None

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def sort_column(self) -> Column[R]:
        for col in self._columns:
            if col.key == self._sort:
                return col
        return self._columns[0]

    @property
    def sort_reverse(self) -> bool:
        return self._reverse

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def search_text(self) -> str:
        return self._search

    @property
    def match_count(self) -> int:
        return len(self._matches)

    def set_search(self, text: str) -> None:
        """Mark the rows that match ``text`` (as the filter matches: a|b is
        either) and put the cursor on the first match at or after it."""
        if text == self._search:
            return
        self._search = text
        self._find_matches()
        self._refresh_changed()
        if self._matches and self._cursor not in self._match_set:
            self.search_step(1)

    def search_step(self, step: int) -> bool:
        """The cursor to the next (``step`` 1) or previous (-1) match, wrapping
        around as less and vi do; False when nothing matches."""
        if not self._matches:
            return False
        if step > 0:
            after = [i for i in self._matches if i > self._cursor]
            self._move(after[0] if after else self._matches[0])
        else:
            before = [i for i in self._matches if i < self._cursor]
            self._move(before[-1] if before else self._matches[-1])
        return True

    def _find_matches(self) -> None:
        needles = filter_terms(self._search)
        self._matches = [i for i, r in enumerate(self._view)
                         if any(self.row_matches(r, n) for n in needles)] if needles else []
        self._match_set = frozenset(self._matches)

    def set_columns(self, columns: Sequence[Column[R]]) -> None:
        """Change the columns (e.g. hide JID/JAIL when showing one jail)."""
        self._columns = list(columns)
        if all(c.key != self._sort for c in self._columns):
            self._sort = self._columns[0].key
        self._rebuild()

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the data; the cursor stays on its key."""
        self._source = rows
        self._loaded = True
        self._rebuild()

    def set_filter(self, text: str) -> None:
        if text == self._filter:
            return
        self._filter = text
        self._rebuild()

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Sort by column ``key``; pressing the same quick sort again flips it."""
        col = next((c for c in self._columns if c.key == key), None)
        if col is None:
            return
        if reverse is None:
            reverse = (not self._reverse) if key == self._sort else col.descending_first
        self._sort, self._reverse = key, reverse
        self._rebuild()
        self.post_message(self.SortChanged(self))

    def cycle_sort(self, step: int) -> None:
        """Next/previous column as the sort column (htop's ``>`` and ``<``)."""
        # Only columns with a header: a mark column (health) has none, and a
        # sort by it would show no arrow anywhere (issue 13 item 30).
        named = [c for c in self._columns if c.label.strip()] or list(self._columns)
        keys = [c.key for c in named]
        i = keys.index(self._sort) if self._sort in keys else 0
        nxt = named[(i + step) % len(keys)]
        self.sort_by(nxt.key, reverse=nxt.descending_first)

    def reverse_sort(self) -> None:
        self.sort_by(self._sort, reverse=not self._reverse)

    def reset_cursor(self) -> None:
        """Back to the first row (before new rows of another scope arrive)."""
        self._cursor = 0
        self._cursor_key = None
        self.scroll_to(0, 0, animate=False, immediate=True)

    def move_to_key(self, key: K) -> bool:
        """Put the cursor on ``key`` if it is shown."""
        i = self._pos.get(key)
        if i is None:
            return False
        self._move(i)
        return True

    # -- data work ----------------------------------------------------------------

    def _rebuild(self) -> None:
        old_key = self._cursor_key
        old_index = self._cursor
        needles = filter_terms(self._filter)
        shown = [r for r in self._source if self.row_shown(r)]
        rows = [r for r in shown if any(self.row_matches(r, n) for n in needles)] \
            if needles else shown
        self._view = self.order_rows(rows, self.sort_column, self._reverse)
        self._keys = [self.row_key(r) for r in self._view]
        self._pos = {k: i for i, k in enumerate(self._keys)}
        self._find_matches()
        if old_key is not None and old_key in self._pos:
            self._cursor = self._pos[old_key]
        else:
            self._cursor = max(0, min(old_index, len(self._view) - 1))
        self._cursor_key = self._keys[self._cursor] if self._keys else None
        self._measure()
        self.virtual_size = Size(self._total_width, len(self._view) + 1)
        self._keep_cursor_visible()
        self._refresh_changed()
        if self._cursor_key != old_key:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def _measure(self) -> None:
        widths: list[int] = []
        for col in self._columns:
            w = max(col.width, len(col.label))
            if col.measure is not None and self._view:
                w = max(w, col.measure(self._view))
                if col.max_width:
                    w = min(w, col.max_width)
            widths.append(w)
        self._widths = widths
        self._total_width = sum(widths) + len(widths) - 1

    # -- cursor and scrolling ------------------------------------------------------

    def _move(self, index: int) -> None:
        if not self._view:
            return
        index = max(0, min(index, len(self._view) - 1))
        old = self._cursor_key
        self._cursor = index
        self._cursor_key = self._keys[index]
        self._keep_cursor_visible()
        self._refresh_changed()
        if self._cursor_key != old:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _keep_cursor_visible(self) -> None:
        if not self.size.height:
            return
        rows_on_screen = self._page()
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows_on_screen:
            self.scroll_to(y=self._cursor - rows_on_screen + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._move(self._cursor + step)

    def action_page(self, step: int) -> None:
        self._move(self._cursor + step * self._page())

    def action_edge(self, end: int) -> None:
        self._move(len(self._view) - 1 if end else 0)

    def action_scroll_cols(self, step: int) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x + step), animate=False)

    # The wheel moves the cursor (htop does the same): a viewport scrolled
    # away from the cursor would jump back on the next tick, when the cursor
    # is kept visible. prevent_default() skips Widget._on_mouse_scroll_*,
    # which would scroll as well. Shift/ctrl + wheel still scroll sideways.
    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if event.ctrl or event.shift:
            return
        event.prevent_default()
        event.stop()
        self._move(self._cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if event.ctrl or event.shift:
            return
        event.prevent_default()
        event.stop()
        self._move(self._cursor - 3)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + self.scroll_offset.x
            for col, (start, end) in zip(self._columns, self._spans(), strict=True):
                if start <= x < end + 1:
                    self.sort_by(col.key)
                    break
            return
        index = self.scroll_offset.y + offset.y - 1
        if 0 <= index < len(self._view):
            self._move(index)
            if event.chain >= 2:
                self.post_message(self.Activated(self, self._keys[index]))

    def _spans(self) -> list[tuple[int, int]]:
        spans, x = [], 0
        for w in self._widths:
            spans.append((x, x + w))
            x += w + 1
        return spans

    def on_focus(self) -> None:
        self._on_screen = None
        self.refresh()

    def on_blur(self) -> None:
        self._on_screen = None
        self.refresh()

    def on_resize(self) -> None:
        self.invalidate_lines()
        self._keep_cursor_visible()

    def notify_style_update(self) -> None:
        # Theme changed: styles baked into cached strips are stale.
        super().notify_style_update()
        self.invalidate_lines()
        self._role_styles.clear()

    # -- drawing ---------------------------------------------------------------------

    def _role(self, role: str | None) -> Style:
        if role is None:
            return Style.null()
        style = self._role_styles.get(role)
        if style is None:
            # The colour from the full style: a partial style drops the alpha
            # blending of colours such as "auto 60%" (seen: $text-muted came
            # out as #ffffff). The attributes from the partial style, and no
            # background, so the row's own background shows through.
            name = f"keyed-table--{role}"
            full = self.get_component_rich_style(name, partial=False)
            part = self.get_component_rich_style(name, partial=True)
            style = Style(color=full.color, bold=part.bold, italic=part.italic,
                          underline=part.underline, reverse=part.reverse, strike=part.strike)
            self._role_styles[role] = style
        return style

    def _cell_text(self, cell: Cell, plain: bool) -> Text:
        if isinstance(cell, str):
            return Text(cell, no_wrap=True, end="")
        text = Text(no_wrap=True, end="")
        for part, role in cell:
            text.append(part, None if plain else self._role(role))
        return text

    def _line_text(self, parts: Sequence[Text]) -> Text:
        line = Text(no_wrap=True, end="")
        for i, (col, width, cell) in enumerate(zip(self._columns, self._widths, parts,
                                                     strict=True)):
            if i:
                line.append(" ")
            if not col.last:
                if cell.cell_len > width:
                    cell.truncate(width, overflow="ellipsis")
                pad = width - cell.cell_len
                if col.justify == "right":
                    cell.pad_left(pad)
                else:
                    cell.pad_right(pad)
            line.append_text(cell)
        return line

    def _finish(self, line: Text, style: Style) -> Strip:
        width = max(self._total_width, self.size.width)
        length = line.cell_len
        if length < width:
            line.pad_right(width - length)
        line.stylize_before(style)
        return Strip(self._segments(line), max(width, length))

    def _segments(self, text: Text) -> list[Segment]:
        """``text`` rendered, every segment with a Style.

        Rich yields ``Segment(text, None)`` for unstyled text; Textual's
        NO_COLOR filter (textual/filter.py ``monochrome_style``) reads
        ``style.color`` of every segment and crashed on it (issue 13 item 1;
        docs/textual.md 2.14).
        """
        null = Style.null()
        return [Segment(s.text, s.style or null, s.control)
                for s in text.render(self.app.console)]

    def _header_key(self) -> tuple[Any, ...]:
        return ("header", self._sort, self._reverse, tuple(self._widths), self.size.width,
                tuple(c.key for c in self._columns))

    def _row_line_key(self, index: int) -> tuple[Any, ...]:
        """Everything the line of row ``index`` depends on (its cache key)."""
        row = self._view[index]
        is_cursor = index == self._cursor
        return (row, self.row_decoration(row), is_cursor, is_cursor and self.has_focus,
                index in self._match_set,
                tuple(self._widths), self.size.width, tuple(c.key for c in self._columns))

    def _screen_keys(self) -> list[Hashable]:
        """What each line on screen shows now (header, rows, placeholder, blanks)."""
        top = self.scroll_offset.y
        keys: list[Hashable] = [self._header_key()]
        for y in range(1, self.size.height):
            index = top + y - 1
            if 0 <= index < len(self._view):
                keys.append(self._row_line_key(index))
            elif index == 0:
                keys.append(("placeholder", self.placeholder(), self.size.width))
            else:
                keys.append(("blank", self.size.width))
        return keys

    def invalidate_lines(self) -> None:
        """Lines depend on more than their rows now (marks, pending actions,
        theme, size): drop the cached lines and redraw all on the next refresh."""
        self._line_cache.clear()
        self._on_screen = None

    def _refresh_changed(self) -> None:
        """Refresh only the lines on screen that show something else now.

        ``refresh()`` of the whole widget makes Textual draw and send every
        line again, unchanged ones too; over a slow SSH link a tick should
        send only what changed (issue 13 item 43).
        """
        keys = self._screen_keys()
        old = self._on_screen
        self._on_screen = keys
        if old is None or len(old) != len(keys) or self.scroll_offset != self._drawn_offset:
            self._drawn_offset = self.scroll_offset
            self.refresh()
            return
        width = max(self.virtual_size.width, self.size.width)
        for y, (was, now) in enumerate(zip(old, keys, strict=True)):
            if was != now:
                self.refresh(Region(0, y, width, 1))

    def _header_strip(self) -> Strip:
        key = self._header_key()
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        header = self.get_component_rich_style("keyed-table--header")
        arrow = glyphs().down if self._reverse else glyphs().up
        sorted_style = self._role("sorted")
        line = Text(no_wrap=True, end="")
        arrow_next = False  # the separator after the previous column holds the arrow
        for i, (col, width) in enumerate(zip(self._columns, self._widths, strict=True)):
            label = col.label
            is_sorted = col.key == self._sort
            # A column must not change width because it became the sort
            # column: where its label fills it (JID, %MEM), the arrow takes the
            # space between two columns instead (issue 13 item 30).
            fits = len(label) < width or col.last
            if i:
                if arrow_next or (is_sorted and not fits and col.justify == "right"):
                    line.append(arrow, style=sorted_style)
                else:
                    line.append(" ")
            arrow_next = False
            if is_sorted and fits:
                label = f"{arrow}{label}" if col.justify == "right" else f"{label}{arrow}"
            elif is_sorted and col.justify != "right":
                arrow_next = True
            elif is_sorted and i == 0:
                label = arrow + label[1:]
            cell = Text(label, style=sorted_style if is_sorted else "", no_wrap=True, end="")
            if not col.last:
                if cell.cell_len > width:
                    cell.truncate(width, overflow="ellipsis")
                pad = width - cell.cell_len
                if col.justify == "right":
                    cell.pad_left(pad)
                else:
                    cell.pad_right(pad)
            line.append_text(cell)
        strip = self._finish(line, header)
        self._line_cache[key] = strip
        return strip

    def _row_strip(self, index: int) -> Strip:
        row = self._view[index]
        is_cursor = index == self._cursor
        focused = self.has_focus
        key = self._row_line_key(index)
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        if is_cursor:
            style = self.get_component_rich_style(
                "keyed-table--cursor" if focused else "keyed-table--cursor-blurred")
        elif index in self._match_set:
            style = self.rich_style + self.get_component_rich_style("keyed-table--match")
        else:
            style = self.rich_style
        # On the cursor row the colours of the roles would fight the cursor
        # colour; htop too draws the selected line in one colour.
        parts = [self._cell_text(col.cell(row), plain=is_cursor) for col in self._columns]
        strip = self._finish(self._line_text(parts), style)
        self._line_cache[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip()
        else:
            index = scroll_y + y - 1
            if 0 <= index < len(self._view):
                strip = self._row_strip(index)
            elif index == 0 and not self._view:
                text = Text(self.placeholder(), no_wrap=True, end="",
                            style=self.get_component_rich_style("keyed-table--placeholder"))
                return Strip(self._segments(text)).crop_extend(0, width, base)
            else:
                return Strip.blank(width, base)
        # The cells the user sees: a vertical scrollbar covers the last
        # column(s) of size.width (Widget.size includes the scrollbar gutter).
        seen = min(width, self.scrollable_content_region.width) or width
        return self._whole_columns(strip, scroll_x, seen, base).crop_extend(0, width, base)

    def _whole_columns(self, strip: Strip, scroll_x: int, seen: int, base: Style) -> Strip:
        """The ``seen`` cells of ``strip`` from ``scroll_x``, every column whole or absent.

        A column cut at an edge misleads: MEM "27.6M" cut to "2" reads as
        2 (issue 13, the first hour at 80 columns). So a column that does
        not fit whole is left out, blank; only the last column (COMMAND,
        PATH: free text) is cut, as ps(1) cuts it at the terminal's width.
        More to the right is said by an ellipsis in the last cell, which
        never covers a cell of a column shown (left/right scroll).
        """
        end = scroll_x + seen
        more = strip.cell_length > end and seen > 1 \
            and cell_len(strip.text.rstrip()) > end
        limit = end - 1 if more else end  # the ellipsis's cell
        start, stop = scroll_x, scroll_x
        for col, (left, right) in zip(self._columns, self._spans(), strict=True):
            if col.last:
                if left < scroll_x:
                    start = max(start, scroll_x)
                stop = max(stop, min(limit, strip.cell_length))
                break
            if left < scroll_x < right:
                start = right  # cut on the left: leave it out
                continue
            if right <= limit:
                # A left-aligned sort column whose label fills it has its
                # arrow in the separator after it (_header_strip).
                sorted_arrow = col.key == self._sort and col.justify == "left"
                stop = right + 1 if sorted_arrow and right + 1 <= limit else right
            if right >= limit:
                break
        start = min(max(start, scroll_x), end)
        stop = max(start, min(stop, end))
        kept = strip.crop(start, stop) if stop > start else Strip([], 0)
        parts = [self._blanked(strip, scroll_x, start, base), kept,
                 self._blanked(strip, stop, limit, base)]
        if more:
            segments = list(kept)
            style = segments[-1].style if segments and segments[-1].style else base
            parts.append(Strip([Segment(glyphs().more, style)], 1))
        return Strip.join(parts)

    @staticmethod
    def _blanked(strip: Strip, left: int, right: int, base: Style) -> Strip:
        """Cells ``left`` to ``right`` of ``strip`` as spaces in their own
        styles: a left-out column keeps the row's background (the cursor's)."""
        if right <= left:
            return Strip([], 0)
        part = strip.crop_extend(left, right, base)
        return Strip([Segment(" " * cell_len(seg.text), seg.style) for seg in part
                      if not seg.control], right - left)


def whole_last(columns: Sequence[Column[R]], cap: int) -> list[Column[R]]:
    """``columns`` with only the last one ``last`` (never cut: the pane scrolls
    sideways); a free-text column that a choice of columns (core/columns.py)
    moved before others stops at ``cap`` cells, as the others do."""
    from dataclasses import replace

    out: list[Column[R]] = []
    for i, col in enumerate(columns):
        is_last = i == len(columns) - 1
        if col.last != is_last:
            col = replace(col, last=is_last,
                          max_width=col.max_width or (0 if is_last else cap))
        out.append(col)
    return out


def filter_terms(text: str) -> list[str]:
    """The filter's alternatives, lower-case: ``web|db`` matches rows that
    match ``web`` or ``db`` (k9s and lazydocker filters work the same way)."""
    return [t.strip().lower() for t in text.split("|") if t.strip()]


def joined(segments: Sequence[Segment]) -> str:
    """Plain text of rendered segments (tests read what the user sees)."""
    return "".join(s.text for s in segments)
