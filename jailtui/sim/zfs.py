"""zfs(8) of the simulated host: list, get, snapshot, destroy, rename, clone, rollback,
set and diff, with OpenZFS's options, refusals and messages (docs/freebsd.md 12).

The pool and the files are :mod:`jailtui.sim.zfs_model`'s. Messages are
libzfs's (``cannot open 'X': dataset does not exist``, ``cannot destroy 'X':
filesystem has children`` + ``use '-r' to destroy the following datasets:``,
``cannot rollback to 'X': more recent snapshots or bookmarks exist`` ...), and
-H -p output is one line per dataset, fields separated by one tab, exact numbers.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from jailtui.sim import faults, zfs_stream
from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

#: ``zfs list``'s default columns.
DEFAULT_COLUMNS = ("name", "used", "available", "referenced", "mountpoint")
#: Property aliases zfs accepts (zfsprops.7).
ALIASES = {"avail": "available", "refer": "referenced", "rdonly": "readonly"}
PROPS = ("name", "type", "creation", "used", "available", "referenced", "quota",
         "mountpoint", "origin", "readonly", "mounted", "createtxg")
_HEADERS = {"available": "AVAIL", "referenced": "REFER", "readonly": "RDONLY",
            "createtxg": "CREATETXG"}
#: Characters of a dataset or snapshot name component (zfs_namecheck.c valid_char).
_NAME_OK = re.compile(r"^[A-Za-z0-9_.: -]+$")

USAGE = {
    "list": "\tlist [-Hp] [-r|-d max] [-o property[,...]] [-s property]...\n"
            "\t    [-S property]... [-t type[,...]] [filesystem|volume|snapshot] ...\n",
    "get": "\tget [-rHp] [-d max] [-o \"all\" | field[,...]]\n"
           "\t    [-t type[,...]] [-s source[,...]]\n"
           "\t    <\"all\" | property[,...]> [filesystem|volume|snapshot|bookmark] ...\n",
    "snapshot": "\tsnapshot [-r] [-o property=value] ... "
                "<filesystem|volume>@<snap> ...\n",
    "destroy": "\tdestroy [-fnpRrv] <filesystem|volume>\n"
               "\tdestroy [-dnpRrv] <filesystem|volume>@<snap>[%<snap>][,...]\n",
    "rename": "\trename [-f] <filesystem|volume|snapshot> <filesystem|volume|snapshot>\n",
    "clone": "\tclone [-p] [-o property=value] ... <snapshot> <filesystem|volume>\n",
    "rollback": "\trollback [-rRf] <snapshot>\n",
    "promote": "\tpromote <clone-filesystem>\n",
    "set": "\tset <property=value> ... <filesystem|volume|snapshot> ...\n",
    "diff": "\tdiff [-FHth] <snapshot> [snapshot|filesystem]\n",
    "create": "\tcreate [-pu] [-o property=value] ... <filesystem>\n",
    "send": zfs_stream.USAGE_SEND,
    "receive": zfs_stream.USAGE_RECV,
}


class ZfsError(Exception):
    """A refusal: its text goes to stderr as it is, exit status 1."""


class UsageError(ZfsError):
    """A bad argument libzfs reports before zfs prints its usage (exit status 2)."""


def run(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.write_err("usage: zfs command args ...\nwhere 'command' is one of the following:"
                      "\n\n" + "".join(USAGE.values()))
        return 2
    cmd, rest = args[0], args[1:]
    fn = _COMMANDS.get(cmd)
    if fn is None:
        ctx.write_err(f"unrecognized command '{cmd}'\nusage: zfs command args ...\n")
        return 2
    store = zm.PoolStore(ctx.simdir)
    if not store.exists():
        if cmd in ("list", "get"):
            ctx.write_err("no datasets available\n")
            return 0
        ctx.write_err("internal error: failed to initialize ZFS library\n")
        return 1
    try:
        return fn(ctx, store, rest)
    except GetoptError as exc:
        letter = str(exc).rsplit(" ", 1)[-1]
        if "requires an argument" in str(exc):
            ctx.write_err(f"missing argument for '{letter}' option\n")
        else:
            ctx.write_err(f"invalid option '{letter}'\n")
        return _usage(ctx, cmd)
    except UsageError as exc:
        ctx.write_err(str(exc).rstrip("\n") + "\n")
        return _usage(ctx, cmd)
    except ZfsError as exc:
        ctx.write_err(str(exc).rstrip("\n") + "\n")
        return 1


def _usage(ctx: Ctx, cmd: str) -> int:
    ctx.write_err("usage:\n" + USAGE[cmd])
    return 2


# -- formatting ------------------------------------------------------------------------

def nicenum(n: int) -> str:
    """zfs_nicenum(): 1024-based, at most five characters (``0B``, ``96K``, ``1.32M``)."""
    units = "BKMGTPE"
    index = 0
    v = n
    while v >= 1024 and index < len(units) - 1:
        v //= 1024
        index += 1
    if index == 0 or n % (1024 ** index) == 0:
        return f"{v}{units[index]}"
    val = n / 1024 ** index
    text = ""
    for prec in (2, 1, 0):
        text = f"{val:.{prec}f}{units[index]}"
        if len(text) <= 5:
            break
    return text


def _ctime(t: int) -> str:
    return time.strftime("%a %b %e %H:%M %Y", time.localtime(t))


def _running_roots(ctx: Ctx) -> list[str]:
    """Roots in use: running jails', and dying jails' whose processes have not exited
    (a ``nostop`` fault: sim/faults.py)."""
    with Store(ctx.simdir).read() as st:
        held = {p.jid for p in st.procs} if any(j.dying for j in st.jails) else set()
        return [j.path for j in st.jails if not j.dying or j.jid in held]


def _held_points(ctx: Ctx, pool: zm.Pool) -> set[str]:
    """Mount points a host process holds open (``busy`` faults: sim/faults.py)."""
    out = set()
    for name in faults.load(ctx.simdir).get("busy", []):
        ds = pool.dataset(name)
        if ds is not None and pool.is_mounted(ds):
            out.add(pool.mountpoint(ds).rstrip("/"))
    return out


def _busy(ctx: Ctx, mountpoint: str, held: set[str] | frozenset[str] = frozenset()) -> bool:
    """A running jail's root at or below ``mountpoint``, or a host process's open file
    there: its unmount would fail."""
    mp = mountpoint.rstrip("/")
    return mp in held or any(r == mp or r.startswith(mp + "/") for r in _running_roots(ctx))


def _no_space(ctx: Ctx, what: str) -> None:
    """A full pool (a ``nospace`` fault): libzfs's EZFS_NOSPC text after ``what``."""
    if faults.active(ctx.simdir, "nospace"):
        raise ZfsError(f"{what}: out of space")


