"""One jail.conf file as a lossless syntax tree, its parser and its edits.

The parser accepts exactly the language of ``usr.sbin/jail/jailparse.y``
(the newest grammar: nested blocks and ``.include``); :class:`ConfFile`
keeps every token so ``render()`` gives the input back byte for byte, and
edits splice text and re-parse (docs/freebsd.md 3.4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jailtui.core.freebsd.jailconf.dialect import modern
from jailtui.core.freebsd.jailconf.errors import CRLF_HINT, JailConfError
from jailtui.core.freebsd.jailconf.lex import (
    ERROR,
    PLEQ,
    PUNCT,
    STR,
    STR1,
    TRIVIA,
    VAR,
    VAR1,
    WS,
    Token,
    tokenize,
)
from jailtui.core.freebsd.jailconf.names import equalopts
from jailtui.core.freebsd.jailconf.quote import render_statement
from jailtui.core.model import ParamValue

__all__ = [
    "Block", "ConfFile", "ConfString", "Empty", "IncludeHook", "Item", "Param", "Piece",
    "parse", "parse_with_includes",
]

# --------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True, slots=True)
class Piece:
    """Part of a string value: literal text, or a variable reference."""

    text: str
    is_var: bool = False


@dataclass(frozen=True, slots=True)
class ConfString:
    """One value string, as adjacent pieces (jailparse.y ``string``)."""

    pieces: tuple[Piece, ...]

    @property
    def has_vars(self) -> bool:
        return any(p.is_var for p in self.pieces)

    @property
    def literal(self) -> str:
        """The text with variables left out (config.c ``s->s``)."""
        return "".join(p.text for p in self.pieces if not p.is_var)

    def __str__(self) -> str:
        return "".join("${" + p.text + "}" if p.is_var else p.text for p in self.pieces)


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter statement (``name;``, ``name = v, ...;``, ``name += v;``,
    ``name v;``), a variable definition (``$x = v;``) or ``.include "f";``."""

    name: str
    is_var: bool
    #: None for a bare name, "=", "+=", or "" for the ``name value`` form.
    op: str | None
    values: tuple[ConfString, ...]
    file: str
    line: int
    end_line: int
    #: Offsets in the file text: from the name to the ``;`` inclusive.
    start: int
    end: int

    @property
    def is_include(self) -> bool:
        """jailparse.y ``special_param``: exactly ``.include value...;``."""
        return self.op == "" and not self.is_var and self.name == ".include"


@dataclass(frozen=True, slots=True)
class Empty:
    """A stray ``;`` (allowed by the grammar anywhere a statement may be)."""

    start: int
    end: int
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """A jail block ``name { ... }``, possibly nested.

    ``name`` is the hierarchical name within its file (``parent.child``);
    ``text`` is the block's source, from its name to its ``}``.
    """

    name: str
    local_name: str
    file: str
    start_line: int
    end_line: int
    start: int
    end: int
    open_brace: int
    close_brace: int
    items: tuple[Item, ...]
    text: str
    depth: int = 0

    def params(self) -> list[Param]:
        return [i for i in self.items if isinstance(i, Param)]


Item = Param | Block | Empty


# --------------------------------------------------------------------------
# Parser (jailparse.y)

IncludeHook = Callable[[Param, str], None]


