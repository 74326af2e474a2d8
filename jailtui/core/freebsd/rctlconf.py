"""``/etc/rctl.conf``: the rules rc.d/rctl adds at boot, and our marked block per jail.

rctl.conf(5): one rule a line in rctl(8)'s syntax, ``#`` starts a comment;
libexec/rc/rc.d/rctl reads it line by line and runs ``rctl -a`` on each. A
jail's rules that jailtui keeps live between two marker lines (docs/freebsd.md
7.3)::

    # BEGIN jailtui web
    jail:web:memoryuse:deny=2147483648
    # END jailtui web

Only the block of the jail is rewritten; every other line of the file stays
byte for byte. The block's lines are rules we render ourselves
(:attr:`RctlRule.text`), never text copied from the file, so what a person
wrote elsewhere in it cannot leak into the block.
"""

from __future__ import annotations

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.rctl import RctlRule, parse_rctl_rules

PATH = "/etc/rctl.conf"
_COMMAND = "/etc/rctl.conf"


def begin_line(jail: str) -> str:
    return f"# BEGIN jailtui {jail}"


def end_line(jail: str) -> str:
    return f"# END jailtui {jail}"


def _span(lines: list[str], jail: str) -> tuple[int, int] | None:
    """Indexes of the block's BEGIN and END lines; ParseError on a broken block."""
    begin, end = begin_line(jail), end_line(jail)
    starts = [i for i, line in enumerate(lines) if line.rstrip() == begin]
    if not starts:
        return None
    if len(starts) > 1:
        raise ParseError(_COMMAND, f"two blocks for jail {jail!r:.40}: fix the file by hand")
    start = starts[0]
    for i in range(start + 1, len(lines)):
        if lines[i].rstrip() == end:
            return start, i
        if lines[i].startswith("# BEGIN jailtui "):
            break
    raise ParseError(_COMMAND, f"the block of jail {jail!r:.40} has no '{end}' line: "
                     "fix the file by hand")


def block_rules(text: str, jail: str) -> list[RctlRule]:
    """The rules of ``jail``'s block (empty when it has none)."""
    lines = text.splitlines()
    span = _span(lines, jail)
    if span is None:
        return []
    body = [ln.split("#", 1)[0].strip() for ln in lines[span[0] + 1:span[1]]]
    return parse_rctl_rules("\n".join(b for b in body if b).encode())


def with_block(text: str, jail: str, rules: list[RctlRule]) -> str:
    """``text`` with ``jail``'s block holding ``rules`` (none: the block removed)."""
    lines = text.splitlines(keepends=True)
    span = _span([ln.rstrip("\n") for ln in lines], jail)
    block = [begin_line(jail) + "\n", *(r.text + "\n" for r in rules), end_line(jail) + "\n"] \
        if rules else []
    if span is None:
        if not block:
            return text
        head = "".join(lines)
        if head and not head.endswith("\n"):
            head += "\n"
        return head + "".join(block)
    return "".join(lines[:span[0]] + block + lines[span[1] + 1:])
