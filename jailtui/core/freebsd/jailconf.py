"""jail.conf(5): a faithful lexer and parser, the effective view, and safe edits.

Why a hand-made parser rather than a "close enough" one: the console shows
the parameters a jail *will* get and edits the file that root's jail(8)
reads.  A parser that disagrees with jail(8) on a corner (a ``//`` inside an
unquoted path, a global written after a block, a ``$`` in double quotes)
shows the wrong thing or writes a file that means something else.  So the
lexer mirrors ``usr.sbin/jail/jaillex.l`` rule by rule (longest match, rule
order on ties, the ``DQ`` start condition for variables inside double
quotes, ``text2lval`` escapes), the parser accepts exactly the language of
``jailparse.y`` (newest, with nested blocks and ``.include``), and the merge
and variable expansion follow ``config.c`` (``load_config``, ``add_param``,
``equalopts``, ``wild_jail_match``).  Reference: docs/freebsd.md
sections 3.4, 3.6 and 4.

Three layers:

* :func:`parse` -> :class:`ConfFile`: one file, a lossless concrete syntax
  tree (every byte, comment and blank is a token, so ``render()`` gives the
  input back exactly); includes are not followed.
* :func:`load` -> :class:`Config`: follows ``.include`` like jail(8) and
  computes the effective parameters of each jail.
* Editing on :class:`ConfFile` (``set_param``, ``replace_block``): splices
  text, so everything not edited (comments, blank lines, odd spacing) is
  kept byte for byte, and re-parses to prove the result is still valid.
"""

from __future__ import annotations

import glob as _globmod
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from jailtui.core.errors import JailtuiError
from jailtui.core.model import ParamValue

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "Block",
    "Config",
    "ConfFile",
    "ConfString",
    "Empty",
    "JailConfError",
    "Param",
    "Piece",
    "Token",
    "equalopts",
    "format_jail_e",
    "load",
    "load_string",
    "parse",
    "quote_value",
    "quoted_print",
    "render_statement",
    "to_effective_json",
    "tokenize",
    "wild_jail_match",
    "wild_jail_name",
]

#: config.c ``MAX_INCLUDE_DEPTH``.
MAX_INCLUDE_DEPTH = 32

ReadFn = Callable[[str], str]
GlobFn = Callable[[str], list[str]]
JsonValue = str | bool | list[str]


# --------------------------------------------------------------------------
# Errors


class JailConfError(JailtuiError):
    """A jail.conf problem, worded exactly as jail(8) words it.

    ``str(e)`` is jail(8)'s stderr line without the ``jail: `` prefix (the
    command line adds it): ``/etc/jail.conf line 12: }: syntax error``,
    ``/etc/jail.conf: unexpected EOF``, ``web: path: variable "foo" not
    found`` (per-jail errors name the jail, not the file, as
    ``jail_warnx`` does), ``maximum include depth exceeded`` (``errx``,
    no location at all).
    """

    def __init__(self, file: str, line: int | None, message: str, *,
                 jail: str | None = None, bare: bool = False) -> None:
        self.file = file
        self.line = line
        self.message = message
        #: The jail (block name) for per-jail errors found while merging.
        self.jail = jail
        if jail is not None:
            text = f"{jail}: {message}"
        elif bare:
            text = message
        elif line is not None:
            text = f"{file} line {line}: {message}"
        else:
            text = f"{file}: {message}"
        super().__init__(text)


# --------------------------------------------------------------------------
# Lexer (jaillex.l)

# Token kinds.  Trivia kinds carry no meaning for the grammar but are kept so
# that the concatenation of all token texts is the input.
WS = "ws"
COMMENT = "comment"
DQEND = "dqend"          # the closing quote after a variable in "..$x.."
PUNCT = "punct"          # , ; = { }
PLEQ = "pleq"            # +=
STR = "STR"
STR1 = "STR1"            # a piece joined to the previous one (no blank between)
VAR = "VAR"
VAR1 = "VAR1"
STRAY = "stray"          # any other character: passed to the parser as itself
ERROR = "error"          # a lexer complaint (unterminated ...); value = message