class _Parser:
    """Recursive descent accepting exactly jailparse.y's language.

    The grammar is LALR(1) with no ambiguity we care about, so a descent
    with one token of look-ahead reports a syntax error on the same token
    yacc would (the first that does not extend a viable prefix).  The
    look-ahead is fetched lazily, so lexer errors and included files are
    reported in the order jail(8) reports them.
    """

    def __init__(self, text: str, filename: str, include: IncludeHook | None,
                 freebsd: int | None = None) -> None:
        self.text = text
        self.filename = filename
        self.toks = tokenize(text, freebsd=freebsd)
        #: 14.0+ grammar: nested blocks and ``.include`` (dialect.py).
        self.modern = modern(freebsd)
        #: The tokens the grammar reads (trivia left out, ERROR kept), then
        #: None for the end: built once instead of a skip loop per look-ahead.
        self.sig: list[Token | None] = [t for t in self.toks if t.kind not in TRIVIA]
        #: Where the first lexer error stands: reading it raises, so a lexer
        #: error is reported only when the parser reaches it (jail(8)'s order).
        self.err = next((i for i, t in enumerate(self.sig)
                         if t is not None and t.kind == ERROR), len(self.sig) + 1)
        self.sig.append(None)
        self.pos = 0
        self.include = include

    # token stream -----------------------------------------------------
    def peek(self) -> Token | None:
        if self.pos == self.err:
            t = self.sig[self.pos]
            assert t is not None
            raise JailConfError(self.filename, t.end_line, t.value)
        return self.sig[self.pos]

    def take(self) -> Token:
        t = self.peek()
        assert t is not None
        self.pos += 1
        return t

    def error(self) -> JailConfError:
        t = self.peek()
        if t is None:
            return JailConfError(self.filename, None, "unexpected EOF")
        # A CR is a token of its own only for the 13.x scanner (dialect.py):
        # jail(8) prints it raw; the hint says what it is.
        hint = CRLF_HINT if t.text == "\r" else None
        return JailConfError(self.filename, t.end_line, f"{t.text}: syntax error", hint=hint)

    @staticmethod
    def _is(t: Token | None, kind: str, text: str | None = None) -> bool:
        return t is not None and t.kind == kind and (text is None or t.text == text)

    # grammar ------------------------------------------------------------
    def parse_file(self) -> tuple[Item, ...]:
        items = self.conf(None, 0)
        return tuple(items)

    def conf(self, parent: str | None, depth: int) -> list[Item]:
        items: list[Item] = []
        while True:
            t = self.peek()
            if t is None:
                if parent is not None:
                    raise self.error()
                return items
            kind = t.kind
            if kind == STR:
                self.take()
                # Up to 13.x a block holds parameters only (jailparse.y
                # 0e5ec9dc ``param_l``): a nested "name {" fails at the "{".
                if self._is(self.peek(), PUNCT, "{") and (parent is None or self.modern):
                    items.append(self.block(t, parent, depth))
                else:
                    items.append(self.param(t, is_var=False))
            elif kind == PUNCT and t.text == ";":
                self.take()
                items.append(Empty(t.start, t.end, t.line))
            elif kind == PUNCT and t.text == "}":
                if parent is None:
                    raise self.error()
                return items
            elif kind == VAR:
                self.take()
                items.append(self.param(t, is_var=True))
            else:
                raise self.error()

    def block(self, name_tok: Token, parent: str | None, depth: int) -> Block:
        brace = self.take()
        local = name_tok.value
        full = local if parent is None else f"{parent}.{local}"
        items = self.conf(full, depth + 1)
        close = self.take()          # conf() returns only on "}"
        return Block(full, local, self.filename, name_tok.line, close.end_line,
                     name_tok.start, close.end, brace.start, close.start,
                     tuple(items), self.text[name_tok.start:close.end], depth)

    def string(self) -> ConfString:
        t = self.peek()
        if t is None or t.kind not in (STR, VAR):
            raise self.error()
        pieces = [Piece(self.take().value, t.kind == VAR)]
        while (t := self.peek()) is not None and t.kind in (STR1, VAR1):
            pieces.append(Piece(self.take().value, t.kind == VAR1))
        return ConfString(tuple(pieces))

    def value(self) -> list[ConfString]:
        values = [self.string()]
        while self._is(self.peek(), PUNCT, ","):
            self.take()
            values.append(self.string())
        return values

    def param(self, name_tok: Token, *, is_var: bool) -> Param:
        t = self.peek()
        op: str | None
        values: list[ConfString] = []
        if self._is(t, PUNCT, ";"):
            op = None
        elif self._is(t, PUNCT, "="):
            self.take()
            op = "="
            values = self.value()
        elif t is not None and t.kind == PLEQ:
            self.take()
            op = "+="
            values = self.value()
        elif t is not None and t.kind in (STR, VAR):
            op = ""
            values = self.value()
        else:
            raise self.error()
        if not self._is(self.peek(), PUNCT, ";"):
            raise self.error()
        semi = self.take()
        p = Param(name_tok.value, is_var, op, tuple(values), self.filename,
                  name_tok.line, semi.end_line, name_tok.start, semi.end)
        if p.is_include and self.modern:
            # jailparse.y special_param(): runs when "conf param ';'" is
            # reduced, i.e. before the next token is read.  Up to 13.x it
            # is an ordinary parameter.
            for v in p.values:
                if v.has_vars:
                    raise JailConfError(self.filename, semi.end_line,
                                        "variables not permitted in '.include' filename")
                if self.include is not None:
                    self.include(p, v.literal)
        return p


