"""A TextArea for jail.conf(5): line numbers, jail.conf highlighting, inert controls.

Why not ``language="bash"``: Textual highlights through tree-sitter only
(``textual[syntax]``), which this install does not have (and pyproject does
not pull in), and even with it there is no jail.conf grammar; bash would
colour ``host.hostname`` as a command and miss ``name {`` headers
(docs/textual.md 2.8). We already have jail(8)'s own lexer
(:func:`jailtui.core.freebsd.jailconf.tokenize`, a port of jaillex.l that
never raises), so the highlights come from it: exactly the comments,
strings, ``$variables`` and names jail(8) would see, with or without
tree-sitter.

How: TextArea keeps ``_highlights`` (row -> ``(start_byte, end_byte,
name)``) and rebuilds it in ``_build_highlight_map`` after every edit
(textual/widgets/_text_area.py, 8.2.8); the names are looked up in the
TextArea theme's ``syntax_styles``. Overriding that one method is the only
hook Textual offers without tree-sitter. The names used below exist in
every built-in TextArea theme (css, monokai, dracula, vscode_dark,
github_light).

Controls: TextArea shows the document as is, and Rich strips only BEL, BS,
VT, FF and CR, so an ESC in the file would reach the terminal
(docs/security.md 4.2). Controls are zero-width cells, so dropping them
from the rendered line changes no column: the text (what is saved) keeps
them, the terminal never sees them.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import TextArea

from jailtui.core.freebsd import jailconf

#: Highlight name -> what it marks (names from Textual's TextArea themes).
COMMENT = "comment"
STRING = "string"
BLOCK_NAME = "tag"
PARAM = "css.property"
VARIABLE = "constant.builtin"
INCLUDE = "include"
NUMBER = "number"
BRACE = "punctuation.bracket"

#: (start byte, end byte or None for "to the end of the line", name).
Highlight = tuple[int, int | None, str]

_DQUOTED = re.compile(r'"(?:\\(?:.|\n)|[^"\\])*"?')
_SQUOTED = re.compile(r"'(?:\\(?:.|\n)|[^'\\])*'?")
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_STATEMENT_END = frozenset({";", "{", "}"})
_NAME_KINDS = frozenset({jailconf.STR, jailconf.VAR})
_PIECE_KINDS = frozenset({jailconf.STR1, jailconf.VAR1, jailconf.DQEND})


def _classify(text: str, tokens: list[jailconf.Token]) -> list[tuple[jailconf.Token, str]]:
    """The highlight name of every token worth colouring.

    The lexer knows kinds; the role of a word comes from where it stands:
    the first word of a statement is a block name when ``{`` follows, a
    parameter name otherwise; later words are values. A quoted string with
    a variable in it is several tokens (``"/jails/`` ``$name`` ``"``), so
    which tokens lie inside quotes is read from the text itself.
    """
    meaningful = [t for t in tokens if t.kind not in (jailconf.WS, jailconf.COMMENT)]
    string_end = -1

    def quoted(tok: jailconf.Token) -> bool:
        nonlocal string_end
        if tok.start >= string_end and tok.text[:1] in ("'", '"'):
            rx = _DQUOTED if tok.text[0] == '"' else _SQUOTED
            m = rx.match(text, tok.start)
            string_end = m.end() if m else tok.end
        return tok.start < string_end
    out: list[tuple[jailconf.Token, str]] = [(t, COMMENT) for t in tokens
                                             if t.kind == jailconf.COMMENT]
    at_start = True
    i = 0
    while i < len(meaningful):
        tok = meaningful[i]
        if tok.kind == jailconf.PUNCT:
            if tok.text in "{}":
                out.append((tok, BRACE))
            at_start = tok.text in _STATEMENT_END
            i += 1
            continue
        if at_start and tok.kind in _NAME_KINDS:
            # The name and the pieces glued to it ("$x"y, "web"1).
            j = i + 1
            while j < len(meaningful) and meaningful[j].kind in _PIECE_KINDS:
                j += 1
            follow = meaningful[j] if j < len(meaningful) else None
            if follow is not None and follow.kind == jailconf.PUNCT and follow.text == "{":
                role = BLOCK_NAME
            elif tok.text.startswith(".include"):
                role = INCLUDE
            else:
                role = PARAM
            for t in meaningful[i:j]:
                quoted(t)
                out.append((t, VARIABLE if t.kind in (jailconf.VAR, jailconf.VAR1) else role))
            at_start = False
            i = j
            continue
        at_start = False
        out.append((tok, _value_role(tok, quoted(tok))))
        i += 1
    return [(t, role) for t, role in out if role]


def _value_role(tok: jailconf.Token, in_quotes: bool) -> str:
    if tok.kind in (jailconf.VAR, jailconf.VAR1):
        return VARIABLE
    if in_quotes or tok.kind == jailconf.DQEND:
        return STRING
    if tok.kind == jailconf.ERROR:
        return COMMENT if tok.text.startswith("/*") else STRING
    if tok.kind in (jailconf.STR, jailconf.STR1) and tok.text.isdigit():
        return NUMBER
    return ""


def highlights(text: str) -> dict[int, list[Highlight]]:
    """Row -> highlights of ``text`` (rows 0-based, columns in UTF-8 bytes as
    TextArea wants them; a token over several lines is split per line)."""
    lines = text.split("\n")
    starts: list[int] = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    out: dict[int, list[Highlight]] = defaultdict(list)

    def byte_col(row: int, col: int) -> int:
        line = lines[row]
        return col if line.isascii() else len(line[:col].encode("utf-8", "surrogatepass"))

    for tok, role in _classify(text, jailconf.tokenize(text)):
        row = tok.line - 1
        col = tok.start - starts[row]
        for k, part in enumerate(tok.text.split("\n")):
            r = row + k
            if r >= len(lines):
                break
            c = col if k == 0 else 0
            if part:
                out[r].append((byte_col(r, c), byte_col(r, c + len(part)), role))
    return out


class JailConfArea(TextArea):
    """The code editor for a jail block or a whole jail.conf file."""

    def __init__(self, text: str = "", *, line_number_start: int = 1,
                 id: str | None = None) -> None:
        super().__init__(text, soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, line_number_start=line_number_start,
                         id=id)

    def _build_highlight_map(self) -> None:
        """jail.conf highlights from jail(8)'s lexer (see the module docstring)."""
        self._line_cache.clear()
        self._highlights.clear()
        self._highlights.update(highlights("\n".join(self.document.lines)))

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not any(_CONTROLS.search(seg.text) for seg in strip):
            return strip
        return Strip([Segment(_CONTROLS.sub("", seg.text), seg.style, seg.control)
                      for seg in strip], strip.cell_length)
