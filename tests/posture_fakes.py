"""Fixed posture data for the console tests (the real evaluate() on made-up reads).

``collector`` is a ``FakeHost(posture=...)``'s data: the screens' code path
without commands, so snapshots are stable. The reads are what
core/posture/collect.py would have gathered on a host where ``web`` is
loosened and ``mail`` unpatched.
"""

from __future__ import annotations

from collections.abc import Sequence

from jailtui.core.model import Jail, JailState
from jailtui.core.posture import collect as pc
from jailtui.core.posture.baseline import Baseline
from jailtui.core.posture.model import JailPosture

SCHG = ("/bin", "/sbin", "/lib", "/usr/bin")


def facts(jails: Sequence[Jail]) -> pc.HostFacts:
    f = pc.HostFacts()
    f.securelevel, f.kernel = -1, "15.0-RELEASE"
    for j in jails:
        if j.state is not JailState.RUNNING:
            continue
        p: dict[str, object] = {"name": j.name, "securelevel": -1, "enforce_statfs": 2,
                                "children.max": 0, "devfs_ruleset": 4, "vnet": "inherit",
                                "ip4": "disable", "allow.set_hostname": True}
        if j.name == "web":
            p.update({"allow.raw_sockets": True, "enforce_statfs": 0})
        f.params[j.name] = p  # type: ignore[assignment]
        f.rules[4] = ["100 include 1", "200 include 2", "300 include 3",
                      "400 path fuse unhide", "500 path zfs unhide"]
    f.base_vulnerable = {"FreeBSD-14.1_3"}
    f.db_age = 3 * 3600.0
    return f


def read(j: Jail) -> pc._JailRead:
    r = pc._JailRead()
    r.root = j.path.rstrip("/")
    unpatched = j.name == "mail"
    r.userland = "14.1-RELEASE-p3" if unpatched else "15.0-RELEASE-p2"
    hardened = j.name != "web"
    r.flags = [(d, ("schg",), ("schg",) if hardened else (), "") for d in SCHG]
    r.flags.append(("/var/log/messages", ("sappnd",), ("sappnd",) if hardened else (), ""))
    if j.state is JailState.RUNNING:
        r.packages = ["curl-8.7.1", "postfix-3.8.4,1"] if unpatched else []
        r.pkgbase = j.name == "db"
    else:
        r.pkgbase_error = "the jail is not running (its pkg runs inside it)"
        r.packages_error = "the jail is not running (its pkg runs inside it)"
    r.db_age = 40 * 86_400.0 if unpatched else 3600.0
    return r


async def collector(host: str | None, jails: Sequence[Jail]) -> list[JailPosture]:
    todo = [j for j in jails if j.state is not JailState.DYING and j.path]
    f = facts(todo)
    return [pc.evaluate(host, j, f, read(j), Baseline()) for j in todo]
