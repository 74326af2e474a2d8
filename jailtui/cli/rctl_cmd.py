"""``jailtui rctl NAME [--add RULE] [--remove RULE] [--persist] [--json]``.

Without --add/--remove: the rctl rules that apply to jail NAME now (``rctl
jail:NAME``) and whether /etc/rctl.conf keeps each. With them: the ``rctl``
action through the gate (core/actions/limits.py): the rule checked against
rctl(8) first, refused when racct is off, ``rctl -a``/``-r``, and with
--persist the jail's block of /etc/rctl.conf saved safely. --persist alone
writes the jail's current rules into the block.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from jailtui.cli.output import print_table
from jailtui.cli.session import Session
from jailtui.core.errors import RacctUnavailable
from jailtui.core.text import visible

if TYPE_CHECKING:
    # rctl(8)'s parsers load when the command runs: main's parser imports this
    # module for every command, `list` too (tests/test_import_hygiene.py LIST_LAZY).
    from jailtui.core.freebsd import rctl

# core/actions/limits.py (and rctlconf, safefile and remotefile through it)
# only when `rctl` runs: building the parser for `list` must not import them
# (issue 18; tests/test_import_hygiene.py).


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "rctl", help="a jail's rctl limits: show, add, change, remove, keep in /etc/rctl.conf",
        description="The rctl(8) rules of jail NAME (rctl jail:NAME). --add RULE adds one or "
                    "changes the amount of a deny rule (rctl -a), --remove RULE removes it "
                    "(rctl -r; RESOURCE:ACTION without an amount removes every amount). "
                    "RULE is RESOURCE:ACTION=AMOUNT[/PER] as in rctl(8), e.g. "
                    "memoryuse:deny=2G or maxproc:deny=200; amounts take K, M, G, T. "
                    "--persist also keeps the jail's rules in its block of /etc/rctl.conf "
                    "(# BEGIN jailtui NAME ... # END jailtui NAME), read by rc.d/rctl at "
                    "boot; alone, it writes the rules the jail has now. Needs resource "
                    "accounting: kern.racct.enable=1 in /boot/loader.conf and a reboot.")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--add", metavar="RULE", help="add or change a rule: RESOURCE:ACTION=AMOUNT")
    sp.add_argument("--remove", metavar="RULE",
                    help="remove a rule: RESOURCE:ACTION[=AMOUNT]")
    sp.add_argument("--persist", action="store_true",
                    help="keep the jail's rules in /etc/rctl.conf (its marked block)")
    sp.add_argument("--json", action="store_true", help="one JSON document")


def _rule_json(rule: rctl.RctlRule, kept: bool | None) -> dict[str, object]:
    return {"rule": rule.text, "resource": rule.resource, "action": rule.action,
            "amount": rule.amount, "per": rule.per, "persisted": kept}


def run(session: Session, args: argparse.Namespace) -> int:
    from jailtui.core.actions import limits
    from jailtui.core.freebsd import rctl, rctlconf

    controller = session.controller
    name: str = args.name
    if args.add or args.remove or args.persist:
        add = rctl.jail_rule(name, args.add) if args.add else None
        remove = rctl.jail_rule(name, args.remove, amount_required=False) \
            if args.remove else None
        what = limits.LimitChange(add, remove, args.persist)
        result = asyncio.run(controller.rctl_change(name, what))
        if args.json:
            json.dump({"jail": name, "ok": result.ok, "message": result.message,
                       "change": what.describe()}, sys.stdout, indent=2)
            print()
        else:
            print(visible(result.message, 2000), file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1

    async def read() -> tuple[list[rctl.RctlRule], list[rctl.RctlRule] | None]:
        return await controller.rctl_rules(name), await controller.rctl_persisted(name)

    try:
        rules, kept = asyncio.run(read())
    except RacctUnavailable as exc:
        print(visible(f"jailtui: rctl: {limits.RACCT_OFF if 'disabled' in exc.message else limits.RACCT_MISSING} "
                      f"(rctl said: {exc.message})", 2000), file=sys.stderr)
        return 1
    kept_texts = None if kept is None else {r.text for r in kept}
    if args.json:
        json.dump({"jail": name, "rules": [_rule_json(r, None if kept_texts is None
                                                      else r.text in kept_texts)
                                           for r in rules],
                   "persisted": None if kept is None else [r.text for r in kept]},
                  sys.stdout, indent=2)
        print()
        return 0
    rows = [[visible(r.resource), visible(r.action), rctl.amount_text(r),
             "?" if kept_texts is None else ("yes" if r.text in kept_texts else "no"),
             visible(r.text, 200)] for r in rules]
    if not rows:
        print(f"{visible(name)}: no rctl rules (add one: jailtui rctl {visible(name)} "
              "--add memoryuse:deny=2G)")
    else:
        print_table(f"rctl rules of {visible(name)}", ["RESOURCE", "ACTION", "AMOUNT",
                    "KEPT", "RULE"], rows, right=(2,), shrink=(4,))
    only_kept = [r for r in (kept or []) if r.text not in {x.text for x in rules}]
    for r in only_kept:
        print(f"in {rctlconf.PATH} but not in the kernel: {visible(r.text, 200)}")
    return 0
