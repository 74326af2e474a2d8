"""sysctl(8) for the jail-related OIDs of the simulated host (docs/freebsd.md 5.3).

``sysctl NAME...`` prints ``name: value``; a node name prints every OID
below it; ``-n`` prints values only, ``-N`` names only, ``-a`` everything,
``-i`` ignores unknown OIDs. Values are computed from the state and depend
on where sysctl runs: ``security.jail.jailed`` is 1 inside a jail,
``security.jail.vnet`` 1 inside a vnet jail, ``children.max`` the jail's own
limit. Writing is refused the way FreeBSD refuses it for these OIDs
(tunables, read-only nodes, or "Operation not permitted" in a jail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jailtui.sim import kernel
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import SimJail, State, Store

USAGE = ("usage: sysctl [-bdehiNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...\n"
         "       sysctl [-bdehNnoqTtWx] [ -B <bufsize> ] -a\n")


@dataclass(frozen=True)
class Oid:
    name: str
    #: "RW", "RO" or "TUN" (a loader tunable: read-only at run time).
    access: str
    get: Callable[[State, SimJail | None], str]


def _allow(flag: str) -> Callable[[State, SimJail | None], str]:
    def get(st: State, j: SimJail | None) -> str:
        if j is None:
            return "0" if flag != "set_hostname" else "1"
        return "1" if kernel.value(st, j, f"allow.{flag}") else "0"
    return get


def _children(field: str) -> Callable[[State, SimJail | None], str]:
    def get(st: State, j: SimJail | None) -> str:
        if field == "max":
            return "999999" if j is None else str(kernel.value(st, j, "children.max"))
        parent = 0 if j is None else j.jid
        return str(sum(1 for c in st.jails if c.parent == parent))
    return get


def _param_oids() -> list[Oid]:
    # security.jail.param.*: type descriptors libjail reads; integers read 0,
    # strings and address lists read empty (docs/freebsd.md 5.3).
    out: list[Oid] = []
    for name in sorted(kernel.PARAMS):
        kind = kernel.PARAMS[name].kind
        empty = kind in ("string", "ip4", "ip6")
        out.append(Oid(f"security.jail.param.{name}", "RO",
                       (lambda st, j: "") if empty else (lambda st, j: "0")))
    return out


#: hw.model of the simulated machine (what top(1) and dmesg show).
HW_MODEL = "Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz"
#: Bytes the kernel keeps for itself: hw.physmem is below hw.realmem by this.
_KERNEL_RESERVED = 380 * 1024 * 1024

OIDS: tuple[Oid, ...] = (
    # The hardware the state describes (State.ncpu, State.physmem_kib): the
    # same figures ps's %MEM and top use (sys/kern/kern_mib.c, subr_smp.c).
    Oid("hw.machine", "RO", lambda st, j: "amd64"),
    Oid("hw.model", "RO", lambda st, j: HW_MODEL),
    Oid("hw.ncpu", "RO", lambda st, j: str(st.ncpu)),
    Oid("hw.byteorder", "RO", lambda st, j: "1234"),
    Oid("hw.physmem", "RO", lambda st, j: str(st.physmem_kib * 1024)),
    Oid("hw.usermem", "RO", lambda st, j: str(int(st.physmem_kib * 1024 * 0.9))),
    Oid("hw.pagesize", "RO", lambda st, j: "4096"),
    Oid("hw.realmem", "RO", lambda st, j: str(st.physmem_kib * 1024 + _KERNEL_RESERVED)),
    Oid("hw.machine_arch", "RO", lambda st, j: "amd64"),
    Oid("kern.ostype", "RO", lambda st, j: "FreeBSD"),
    Oid("kern.smp.cpus", "RO", lambda st, j: str(st.ncpu)),
    Oid("kern.hostname", "RW", lambda st, j: j.hostname if j else st.hostname),
    Oid("kern.osrelease", "RO", lambda st, j: st.osrelease),
    Oid("kern.osreldate", "RO", lambda st, j: str(st.osreldate)),
    Oid("kern.securelevel", "RW",
        lambda st, j: str(kernel.value(st, j, "securelevel")) if j else str(st.securelevel)),
    Oid("kern.racct.enable", "TUN", lambda st, j: "1" if st.racct else "0"),
    Oid("security.bsd.see_other_uids", "RW", lambda st, j: "1"),
    Oid("security.bsd.see_other_gids", "RW", lambda st, j: "1"),
    Oid("security.bsd.see_jail_proc", "RW", lambda st, j: "1"),
    *_param_oids(),
    Oid("security.jail.children.cur", "RO", _children("cur")),
    Oid("security.jail.children.max", "RO", _children("max")),
    Oid("security.jail.sysvipc_allowed", "RW", _allow("sysvipc")),
    Oid("security.jail.mount_zfs_allowed", "RW", _allow("mount.zfs")),
    Oid("security.jail.mount_tmpfs_allowed", "RW", _allow("mount.tmpfs")),
    Oid("security.jail.mount_procfs_allowed", "RW", _allow("mount.procfs")),
    Oid("security.jail.mount_nullfs_allowed", "RW", _allow("mount.nullfs")),
    Oid("security.jail.mount_fdescfs_allowed", "RW", _allow("mount.fdescfs")),
    Oid("security.jail.mount_devfs_allowed", "RW", _allow("mount.devfs")),
    Oid("security.jail.mount_allowed", "RW", _allow("mount")),
    Oid("security.jail.chflags_allowed", "RW", _allow("chflags")),
    Oid("security.jail.allow_raw_sockets", "RW", _allow("raw_sockets")),
    Oid("security.jail.enforce_statfs", "RW",
        lambda st, j: str(kernel.value(st, j, "enforce_statfs")) if j else "2"),
    Oid("security.jail.socket_unixiproute_only", "RW",
        lambda st, j: "0" if j and kernel.value(st, j, "allow.socket_af") else "1"),
    Oid("security.jail.set_hostname_allowed", "RW", _allow("set_hostname")),
    Oid("security.jail.devfs_ruleset", "RO",
        lambda st, j: str(kernel.value(st, j, "devfs_ruleset")) if j else "0"),
    Oid("security.jail.jail_max_af_ips", "RW", lambda st, j: "255"),
    Oid("security.jail.vnet", "RO",
        lambda st, j: "1" if j and kernel.value(st, j, "vnet") == "new" else "0"),
    Oid("security.jail.jailed", "RO", lambda st, j: "0" if j is None else "1"),
)


def _select(name: str) -> list[Oid]:
    exact = [o for o in OIDS if o.name == name]
    if exact:
        return exact
    return [o for o in OIDS if o.name.startswith(name + ".")]


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, names = getopt(args, "AabB:deFf:hiNnoqTtWx")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    if not names and not flags & {"a", "A"}:
        ctx.write_err(USAGE)
        return 1
    nflag, name_only, ignore, quiet = "n" in flags, "N" in flags, "i" in flags, "q" in flags
    rc = 0
    later: list[tuple[Oid, str]] = []
    with Store(ctx.simdir).read() as st:
        me = st.jail_by_name(ctx.jail) if ctx.jail is not None else None
        todo: list[tuple[str, str | None]] = [(n.partition("=")[0], n.partition("=")[2]
                                               if "=" in n else None) for n in names]
        if flags & {"a", "A"}:
            todo = [(o.name, None) for o in OIDS]
        for name, new in todo:
            oids = _select(name)
            if not oids:
                if not ignore:
                    ctx.warn(f"unknown oid '{name}'")
                    rc = 1
                continue
            if new is not None:
                if oids[0].name == "kern.securelevel" and me is None:
                    later.append((oids[0], new))  # a write: after the read lock is let go
                    continue
                rc |= _write(ctx, oids[0], new, me, quiet)
                continue
            for o in oids:
                if name_only:
                    ctx.write(o.name + "\n")
                elif nflag:
                    ctx.write(o.get(st, me) + "\n")
                else:
                    ctx.write(f"{o.name}: {o.get(st, me)}\n")
    for oid, value in later:
        rc |= _raise_securelevel(ctx, oid, value)
    return rc


def _write(ctx: Ctx, oid: Oid, value: str, me: SimJail | None, quiet: bool) -> int:
    del quiet
    if oid.access == "TUN":
        ctx.warn(f"oid '{oid.name}' is a read only tunable")
        ctx.warn("Tunable values are set in /boot/loader.conf")
        return 1
    if oid.access == "RO":
        ctx.warn(f"oid '{oid.name}' is read only")
        return 1
    # The simulator keeps these OIDs fixed: changing them needs privilege
    # it does not grant (in a jail FreeBSD refuses as well).
    ctx.warn(f"{oid.name}={value}: Operation not permitted")
    return 1


def _raise_securelevel(ctx: Ctx, oid: Oid, value: str) -> int:
    """The host's kern.securelevel: root may raise it; only init(8) lowers it
    (kern_mib.c sysctl_kern_securelvl: a lower value is EPERM; docs/freebsd.md 13.1)."""
    try:
        level = int(value)
    except ValueError:
        ctx.warn(f"invalid integer '{value}'")
        return 1
    with Store(ctx.simdir).write() as st:
        old = st.securelevel
        if level < old:
            ctx.warn(f"{oid.name}={value}: Operation not permitted")
            return 1
        st.securelevel = level
    ctx.write(f"{oid.name}: {old} -> {level}\n")
    return 0