def _vanish(ctx: Ctx, store: zm.PoolStore, name: str) -> None:
    """A ``vanish`` fault: another administrator's ``zfs destroy`` of snapshot ``name``
    lands just before this command uses it (nothing happens when clones hold it)."""
    if "@" not in name or faults.consume(ctx.simdir, "vanish", name,
                                         name.split("@", 1)[1]) is None:
        return
    with store.write() as pool:
        snap = pool.snapshot(name)
        if snap is not None and not pool.clones_of(name):
            zm.drop_snapshot(store, pool, snap)


def _busy_error(mountpoint: str) -> ZfsError:
    return ZfsError(f"cannot unmount '{mountpoint}': pool or dataset is busy")


def _no_such(name: str) -> ZfsError:
    return ZfsError(f"cannot open '{name}': dataset does not exist")


def _check_name(name: str, what: str) -> None:
    """zfs_validate_name(): one '@' at most, components of valid characters."""
    if name.count("@") > 1:
        raise ZfsError(f"{what}: multiple '@' delimiters in name")
    for comp in name.replace("@", "/").split("/"):
        if not comp:
            raise ZfsError(f"{what}: empty component or misplaced '@' or '#' delimiter in name")
        bad = next((c for c in comp if not _NAME_OK.match(c)), None)
        if bad is not None:
            raise ZfsError(f"{what}: invalid character '{bad}' in name")


# -- list / get ---------------------------------------------------------------------------

def _value(pool: zm.Pool, sp: zm.Space, obj: zm.Dataset | zm.Snapshot, prop: str,
           parsable: bool) -> str:
    is_snap = isinstance(obj, zm.Snapshot)

    def size(n: int) -> str:
        return str(n) if parsable else nicenum(n)
    if prop == "name":
        return obj.name
    if prop == "type":
        return "snapshot" if is_snap else "filesystem"
    if prop == "creation":
        return str(obj.creation) if parsable else _ctime(obj.creation)
    if prop == "createtxg":
        return str(obj.txg)
    if prop == "used":
        return size(sp.used.get(obj.name, 0))
    if prop == "referenced":
        return size(sp.refer.get(obj.name, 0))
    if isinstance(obj, zm.Snapshot):
        return "-"
    if prop == "available":
        return size(sp.avail.get(obj.name, 0))
    if prop == "quota":
        return ("0" if parsable else "none") if not obj.quota else size(obj.quota)
    if prop == "mountpoint":
        return pool.mountpoint(obj)
    if prop == "origin":
        return obj.origin or "-"
    if prop == "readonly":
        return "on" if obj.readonly else "off"
    if prop == "mounted":
        return "yes" if pool.is_mounted(obj) else "no"
    return "-"


def _props(text: str) -> list[str]:
    out = []
    for p in text.split(","):
        p = ALIASES.get(p, p)
        if p not in PROPS:
            raise UsageError(f"bad property list: invalid property '{p}'")
        out.append(p)
    return out


