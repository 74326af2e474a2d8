"""Collect the security posture of every jail of one host (docs/freebsd.md 13).

A fixed set of host commands, whatever the number of jails, plus one
``pkg audit`` inside each running jail and one ``stat`` per jail root (per 200 files):

- ``sysctl -n kern.securelevel kern.osrelease`` (the host's level and kernel);
- ``jls -n all`` (every running jail's parameters);
- ``devfs rule -s N show`` per distinct ruleset;
- ``pkg audit -q FreeBSD-<userland> ... FreeBSD-kernel-<kernel>``: the base systems
  against the host's database (the recipe of pkg's periodic base audit);
- ``jexec -l -U root NAME pkg audit -q``: the jail's packages by the jail's own pkg
  and database (never the host's ``pkg -j``: freebsd/pkg#1562);
- ``stat -f %Sf PATH...`` of the baseline's paths in the jail root, run on the host
  after each path was walked from the root without following a symlink
  (core/transport/jailfs.py lstat_under_root here, astat_remote's script on a
  remote host, where the jail's vuln.xml is dated by ``stat -f %m``);
- ``bin/freebsd-version`` read as text through jailfs, never executed.

Every failure becomes an UNKNOWN item with its reason; nothing here raises
for a jail's bad data.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence

from jailtui.core.errors import CommandError, JailtuiError
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import jls as jlsmod
from jailtui.core.freebsd.errors import check as check_result
from jailtui.core.freebsd.fflags import shown as flags_shown
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import Jail, JailState, ParamValue
from jailtui.core.posture import parse
from jailtui.core.posture.baseline import Baseline
from jailtui.core.posture.model import FlagChange, Item, JailPosture, Verdict
from jailtui.core.text import visible
from jailtui.core.transport import jailfs
from jailtui.core.transport.runner import run_all

#: Seconds for one posture command (pkg audit reads a 30 MB database).
TIMEOUT = 60.0
#: Jails collected at once on one host.
CONCURRENCY = 4
VULNXML = "/var/db/pkg/vuln.xml"

#: One sentence per allow.* switch (jail(8); docs/freebsd.md 5.2).
ALLOW_MEANING = {
    "allow.chflags": "jail root may change system file flags (clear schg/sappnd)",
    "allow.mount": "jail root may mount file systems marked jail-friendly",
    "allow.raw_sockets": "raw sockets: the jail can forge packets (ping, spoofing)",
    "allow.read_msgbuf": "the jail can read the kernel message buffer (dmesg)",
    "allow.socket_af": "every socket family is allowed, not only UNIX/IPv4/IPv6/route",
    "allow.sysvipc": "System V IPC is shared with the host and other jails",
    "allow.unprivileged_parent_tampering": "unprivileged jail users may tamper with "
                                           "processes of the host's users",
    "allow.set_hostname": "jail root may change the jail's hostname",
    "allow.reserved_ports": "jail root may bind ports below 1024",
    "allow.suser": "root in the jail has root's privileges (within the jail)",
    "allow.unprivileged_proc_debug": "unprivileged users may debug their own processes",
    "allow.mlock": "jail processes may lock memory",
    "allow.quotas": "jail root may manage file system quotas",
    "allow.routing": "jail root may change the routing table (vnet)",
    "allow.settime": "jail root may set the system clock",
    "allow.adjtime": "jail root may slew the system clock",
    "allow.nfsd": "the jail may run an NFS server",
    "allow.extattr": "jail root may manage system extended attributes",
    "allow.vmm": "the jail may use the bhyve hypervisor",
}
FLAG_MEANING = {
    "schg": "immutable: nobody may change, rename or delete it while the securelevel is "
            "above 0 (and jail root never, without allow.chflags)",
    "sappnd": "append-only: existing lines cannot be rewritten, so traces stay",
    "sunlnk": "undeletable",
}


def _item(group: str, title: str, value: str, meaning: str, ok: bool | None,
          reason: str = "") -> Item:
    verdict = Verdict.INFO if ok is None else Verdict.OK if ok else Verdict.DEVIATES
    return Item(group, title, value, meaning, verdict, "" if ok in (True, None) else reason)


def _unknown(group: str, title: str, reason: str, meaning: str = "") -> Item:
    return Item(group, title, "unknown", meaning, Verdict.UNKNOWN, reason)


def _on(v: ParamValue | None) -> bool:
    return v is True or (isinstance(v, str) and v.lower() in ("true", "1"))


def _int(v: ParamValue | None) -> int | None:
    if isinstance(v, bool) or v is None or isinstance(v, tuple):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class HostFacts:
    """What one host's commands said, shared by its jails."""

    def __init__(self) -> None:
        self.securelevel: int | None = None
        self.kernel: str | None = None
        self.facts_error = ""
        self.params: dict[str, dict[str, ParamValue]] = {}
        self.params_error = ""
        self.rules: dict[int, list[str] | str] = {}
        self.base_vulnerable: set[str] | None = None
        self.base_error = ""
        self.db_age: float | None = None
        self.db_error = ""