_TRIVIA = frozenset({WS, COMMENT, DQEND})


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: ``text`` is the exact source slice."""

    kind: str
    text: str
    start: int
    end: int
    #: Line of the first character (1-based).
    line: int
    #: Line after the lexeme was matched: flex's ``yylineno`` at that point,
    #: which is what jail(8) prints in its messages.
    end_line: int
    #: Decoded string (STR/STR1), variable name (VAR/VAR1) or error message.
    value: str = ""


# The rules of jaillex.l.  Each entry: (priority = position in the .l file,
# compiled pattern, action).  flex picks the longest match; on equal length
# the earlier rule wins.  Escape alternatives are listed first so Python's
# backtracking finds the longest match, as flex does.
_WORD = r"[A-Za-z0-9_!%&()\-.:<>?@\[\]^`|~]+"
_ESC = r"\\(?:x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.|\n)"
_SINGLE = r"[$*+/\\]"

_N = "_"     # the normal start condition
_D = "DQ"    # inside "...", after a variable

_RULES_SRC: list[tuple[int, tuple[str, ...], str, str]] = [
    # (priority, states, pattern, action)
    (0, (_N,), r"[ \t\r\n]+", "ws"),
    (1, (_N,), r"#.*", "comment"),
    (2, (_N,), r"//.*", "comment"),
    (3, (_N,), r"/\*(?:[^*]|\*+[^*/])*\*+/", "comment"),
    (4, (_N,), r"\+=", "pleq"),
    (5, (_N,), r"[,;={}]", "punct"),
    (6, (_N, _D), _WORD, "atom"),
    (6, (_N, _D), _ESC, "atom"),
    (6, (_N, _D), _SINGLE, "atom"),
    (7, (_N,), r"'(?:\\(?:.|\n)|[^'\\])*'", "squote"),
    (8, (_N,), r'"(?:\\(?:.|\n)|[^"\\])*"', "dquote"),
    (8, (_D,), r'[^"$\\](?:\\(?:.|\n)|[^"\\])*"', "dquote"),
    (9, (_D,), r'"', "dqend"),
    (10, (_N, _D), r"\$[A-Za-z_][A-Za-z_0-9]*", "var"),
    (11, (_N,), r"\$\{(?:\\(?:.|\n)|[^\n{}])*\}", "bvar"),
    (11, (_D,), r'\$\{(?:\\(?:.|\n)|[^\n"{}])*\}', "bvar"),
    (12, (_N,), r"/\*(?:[^*]|\*+[^*/])*\**", "err:unterminated comment"),
    (13, (_N,), r"'(?:\\.|[^\n'\\])*", "err:unterminated string"),
    (13, (_N,), r'"(?:\\.|[^\n"\\])*', "err:unterminated string"),
    (14, (_N,), r"\$\{(?:\\.|[^\n{}])*", "err:unterminated variable"),
    (14, (_D,), r'\$\{(?:\\.|[^\n"{}])*', "err:unterminated variable"),
    (15, (_N,), r".", "stray"),
    # ".|\n" has no start condition, so (inclusive %start) it is active
    # everywhere; in DQ it is the way back to the normal state.
    (16, (_N, _D), r"(?:.|\n)", "reset"),
]

_RULES: dict[str, list[tuple[int, re.Pattern[str], str]]] = {_N: [], _D: []}
for _prio, _states, _pat, _act in _RULES_SRC:
    for _st in _states:
        _RULES[_st].append((_prio, re.compile(_pat), _act))


def _nul(s: str) -> str:
    """C strings end at NUL: jailparse.y takes ``strlen`` of each piece."""
    cut = s.find("\0")
    return s if cut < 0 else s[:cut]


_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _hexval(c: str) -> int | None:
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "f":
        return ord(c) - 87
    if "A" <= c <= "F":
        return ord(c) - 55
    return None


def _text2lval(raw: str, triml: int, trimr: int, tovar: bool) -> tuple[str, int]:
    """jaillex.l ``text2lval``: decode escapes; optionally stop at a ``$``.

    Returns (value, atvar) where atvar is the index of the unescaped ``$``
    that stopped the copy, or -1.  Octal and hex escapes give one byte
    (``chr(v & 0xff)``); a NUL ends the piece (C string).
    """
    out: list[str] = []
    i = triml
    se = len(raw) - trimr
    while i < se:
        c = raw[i]
        if c != "\\":
            if tovar and c == "$":
                return _nul("".join(out)), i
            out.append(c)
            i += 1
            continue
        i += 1
        c = raw[i] if i < len(raw) else "\0"
        if "0" <= c <= "7":
            v = ord(c) - 48
            if i + 1 < se and "0" <= raw[i + 1] <= "7":
                i += 1
                v = 8 * v + ord(raw[i]) - 48
                if i + 1 < se and "0" <= raw[i + 1] <= "7":
                    i += 1
                    v = 8 * v + ord(raw[i]) - 48
            out.append(chr(v & 0xFF))
        elif c == "\n":
            pass                        # backslash-newline: continuation
        elif c in _SIMPLE_ESC:
            out.append(_SIMPLE_ESC[c])
        elif c == "x":
            v = 0
            if i + 1 < se and (h := _hexval(raw[i + 1])) is not None:
                i += 1
                v = h
                if i + 1 < se and (h2 := _hexval(raw[i + 1])) is not None:
                    i += 1
                    v = 16 * v + h2
            out.append(chr(v))
        else:
            out.append(c)               # any other \c is c
        i += 1
    return _nul("".join(out)), -1


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens exactly as jaillex.l would.

    Lexer errors become ``ERROR`` tokens (covering the bad text) instead of
    exceptions, because jail(8) reports them only when the parser reaches
    them, after any errors found earlier (and after earlier includes).
    """
    toks: list[Token] = []
    pos = 0
    n = len(text)
    state = _N
    instr = False           # jaillex.l "instr": inside a string of pieces
    line = 1
    while pos < n:
        best_len = -1
        best_act = ""
        for _prio, rx, act in _RULES[state]:
            m = rx.match(text, pos)
            if m is not None and m.end() - pos > best_len:
                best_len = m.end() - pos
                best_act = act
        if best_act == "reset":
            if state == _D:
                state = _N
                continue
            # Cannot happen in the normal state (<_>. wins ties), but stay safe.
        lexeme = text[pos:pos + best_len]
        kind: str
        value = ""
        if best_act in ("ws", "comment"):
            kind = WS if best_act == "ws" else COMMENT
            instr = False
        elif best_act == "pleq":
            kind, instr = PLEQ, False
        elif best_act == "punct":
            kind, instr = PUNCT, False
        elif best_act == "atom":
            value, _ = _text2lval(lexeme, 0, 0, False)
            kind = STR1 if instr else STR
            instr = True
        elif best_act == "squote":
            value, _ = _text2lval(lexeme, 1, 1, False)
            kind = STR1 if instr else STR
            instr = True
        elif best_act == "dquote":
            skip = 1 if lexeme[0] == '"' else 0
            value, atvar = _text2lval(lexeme, skip, 1, True)
            if atvar < 0:
                state = _N
            else:
                # A variable inside the string: yyless() back to the "$" and
                # read the rest in the DQ start condition.
                state = _D
                lexeme = lexeme[:atvar]
            kind = STR1 if instr else STR
            instr = True
        elif best_act == "dqend":
            kind = DQEND
            state = _N
        elif best_act == "var":
            value, _ = _text2lval(lexeme, 1, 0, False)
            kind = VAR1 if instr else VAR
            instr = True
        elif best_act == "bvar":
            value, _ = _text2lval(lexeme, 2, 1, False)
            kind = VAR1 if instr else VAR
            instr = True
        elif best_act.startswith("err:"):
            kind = ERROR
            value = best_act[4:]
        else:  # stray (or an impossible reset in the normal state)
            kind = STRAY
            lexeme = text[pos]
        nl = lexeme.count("\n")
        toks.append(Token(kind, lexeme, pos, pos + len(lexeme), line, line + nl, value))
        line += nl
        pos += len(lexeme)
    return toks


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

    def __init__(self, text: str, filename: str, include: IncludeHook | None) -> None:
        self.text = text
        self.filename = filename
        self.toks = tokenize(text)
        self.pos = 0
        self.la: int | None = None
        self.include = include

    # token stream -----------------------------------------------------
    def peek(self) -> Token | None:
        if self.la is None:
            j = self.pos
            while j < len(self.toks):
                t = self.toks[j]
                if t.kind == ERROR:
                    raise JailConfError(self.filename, t.end_line, t.value)
                if t.kind not in _TRIVIA:
                    break
                j += 1
            self.la = j
        return self.toks[self.la] if self.la < len(self.toks) else None

    def take(self) -> Token:
        t = self.peek()
        assert t is not None and self.la is not None
        self.pos = self.la + 1
        self.la = None
        return t

    def error(self) -> JailConfError:
        t = self.peek()
        if t is None:
            return JailConfError(self.filename, None, "unexpected EOF")
        return JailConfError(self.filename, t.end_line, f"{t.text}: syntax error")

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
            if self._is(t, PUNCT, ";"):
                self.take()
                items.append(Empty(t.start, t.end, t.line))
            elif self._is(t, PUNCT, "}"):
                if parent is None:
                    raise self.error()
                return items
            elif t.kind == STR:
                self.take()
                if self._is(self.peek(), PUNCT, "{"):
                    items.append(self.block(t, parent, depth))
                else:
                    items.append(self.param(t, is_var=False))
            elif t.kind == VAR:
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
        if p.is_include:
            # jailparse.y special_param(): runs when "conf param ';'" is
            # reduced, i.e. before the next token is read.
            for v in p.values:
                if v.has_vars:
                    raise JailConfError(self.filename, semi.end_line,
                                        "variables not permitted in '.include' filename")
                if self.include is not None:
                    self.include(p, v.literal)
        return p