def _select(pool: zm.Pool, operands: list[str], types: set[str], depth: int | None
            ) -> list[zm.Dataset | zm.Snapshot]:
    """The objects ``zfs list`` visits, in its order (name; snapshots after their
    dataset, oldest first)."""
    errors: list[str] = []
    chosen: list[zm.Dataset | zm.Snapshot] = []
    seen: set[str] = set()

    def add(obj: zm.Dataset | zm.Snapshot) -> None:
        if obj.name not in seen:
            seen.add(obj.name)
            chosen.append(obj)

    def visit(ds: zm.Dataset, level: int) -> None:
        if "filesystem" in types:
            add(ds)
        if "snapshot" in types and (depth is None or level + 1 <= depth):
            for s in pool.snapshots_of(ds.name):
                add(s)
        if depth is None or level + 1 <= depth:
            for c in pool.children(ds.name):
                visit(c, level + 1)

    if not operands:
        for top in sorted((d for d in pool.datasets if "/" not in d.name), key=lambda d: d.name):
            visit(top, 0 if depth is not None else -10 ** 6)
        return chosen
    for op in operands:
        if "@" in op:
            s = pool.snapshot(op)
            if s is None:
                errors.append(op)
                continue
            add(s)
            continue
        ds = pool.dataset(op.rstrip("/"))
        if ds is None:
            errors.append(op)
            continue
        if depth is None:
            if "filesystem" in types:
                add(ds)
            continue
        visit(ds, 0)
    if errors:
        raise _PartialList(chosen, errors)
    return chosen


class _PartialList(Exception):
    def __init__(self, found: list[zm.Dataset | zm.Snapshot], missing: list[str]) -> None:
        super().__init__(missing)
        self.found = found
        self.missing = missing


def do_list(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "Hpo:t:rd:s:S:")
    scripted = parsable = False
    columns = list(DEFAULT_COLUMNS)
    types: set[str] | None = None
    depth: int | None = None
    sort: list[tuple[str, bool]] = []
    for o, a in opts:
        if o == "H":
            scripted = True
        elif o == "p":
            parsable = True
        elif o == "o":
            columns = _props(a)
        elif o == "t":
            types = set()
            for t in a.split(","):
                t = {"fs": "filesystem", "snap": "snapshot"}.get(t, t)
                if t == "all":
                    types |= {"filesystem", "snapshot"}
                elif t in ("filesystem", "snapshot", "volume", "bookmark"):
                    types.add(t)
                else:
                    ctx.write_err(f"invalid type '{t}'\n")
                    return _usage(ctx, "list")
        elif o == "r":
            depth = depth if depth is not None else 10 ** 6
        elif o == "d":
            if not a.isdigit():
                ctx.write_err(f"invalid depth '{a}'\n")
                return _usage(ctx, "list")
            depth = int(a)
        elif o in "sS":
            sort.append((_props(a)[0], o == "S"))
    if types is None:
        types = {"filesystem"}
    if types == {"snapshot"} and operands and depth is None:
        # A file system named with -t snapshot lists its own snapshots (zfs_main.c
        # zfs_do_list: ZFS_ITER_DEPTH_LIMIT with depth 1).
        depth = 1
    rc = 0
    with store.read() as pool:
        try:
            objs = _select(pool, operands, types, depth)
        except _PartialList as part:
            objs = part.found
            for m in part.missing:
                ctx.write_err(f"cannot open '{m}': dataset does not exist\n")
            rc = 1
        if not objs and rc == 0:
            ctx.write_err("no datasets available\n")
            return 0
        sp = zm.space(store, pool)
        for prop, desc in reversed(sort):
            def key(o: zm.Dataset | zm.Snapshot, p: str = prop) -> tuple[int, str]:
                v = _value(pool, sp, o, p, True)
                return (int(v), "") if v.isdigit() else (0, v)
            objs.sort(key=key, reverse=desc)
        rows = [[_value(pool, sp, o, c, parsable) for c in columns] for o in objs]
    if scripted:
        for r in rows:
            ctx.write("\t".join(r) + "\n")
        return rc
    header = [_HEADERS.get(c, c.upper()) for c in columns]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
    for r in [header, *rows]:
        cells = [v.rjust(w) if c in ("used", "available", "referenced", "quota") and r is not
                 header else v.ljust(w) for v, w, c in zip(r, widths, columns, strict=True)]
        ctx.write("  ".join(cells).rstrip() + "\n")
    return rc


