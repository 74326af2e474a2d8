"""One sanitiser for every untrusted string shown to a person.

Process command lines, jail names, hostnames, user names and command output
are controlled by whoever is root inside a jail. Rich and Textual strip only
BEL, BS, VT, FF and CR; ESC, the other C0 controls and all C1 controls pass
through (docs/security.md section 4.2), and Textual parses ``str`` cells
and ``Static`` text as markup (``[@click=app.quit]``). So the UI never shows
a raw external string: it calls :func:`visible` and renders the result as a
``rich.text.Text``, never as markup.

The escaping mimics ps(1)'s own ``strvisx(VIS_NL|VIS_CSTYLE)`` (bin/ps/fmt.c):
controls become ``\\x1b``-style text, so an admin can still see that they
were there.
"""

from __future__ import annotations

import unicodedata

#: Most characters shown of one string; the rest becomes an ellipsis. Long
#: enough for whole command lines (ps -ww), short enough that 100 kB of
#: combining marks cannot stall a render.
DEFAULT_LIMIT = 4096

#: Combining marks allowed after one base character ("zalgo" text).
MAX_COMBINING = 3


def visible(raw: str | bytes | None, limit: int = DEFAULT_LIMIT) -> str:
    """Return ``raw`` with every non-printable character made visible.

    - bytes are decoded as UTF-8, invalid bytes shown as ``\\xNN``;
    - a backslash becomes ``\\\\`` (so escapes and literal text differ);
    - C0/C1 controls, DEL, bidi overrides, zero-width and line/paragraph
      separators (Unicode categories Cc, Cf, Zl, Zp, Cs, Co, Cn) become
      ``\\xNN`` or ``\\uNNNN``; a tab becomes a space;
    - more than :data:`MAX_COMBINING` combining marks on one character are
      dropped;
    - the result is cut at ``limit`` characters with a trailing ``…``.
    """
    if raw is None:
        return ""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    if limit >= 0 and text.isascii() and text.isprintable() and "\\" not in text:
        # Printable ASCII without a backslash (most names, users, etimes and
        # commands) comes out as it went in: no Python loop over its
        # characters (the ELAPSED and COMMAND widths read 50,000 rows a tick;
        # issue 18). The loop below gives the same; a test checks both.
        return text if len(text) <= limit else text[:limit] + "…"
    return _visible_chars(text, limit)


def _visible_chars(text: str, limit: int) -> str:
    """:func:`visible`, character by character."""
    out: list[str] = []
    combining = 0
    count = 0
    for ch in text:
        if count >= limit:
            out.append("…")
            break
        if ch == "\\":
            # A literal backslash is doubled, so the text "\x1b" (four
            # characters a jail's root can put in a name) never looks like a
            # neutralised real ESC (issue 14 item 10); strvis(3) VIS_CSTYLE
            # does the same.
            out.append("\\\\")
            combining = 0
        elif ch.isprintable():
            if unicodedata.combining(ch):
                combining += 1
                if combining > MAX_COMBINING:
                    continue
            else:
                combining = 0
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
            combining = 0
        else:
            cp = ord(ch)
            if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte (surrogateescape)
                out.append(f"\\x{cp - 0xDC00:02x}")
            else:
                out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")
            combining = 0
        count += 1
    return "".join(out)


def one_line(raw: str | bytes | None, limit: int = DEFAULT_LIMIT) -> str:
    """Like :func:`visible` but for multi-line tool output shown on one line.

    Newlines become `` ⏎ `` rather than ``\\x0a`` so messages stay readable.
    """
    if raw is None:
        return ""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    parts = [visible(p, limit) for p in text.strip("\n").split("\n")]
    return " ⏎ ".join(parts)


def visible_lines(raw: str | bytes | None, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Split tool output into lines and make each one visible."""
    if raw is None:
        return []
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    return [visible(line, limit) for line in text.splitlines()]


# -- sizes -----------------------------------------------------------------
# One formatter for the console and the command line, so both print the same
# size the same way.


def human_kib(kib: int | None) -> str:
    """A size in KiB as htop prints it: ``812K``, ``12.3M``, ``1.2G``."""
    if kib is None:
        return "-"
    return human_bytes(kib * 1024)


def human_bytes(n: int | None) -> str:
    """A size in bytes with a binary unit, three significant digits at most."""
    if n is None:
        return "-"
    if n == 0:
        return "0"
    if n < 1024:
        return f"{n}B"
    value = float(n)
    for unit in ("K", "M", "G", "T", "P"):
        value /= 1024
        if value < 1024 or unit == "P":
            return f"{value:.0f}{unit}" if value >= 1000 else f"{value:.3g}{unit}"
    return f"{n}B"  # pragma: no cover - the loop always returns