def parse_with_includes(text: str, filename: str, include: IncludeHook | None, *,
                        freebsd: int | None = None) -> ConfFile:
    """:func:`parse`, calling ``include(param, name)`` for each ``.include``
    name as jailparse.y's ``special_param`` does (while parsing, so included
    files are read, and their errors reported, in jail(8)'s order)."""
    parser = _Parser(text, filename, include, freebsd)
    items = parser.parse_file()
    return ConfFile(filename, text, tuple(parser.toks), items, freebsd=freebsd)


def parse(text: str, filename: str = "/etc/jail.conf", *,
          freebsd: int | None = None) -> ConfFile:
    """Parse one jail.conf file (``.include`` is checked, not followed).

    ``freebsd``: the host's major release, for the scanner and grammar of
    13.x and older (dialect.py); None is the newest.  Raises
    :class:`JailConfError` with jail(8)'s message for the first error.
    ``parse(text).render() == text`` for every text that parses.
    """
    return parse_with_includes(text, filename, None, freebsd=freebsd)


# --------------------------------------------------------------------------
# One file: the concrete syntax tree and edits


_HSPACE = " \t"


class ConfFile:
    """One parsed jail.conf file: tokens (lossless) and statements.

    Edits replace text spans and re-parse, so the object always holds a
    valid tree and everything outside the edited span is kept byte for
    byte.  ``render()`` is the current text.
    """

    def __init__(self, filename: str, text: str, tokens: tuple[Token, ...],
                 items: tuple[Item, ...], *, freebsd: int | None = None) -> None:
        self.filename = filename
        #: The release whose jail(8) reads this file (edits re-parse with it).
        self.freebsd = freebsd
        self._text = text
        self.tokens = tokens
        self.items = items

    def __repr__(self) -> str:
        return f"ConfFile({self.filename!r}, {len(self._text)} chars)"

    # reading ----------------------------------------------------------
    def render(self) -> str:
        """The file text: every token's text, concatenated."""
        return "".join(t.text for t in self.tokens)

    def blocks(self) -> list[Block]:
        """Every block, nested ones included, in file order."""
        out: list[Block] = []

        def walk(items: Sequence[Item]) -> None:
            for it in items:
                if isinstance(it, Block):
                    out.append(it)
                    walk(it.items)
        walk(self.items)
        return out

    def block(self, jail: str) -> Block | None:
        """The first block named ``jail`` (hierarchical name in this file)."""
        for b in self.blocks():
            if b.name == jail:
                return b
        return None

    def globals(self) -> list[Param]:
        """Top-level parameter statements (``.include`` lines included)."""
        return [i for i in self.items if isinstance(i, Param)]

    def includes(self) -> list[Param]:
        """Every ``.include`` statement, at any depth, in file order."""
        out: list[Param] = []

        def walk(items: Sequence[Item]) -> None:
            for it in items:
                if isinstance(it, Param) and it.is_include:
                    out.append(it)
                elif isinstance(it, Block):
                    walk(it.items)
        walk(self.items)
        return out

    def block_text(self, jail: str) -> str:
        return self._need_block(jail).text

    # editing ----------------------------------------------------------
    def _need_block(self, jail: str) -> Block:
        b = self.block(jail)
        if b is None:
            raise KeyError(jail)
        return b

    def _reset(self, other: ConfFile) -> None:
        self._text = other._text
        self.tokens = other.tokens
        self.items = other.items

    def _apply(self, edits: list[tuple[int, int, str]]) -> None:
        """Replace spans (start, end, new) and re-parse; all-or-nothing."""
        text = self._text
        for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
            text = text[:start] + new + text[end:]
        self._reset(parse(text, self.filename, freebsd=self.freebsd))

    def _line_bounds(self, start: int, end: int) -> tuple[int, int]:
        """The span to delete for a statement: its whole line when it is
        alone on it, otherwise the statement and the blanks after it."""
        t = self._text
        ls = t.rfind("\n", 0, start) + 1
        le = t.find("\n", end)
        le = len(t) if le < 0 else le
        if t[ls:start].strip(_HSPACE) == "" and t[end:le].strip(_HSPACE + "\r") == "":
            return ls, min(le + 1, len(t))
        e = end
        while e < len(t) and t[e] in _HSPACE:
            e += 1
        return start, e

    def _indent_unit(self) -> str:
        for tok in self.tokens:
            if tok.kind == WS and "\n\t" in tok.text:
                return "\t"
        return "    "

    def _insertion(self, blk: Block, stmt: str) -> tuple[int, int, str]:
        t = self._text
        close = blk.close_brace
        ls = t.rfind("\n", 0, close) + 1
        before_close = t[ls:close]
        params = [i for i in blk.items if not isinstance(i, Empty)]
        if t.rfind("\n", blk.open_brace, close) < 0:
            # One-line block: "web {}" / "web { persist; }".
            inner = t[blk.open_brace + 1:close]
            lead = "" if inner[-1:] in (" ", "\t") else " "
            return close, close, f"{lead}{stmt} "
        # Indentation: that of the last statement starting a line, else the
        # closing brace's plus one unit.
        indent: str | None = None
        for it in reversed(params):
            s_ls = t.rfind("\n", 0, it.start) + 1
            if t[s_ls:it.start].strip(_HSPACE) == "":
                indent = t[s_ls:it.start]
                break
        if before_close.strip(_HSPACE) == "":
            if indent is None:
                indent = before_close + self._indent_unit()
            return ls, ls, f"{indent}{stmt}\n"
        # "    last; }" on one line: put the statement before the brace.
        lead = "" if before_close[-1:] in (" ", "\t") else " "
        return close, close, f"{lead}{stmt} "

    def set_param(self, jail: str, name: str, value: ParamValue | None) -> None:
        """Set (or with ``None`` delete) ``name`` in ``jail``'s own block.

        The first statement for the parameter (``persist`` and
        ``nopersist`` are the same one, config.c ``equalopts``) is rewritten
        in place, keeping what surrounds it; any further statements for it
        in the block are removed so the block states one value.  A new
        statement goes at the end of the block, indented like its
        neighbours.  Values are written literally (no variable expansion).
        Globals and wildcard blocks are not touched: a later global can
        still override the block (jail.conf merge order).
        """
        blk = self._need_block(jail)
        matches = [p for p in blk.params()
                   if not p.is_var and not p.is_include and equalopts(p.name, name)]
        edits: list[tuple[int, int, str]] = []
        if value is None:
            for p in matches:
                s, e = self._line_bounds(p.start, p.end)
                edits.append((s, e, ""))
        else:
            stmt = render_statement(name, value)
            if matches:
                edits.append((matches[0].start, matches[0].end, stmt))
                for p in matches[1:]:
                    s, e = self._line_bounds(p.start, p.end)
                    edits.append((s, e, ""))
            else:
                edits.append(self._insertion(blk, stmt))
        if edits:
            self._apply(edits)

    def replace_block(self, jail: str, new_text: str) -> None:
        """Replace ``jail``'s whole block (name to ``}``) with ``new_text``.

        ``new_text`` must itself be exactly one block (comments and blanks
        around it allowed), and the whole file must still parse; otherwise
        :class:`JailConfError` is raised and the file is unchanged.
        """
        blk = self._need_block(jail)
        full = self._text[:blk.start] + new_text + self._text[blk.end:]
        result = parse(full, self.filename, freebsd=self.freebsd)
        alone = parse(new_text, self.filename, freebsd=self.freebsd)
        meaningful = [i for i in alone.items if not isinstance(i, Empty)]
        if len(meaningful) != 1 or not isinstance(meaningful[0], Block):
            raise JailConfError(self.filename, None,
                                "replacement text must be exactly one jail block")
        self._reset(result)
