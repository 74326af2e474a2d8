"""pfctl(8), the part jailtui reads: ``pfctl [-a ANCHOR] -s nat`` (``-sn``).

Bastille's ``bastille rdr NAME tcp 8080 80`` loads its rules into the anchor
``rdr/NAME`` (usr/local/share/bastille/rdr.sh; docs/managers.md), and
``pfctl -a rdr/NAME -sn`` lists them one a line as pfctl_parser.c print_rule
writes them (``rdr on em0 inet proto tcp from any to any port = 8080 ->
10.0.1.11 port 80``). The rules live in the state (``State.pf_anchors``).
Failures as pfctl's (docs/freebsd.md 15.3): without pf loaded, opening
/dev/pf fails (``pfctl: /dev/pf: No such file or directory``, ``sim fault
nopf``); an anchor that does not exist is ``pfctl: DIOCGETRULES: Invalid
argument``; inside a jail /dev/pf is not there either (devfs ruleset 4 hides it).
Anything else (loading rules, -e, -d) is refused: the simulator's pf is read-only.
"""

from __future__ import annotations

from jailtui.sim import faults
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

_USAGE = ("usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor] [-D macro=value] [-F modifier]\n"
          "\t[-f file] [-i interface] [-K host | network]\n"
          "\t[-k host | network | gateway | label | id] [-o level] [-p device]\n"
          "\t[-s modifier] [-t table -T command [address ...]] [-x level]\n")

#: -s modifiers pfctl accepts (pfctl.c showopt_list); only nat has content here.
_SHOW = ("queue", "rules", "Anchors", "Sources", "nat", "info", "states", "labels", "timeouts",
         "memory", "Tables", "osfp", "Running", "Interfaces", "all", "ethernet", "creatorids")


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "a:AdD:eqf:F:ghi:k:K:mMnNOo:Pp:rRs:t:T:vx:z")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(_USAGE)
        return 1
    if rest:
        ctx.write_err(_USAGE)
        return 1
    show = [a for o, a in opts if o == "s"]
    if not show or any(o not in ("a", "s", "v") for o, _ in opts):
        ctx.warn("/dev/pf: Operation not permitted (the simulated pf is read-only)")
        return 1
    matches = [m for m in _SHOW if m.startswith(show[-1])] if show[-1] else []
    if len(matches) != 1:
        ctx.warn(f"Unknown show modifier '{show[-1]}'" if not matches
                 else f"{show[-1]}: ambiguous show modifier")
        ctx.write_err(_USAGE)
        return 1
    with Store(ctx.simdir).read() as st:
        pf_on = st.pf and "nopf" not in faults.load(ctx.simdir)
        anchors = dict(st.pf_anchors)
    if ctx.jail is not None or not pf_on:
        ctx.warn("/dev/pf: No such file or directory")
        return 1
    anchor = next((a for o, a in reversed(opts) if o == "a"), "")
    if matches[0] != "nat":
        return 0
    if anchor and anchor not in anchors:
        ctx.warn("DIOCGETRULES: Invalid argument")
        return 1
    rules = anchors.get(anchor, []) if anchor else []
    ctx.write("".join(r + "\n" for r in rules))
    return 0