async def _run(host: JailHost, argv: Sequence[str]) -> tuple[bytes, bytes, int] | str:
    try:
        res = await host.runner.run(list(argv), timeout=TIMEOUT)
    except CommandError as exc:
        return exc.message
    return res.stdout, res.stderr, res.returncode


async def host_facts(host: JailHost, jails: Sequence[Jail], now: float) -> HostFacts:
    f = HostFacts()
    try:
        res = check_result(await host.runner.run(
            argvmod.sysctl_value_argv("kern.securelevel", "kern.osrelease"), timeout=TIMEOUT))
        vals = res.stdout.decode("utf-8", "replace").splitlines()
        f.securelevel = parse.int_of(vals, 0)
        f.kernel = vals[1].strip() if len(vals) > 1 else None
        if f.securelevel is None:
            f.facts_error = "sysctl kern.securelevel printed no number"
    except (CommandError, JailtuiError) as exc:
        f.facts_error = f"sysctl: {exc}"
    if any(j.state is JailState.RUNNING for j in jails):
        try:
            res = check_result(await host.runner.run(jlsmod.jls_params_argv(["all"]),
                                                     timeout=TIMEOUT))
            for row in jlsmod.parse_jls_params(res.stdout):
                if "name" in row:
                    f.params[str(row["name"])] = row
        except (CommandError, JailtuiError) as exc:
            f.params_error = f"jail parameters unavailable: {exc}"
    for n in sorted({r for p in f.params.values() if (r := _int(p.get("devfs_ruleset")))
                     is not None and r > 0}):
        got = await _run(host, argvmod.devfs_rules_argv(n))
        if isinstance(got, str):
            f.rules[n] = got
        elif got[2] != 0:
            f.rules[n] = visible(got[1].decode("utf-8", "replace").strip() or "devfs failed")
        else:
            f.rules[n] = [visible(ln) for ln in got[0].decode("utf-8", "replace").splitlines()]
    sig = host.files.stat(VULNXML)
    if sig is None:
        f.db_error = f"no host vulnerability database ({VULNXML}; pkg audit -F never ran)"
    else:
        f.db_age = max(0.0, now - sig[0] / 1e9)
    return f


async def base_audit(host: JailHost, facts: HostFacts, names: Sequence[str]) -> None:
    """The recipe of pkg's periodic base audit, for every userland at once."""
    wanted = sorted(set(names))
    if facts.kernel:
        try:
            wanted.append(parse.base_package(facts.kernel, kernel=True))
        except parse.Unknown:
            pass
    if not wanted:
        return
    try:
        res = await host.runner.run(argvmod.pkg_audit_argv(wanted), timeout=TIMEOUT)
        facts.base_vulnerable = set(parse.audit_result(res))
    except CommandError as exc:
        facts.base_error = exc.message
    except parse.Unknown as exc:
        facts.base_error = str(exc)


def _userland_name(version: str | None) -> str | None:
    if version is None:
        return None
    try:
        return parse.base_package(version)
    except parse.Unknown:
        return None