def _parse(text: str, filename: str, include: IncludeHook | None) -> ConfFile:
    parser = _Parser(text, filename, include)
    items = parser.parse_file()
    return ConfFile(filename, text, tuple(parser.toks), items)


def parse(text: str, filename: str = "/etc/jail.conf") -> ConfFile:
    """Parse one jail.conf file (``.include`` is checked, not followed).

    Raises :class:`JailConfError` with jail(8)'s message for the first
    error.  ``parse(text).render() == text`` for every text that parses.
    """
    return _parse(text, filename, None)


# --------------------------------------------------------------------------
# Quoting and rendering values

_BARE_RE = re.compile(r"[A-Za-z0-9_!%&()\-.:<>?@\[\]^`|~/]+")
_DQ_ESC = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\a": "\\a", "\b": "\\b", "\f": "\\f",
           "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote_value(s: str) -> str:
    """Write ``s`` as one jail.conf string token that reads back as ``s``.

    Bare when it is made of word characters (and ``/`` not forming a
    comment opener); otherwise double-quoted with ``\\``, ``"`` and ``$``
    escaped (``$`` would start a variable) and control characters as C
    escapes, so the value is literal: no variable is expanded.
    """
    if "\0" in s:
        raise ValueError("jail.conf values cannot hold a NUL character")
    if s and _BARE_RE.fullmatch(s) and "//" not in s and "/*" not in s:
        return s
    out = ['"']
    for ch in s:
        if ch in _DQ_ESC:
            out.append(_DQ_ESC[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _no_name(name: str) -> str:
    """The ``no`` form of a boolean: ``persist`` -> ``nopersist``,
    ``allow.mount`` -> ``allow.nomount`` (jail.conf(5): the prefix goes on
    the last component)."""
    head, dot, last = name.rpartition(".")
    return f"{head}{dot}no{last}"


def render_statement(name: str, value: ParamValue) -> str:
    """The text of one statement setting ``name`` to ``value``."""
    n = quote_value(name)
    if value is True:
        return f"{n};"
    if value is False:
        return f"{quote_value(_no_name(name))};"
    if isinstance(value, int):
        return f"{n} = {value};"
    if isinstance(value, str):
        return f"{n} = {quote_value(value)};"
    if not value:
        raise ValueError(f"{name}: an empty list cannot be written (use None to delete)")
    return f"{n} = {', '.join(quote_value(v) for v in value)};"


def quoted_print(s: str) -> str:
    """jail.c ``quoted_print``: how ``jail -e`` and ``-v`` print a value."""
    qc = ('"' if not s else '"' if "'" in s else "'" if '"' in s
          else '"' if (" " in s or "\t" in s) else "")
    out = [qc]
    for c in s:
        if c == "\\" or (qc and c == qc):
            out.append("\\")
        out.append(c)
    out.append(qc)
    return "".join(out)


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
                 items: tuple[Item, ...]) -> None:
        self.filename = filename
        self._text = text
        self.tokens = tokens
        self.items = items

    def __repr__(self) -> str:
        return f"ConfFile({self.filename!r}, {len(self._text)} chars)"

    # reading ----------------------------------------------------------
    def render(self) -> str:
        """The file text: every token's text, concatenated."""
        return "".join(t.text for t in self.tokens)

    def to_bytes(self) -> bytes:
        """The text as bytes to write back (undecodable input bytes kept)."""
        return self.render().encode("utf-8", "surrogateescape")

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
        self._reset(parse(text, self.filename))

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
        result = parse(full, self.filename)
        alone = parse(new_text, self.filename)
        meaningful = [i for i in alone.items if not isinstance(i, Empty)]
        if len(meaningful) != 1 or not isinstance(meaningful[0], Block):
            raise JailConfError(self.filename, None,
                                "replacement text must be exactly one jail block")
        self._reset(result)


# --------------------------------------------------------------------------
# Names: equalopts, wildcards (config.c)


def equalopts(opt1: str, opt2: str) -> bool:
    """config.c ``equalopts``: same option, with or without the ``no``
    prefix on the last component (``persist``/``nopersist``,
    ``allow.mount``/``allow.nomount``)."""
    if opt1 == opt2:
        return True
    if opt1.startswith("no") and opt1[2:] == opt2:
        return True
    if opt2.startswith("no") and opt1 == opt2[2:]:
        return True
    while True:
        dot = opt1.find(".")
        if dot < 0:
            return False
        prefix = opt1[:dot + 1]
        if not opt2.startswith(prefix):
            return False
        opt1 = opt1[dot + 1:]
        opt2 = opt2[dot + 1:]
        if opt1.startswith("no") and opt1[2:] == opt2:
            return True
        if opt2.startswith("no") and opt1 == opt2[2:]:
            return True


def wild_jail_name(name: str) -> bool:
    """config.c ``wild_jail_name``: a ``*`` that is a whole name component."""
    comps = name.split(".")
    return any(c == "*" for c in comps)


def wild_jail_match(jname: str, wname: str) -> bool:
    """config.c ``wild_jail_match``: a non-final ``*`` matches one
    component, a final ``*`` matches one or more."""
    jc, wc = jname, wname
    while True:
        jd = jc.find(".")
        if jd < 0:
            break
        wd = wc.find(".")
        if wd < 0:
            break
        if jc[:jd + 1] != wc[:jd + 1] and not wc.startswith("*."):
            return False
        jc = jc[jd + 1:]
        wc = wc[wd + 1:]
    return jc == wc or wc == "*"


def _jid_name(name: str) -> bool:
    """config.c: ``strtol(j->name, &ep, 10) && !*ep`` -- the block name is a
    jid (non-zero, whole string; strtol's leading blanks and sign)."""
    m = re.fullmatch(r"[ \t\n\v\f\r]*[+-]?([0-9]+)", name)
    return m is not None and int(m.group(1)) != 0


# --------------------------------------------------------------------------
# The whole configuration (load_config)

#: config.c ``intparams`` names (those without PF_CONV): a variable may not
#: share a name with one of them.
_INTPARAM_NAMES = (
    "allow.dying", "command", "depend", "exec.clean", "exec.consolelog", "exec.fib",
    "exec.jail_user", "exec.poststart", "exec.poststop", "exec.prepare",
    "exec.prestart", "exec.prestop", "exec.release", "exec.created", "exec.start",
    "exec.stop", "exec.system_jail_user", "exec.system_user", "exec.timeout",
    "interface", "ip_hostname", "mount", "mount.devfs", "mount.fdescfs",
    "mount.procfs", "mount.fstab", "stop.timeout", "vnet.interface", "zfs.dataset",
    "allow.chflags", "allow.mount", "allow.raw_sockets", "allow.set_hostname",
    "allow.socket_af", "allow.sysvipc", "devfs_ruleset", "host.hostname",
    "ip4.addr", "ip6.addr", "jid", "name", "path", "persist", "securelevel", "vnet",
)
_IMMUTABLE = ("jid", "name")


@dataclass(slots=True)
class _CJail:
    """config.c ``struct cfjail`` as the parser builds it."""

    name: str
    seq: int
    block: Block | None
    file: str
    is_global: bool = False
    params: list[Param] = field(default_factory=list)


@dataclass(slots=True)
class _S:
    """A value string during expansion: literal text + pending variables."""

    s: str
    vars: list[tuple[str, int]]


@dataclass(slots=True)
class _MP:
    """A merged parameter (config.c ``struct cfparam`` after add_param)."""

    name: str
    values: list[_S]
    is_var: bool = False
    immutable: bool = False
    listy: bool = False
    gen: int = 0
    bad: bool = False


def _to_s(cs: ConfString) -> _S:
    text: list[str] = []
    pos = 0
    vars_: list[tuple[str, int]] = []
    for p in cs.pieces:
        if p.is_var:
            vars_.append((p.text, pos))
        else:
            text.append(p.text)
            pos += len(p.text)
    return _S("".join(text), vars_)


def _bool_key(name: str) -> tuple[str, bool]:
    """A value-less parameter: its name without ``no`` and its truth."""
    head, dot, last = name.rpartition(".")
    if last.startswith("no") and len(last) > 2:
        return f"{head}{dot}{last[2:]}", False
    return name, True


class Config:
    """Every jail jail(8) would see from one config file and its includes.

    A snapshot: edit a :class:`ConfFile`, save it, and load again.
    """

    def __init__(self, path: str, files: list[ConfFile], jails: list[_CJail]) -> None:
        self.path = path
        #: Files in the order jail(8) reads them (each once).
        self.files = files
        self._jails = jails
        self._wild = [j for j in jails if wild_jail_name(j.name)]
        self._real: dict[str, _CJail] = {}
        for j in jails:
            if not wild_jail_name(j.name):
                self._real.setdefault(j.name, j)

    def jail_names(self) -> list[str]:
        """Non-wildcard jails (block names), in file order, each once."""
        return list(self._real)

    def wildcard_names(self) -> list[str]:
        """Wildcard blocks (``*``, ``foo.*``), globals excluded."""
        return [j.name for j in self._wild if not j.is_global]

    def block_of(self, name: str) -> Block | None:
        """The block that defines jail ``name`` (first, if defined twice)."""
        j = self._real.get(name)
        return j.block if j is not None else None

    def file_of(self, name: str) -> str | None:
        j = self._real.get(name)
        return j.file if j is not None else None

    def file(self, path: str) -> ConfFile | None:
        for f in self.files:
            if f.filename == path:
                return f
        return None

    def _merged(self, j: _CJail, errors: list[str] | None) -> list[_MP]:
        fail = _Failer(j, errors)
        merged: list[_MP] = []

        def find(name: str) -> _MP | None:
            for mp in merged:
                if equalopts(mp.name, name):
                    return mp
            return None

        def add(p: Param) -> None:
            dp = find(p.name)
            vals = [_to_s(v) for v in p.values]
            if dp is not None:
                if dp.is_var != p.is_var:
                    fail(f'variable "${p.name}" cannot have the same name as a parameter.')
                    return
                if dp.immutable:
                    fail(f'cannot redefine parameter "{dp.name}".')
                    return
                dp.name = p.name
                if p.op != "+=" or not vals:
                    dp.values = []
                    dp.listy = False
                dp.values.extend(vals)
                dp.listy = dp.listy or p.op == "+="
                return
            immutable = False
            for ip in _INTPARAM_NAMES:
                if equalopts(p.name, ip):
                    if p.is_var:
                        fail(f'variable "${p.name}" cannot have the same name as a parameter.')
                        return
                    immutable = ip in _IMMUTABLE
                    break
            merged.append(_MP(p.name, vals, p.is_var, immutable, p.op == "+="))

        # The block name implies "jid" (all digits) or "name".
        implied = "jid" if _jid_name(j.name) else "name"
        merged.append(_MP(implied, [_S(j.name, [])], immutable=True))
        # Own block, globals and matching wildcards, in file (seq) order.
        sources = sorted([j] + [w for w in self._wild if wild_jail_match(j.name, w.name)],
                         key=lambda x: x.seq)
        for src in sources:
            for p in src.params:
                add(p)
        # "We only backfill if it's the name that wasn't set" (config.c).
        if not any(not m.is_var and equalopts(m.name, "name") for m in merged):
            merged.append(_MP("name", [_S(j.name, [])], immutable=True))
        _expand(merged, fail)
        return [m for m in merged if not m.is_var]

    def _cjail(self, name: str) -> _CJail:
        j = self._real.get(name)
        if j is None:
            raise KeyError(name)
        return j

    def effective(self, name: str, *, errors: list[str] | None = None) -> dict[str, ParamValue]:
        """The parameters jail(8) would use for jail ``name`` (block name).

        Globals, matching wildcard blocks and the jail's own block merged in
        file order, variables expanded for this jail.  Values: a bare
        boolean is True; the ``no`` form is False under the plain name
        (``"allow.mount": False``); one value is a str; several values, or
        any ``+=``, a tuple.  ``name`` is always present (``jid`` too for a
        numeric block).  Per-jail errors (undefined variable, loop...)
        raise :class:`JailConfError`, unless ``errors`` is given: then they
        are appended to it (jail(8)'s wording) and the bad variable is left
        out, as jail(8) does.
        """
        out: dict[str, ParamValue] = {}
        for mp in self._merged(self._cjail(name), errors):
            if not mp.values:
                key, truth = _bool_key(mp.name)
                out[key] = truth
            elif len(mp.values) == 1 and not mp.listy:
                out[mp.name] = mp.values[0].s
            else:
                out[mp.name] = tuple(v.s for v in mp.values)
        return out

    def effective_all(self, *, errors: list[str] | None = None) -> dict[str, dict[str, ParamValue]]:
        return {n: self.effective(n, errors=errors) for n in self._real}

    def jail_e_lines(self, sep: str, *, errors: list[str] | None = None) -> list[str]:
        """``jail -e SEP`` output lines (see :func:`format_jail_e`)."""
        lines: list[str] = []
        for j in self._jails:
            if wild_jail_name(j.name):
                continue
            parts: list[str] = []
            for mp in self._merged(j, errors):
                if mp.name == "jid":
                    continue
                if not mp.values:
                    parts.append(mp.name)
                else:
                    parts.append(mp.name + "=" + ",".join(quoted_print(v.s) for v in mp.values))
            lines.append(sep.join(parts))
        return lines


class _Failer:
    """Report a per-jail error: raise, or collect like jail_warnx + go on."""

    def __init__(self, j: _CJail, errors: list[str] | None) -> None:
        self.j = j
        self.errors = errors

    def __call__(self, message: str) -> None:
        err = JailConfError(self.j.file, None, message, jail=self.j.name)
        if self.errors is None:
            raise err
        self.errors.append(str(err))


def _expand(params: list[_MP], fail: _Failer) -> None:
    """config.c ``load_config`` variable resolution, step for step.

    A parameter whose value uses a variable that itself still holds
    variables is moved in front and expanded first (same generation); a
    reference back to the current generation is a loop.
    """
    pgen = 0
    i = 0
    while i < len(params):
        p = params[i]
        pgen += 1
        p.gen = pgen
        restart = True
        while restart:
            restart = False
            k = 0
            while k < len(p.values):
                s = p.values[k]
                while s.vars:
                    vname, vpos = s.vars[0]
                    vp = next((q for q in params if q.name == vname), None)
                    bad = False
                    if vp is None or not vp.values:
                        fail(f'{p.name}: variable "{vname}" not found')
                        bad = True
                    elif vp.bad:
                        bad = True
                    elif vp.gen == pgen:
                        fail(f"{vname}: variable loop")
                        bad = True
                    if bad:
                        for q in params:
                            if q.gen == pgen:
                                q.bad = True
                        s.vars.pop(0)
                        continue
                    assert vp is not None
                    if any(vs.vars for vs in vp.values):
                        vp.gen = pgen
                        params.remove(vp)
                        params.insert(params.index(p), vp)
                        p = vp
                        restart = True
                        break
                    first = vp.values[0]
                    if len(vp.values) > 1 and (s.s != "" or len(s.vars) > 1):
                        fail(f"{p.name}: array cannot be substituted inline")
                        for q in params:
                            if q.gen == pgen:
                                q.bad = True
                        s.vars.pop(0)
                        continue
                    s.s = s.s[:vpos] + first.s + s.s[vpos:]
                    s.vars = [(n, pos + len(first.s)) for n, pos in s.vars]
                    s.vars.pop(0)
                    extra = [_S(vs.s, []) for vs in vp.values[1:]]
                    p.values[k + 1:k + 1] = extra
                if restart:
                    break
                k += 1
        i = params.index(p) + 1


# --------------------------------------------------------------------------
# Loading with includes


def _default_read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def _default_glob(pattern: str) -> list[str]:
    return sorted(_globmod.glob(pattern))


def _has_magic(pattern: str) -> bool:
    """glob(3) ``GLOB_MAGCHAR``: the pattern has ``*``, ``?`` or ``[``."""
    return any(c in pattern for c in "*?[")


class _Loader:
    def __init__(self, read: ReadFn, glob: GlobFn) -> None:
        self.read = read
        self.glob = glob
        self.included: dict[int, list[ConfFile]] = {}

    def load_file(self, path: str, depth: int) -> ConfFile:
        try:
            text = self.read(path)
        except OSError as e:
            msg = os.strerror(e.errno) if e.errno else str(e)
            raise JailConfError(path, None, msg) from e

        def hook(p: Param, name: str) -> None:
            # config.c include_config()
            if depth + 1 > MAX_INCLUDE_DEPTH:
                raise JailConfError(path, p.end_line, "maximum include depth exceeded",
                                    bare=True)
            if not name.startswith("/") and "/" in path:
                name = path[:path.rfind("/") + 1] + name
            targets = self.glob(name) if _has_magic(name) else [name]
            got = self.included.setdefault(id(p), [])
            for t in targets:
                got.append(self.load_file(t, depth + 1))

        return _parse(text, path, hook)

    def build(self, path: str) -> Config:
        root = self.load_file(path, 0)
        jails: list[_CJail] = []
        order: list[ConfFile] = []
        seq = 0

        def walk(cf: ConfFile, items: Sequence[Item], current: _CJail | None) -> None:
            nonlocal seq
            if not any(f.filename == cf.filename for f in order):
                order.append(cf)
            for it in items:
                if isinstance(it, Block):
                    name = it.local_name if current is None else f"{current.name}.{it.local_name}"
                    seq += 1
                    j = _CJail(name, seq, it, cf.filename)
                    jails.append(j)
                    walk(cf, it.items, j)
                elif isinstance(it, Param):
                    if it.is_include:
                        for sub in self.included.get(id(it), []):
                            walk(sub, sub.items, current)
                    elif current is not None:
                        current.params.append(it)
                    else:
                        # A run of global statements is a "*" pseudo-jail at
                        # its place in the file (14.x jailparse.y: a global
                        # after a block starts a new one), so a global
                        # written after a block is merged after it.
                        if not jails or not jails[-1].is_global:
                            seq += 1
                            jails.append(_CJail("*", seq, None, cf.filename, is_global=True))
                        jails[-1].params.append(it)

        walk(root, root.items, None)
        return Config(path, order, jails)


def load(path: str, *, read: ReadFn | None = None, glob: GlobFn | None = None) -> Config:
    """Load ``path`` (a host path) and its includes as jail(8) does.

    ``read(path) -> str`` and ``glob(pattern) -> sorted paths`` default to
    the local file system.  ``.include`` names are globs relative to the
    including file's directory; a pattern matching nothing is fine, a
    literal name that cannot be read is an error; nesting stops at 32.
    Raises :class:`JailConfError` for the first error.
    """
    return _Loader(read or _default_read, glob or _default_glob).build(path)


def load_string(text: str, filename: str = "/etc/jail.conf", *, read: ReadFn | None = None,
                glob: GlobFn | None = None) -> Config:
    """:func:`load` for a text already in hand (includes still go to ``read``)."""
    base = read or _default_read

    def reader(p: str) -> str:
        return text if p == filename else base(p)
    return load(filename, read=reader, glob=glob)


# --------------------------------------------------------------------------
# Output helpers


def to_effective_json(config: Config, names: Sequence[str] | None = None
                      ) -> dict[str, dict[str, dict[str, JsonValue]]]:
    """``jailtui conf show --json``: ``{"jails": {NAME: {PARAM: value}}}``.

    Lists become JSON arrays, booleans stay booleans, everything else is a
    string.  Wildcard and global pseudo-jails are not jails and are left
    out.  An unknown name raises KeyError.
    """
    wanted = list(names) if names is not None else config.jail_names()
    out: dict[str, dict[str, JsonValue]] = {}
    for n in wanted:
        eff = config.effective(n)
        row: dict[str, JsonValue] = {}
        for k, v in eff.items():
            if isinstance(v, tuple):
                row[k] = list(v)
            elif isinstance(v, bool):
                row[k] = v
            else:
                row[k] = str(v)
        out[n] = row
    return {"jails": out}


def format_jail_e(config: Config, sep: str, *, errors: list[str] | None = None) -> str:
    """What ``jail -e SEP`` prints on stdout (docs/freebsd.md 3.6, jail.c
    ``print_jail``/``quoted_print``): one line per configured non-wildcard
    jail, parameters in merge order without ``jid``, ``name=value`` or a
    bare ``name``, lists joined with commas.  Per-jail errors raise unless
    ``errors`` collects them (then the line is still printed, as jail(8)
    does)."""
    return "".join(line + "\n" for line in config.jail_e_lines(sep, errors=errors))


def iter_params(items: Sequence[Item]) -> Iterator[Param]:
    """Every parameter statement under ``items``, depth first."""
    for it in items:
        if isinstance(it, Param):
            yield it
        elif isinstance(it, Block):
            yield from iter_params(it.items)
