"""devfs(8) ``rule -s N show`` and ``rule showsets`` on the simulated host.

At boot rc.d/devfs loads every ``[name=N]`` section of /etc/defaults/devfs.rules
(and /etc/devfs.rules) into the kernel with ``devfs rule -s N add ...``; rules
added without a number get 100, 200, ... (sbin/devfs/rule.c). ``show``
prints each rule as ``NUM`` then its conditions and action (``100 include
1``, ``400 path fuse unhide``); a ruleset that does not exist shows nothing.
The simulator reads the same files at each call (docs/freebsd.md 13.3).
"""

from __future__ import annotations

import os
import re
import shlex

from jailtui.sim.context import Ctx

USAGE = "usage: devfs rule|ruleset arguments\n"
RULE_FILES = ("/etc/defaults/devfs.rules", "/etc/devfs.rules")

#: /etc/defaults/devfs.rules of FreeBSD 14/15, the rulesets a jail host uses.
DEFAULT_RULES = """\
#
# The default devfs rules (see devfs.rules(5)); loaded by rc.d/devfs.
#
[devfsrules_hide_all=1]
add hide

[devfsrules_unhide_basic=2]
add path log unhide
add path null unhide
add path zero unhide
add path crypto unhide
add path random unhide
add path urandom unhide

[devfsrules_unhide_login=3]
add path 'ptyp*' unhide
add path 'ptyq*' unhide
add path 'ttyp*' unhide
add path 'ttyq*' unhide
add path ptmx unhide
add path pts unhide
add path 'pts/*' unhide
add path fd unhide
add path 'fd/*' unhide
add path stdin unhide
add path stdout unhide
add path stderr unhide

[devfsrules_jail=4]
add include $devfsrules_hide_all
add include $devfsrules_unhide_basic
add include $devfsrules_unhide_login
add path fuse unhide
add path zfs unhide

[devfsrules_jail_vnet=5]
add include $devfsrules_hide_all
add include $devfsrules_unhide_basic
add include $devfsrules_unhide_login
add include $devfsrules_jail
add path pf unhide
"""

_SECTION = re.compile(r"^\[([A-Za-z0-9_]+)=(\d+)\]\s*$")


def rulesets(ctx: Ctx) -> dict[int, list[str]]:
    """Ruleset number -> its rules as ``show`` prints them."""
    names: dict[str, int] = {}
    sets: dict[int, list[str]] = {}
    current: int | None = None
    for f in RULE_FILES:
        try:
            with open(ctx.paths.real(f), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for line in lines:
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            m = _SECTION.match(text)
            if m:
                current = int(m.group(2))
                names[m.group(1)] = current
                sets.setdefault(current, [])
                continue
            if current is None:
                continue
            try:
                words = shlex.split(text)
            except ValueError:
                continue
            if not words or words[0] != "add":
                continue
            words = words[1:]
            if words[:1] == ["include"] and len(words) == 2:
                ref = words[1].lstrip("$")
                words = ["include", str(names.get(ref, ref))]
            rules = sets[current]
            rules.append(f"{100 * (len(rules) + 1)} {' '.join(words)}")
    return sets


def run(ctx: Ctx, args: list[str]) -> int:
    if os.environ.get("JAILTUI_SIM_JAIL") or ctx.jail is not None:
        ctx.warn("ioctl DEVFSIO_RGETNEXT: Operation not permitted")
        return 1
    if not args or args[0] != "rule":
        ctx.write_err(USAGE)
        return 1
    rest = args[1:]
    ruleset = 0
    if rest[:1] == ["-s"] and len(rest) >= 2:
        try:
            ruleset = int(rest[1])
        except ValueError:
            ctx.warn(f"invalid ruleset: {rest[1]}")
            return 1
        rest = rest[2:]
    sets = rulesets(ctx)
    if rest == ["showsets"]:
        for n in sorted(sets):
            ctx.write(f"{n}\n")
        return 0
    if rest == ["show"]:
        for rule in sets.get(ruleset, []):
            ctx.write(rule + "\n")
        return 0
    ctx.warn("unknown command")
    ctx.write_err(USAGE)
    return 1
