"""The jail.conf lexer: ``usr.sbin/jail/jaillex.l`` rule by rule.

Longest match, rule order on ties, the ``DQ`` start condition for variables
inside double quotes and ``text2lval``'s escapes, so that every byte of a
file is one token and the tokens say what jail(8)'s scanner would say
(docs/freebsd.md 3.4).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from jailtui.core.freebsd.jailconf.dialect import modern

__all__ = [
    "COMMENT", "DQEND", "ERROR", "PLEQ", "PUNCT", "STR", "STR1", "STRAY", "TRIVIA", "VAR",
    "VAR1", "WS", "Token", "tokenize",
]

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

TRIVIA = frozenset({WS, COMMENT, DQEND})


class Token(NamedTuple):
    """One lexeme: ``text`` is the exact source slice.

    A named tuple, not a frozen dataclass: a jail.conf of 1,000 jails is
    13,000 tokens, and a frozen dataclass's ``__init__`` (an
    ``object.__setattr__`` per field) was half the lexer's time (issue 18).
    """

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

_Rule = tuple[int, re.Pattern[str], str]
_Rules = dict[str, list[_Rule]]


def _compile(src: list[tuple[int, tuple[str, ...], str, str]]) -> _Rules:
    rules: _Rules = {_N: [], _D: []}
    for prio, states, pat, act in src:
        for st in states:
            rules[st].append((prio, re.compile(pat), act))
    return rules


def first_char(pattern: str) -> re.Pattern[str] | None:
    """What the first character of a match of ``pattern`` (a rule above) can be.

    A pattern's first atom: a ``[...]`` class, an escaped character, ``.``,
    ``(?:.|\n)`` (anything: None) or a literal. Rules whose first character
    cannot be the one at hand are not tried (:func:`_candidates`): the
    longest match and the tie order are unchanged, with a few regex matches
    a token instead of every rule's (issue 18: a jail.conf of 1,000 jails).
    Any other shape raises, so a new rule cannot slip past unfiltered
    wrongly. tests/test_jailconf_lex_first.py checks it on the rules.
    """
    if pattern.startswith(r"(?:.|\n)"):
        return None
    if pattern.startswith("["):
        end = 1
        if pattern[end:end + 1] == "^":
            end += 1
        end += 1  # a "]" first in the class is a member
        while pattern[end] != "]":
            end += 2 if pattern[end] == "\\" else 1
        return re.compile(pattern[:end + 1])
    if pattern.startswith("\\"):
        return re.compile(re.escape(pattern[1]))
    if pattern.startswith("."):
        return re.compile(".")
    if pattern[0] in "()|*+?{^$":
        raise ValueError(f"lex rule {pattern!r}: its first character is not known")
    return re.compile(re.escape(pattern[0]))


def _firsts(rules: _Rules) -> dict[str, list[tuple[_Rule, re.Pattern[str] | None]]]:
    return {st: [(r, first_char(r[1].pattern)) for r in rs] for st, rs in rules.items()}


def _candidates(firsts: list[tuple[_Rule, re.Pattern[str] | None]], ch: str
                ) -> tuple[_Rule, ...]:
    """The rules (in order) a match starting with ``ch`` can come from."""
    return tuple(r for r, first in firsts if first is None or first.match(ch))


_RULES = _compile(_RULES_SRC)
#: The scanner of FreeBSD 13 and older (jaillex.l caa41f64): ``<_>[ \t]+``
#: and ``<_>\n`` only, so a CR falls to ``<_>.`` and reaches the parser as
#: itself (docs/freebsd.md 4.1; see dialect.py).
_RULES_SRC_LEGACY = [(0, st, r"[ \t\n]+", act) if prio == 0 else (prio, st, pat, act)
                     for prio, st, pat, act in _RULES_SRC]
_RULES_LEGACY = _compile(_RULES_SRC_LEGACY)
_FIRSTS = {id(_RULES): _firsts(_RULES), id(_RULES_LEGACY): _firsts(_RULES_LEGACY)}
#: (rules, state) -> first character -> the rules to try, filled as characters come.
_BY_CHAR: dict[tuple[int, str], dict[str, tuple[_Rule, ...]]] = {
    (k, st): {} for k in _FIRSTS for st in (_N, _D)}


#: A double-quoted string that rule 8's action copies as it is (see _fast).
_PLAIN_DQ = r'"[^"\\$]*"'


def _fast(src: list[tuple[int, tuple[str, ...], str, str]]) -> re.Pattern[str]:
    r"""The normal state's rules that win wherever they match, as one pattern.

    Whitespace (rule 0), ``#`` comments (1), ``+=`` (4), punctuation (5)
    and ``_WORD`` atoms (6) start with characters no other rule of the
    normal state starts with, except ``<_>.`` and ``.|\n`` (one character,
    later rules) and ``+``, which rule 6's ``[$*+/\\]`` takes alone, one
    character against ``+=``'s two. So where one of them matches, it is the
    longest match, and the first to match is the only one: a single
    ``match`` gives the token, its group (``lastindex``) the rule. The last
    alternative is a double-quoted string with no backslash and no ``$``
    (``"em0|10.1.0.10/24"``): rule 8 takes it whole, closing quote and all,
    which rule 13 (an unterminated string: it stops before a quote) and the
    one-character rules cannot outdo, and its ``text2lval`` is a copy of what
    is between the quotes (up to a NUL). Every other first character, and a
    string with an escape or a variable, goes to the rule-by-rule longest
    match (docs/freebsd.md 4.1).
    tests/test_jailconf_lex_fast.py compares both on every input it has.
    """
    by_prio = {prio: pat for prio, states, pat, _act in src if _N in states and prio in (0, 1, 4, 5)}
    alts = (by_prio[0], by_prio[1], by_prio[5], by_prio[4], _WORD, _PLAIN_DQ)
    return re.compile("|".join(f"({a})" for a in alts))


#: Group numbers of :func:`_fast`'s pattern: the token kind (ATOM: a string
#: piece; DQ: a double-quoted string without escapes or variables).
_ATOM = "atom"
_DQ = "dq"
_FAST_KINDS = (ERROR, WS, COMMENT, PUNCT, PLEQ, _ATOM, _DQ)
_FAST = {id(_RULES): _fast(_RULES_SRC).match,
         id(_RULES_LEGACY): _fast(_RULES_SRC_LEGACY).match}
_new_token = tuple.__new__


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
    se = len(raw) - trimr
    plain = raw[triml:se]
    if "\\" not in plain and not (tovar and "$" in plain):
        return _nul(plain), -1          # nothing to decode: the loop would copy it
    out: list[str] = []
    i = triml
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
    firsts = _FIRSTS[id(rules)]
    by_char = {st: _BY_CHAR[(id(rules), st)] for st in (_N, _D)}
    toks: list[Token] = []
    pos = 0
    n = len(text)
    state = _N
    instr = False           # jaillex.l "instr": inside a string of pieces
    line = 1
    fast = _FAST[id(rules)]
    append = toks.append
    kind: str
    while pos < n:
        if state is _N and (m := fast(text, pos)) is not None:
            end = m.end()
            lexeme = m.group()
            kind = _FAST_KINDS[m.lastindex or 0]
            if kind is _ATOM:
                # _WORD has no backslash and no NUL: text2lval copies it.
                append(_new_token(Token, (STR1 if instr else STR, lexeme, pos, end, line,
                                          line, lexeme)))
                instr = True
            elif kind is _DQ:
                nl = lexeme.count("\n")
                append(_new_token(Token, (STR1 if instr else STR, lexeme, pos, end, line,
                                          line + nl, _nul(lexeme[1:-1]))))
                line += nl
                instr = True
            else:
                nl = lexeme.count("\n") if kind is WS else 0
                append(_new_token(Token, (kind, lexeme, pos, end, line, line + nl, "")))
                line += nl
                instr = False
            pos = end
            continue
        best_len = -1
        best_act = ""
        ch = text[pos]
        cands = by_char[state].get(ch)
        if cands is None:
            cands = by_char[state][ch] = _candidates(firsts[state], ch)
        for _prio, rx, act in cands:
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
