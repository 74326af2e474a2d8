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

from jailtui.core.freebsd.jailconf.dialect import release_major
from jailtui.core.freebsd.jailconf.effective import (
    LIST_PARAMS,
    Config,
    JsonValue,
    effective_json,
    format_jail_e,
    to_effective_json,
)
from jailtui.core.freebsd.jailconf.errors import CRLF_HINT, JailConfError
from jailtui.core.freebsd.jailconf.lex import (
    COMMENT,
    DQEND,
    ERROR,
    PLEQ,
    PUNCT,
    STR,
    STR1,
    STRAY,
    VAR,
    VAR1,
    WS,
    Token,
    tokenize,
)
from jailtui.core.freebsd.jailconf.load import MAX_INCLUDE_DEPTH, GlobFn, ReadFn, load, load_string
from jailtui.core.freebsd.jailconf.names import equalopts, wild_jail_match, wild_jail_name
from jailtui.core.freebsd.jailconf.quote import quote_value, quoted_print, render_statement
from jailtui.core.freebsd.jailconf.syntax import (
    Block,
    ConfFile,
    ConfString,
    Empty,
    Item,
    Param,
    Piece,
    parse,
)

__all__ = [
    "COMMENT",
    "CRLF_HINT",
    "LIST_PARAMS",
    "DQEND",
    "ERROR",
    "MAX_INCLUDE_DEPTH",
    "PLEQ",
    "PUNCT",
    "STR",
    "STR1",
    "STRAY",
    "VAR",
    "VAR1",
    "WS",
    "Block",
    "Config",
    "ConfFile",
    "ConfString",
    "Empty",
    "GlobFn",
    "Item",
    "JailConfError",
    "JsonValue",
    "Param",
    "Piece",
    "ReadFn",
    "Token",
    "effective_json",
    "equalopts",
    "format_jail_e",
    "load",
    "load_string",
    "parse",
    "quote_value",
    "quoted_print",
    "release_major",
    "render_statement",
    "to_effective_json",
    "tokenize",
    "wild_jail_match",
    "wild_jail_name",
]
