"""BSD getopt(3), because the tools' error texts come from it.

Python's :mod:`getopt` raises with its own wording; FreeBSD's libc prints
``jls: illegal option -- z`` and ``jls: option requires an argument -- j``
before the tool prints its usage. Parsing stops at the first non-option
argument or at ``--``, like getopt(3) without GNU permutation.
"""

from __future__ import annotations

from collections.abc import Sequence


class GetoptError(Exception):
    """A bad option; ``str(e)`` is getopt(3)'s message without the program name."""


def getopt(args: Sequence[str], spec: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Parse ``args`` (without argv[0]) against an optstring such as ``"adj:hNnqsv"``.

    Returns the options in order, as ``(letter, argument or "")``, and the
    remaining operands.
    """
    opts: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        j = 1
        while j < len(arg):
            ch = arg[j]
            pos = spec.find(ch)
            if ch == ":" or pos < 0:
                raise GetoptError(f"illegal option -- {ch}")
            if pos + 1 < len(spec) and spec[pos + 1] == ":":
                if j + 1 < len(arg):
                    opts.append((ch, arg[j + 1:]))
                elif i + 1 < len(args):
                    i += 1
                    opts.append((ch, args[i]))
                else:
                    raise GetoptError(f"option requires an argument -- {ch}")
                break
            opts.append((ch, ""))
            j += 1
        i += 1
    return opts, list(args[i:])


def libxo_style(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """Strip libxo's ``--libxo STYLE`` / ``--libxo=STYLE`` (handled before getopt).

    Returns the first style word (``json``, ``text`` ...; ``None`` without
    ``--libxo``) and the remaining arguments. ``json,pretty`` keeps ``json``.
    """
    style: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--libxo" and i + 1 < len(args):
            style = args[i + 1]
            i += 2
            continue
        if a.startswith("--libxo="):
            style = a.split("=", 1)[1]
            i += 1
            continue
        if a.startswith("--libxo:"):
            # Short form: --libxo:J is JSON (libxo's single-letter flags).
            style = "json" if "J" in a[8:] else "text"
            i += 1
            continue
        rest.append(a)
        i += 1
    if style is not None:
        words = [w for w in style.split(",") if w]
        style = "json" if "json" in words else (words[0] if words else "text")
    return style, rest
