"""The jail.conf lexer as it was before issue 18's fast path (commit 022fdac):
every jaillex.l rule tried at every position, the longest match kept, and
``text2lval`` character by character. tests/test_jailconf_lex_fast.py compares
lex.tokenize with it, and syntax.parse with :func:`parse` here (the parser's
look-ahead as it was, on these tokens). Copied, not imported, so a change to
lex.py cannot change the reference too; only the rule table (lex._RULES) is
shared.
"""

from __future__ import annotations

from jailtui.core.freebsd.jailconf import syntax
from jailtui.core.freebsd.jailconf.dialect import modern
from jailtui.core.freebsd.jailconf.errors import JailConfError
from jailtui.core.freebsd.jailconf.lex import (
    _D,
    _N,
    _RULES,
    _RULES_LEGACY,
    COMMENT,
    DQEND,
    ERROR,
    PLEQ,
    PUNCT,
    STR,
    STR1,
    STRAY,
    TRIVIA,
    VAR,
    VAR1,
    WS,
    Token,
)


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


def tokenize(text: str, *, freebsd: int | None = None) -> list[Token]:
    """Split ``text`` into tokens exactly as jaillex.l would.

    Lexer errors become ``ERROR`` tokens (covering the bad text) instead of
    exceptions, because jail(8) reports them only when the parser reaches
    them, after any errors found earlier (and after earlier includes).
    ``freebsd`` is the host's major release: 13 and older do not take a CR
    for whitespace (dialect.py).
    """
    rules = _RULES if modern(freebsd) else _RULES_LEGACY
    toks: list[Token] = []
    pos = 0
    n = len(text)
    state = _N
    instr = False           # jaillex.l "instr": inside a string of pieces
    line = 1
    while pos < n:
        best_len = -1
        best_act = ""
        for _prio, rx, act in rules[state]:
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
        toks.append(Token(kind=kind, text=lexeme, start=pos, end=pos + len(lexeme), line=line,
                          end_line=line + nl, value=value))
        line += nl
        pos += len(lexeme)
    return toks


class Parser(syntax._Parser):
    """jailparse.y's descent with the look-ahead as it was: trivia skipped
    token by token at each ``peek``, the reference lexer's tokens."""

    def __init__(self, text: str, filename: str, freebsd: int | None) -> None:
        super().__init__(text, filename, None, freebsd)
        self.toks = tokenize(text, freebsd=freebsd)
        self.la: int | None = None

    def peek(self) -> Token | None:
        if self.la is None:
            j = self.pos
            while j < len(self.toks):
                t = self.toks[j]
                if t.kind == ERROR:
                    raise JailConfError(self.filename, t.end_line, t.value)
                if t.kind not in TRIVIA:
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


def parse(text: str, filename: str = "/etc/jail.conf", *,
          freebsd: int | None = None) -> syntax.ConfFile:
    """syntax.parse with the reference lexer and look-ahead."""
    parser = Parser(text, filename, freebsd)
    items = parser.parse_file()
    return syntax.ConfFile(filename, text, tuple(parser.toks), items, freebsd=freebsd)