def do_get(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    """``zfs get [-H] [-p] [-o fields] PROP[,PROP] DATASET...`` (name property value
    source; the source of mountpoint is local, default or inherited from X)."""
    opts, operands = getopt(args, "Hpo:")
    scripted = any(o == "H" for o, _ in opts)
    parsable = any(o == "p" for o, _ in opts)
    fields = ["name", "property", "value", "source"]
    for o, a in opts:
        if o == "o":
            fields = a.split(",")
    if len(operands) < 2:
        ctx.write_err("missing property argument\n" if not operands else
                      "missing dataset argument\n")
        return _usage(ctx, "get")
    props = _props(operands[0])
    rows: list[list[str]] = []
    rc = 0
    with store.read() as pool:
        sp = zm.space(store, pool)
        for name in operands[1:]:
            obj: zm.Dataset | zm.Snapshot | None = (pool.snapshot(name) if "@" in name
                                                    else pool.dataset(name))
            if obj is None:
                ctx.write_err(f"cannot open '{name}': dataset does not exist\n")
                rc = 1
                continue
            for p in props:
                value = _value(pool, sp, obj, p, parsable)
                if isinstance(obj, zm.Snapshot) or p in ("name", "type", "creation", "used",
                                                         "available", "referenced", "origin",
                                                         "mounted", "createtxg"):
                    source = "-"
                elif p == "mountpoint":
                    source = pool.mountpoint_source(obj)
                elif p == "quota":
                    source = "local" if obj.quota else "default"
                else:
                    source = "local" if getattr(obj, p, False) else "default"
                row = {"name": obj.name, "property": p, "value": value, "source": source}
                rows.append([row.get(f, "-") for f in fields])
    sep = "\t" if scripted else "  "
    if not scripted:
        rows.insert(0, [f.upper() for f in fields])
    for r in rows:
        ctx.write(sep.join(r) + "\n")
    return rc


# -- snapshot / destroy --------------------------------------------------------------------

def do_snapshot(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "ro:")
    recursive = any(o == "r" for o, _ in opts)
    if not operands:
        ctx.write_err("missing snapshot argument\n")
        return _usage(ctx, "snapshot")
    now = int(ctx.now)
    with store.write() as pool:
        todo: list[tuple[zm.Dataset, str]] = []
        for op in operands:
            if "@" not in op:
                raise ZfsError(f"cannot create snapshot '{op}': missing '@' delimiter in "
                               "snapshot name")
            _check_name(op, f"cannot create snapshot '{op}'")
            dsname, short = op.split("@", 1)
            ds = pool.dataset(dsname)
            if ds is None:
                raise ZfsError(f"cannot open '{dsname}': dataset does not exist")
            group = [ds, *(pool.descendants(ds.name) if recursive else [])]
            for d in group:
                if pool.snapshot(f"{d.name}@{short}") is not None:
                    raise ZfsError(f"cannot create snapshot '{d.name}@{short}': "
                                   "dataset already exists")
                todo.append((d, short))
        if todo:
            _no_space(ctx, f"cannot create snapshot '{todo[0][0].name}@{todo[0][1]}'")
        # All or nothing: checked first, taken together (one transaction group).
        txg = pool.alloc_txg()
        for d, short in todo:
            snap = zm.take_snapshot(store, pool, d, short, now)
            snap.txg = txg
    return 0


def _destroy_dataset_files(store: zm.PoolStore, pool: zm.Pool, ds: zm.Dataset) -> None:
    root = zm.own_files(store, pool, ds)
    if root is not None and root.is_dir():
        zm.clear_own(root, zm.skip_paths(store, pool, ds))


def do_destroy(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "fnpRrvd")
    flags = {o for o, _ in opts}
    recursive, everything = "r" in flags or "R" in flags, "R" in flags
    dry, verbose = "n" in flags, "v" in flags or "n" in flags and "v" in flags
    if len(operands) != 1:
        ctx.write_err("missing dataset argument\n" if not operands else "too many arguments\n")
        return _usage(ctx, "destroy")
    target = operands[0]
    with store.write() as pool:
        if "@" in target:
            doomed_snaps, doomed_ds = _snap_victims(pool, target, recursive, everything)
        else:
            ds = pool.dataset(target)
            if ds is None:
                raise _no_such(target)
            doomed_ds, doomed_snaps = _fs_victims(pool, ds, recursive, everything)
        held = _held_points(ctx, pool)
        for d in doomed_ds:
            if pool.is_mounted(d) and _busy(ctx, pool.mountpoint(d), held) and "f" not in flags:
                raise _busy_error(pool.mountpoint(d))
        if verbose:
            for s in doomed_snaps:
                ctx.write(f"{'would destroy' if dry else 'will destroy'} {s.name}\n")
            for d in doomed_ds:
                ctx.write(f"{'would destroy' if dry else 'will destroy'} {d.name}\n")
        if dry:
            raise _DryRun
        for d in sorted(doomed_ds, key=lambda x: -x.name.count("/")):
            _destroy_dataset_files(store, pool, d)
            pool.datasets.remove(d)
        for s in doomed_snaps:
            zm.drop_snapshot(store, pool, s)
    return 0


class _DryRun(ZfsError):
    """-n: nothing is changed (the write block must not save)."""


def _snap_victims(pool: zm.Pool, target: str, recursive: bool, everything: bool
                  ) -> tuple[list[zm.Snapshot], list[zm.Dataset]]:
    dsname, short = target.split("@", 1)
    ds = pool.dataset(dsname)
    if ds is None:
        raise _no_such(dsname)
    group = [ds, *(pool.descendants(dsname) if recursive else [])]
    snaps = [s for d in group if (s := pool.snapshot(f"{d.name}@{short}")) is not None]
    if not snaps:
        raise ZfsError("could not find any snapshots to destroy; check snapshot names.")
    clones: list[zm.Dataset] = []
    for s in snaps:
        for c in pool.clones_of(s.name):
            clones += [c, *pool.descendants(c.name)]
    if clones and not everything:
        raise ZfsError(f"cannot destroy '{snaps[0].name}': snapshot has dependent clones\n"
                       "use '-R' to destroy the following datasets:\n"
                       + "\n".join(c.name for c in clones))
    extra_snaps = [s for c in clones for s in pool.snapshots_of(c.name)]
    return [*extra_snaps, *snaps], clones


def _fs_victims(pool: zm.Pool, ds: zm.Dataset, recursive: bool, everything: bool
                ) -> tuple[list[zm.Dataset], list[zm.Snapshot]]:
    below = pool.descendants(ds.name)
    group = [ds, *below]
    snaps = [s for d in group for s in pool.snapshots_of(d.name)]
    if not recursive and (below or snaps):
        children = [*(s.name for s in pool.snapshots_of(ds.name)),
                    *(c.name for c in pool.children(ds.name))]
        raise ZfsError(f"cannot destroy '{ds.name}': filesystem has children\n"
                       "use '-r' to destroy the following datasets:\n" + "\n".join(children))
    names = {d.name for d in group}
    clones = [c for s in snaps for c in pool.clones_of(s.name) if c.name not in names]
    if clones and not everything:
        raise ZfsError(f"cannot destroy '{ds.name}': filesystem has dependent clones\n"
                       "use '-R' to destroy the following datasets:\n"
                       + "\n".join(c.name for c in clones))
    doomed = list(group)
    for c in clones:
        doomed += [c, *pool.descendants(c.name)]
        snaps += [s for x in (c, *pool.descendants(c.name)) for s in pool.snapshots_of(x.name)]
    return doomed, snaps


# -- rename / clone / set -------------------------------------------------------------------

def _move_tree(store: zm.PoolStore, old: str, new: str) -> None:
    """Move a mounted file system's directory (it was remounted at ``new``)."""
    src, dst = store.real(old), store.real(new)
    if dst.exists():
        if dst.is_dir() and not any(dst.iterdir()):
            dst.rmdir()
        else:
            raise ZfsError(f"cannot mount '{new}': directory is not empty")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        os.rename(src, dst)
    else:
        dst.mkdir()
    # The old mount point stays as an empty directory of the file system below.
    src.mkdir(parents=True, exist_ok=True)


def _remount(ctx: Ctx, store: zm.PoolStore, pool: zm.Pool, group: list[zm.Dataset],
             change: Callable[[], None]) -> None:
    """Apply ``change`` (a rename or a mountpoint), moving the files of every file system
    of ``group`` whose mount point it moves; refused while a jail uses one."""
    before = {id(d): pool.mountpoint(d) for d in group if pool.is_mounted(d)}
    held = _held_points(ctx, pool)
    change()
    after = {id(d): pool.mountpoint(d) for d in group if pool.is_mounted(d)}
    moves = [(before[k], after[k]) for k in before if k in after and before[k] != after[k]]
    for old, _new in moves:
        if _busy(ctx, old, held):
            raise _busy_error(old)
    # Outermost first: moving a parent's directory carries inherited children along.
    done: list[tuple[str, str]] = []
    for old, new in sorted(moves, key=lambda m: m[0].count("/")):
        carried = next(((o, n) for o, n in done if old.startswith(o + "/")), None)
        if carried is not None:
            now_at = carried[1] + old[len(carried[0]):]
            if now_at == new:
                continue
            _move_tree(store, now_at, new)
        else:
            _move_tree(store, old, new)
        done.append((old, new))


def do_rename(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "fpr")
    if len(operands) != 2:
        ctx.write_err("missing source dataset argument\n" if not operands else
                      "missing target dataset argument\n" if len(operands) == 1 else
                      "too many arguments\n")
        return _usage(ctx, "rename")
    old, new = operands
    with store.write() as pool:
        if "@" in old:
            return _rename_snapshot(pool, old, new)
        ds = pool.dataset(old)
        if ds is None:
            raise _no_such(old)
        _check_name(new, f"cannot rename to '{new}'")
        if new.split("/", 1)[0] != old.split("/", 1)[0]:
            raise ZfsError(f"cannot rename to '{new}': datasets must be within same pool")
        if new.startswith(old + "/"):
            raise ZfsError(f"cannot rename to '{new}': New dataset name cannot be a "
                           "descendant of current dataset name")
        if pool.dataset(new) is not None:
            raise ZfsError(f"cannot rename to '{new}': dataset already exists")
        parent = new.rsplit("/", 1)[0] if "/" in new else ""
        if parent and pool.dataset(parent) is None:
            raise ZfsError(f"cannot rename to '{new}': parent does not exist")
        group = [ds, *pool.descendants(old)]

        def change() -> None:
            renamed = {}
            for d in group:
                fresh = new + d.name[len(old):]
                renamed[d.name] = fresh
                d.name = fresh
            for s in pool.snapshots:
                if s.dataset in renamed:
                    s.name = renamed[s.dataset] + "@" + s.short
            for d in pool.datasets:
                if d.origin and d.origin.split("@", 1)[0] in renamed:
                    dsn, short = d.origin.split("@", 1)
                    d.origin = f"{renamed[dsn]}@{short}"

        _remount(ctx, store, pool, group, change)
    return 0


def _rename_snapshot(pool: zm.Pool, old: str, new: str) -> int:
    snap = pool.snapshot(old)
    if snap is None:
        raise _no_such(old)
    if new.startswith("@"):
        new = snap.dataset + new
    if "@" not in new or new.split("@", 1)[0] != snap.dataset:
        raise ZfsError(f"cannot rename to '{new}': snapshots must be part of same dataset")
    if pool.snapshot(new) is not None:
        raise ZfsError(f"cannot rename to '{new}': dataset already exists")
    for d in pool.datasets:
        if d.origin == old:
            d.origin = new
    snap.name = new
    return 0


def _parse_size(text: str) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([BKMGTPE]?)B?", text.upper())
    if m is None:
        return None
    return int(float(m.group(1)) * 1024 ** "BKMGTPE".index(m.group(2) or "B"))


def _apply_prop(ctx: Ctx, store: zm.PoolStore, pool: zm.Pool, ds: zm.Dataset, prop: str,
                value: str, fresh: bool = False) -> None:
    where = f"cannot set property for '{ds.name}'"
    prop = ALIASES.get(prop, prop)
    if prop == "readonly":
        if value not in ("on", "off"):
            raise ZfsError(f"{where}: 'readonly' must be one of 'on | off'")
        ds.readonly = value == "on"
    elif prop == "quota":
        size = 0 if value == "none" else _parse_size(value)
        if size is None:
            raise ZfsError(f"{where}: bad numeric value '{value}'")
        ds.quota = size
    elif prop == "mountpoint":
        if not (value.startswith("/") or value in ("none", "legacy")):
            raise ZfsError(f"{where}: 'mountpoint' must be an absolute path, 'none', or "
                           "'legacy'")
        if fresh:
            ds.mountpoint = value
            return
        group = [ds, *pool.descendants(ds.name)]

        def change() -> None:
            ds.mountpoint = value
        _remount(ctx, store, pool, group, change)
    elif prop in PROPS:
        raise ZfsError(f"{where}: '{prop}' is readonly")
    else:
        raise ZfsError(f"{where}: invalid property '{prop}'")


def do_set(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    _opts, args = getopt(args, "")
    pairs = [a for a in args if "=" in a]
    targets = [a for a in args if "=" not in a]
    if not pairs:
        ctx.write_err("missing property=value argument(s)\n")
        return _usage(ctx, "set")
    if not targets:
        ctx.write_err("missing dataset name(s)\n")
        return _usage(ctx, "set")
    with store.write() as pool:
        for t in targets:
            ds = pool.dataset(t)
            if ds is None:
                raise _no_such(t)
            for pair in pairs:
                prop, value = pair.split("=", 1)
                _apply_prop(ctx, store, pool, ds, prop, value)
    return 0


def do_clone(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "po:")
    props = [a for o, a in opts if o == "o"]
    parents = any(o == "p" for o, _ in opts)
    if len(operands) != 2:
        ctx.write_err("missing source dataset argument\n" if not operands else
                      "missing target dataset argument\n" if len(operands) == 1 else
                      "too many arguments\n")
        return _usage(ctx, "clone")
    src, new = operands
    _vanish(ctx, store, src)
    with store.write() as pool:
        snap = pool.snapshot(src) if "@" in src else None
        if snap is None:
            raise _no_such(src)
        _check_name(new, f"cannot create '{new}'")
        if pool.dataset(new) is not None:
            raise ZfsError(f"cannot create '{new}': dataset already exists")
        _no_space(ctx, f"cannot create '{new}'")
        parent = new.rsplit("/", 1)[0] if "/" in new else ""
        if parent and pool.dataset(parent) is None and not parents:
            raise ZfsError(f"cannot create '{new}': parent does not exist")
        ds = zm.Dataset(new, int(ctx.now), None, base=snap.base, origin=snap.name,
                        txg=pool.alloc_txg())
        for p in props:
            if "=" not in p:
                raise ZfsError("missing '=' for property=value argument")
            k, v = p.split("=", 1)
            _apply_prop(ctx, store, pool, ds, k, v, fresh=True)
        pool.datasets.append(ds)
        mp = pool.mountpoint(ds)
        if pool.is_mounted(ds):
            dst = store.real(mp)
            if dst.exists() and any(dst.iterdir()):
                pool.datasets.remove(ds)
                raise ZfsError(f"cannot mount '{mp}': directory is not empty\n"
                               "filesystem successfully created, but not mounted")
            if dst.exists():
                dst.rmdir()
            zm.copy_own(store.snap_dir(snap), dst, set())
    return 0


def do_promote(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    """zfs-promote(8): the clone takes its origin snapshot and every earlier snapshot of
    the origin file system; the origin becomes a clone of the promoted one."""
    _opts, operands = getopt(args, "")
    if len(operands) != 1:
        ctx.write_err("missing clone filesystem argument\n" if not operands else
                      "too many arguments\n")
        return _usage(ctx, "promote")
    target = operands[0]
    with store.write() as pool:
        ds = pool.dataset(target)
        if ds is None:
            raise _no_such(target)
        if not ds.origin:
            raise ZfsError(f"cannot promote '{target}': not a cloned filesystem")
        origin = pool.snapshot(ds.origin)
        old = pool.dataset(ds.origin.split("@", 1)[0])
        if origin is None or old is None:
            raise _no_such(ds.origin)
        chain = pool.snapshots_of(old.name)
        moving = chain[:chain.index(origin) + 1]
        mine = {s.short for s in pool.snapshots_of(ds.name)}
        for s in moving:
            if s.short in mine:
                raise ZfsError(f"cannot promote '{target}': snapshot name '{s.short}' from "
                               f"origin conflicts with '{s.short}' from target")
        renamed = {s.name: f"{ds.name}@{s.short}" for s in moving}
        was, promoted_from = old.origin, origin.name
        for s in moving:
            s.name = renamed[s.name]
        for d in pool.datasets:
            if d.origin in renamed:
                d.origin = renamed[d.origin]
        # The relation reversed: the old file system is now the clone.
        old.origin, ds.origin = renamed[promoted_from], was
    return 0


# -- rollback / diff ---------------------------------------------------------------------

def do_rollback(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "rRf")
    flags = {o for o, _ in opts}
    if len(operands) != 1:
        ctx.write_err("missing dataset argument\n" if not operands else "too many arguments\n")
        return _usage(ctx, "rollback")
    target = operands[0]
    _vanish(ctx, store, target)
    with store.write() as pool:
        snap = pool.snapshot(target) if "@" in target else None
        if snap is None:
            raise _no_such(target)
        chain = pool.snapshots_of(snap.dataset)
        newer = chain[chain.index(snap) + 1:]
        if newer and not flags & {"r", "R"}:
            raise ZfsError(f"cannot rollback to '{target}': more recent snapshots or bookmarks "
                           "exist\nuse '-r' to force deletion of the following snapshots and "
                           "bookmarks:\n" + "\n".join(s.name for s in newer))
        clones = [c for s in newer for c in pool.clones_of(s.name)]
        if clones and "R" not in flags:
            raise ZfsError(f"cannot rollback to '{target}': clones of previous snapshots exist"
                           "\nuse '-R' to force deletion of the following clones and "
                           "dependents:\n" + "\n".join(c.name for c in clones))
        for c in clones:
            for d in sorted([c, *pool.descendants(c.name)], key=lambda x: -x.name.count("/")):
                for s in pool.snapshots_of(d.name):
                    zm.drop_snapshot(store, pool, s)
                _destroy_dataset_files(store, pool, d)
                pool.datasets.remove(d)
        for s in newer:
            zm.drop_snapshot(store, pool, s)
        ds = pool.dataset(snap.dataset)
        assert ds is not None
        root = zm.own_files(store, pool, ds)
        if root is not None:
            skip = zm.skip_paths(store, pool, ds)
            root.mkdir(parents=True, exist_ok=True)
            zm.clear_own(root, skip)
            _restore_into(store.snap_dir(snap), root, skip)
    return 0


def _restore_into(s: Path, d: Path, skip: set[Path]) -> None:
    """Copy a snapshot's files back over an emptied root (mount points stay)."""
    for entry in os.scandir(s):
        sp, dp = Path(entry.path), d / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(sp), dp)
        elif entry.is_dir(follow_symlinks=False):
            if dp in skip:
                continue
            if dp.exists():
                _restore_into(sp, dp, skip)
            else:
                shutil.copytree(sp, dp, symlinks=True)
        else:
            shutil.copy2(sp, dp, follow_symlinks=False)
    shutil.copystat(s, d)


def escape(path: str) -> str:
    """libzfs_diff.c stream_bytes(): bytes outside '!'..'~' and the backslash as
    ``\\NNNN`` (four octal digits)."""
    out = []
    for b in path.encode("utf-8", "surrogateescape"):
        if 0x20 < b < 0x7F and b != 0x5C:
            out.append(chr(b))
        else:
            out.append(f"\\{b:04o}")
    return "".join(out)


def diff_lines(from_tree: dict[str, zm.Entry], to_tree: dict[str, zm.Entry], mountpoint: str,
               *, classify: bool = False, scripted: bool = False,
               timestamps: bool = False) -> list[str]:
    """What ``zfs diff`` prints for two trees of one file system (``to`` newer)."""
    removed = {p: e for p, e in from_tree.items() if p not in to_tree}
    added = {p: e for p, e in to_tree.items() if p not in from_tree}
    renames: list[tuple[str, str]] = []
    for p, e in list(removed.items()):
        if e.kind == "/":
            continue
        twin = next((q for q, f in added.items() if f.kind == e.kind and f.digest == e.digest
                     and f.mode == e.mode), None)
        if twin is not None:
            renames.append((p, twin))
            del removed[p]
            del added[twin]
    changed_dirs: set[str] = set()
    for p in [*removed, *added, *(a for pair in renames for a in pair)]:
        changed_dirs.add(p.rsplit("/", 1)[0] if "/" in p else "")
    modified = [p for p, e in to_tree.items() if p in from_tree and (
        e.kind != "/" and (e.digest != from_tree[p].digest or e.mode != from_tree[p].mode)
        or e.kind == "/" and (p in changed_dirs or e.mode != from_tree[p].mode))]
    base = mountpoint.rstrip("/")

    def show(rel: str) -> str:
        return escape(base + rel) if rel else escape(base) + "/"

    def line(kind: str, rel: str, e: zm.Entry, extra: str = "") -> tuple[str, str]:
        parts = []
        if timestamps:
            parts.append(f"{int(e.mtime):10d}.{int((e.mtime % 1) * 1e9):09d}")
        parts.append(kind)
        if classify:
            parts.append(e.kind)
        parts.append(show(rel) + extra)
        return rel, "\t".join(parts) + "\n"

    out = [line("M", p, to_tree[p]) for p in modified]
    out += [line("-", p, e) for p, e in removed.items()]
    out += [line("+", p, e) for p, e in added.items()]
    for a, b in renames:
        sep = "\t" if scripted else " -> "
        out.append(line("R", a, to_tree[b], sep + show(b)))
    return [text for _rel, text in sorted(out, key=lambda x: x[0])]


def do_diff(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    opts, operands = getopt(args, "FHth")
    flags = {o for o, _ in opts}
    if not operands or len(operands) > 2:
        ctx.write_err("must provide at least one snapshot name\n" if not operands else
                      "too many arguments\n")
        return _usage(ctx, "diff")
    first = operands[0]
    second = operands[1] if len(operands) == 2 else first.split("@", 1)[0]
    if "@" not in first:
        raise ZfsError(f"Badly formed snapshot name {first}")
    with store.read() as pool:
        snap = pool.snapshot(first)
        if snap is None:
            raise _no_such(first)
        if second.startswith("@"):
            second = snap.dataset + second
        if second.split("@", 1)[0] != snap.dataset:
            raise ZfsError("Not an earlier snapshot from the same fs")
        ds = pool.dataset(snap.dataset)
        assert ds is not None
        if "@" in second:
            later = pool.snapshot(second)
            if later is None:
                raise _no_such(second)
            if later.txg < snap.txg:
                raise ZfsError("Not an earlier snapshot from the same fs")
            to_tree = zm.snap_tree(store, later)
        else:
            if not pool.is_mounted(ds):
                raise ZfsError("Cannot diff an unmounted snapshot")
            to_tree = zm.live_tree(store, pool, ds)
        lines = diff_lines(zm.snap_tree(store, snap), to_tree, pool.mountpoint(ds),
                           classify="F" in flags, scripted="H" in flags,
                           timestamps="t" in flags)
    for ln in lines:
        ctx.write(ln)
    return 0


def do_create(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    """``zfs create [-p] [-u] [-o prop=value]... FS`` (zfs-create(8)): a new, empty file
    system, mounted unless ``-u`` or its mountpoint is none/legacy."""
    opts, operands = getopt(args, "puo:")
    parents = any(o == "p" for o, _ in opts)
    if len(operands) != 1:
        ctx.write_err("missing filesystem argument\n" if not operands else
                      "too many arguments\n")
        return _usage(ctx, "create")
    new = operands[0]
    if "@" in new:
        raise ZfsError(f"cannot create '{new}': snapshot delimiter '@' is not expected here")
    _check_name(new, f"cannot create '{new}'")
    with store.write() as pool:
        if pool.dataset(new) is not None:
            raise ZfsError(f"cannot create '{new}': dataset already exists")
        parent = new.rsplit("/", 1)[0] if "/" in new else ""
        if not parent or pool.dataset(parent) is None and not parents:
            raise ZfsError(f"cannot create '{new}': parent does not exist")
        missing: list[str] = []
        up = parent
        while up and pool.dataset(up) is None:
            missing.append(up)
            up = up.rsplit("/", 1)[0] if "/" in up else ""
        for name in [*reversed(missing), new]:
            ds = zm.Dataset(name, int(ctx.now), None, txg=pool.alloc_txg(),
                            mounted=not any(o == "u" for o, _ in opts))
            if name == new:
                for o, a in opts:
                    if o == "o":
                        if "=" not in a:
                            raise ZfsError("missing '=' for property=value argument")
                        k, v = a.split("=", 1)
                        _apply_prop(ctx, store, pool, ds, k, v, fresh=True)
            pool.datasets.append(ds)
            if pool.is_mounted(ds):
                store.real(pool.mountpoint(ds)).mkdir(parents=True, exist_ok=True)
    return 0


def do_send(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    """``zfs send``, its stream returned (a shim writes it as it goes: sim/main.py)."""
    rc, out, err = zfs_stream.send(ctx.simdir, args, None)
    ctx.out += out
    ctx.err += err
    return rc


def do_receive(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
    rc, out, err = zfs_stream.receive(ctx.simdir, args, ctx.stdin)
    ctx.out += out
    ctx.err += err
    return rc


def _guard_dry(fn: Callable[[Ctx, zm.PoolStore, list[str]], int]
               ) -> Callable[[Ctx, zm.PoolStore, list[str]], int]:
    def wrapped(ctx: Ctx, store: zm.PoolStore, args: list[str]) -> int:
        try:
            return fn(ctx, store, args)
        except _DryRun:
            return 0
    return wrapped


_COMMANDS: dict[str, Callable[[Ctx, zm.PoolStore, list[str]], int]] = {
    "list": do_list, "get": do_get, "snapshot": do_snapshot, "snap": do_snapshot,
    "destroy": _guard_dry(do_destroy), "rename": do_rename, "clone": do_clone,
    "rollback": do_rollback, "set": do_set, "diff": do_diff, "create": do_create, "promote": do_promote,
    "send": do_send, "receive": do_receive, "recv": do_receive,
}
