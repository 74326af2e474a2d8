"""``jailtui config``: the effective configuration, and ``--init`` for a commented file.

``jailtui config`` prints every key with the value in use and where it came
from (core/config/explain.py), as TOML that can be pasted into a file; the
files it looked for come first, as comments. ``--json`` gives the same as
one object. ``jailtui config --init [PATH]`` writes the commented default
file (jailtui/config.toml.sample) to PATH, by default the user's config file;
an existing file is kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jailtui.core.config.settings import SettingsError, read_config_document
from jailtui.core.text import visible

if TYPE_CHECKING:
    from jailtui.core.config.explain import Entry

# core/config/explain.py only when `config` runs: every other command builds
# this parser too, the console first among them (issue 18: start).

#: A TOML bare key; anything else is written quoted.
_BARE = re.compile(r"[A-Za-z0-9_-]+")
#: Where the source comment starts (values shorter than this are padded).
_COMMENT_COLUMN = 32


def add_parser(sub: Any) -> None:
    """Register ``config`` on the subcommand parsers of cli/main.py."""
    sp = sub.add_parser(
        "config", help="the effective configuration: every key, its value, where it came from",
        description="Print every configuration key with the value in use and where it came "
                    "from: the default, a file and line (the system-wide "
                    "/usr/local/etc/jailtui/config.toml, then the user's "
                    "~/.config/jailtui/config.toml or --config FILE), or the command line. "
                    "--init writes a commented file with every default.")
    sp.add_argument("--json", action="store_true", help="the same as one JSON object")
    sp.add_argument("--init", nargs="?", const="", default=None, metavar="PATH",
                    help="write a commented default file to PATH (default: the user's "
                         "config file, or --config FILE)")
    sp.add_argument("--force", action="store_true", help="with --init: replace an existing file")


def run(args: argparse.Namespace) -> int:
    """``jailtui config``; errors are SettingsError for cli/main.py to print."""
    from jailtui.core.config.explain import explain

    if args.init is not None:
        return _init(args)
    document = read_config_document(args.config)
    effective = explain(document, interval=args.interval)
    for warning in effective.warnings:
        print(f"jailtui: warning: {visible(warning)}", file=sys.stderr)
    if args.json:
        json.dump({"delegated": document.delegated,
                   "files": [{"source": str(p.source), "path": str(p.path), "found": p.found,
                              "skipped": p.skipped} for p in document.places],
                   "settings": {e.name: e.to_json() for e in effective.entries},
                   "warnings": list(effective.warnings)}, sys.stdout, indent=2)
        print()
        return 0
    print("# jailtui: the effective configuration (jailtui config --init writes a "
          "commented file)")
    for place in document.places:
        state = "" if place.found else f"   ({place.skipped or 'not present'})"
        print(visible(f"# {place.source:<16} {place.path}{state}"))
    if document.delegated:
        print("# a delegated session reads the system-wide file only")
    section: tuple[str, ...] | None = None
    for entry in _with_tables(effective.entries):
        table = entry.key[:-1]
        if table != section:
            section = table
            print()
            print(f"[{'.'.join(_key(k) for k in table)}]")
            if table == ("keys",) and entry.value is None:
                print("# none set: the defaults (jailtui(8) KEYS, ? in the console)")
                continue
        print(_line(entry))
    return 0


#: The order of the sections, as in the commented file.
_SECTIONS = ("console", "keys", "check", "posture", "limits", "backup", "columns", "hosts")


def _with_tables(entries: tuple[Entry, ...]) -> list[Entry]:
    """The entries in file order, with a placeholder for an empty ``[keys]``."""
    from jailtui.core.config.explain import Entry
    from jailtui.core.config.layers import Source

    out = list(entries)
    if not any(e.key[0] == "keys" for e in out):
        out.append(Entry(("keys", ""), None, Source.DEFAULT))
    return sorted(out, key=lambda e: _SECTIONS.index(e.key[0]))


def _key(name: str) -> str:
    """A key as TOML writes it; toml_value() escapes what could not be shown."""
    from jailtui.core.config.explain import toml_value

    return name if _BARE.fullmatch(name) else toml_value(name)


def _line(entry: Entry) -> str:
    """``key = value  # source``: keys and values escaped by toml_value() (already
    printable, and still TOML), the source through visible()."""
    from jailtui.core.config.explain import toml_value

    if entry.value is None:
        text = f"# {_key(entry.key[-1])} = (not set)"
    else:
        text = f"{_key(entry.key[-1])} = {toml_value(entry.value)}"
    return f"{text:<{_COMMENT_COLUMN}} # {visible(entry.where())}"


def _init(args: argparse.Namespace) -> int:
    from jailtui.core.config.explain import sample_text
    from jailtui.core.config.settings import config_path
    from jailtui.core.userfiles import write_atomic

    target = Path(args.init or args.config or config_path())
    try:
        write_atomic(target, sample_text().encode("utf-8"), mode=0o644,
                     overwrite=args.force)
    except FileExistsError:
        raise SettingsError(f"{target}: exists; --force replaces it") from None
    except OSError as exc:
        raise SettingsError(f"{target}: {exc.strerror or exc}") from None
    print(visible(f"jailtui: wrote {target}"), file=sys.stderr)
    return 0