class _JailRead:
    def __init__(self) -> None:
        self.userland: str | None = None
        self.userland_error = ""
        self.flags: list[tuple[str, tuple[str, ...], tuple[str, ...] | None, str]] = []
        self.flags_error = ""
        self.logs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self.db_age: float | None = None
        self.db_error = ""
        self.packages: list[str] | None = None
        self.packages_error = ""
        #: Is the base system installed from packages (pkgbase)? None: not known.
        self.pkgbase: bool | None = None
        self.pkgbase_error = ""
        #: The jail root's host path (without a trailing slash).
        self.root = ""


async def _read_jail(host: JailHost, jail: Jail, baseline: Baseline, now: float) -> _JailRead:
    r = _JailRead()
    root = jail.path.rstrip("/")
    (fr,) = await host.read_jail_files(root or "/", ["bin/freebsd-version"])
    try:
        r.userland = parse.userland(fr.data, "no /bin/freebsd-version in the jail root"
                                    if fr.missing else fr.why())
    except parse.Unknown as exc:
        r.userland_error = str(exc)
    local = host.files.local_path(root or "/")
    if local is None:
        await _read_metadata_remote(host, r, root, baseline, now)
        if not r.flags_error:
            await _stat_flags(host, r)
    else:
        await asyncio.wait_for(asyncio.to_thread(_read_metadata, host, r, local, root,
                                                 baseline, now), jailfs.TIMEOUT)
        if not r.flags_error:
            await _stat_flags(host, r)
    if jail.state is JailState.RUNNING:
        try:
            res = await host.runner.run(
                argvmod.jexec_argv(jail.name, ["pkg", "audit", "-q"], user="root"),
                timeout=TIMEOUT)
            r.packages = parse.audit_result(res)
        except CommandError as exc:
            r.packages_error = exc.message
        except parse.Unknown as exc:
            r.packages_error = str(exc)
        if r.packages is not None:
            await _pkgbase(host, jail, r)
        else:
            r.pkgbase_error = r.packages_error
    else:
        r.packages_error = r.pkgbase_error = "the jail is not running (its pkg runs inside it)"
    return r


#: The package every pkgbase system has (the base system's runtime).
PKGBASE_PACKAGE = "FreeBSD-runtime"


async def _pkgbase(host: JailHost, jail: Jail, r: _JailRead) -> None:
    """``pkg info -e FreeBSD-runtime`` by the jail's pkg: 0 pkgbase, 1 not (pkg-info(8))."""
    try:
        res = await host.runner.run(
            argvmod.jexec_argv(jail.name, ["pkg", "info", "-e", PKGBASE_PACKAGE],
                               user="root"), timeout=TIMEOUT)
    except CommandError as exc:
        r.pkgbase_error = exc.message
        return
    if res.returncode in (0, 1) and not res.stderr.strip():
        r.pkgbase = res.returncode == 0
    else:
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        r.pkgbase_error = f"pkg info failed: {err[0] if err else res.returncode}"


