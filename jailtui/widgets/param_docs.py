"""What each jail parameter means, in words an admin can act on.

From jail(8) as summarised in docs/freebsd.md sections 5.1
and 5.2 (defaults are those of jails created by jail(8)). The detail screen
spells every restriction out: "allow.raw_sockets: permitted — raw sockets
(ping, traceroute)" says more than ``allow.raw_sockets`` does.
"""

from __future__ import annotations

from jailtui.core.model import ParamValue

#: allow.* flags: what the jail's root may do when the flag is set.
ALLOW: dict[str, str] = {
    "allow.set_hostname": "change the jail's host name",
    "allow.sysvipc": "use System V IPC (legacy; see sysvmsg/sysvsem/sysvshm)",
    "allow.raw_sockets": "open raw sockets: ping, traceroute, packet crafting",
    "allow.chflags": "change system file flags (schg, sappnd...)",
    "allow.mount": "mount jail-friendly file systems (also needs enforce_statfs < 2)",
    "allow.quotas": "administer file system quotas",
    "allow.socket_af": "use address families beyond UNIX, IPv4, IPv6 and route",
    "allow.mlock": "lock memory (mlock, munlock)",
    "allow.reserved_ports": "bind ports below 1024",
    "allow.read_msgbuf": "read the kernel message buffer (dmesg)",
    "allow.unprivileged_proc_debug": "let unprivileged users debug their processes",
    "allow.suser": "be superuser: the jail's root has root privileges in the jail",
    "allow.nfsd": "run an NFS server",
    "allow.extattr": "set system-namespace extended attributes",
    "allow.adjtime": "adjust the host's clock (adjtime)",
    "allow.settime": "set the host's clock",
    "allow.setaudit": "change audit properties (setaudit)",
    "allow.vmm": "run bhyve virtual machines (vmm)",
    # FreeBSD 14.x/15 (docs/freebsd.md 5.2; kern_jail.c cr_can_tamper_with_subjail).
    "allow.routing": "change the host's routing table (a jail without its own vnet)",
    "allow.unprivileged_parent_tampering": "let unprivileged users of the parent (host) "
                                           "signal or debug their processes in the jail",
    "allow.mount.devfs": "mount devfs",
    "allow.mount.fdescfs": "mount fdescfs",
    "allow.mount.fusefs": "mount FUSE file systems",
    "allow.mount.nullfs": "mount nullfs (loopback mounts)",
    "allow.mount.procfs": "mount procfs",
    "allow.mount.linprocfs": "mount linprocfs",
    "allow.mount.linsysfs": "mount linsysfs",
    "allow.mount.tmpfs": "mount tmpfs",
    "allow.mount.zfs": "mount ZFS datasets delegated to the jail",
}

#: Flags that are on by default; turning them off tightens the jail.
DEFAULT_ON = frozenset({"allow.set_hostname", "allow.reserved_ports",
                        "allow.unprivileged_proc_debug", "allow.suser"})

_SECURELEVEL = {
    "-1": "permanently insecure: no kernel-enforced protection",
    "0": "insecure mode: no restrictions yet",
    "1": "secure: schg/sappnd flags stay, no kernel modules, no /dev/mem",
    "2": "highly secure: as 1, and no raw disk writes, no big clock steps",
    "3": "network secure: as 2, and the firewall rules are fixed",
}

_ENFORCE_STATFS = {
    "0": "every mount point of the host is visible in the jail",
    "1": "only mount points below the jail's root are visible",
    "2": "only the jail's own root mount point is visible (the default)",
}

_JAILSYS = {
    "disable": "disabled",
    "new": "its own",
    "inherit": "the host's (inherited)",
}


def as_bool(value: ParamValue | None) -> bool | None:
    """A flag's value: real JSON booleans (jls -n) or "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    return None


def as_text(value: ParamValue | None) -> str:
    """A parameter value as jls -n would print it (lists joined with commas)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def explain(name: str, value: ParamValue | None) -> str | None:
    """One sentence about a restriction parameter, or None if nothing to say."""
    text = as_text(value)
    if name == "securelevel":
        return _SECURELEVEL.get(text, "raises the jail's kern.securelevel")
    if name == "enforce_statfs":
        return _ENFORCE_STATFS.get(text)
    if name == "children.max":
        return "no child jails may be created" if text == "0" \
            else f"up to {text} child jails may be created"
    if name == "devfs_ruleset":
        return "no devfs rules (every device node visible)" if text == "0" \
            else f"devfs rule set {text} hides device nodes (4 = devfsrules_jail)"
    if name == "vnet":
        return "its own network stack (VNET)" if text == "new" else "the host's network stack"
    if name in ("ip4", "ip6"):
        fam = "IPv4" if name == "ip4" else "IPv6"
        if text == "disable":
            return f"{fam}: restricted to the jail's own addresses (or none)"
        if text == "inherit":
            return f"{fam}: every address of the host"
        return f"{fam}: {_JAILSYS.get(text, text)}"
    if name == "host":
        return f"host name and UUID: {_JAILSYS.get(text, text)}"
    if name in ("sysvmsg", "sysvsem", "sysvshm"):
        return f"System V {name[4:]}: {_JAILSYS.get(text, text)}"
    if name == "persist":
        return "stays alive with no processes" if as_bool(value) else \
            "removed when its last process exits"
    return None


#: Restriction parameters shown first, in this order, with their meaning.
RESTRICTIONS = ("securelevel", "enforce_statfs", "children.max", "devfs_ruleset", "vnet",
                "ip4", "ip6", "host", "sysvmsg", "sysvsem", "sysvshm", "persist")