def _read_metadata(host: JailHost, r: _JailRead, local: str, root: str, baseline: Baseline,
                   now: float) -> None:
    """The blocking part: walk the baseline's paths from the root (no symlink followed)."""
    del host
    r.flags = []
    r.root = root
    try:
        os.close(os.open(local, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    except OSError as exc:
        r.flags_error = r.db_error = (f"jail root {visible(root or '/')} not readable: "
                                      f"{os.strerror(exc.errno or 5)}")
        return
    for path in baseline.flags:
        rel = path.lstrip("/")
        if path.endswith("/*"):
            d = rel[:-2]
            got = jailfs.list_files_under_root(local, d, shown=f"{root}/{d}")
            if got.missing:
                continue
            if not got.ok:
                r.flags.append((path, (), None, got.reason))
                continue
            for name in got.entries:
                r.flags.append((f"{path[:-2]}/{name}", baseline.flags[path], (), ""))
            continue
        st = jailfs.lstat_under_root(local, rel, shown=f"{root}/{rel}")
        if st.missing:
            r.flags.append((path, baseline.flags[path], None, "missing"))
        elif not st.ok:
            r.flags.append((path, baseline.flags[path], None, st.reason))
        else:
            r.flags.append((path, baseline.flags[path], (), ""))
    db = jailfs.lstat_under_root(local, VULNXML.lstrip("/"), shown=f"{root}{VULNXML}")
    if db.st is None:
        r.db_error = ("no vulnerability database in the jail (pkg audit -F never ran)"
                      if db.missing else db.reason)
    else:
        r.db_age = max(0.0, now - db.st.st_mtime)


async def _read_metadata_remote(host: JailHost, r: _JailRead, root: str, baseline: Baseline,
                                now: float) -> None:
    """:func:`_read_metadata` on a remote host: the same walk, run there
    (jailfs.astat_remote), then ``stat -f %m`` of the jail's vuln.xml."""
    r.flags = []
    r.root = root
    wanted = [(p[:-2].lstrip("/"), True) if p.endswith("/*") else (p.lstrip("/"), False)
              for p in baseline.flags]
    wanted.append((VULNXML.lstrip("/"), False))
    got = await jailfs.astat_remote(host.runner, host.paths.real(root or "/"), wanted,
                                    shown_root=root or "/")
    if any(g.root_unreadable for g in got):
        r.flags_error = r.db_error = (f"jail root {visible(root or '/')} not readable: "
                                      f"{got[0].reason.removeprefix('jail root: ')}")
        return
    for path, g in zip(baseline.flags, got, strict=False):
        if path.endswith("/*"):
            if g.missing:
                continue
            if not g.present:
                r.flags.append((path, (), None, g.reason))
                continue
            for name in g.entries:
                r.flags.append((f"{path[:-2]}/{name}", baseline.flags[path], (), ""))
        elif g.missing:
            r.flags.append((path, baseline.flags[path], None, "missing"))
        elif not g.present:
            r.flags.append((path, baseline.flags[path], None, g.reason))
        else:
            r.flags.append((path, baseline.flags[path], (), ""))
    db = got[-1]
    if not db.present:
        r.db_error = ("no vulnerability database in the jail (pkg audit -F never ran)"
                      if db.missing else db.reason)
        return
    try:
        res = check_result(await host.runner.run(argvmod.stat_mtime_argv(f"{root}{VULNXML}"),
                                                 timeout=TIMEOUT))
        r.db_age = max(0.0, now - int(res.stdout.decode("ascii", "replace").strip()))
    except (CommandError, JailtuiError) as exc:
        r.db_error = f"stat: {exc}"
    except ValueError:
        r.db_error = "stat printed no modification time"


#: Files per ``stat`` command: the argv stays far below ARG_MAX whatever the
#: jail put in /var/log (10,000 names of 255 bytes would not fit in one).
STAT_BATCH = 200

#: Files stat'ed one by one when a batch fails (above it, the batch's files
#: are unknown with its reason: a bounded cost whatever the jail does).
STAT_RETRY = 400


async def _stat_flags(host: JailHost, r: _JailRead) -> None:
    """``stat -f %Sf`` of every present path, in batches of one round trip.

    The jail's root owns the names (/var/log/* is listed from it), so one file
    must never hide the flags of the others: a batch that fails (a file gone
    since the listing, an unexpected answer) is asked again one file per
    command, and only the files that fail alone are unknown, each with its own
    reason. Names go as argv, any byte in them kept (docs/freebsd.md 13.5).
    """
    root = r.root
    todo = [i for i, (_, _, cur, why) in enumerate(r.flags) if cur == () and not why]
    if not todo:
        return
    paths = {i: f"{root}{r.flags[i][0]}" for i in todo}
    batches = [todo[k:k + STAT_BATCH] for k in range(0, len(todo), STAT_BATCH)]
    try:
        results = await run_all(host.runner, [argvmod.stat_flags_argv([paths[i] for i in b])
                                              for b in batches], TIMEOUT)
    except CommandError as exc:
        r.flags_error = exc.message
        return
    got: dict[int, tuple[str, ...]] = {}
    failed: dict[int, str] = {}
    again: list[int] = []  # files of failed batches of several: asked alone
    for batch, res in zip(batches, results, strict=True):
        try:
            got.update(zip(batch, parse.flags_output(res, len(batch)), strict=True))
        except parse.Unknown as exc:
            failed.update((i, str(exc)) for i in batch)
            if len(batch) > 1:
                again.extend(batch)
    if again and len(again) <= STAT_RETRY:
        try:
            alone = await run_all(host.runner, [argvmod.stat_flags_argv([paths[i]])
                                                for i in again], TIMEOUT)
        except CommandError as exc:
            failed.update((i, exc.message) for i in again)
        else:
            for i, res in zip(again, alone, strict=True):
                try:
                    (got[i],) = parse.flags_output(res, 1)
                    del failed[i]
                except parse.Unknown as exc:
                    failed[i] = str(exc)
    for i in todo:
        path, want, _, _ = r.flags[i]
        if i in got:
            r.flags[i] = (path, want, got[i], "")
        else:
            r.flags[i] = (path, want, None, failed.get(i, "stat printed nothing for it"))


def _days(seconds: float) -> str:
    days = seconds / 86_400
    return f"{days:.1f} days old" if days < 10 else f"{days:.0f} days old"


def evaluate(host_name: str | None, jail: Jail, facts: HostFacts, r: _JailRead,
             baseline: Baseline) -> JailPosture:
    """The items of one jail from what was read (pure)."""
    items: list[Item] = []
    add = items.append
    p = facts.params.get(jail.name) if jail.state is JailState.RUNNING else None
    running = jail.state is JailState.RUNNING
    not_running = "the jail is not running: the kernel has no parameters for it"
    # -- securelevel
    eff: int | None = None
    if not running:
        add(_unknown("securelevel", "securelevel", not_running))
    elif p is None:
        add(_unknown("securelevel", "securelevel", facts.params_error or "not in jls"))
    elif facts.securelevel is None:
        add(_unknown("securelevel", "securelevel", facts.facts_error))
    else:
        own = _int(p.get("securelevel"))
        if own is None:
            add(_unknown("securelevel", "securelevel", "jls gave no securelevel"))
        else:
            eff = max(own, facts.securelevel)
            which = ("the jail's" if own > facts.securelevel else
                     "the host's" if facts.securelevel > own else "equal")
            add(_item("securelevel", "securelevel",
                      f"{eff} (jail {own}, host {facts.securelevel}: "
                      + (f"{which} applies)" if which != "equal" else "equal)"),
                      parse.securelevel_meaning(eff) + "; the higher of the jail's and the "
                      "host's is effective",
                      eff >= baseline.min_securelevel,
                      f"below the baseline's minimum {baseline.min_securelevel}"))
    # -- restrictions
    loosened: list[str] = []
    if running and p is not None:
        for name in sorted(k for k in p if k.startswith("allow.") and _on(p[k])):
            bad = baseline.forbids(name)
            if bad:
                loosened.append(name)
            add(_item("restrictions", name, "on",
                      ALLOW_MEANING.get(name, "a permission beyond the jail default"),
                      False if bad else None, "the baseline says it must be off"))
        es = _int(p.get("enforce_statfs"))
        if es is not None:
            ok = es >= baseline.min_enforce_statfs
            if not ok:
                loosened.append(f"enforce_statfs={es}")
            add(_item("restrictions", "enforce_statfs", str(es),
                      {2: "only mounts below the jail root are visible",
                       1: "mounts below the jail root are visible, with host paths",
                       0: "every mount point of the host is visible"}.get(es, "?"),
                      ok, f"below the baseline's minimum {baseline.min_enforce_statfs}"))
        cm = _int(p.get("children.max"))
        if cm is not None:
            add(_item("restrictions", "children.max", str(cm),
                      "the jail may create no jails of its own" if cm == 0 else
                      f"the jail may create up to {cm} jails of its own", None))
        rs = _int(p.get("devfs_ruleset"))
        if rs is not None:
            rules = facts.rules.get(rs)
            self_mount = _on(p.get("allow.mount.devfs")) and _on(p.get("allow.mount"))
            if rs == 0:
                meaning = ("no ruleset enforced: jail(8)'s mount.devfs applies rc.conf's "
                           "devfs_jail_ruleset (4) when it mounts /dev"
                           + ("; the jail may mount devfs itself, unhidden" if self_mount
                              else ", and the jail cannot mount devfs itself"))
            elif isinstance(rules, list):
                meaning = (f"ruleset {rs}: " + "; ".join(rules)) if rules else \
                    f"ruleset {rs} has no rules: nothing is hidden"
            else:
                meaning = f"ruleset {rs}: rules unavailable ({rules or 'not asked'})"
            ok = rs != 0 or not self_mount or baseline.devfs_ruleset_zero
            if not ok:
                loosened.append("devfs_ruleset=0")
            add(_item("restrictions", "devfs_ruleset", str(rs), meaning,
                      ok if not ok else None,
                      "the jail may mount a devfs that hides no device (disks included)"))
        vnet = p.get("vnet")
        ip4 = p.get("ip4")
        add(_item("restrictions", "network",
                  "vnet" if vnet == "new" else f"shared stack (ip4={ip4})",
                  "its own network stack (firewall and routes of its own)" if vnet == "new"
                  else "the host's network stack, limited to the jail's addresses"
                  if ip4 in ("disable", "new") else "every address of the host", None))
        ipc = ", ".join(f"{k}={p.get(k)}" for k in ("sysvmsg", "sysvsem", "sysvshm")
                        if k in p)
        if ipc:
            add(_item("restrictions", "sysvipc", ipc,
                      "new: its own System V IPC; inherit: shared with the host; "
                      "disable: none", None))
        for name in sorted(k for k in p if k.startswith("mac.")):
            add(_item("restrictions", name, visible(str(p[name])), "MAC policy parameter",
                      None))
    elif running:
        add(_unknown("restrictions", "restrictions", facts.params_error or "not in jls"))
    else:
        add(_unknown("restrictions", "restrictions", not_running))
    # -- flags
    missing = 0
    changes: list[FlagChange] = []
    if r.flags_error:
        add(_unknown("flags", "file flags", r.flags_error))
        missing_count: int | None = None
    else:
        root = jail.path.rstrip("/")
        for path, want, cur, why in r.flags:
            title = f"flags {path}"
            meaning = "; ".join(f"{w}: {FLAG_MEANING.get(w, w)}" for w in want) or "-"
            if why == "missing":
                add(_item("flags", title, "not present", meaning, None))
            elif cur is None:
                add(_unknown("flags", title, why, meaning))
            else:
                lack = tuple(w for w in want if w not in cur)
                if lack:
                    missing += 1
                    changes.append(FlagChange(f"{root}{path}", cur, lack))
                add(_item("flags", title, flags_shown(cur), meaning, not lack,
                          f"lacks {','.join(lack)}"))
        missing_count = missing
    # -- versions
    versus = ""
    if r.userland is None:
        add(_unknown("userland", "userland", r.userland_error,
                     "the jail's base system, from its bin/freebsd-version (read, never run)"))
    else:
        meaning = "the jail's base system, from its bin/freebsd-version (read, never run)"
        fine: bool | None = True
        reason = ""
        if facts.kernel:
            try:
                versus = parse.versus(r.userland, facts.kernel)
                meaning += f"; host kernel {facts.kernel}: " + {
                    "behind": "the userland is older than the kernel (supported)",
                    "same": "the same release as the kernel",
                    "newer": "the userland is newer than the kernel (unsupported)"}[versus]
                fine = versus != "newer"
                reason = "a userland newer than the running kernel is not supported"
            except parse.Unknown:
                meaning += f"; host kernel {facts.kernel}"
        add(_item("userland", "userland", r.userland, meaning, fine, reason))
    if r.pkgbase is None:
        add(_unknown("userland", "pkgbase", r.pkgbase_error or "not asked"))
    else:
        add(_item("userland", "pkgbase", "yes" if r.pkgbase else "no",
                  "the base system is installed from packages (pkg upgrade updates it)"
                  if r.pkgbase else "the base system is not from packages "
                  "(freebsd-update or a source build updates it)", None))
    # -- vulnerabilities
    base_count: int | None = None
    base_name = _userland_name(r.userland)
    if r.userland is None:
        add(_unknown("base", "base system", "the userland version is unknown"))
    elif base_name is None:
        try:
            parse.base_package(r.userland)
        except parse.Unknown as exc:
            add(_unknown("base", "base system", str(exc)))
    elif facts.base_vulnerable is None:
        add(_unknown("base", "base system", facts.base_error or "not audited"))
    else:
        vulnerable = base_name in facts.base_vulnerable
        base_count = 1 if vulnerable else 0
        add(_item("base", "base system", f"{base_name}: " + ("vulnerable" if vulnerable
                                                          else "no known vulnerability"),
                  "the jail's userland against the host's vulnerability database "
                  "(pkg audit, as the periodic base audit does)",
                  base_count <= baseline.max_vulnerable, "a known vulnerability: update it "
                  "(freebsd-update or pkg upgrade of the base)"))
    pkg_count: int | None = None
    if r.packages is None:
        add(_unknown("packages", "packages", r.packages_error))
    else:
        pkg_count = len(r.packages)
        add(_item("packages", "packages",
                  f"{pkg_count} vulnerable" + (": " + ", ".join(visible(x) for x in r.packages)
                                               if r.packages else ""),
                  "the jail's packages, audited by its own pkg and database",
                  pkg_count <= baseline.max_vulnerable,
                  f"more than {baseline.max_vulnerable} vulnerable"))
    limit = baseline.max_db_age_days * 86_400
    if r.db_age is None:
        add(_unknown("database", "database (jail)", r.db_error))
    else:
        add(_item("database", "database (jail)", _days(r.db_age),
                  "age of the jail's vuln.xml: a stale database misses recent advisories",
                  r.db_age <= limit, f"older than {baseline.max_db_age_days:g} days"))
    if facts.db_age is None:
        add(_unknown("database", "database (host)", facts.db_error))
    else:
        add(_item("database", "database (host)", _days(facts.db_age),
                  "age of the host's vuln.xml, used for the base system audit",
                  facts.db_age <= limit, f"older than {baseline.max_db_age_days:g} days"))
    return JailPosture(host_name, jail.name, jail.jid, jail.path, str(jail.owner or ""),
                       tuple(items), r.userland, facts.kernel, versus, base_count, pkg_count,
                       eff, tuple(loosened), missing_count, tuple(changes), r.pkgbase)


def baseline_for(host: JailHost, baseline: Baseline, host_name: str | None = None) -> Baseline:
    """The baseline ``host`` is measured against: its ``[posture.hosts.NAME]``
    where given. A host without a name is this machine (``local``; the simulated
    host stands in for it)."""
    from jailtui.core.hosts.fleet import LOCAL

    return baseline.for_host(host_name or host.name or LOCAL)


async def collect(host: JailHost, jails: Sequence[Jail], baseline: Baseline, *,
                  host_name: str | None = None, now: float | None = None) -> list[JailPosture]:
    """The posture of each of ``jails`` (live or configured; dying ones are left out),
    against the host's own baseline where ``[posture.hosts.NAME]`` gives one."""
    baseline = baseline_for(host, baseline, host_name)
    when = time.time() if now is None else now
    todo = [j for j in jails if j.state is not JailState.DYING and j.path]
    facts = await host_facts(host, todo, when)
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(j: Jail) -> _JailRead:
        async with sem:
            try:
                return await _read_jail(host, j, baseline, when)
            except TimeoutError:
                r = _JailRead()
                r.userland_error = r.flags_error = r.packages_error = r.db_error = \
                    "the jail root was not read in time"
                return r

    reads = await asyncio.gather(*(one(j) for j in todo))
    await base_audit(host, facts, [n for r in reads if (n := _userland_name(r.userland))])
    return [evaluate(host_name, j, facts, r, baseline) for j, r in zip(todo, reads, strict=True)]
