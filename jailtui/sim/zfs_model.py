"""The simulated host's ZFS pool: datasets, snapshots, clones, and the mount table.

OpenZFS's behaviour as zfs(8) and its subcommand pages describe it
(docs/freebsd.md 12): a dataset's files are real files under its mount point
in ``SIMDIR/root``; a snapshot is a real copy of them kept in
``SIMDIR/zfs/data/<id>`` (the simulator's stand-in for shared blocks), so
``zfs diff``, ``zfs rollback`` and ``zfs clone`` show and restore what a test or
a demo intruder really changed.

Metadata lives in ``SIMDIR/zfs.json`` under ``SIMDIR/zfs.lock`` (flock, like
state.json: shared for readers, exclusive for writers, replaced atomically).
A host built without a pool (the benchmark hosts) has no zfs.json, and
``zfs list`` says "no datasets available" like a host without pools.

The mount table (``mount -p``) is derived: the host's UFS root and devfs,
every mounted dataset, the UFS file systems of the pool-less jails, each
running jail's devfs, and mounts added with ``mount -t nullfs``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jailtui.core.transport.hostfs import PathMap

#: The demo host's pool and its size (a 256 GiB disk).
POOL = "zroot"
POOL_SIZE = 256 * 1024 ** 3
#: What a stripped FreeBSD jail's base system takes (docs/freebsd.md 12.1: "about
#: 140 MB"); the simulated roots hold only the files the console reads, so the
#: rest is counted, not written.
BASE_BYTES = 140 * 1024 ** 2
#: Bytes a file or directory takes at least (a 4 KiB block).
BLOCK = 4096


@dataclass
class Dataset:
    """A file system (type ``filesystem``) of the pool."""

    name: str
    creation: int
    #: Local ``mountpoint`` property; None: inherited from the parent.
    mountpoint: str | None = None
    quota: int = 0
    readonly: bool = False
    #: ``origin``: the snapshot this one was cloned from ("" for none).
    origin: str = ""
    mounted: bool = True
    #: Bytes counted but not written (BASE_BYTES for a jail root).
    base: int = 0
    #: Creation order (OpenZFS's createtxg): sorts snapshots of equal second.
    txg: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "creation": self.creation, "mountpoint": self.mountpoint,
                "quota": self.quota, "readonly": self.readonly, "origin": self.origin,
                "mounted": self.mounted, "base": self.base, "txg": self.txg}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Dataset:
        return cls(str(d["name"]), int(d["creation"]), d.get("mountpoint"),
                   int(d.get("quota", 0)), bool(d.get("readonly", False)),
                   str(d.get("origin", "")), bool(d.get("mounted", True)),
                   int(d.get("base", 0)), int(d.get("txg", 0)))


@dataclass
class Snapshot:
    """``DATASET@NAME``: a copy of the dataset's own files when it was taken."""

    name: str
    creation: int
    #: Directory under SIMDIR/zfs/data holding the copy.
    data: str
    base: int = 0
    txg: int = 0
    #: ``guid``: what ``zfs receive`` matches an incremental source by; kept by a
    #: rename and carried by ``zfs send`` (zfsprops.7).
    guid: int = 0

    def __post_init__(self) -> None:
        if not self.guid:
            self.guid = new_guid()

    @property
    def dataset(self) -> str:
        return self.name.split("@", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split("@", 1)[1]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "creation": self.creation, "data": self.data,
                "base": self.base, "txg": self.txg, "guid": self.guid}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Snapshot:
        return cls(str(d["name"]), int(d["creation"]), str(d["data"]), int(d.get("base", 0)),
                   int(d.get("txg", 0)), int(d.get("guid", 0)))


def new_guid() -> int:
    """A random 64-bit guid, never 0 (0 means "none" in a stream header)."""
    return int.from_bytes(os.urandom(8), "big") or 1


@dataclass(frozen=True)
class Mount:
    """One line of ``mount -p``: what is mounted where."""

    device: str
    point: str
    fstype: str
    opts: str
    dump: int = 0
    passno: int = 0


@dataclass
class Pool:
    """Everything in zfs.json."""

    name: str = POOL
    size: int = POOL_SIZE
    datasets: list[Dataset] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    #: Non-ZFS mounts beside the pool: the UFS jails, and nullfs mounts added later.
    mounts: list[Mount] = field(default_factory=list)
    next_txg: int = 1
    next_data: int = 1
    #: Simulator only, no ZFS property: bytes a second ``zfs send`` writes at most
    #: (0: as fast as it can), so a test or a demo sees a long copy's progress
    #: and can cancel it.
    send_rate: int = 0

    # -- lookups ---------------------------------------------------------------

    def dataset(self, name: str) -> Dataset | None:
        for d in self.datasets:
            if d.name == name:
                return d
        return None

    def snapshot(self, name: str) -> Snapshot | None:
        for s in self.snapshots:
            if s.name == name:
                return s
        return None

    def children(self, name: str) -> list[Dataset]:
        """Direct children (``NAME/x``), in name order."""
        depth = name.count("/") + 1
        return sorted((d for d in self.datasets
                       if d.name.startswith(name + "/") and d.name.count("/") == depth),
                      key=lambda d: d.name)

    def descendants(self, name: str) -> list[Dataset]:
        """Every file system below ``name`` (not itself), parents before children."""
        return sorted((d for d in self.datasets if d.name.startswith(name + "/")),
                      key=lambda d: d.name)

    def snapshots_of(self, name: str) -> list[Snapshot]:
        """``name``'s snapshots, oldest first (creation, then txg)."""
        return sorted((s for s in self.snapshots if s.dataset == name),
                      key=lambda s: (s.txg, s.creation))

    def clones_of(self, snap: str) -> list[Dataset]:
        return sorted((d for d in self.datasets if d.origin == snap), key=lambda d: d.name)

    def mountpoint(self, ds: Dataset) -> str:
        """The effective ``mountpoint``: local, or the parent's plus the last component
        (``none``/``legacy`` are inherited as they are; zfsprops.7)."""
        if ds.mountpoint is not None:
            return ds.mountpoint
        if "/" not in ds.name:
            return "/" + ds.name
        parent = self.dataset(ds.name.rsplit("/", 1)[0])
        if parent is None:
            return "/" + ds.name
        up = self.mountpoint(parent)
        if up in ("none", "legacy"):
            return up
        return up.rstrip("/") + "/" + ds.name.rsplit("/", 1)[1]

    def mountpoint_source(self, ds: Dataset) -> str:
        """``zfs get`` SOURCE of mountpoint: local, default, or inherited from X."""
        if ds.mountpoint is not None:
            return "local"
        name = ds.name
        while "/" in name:
            name = name.rsplit("/", 1)[0]
            up = self.dataset(name)
            if up is not None and up.mountpoint is not None:
                return f"inherited from {name}"
        return "default"

    def is_mounted(self, ds: Dataset) -> bool:
        mp = self.mountpoint(ds)
        return ds.mounted and mp.startswith("/")

    def mounted_points(self) -> dict[str, str]:
        """Mount point -> what is mounted there (dataset name or device)."""
        out = {self.mountpoint(d): d.name for d in self.datasets if self.is_mounted(d)}
        for m in self.mounts:
            out[m.point] = m.device
        return out

    # -- allocation --------------------------------------------------------------

    def alloc_txg(self) -> int:
        txg = self.next_txg
        self.next_txg += 1
        return txg

    def alloc_data(self) -> str:
        n = self.next_data
        self.next_data += 1
        return f"{n:06d}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size,
                "datasets": [d.to_json() for d in self.datasets],
                "snapshots": [s.to_json() for s in self.snapshots],
                "mounts": [m.__dict__ for m in self.mounts],
                "next_txg": self.next_txg, "next_data": self.next_data,
                "send_rate": self.send_rate}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Pool:
        return cls(str(d.get("name", POOL)), int(d.get("size", POOL_SIZE)),
                   [Dataset.from_json(x) for x in d.get("datasets", [])],
                   [Snapshot.from_json(x) for x in d.get("snapshots", [])],
                   [Mount(**x) for x in d.get("mounts", [])],
                   int(d.get("next_txg", 1)), int(d.get("next_data", 1)),
                   int(d.get("send_rate", 0)))


# -- persistence ------------------------------------------------------------------

class PoolStore:
    """Locked access to SIMDIR/zfs.json (see module docstring)."""

    def __init__(self, simdir: str | os.PathLike[str]) -> None:
        self.simdir = Path(simdir)
        self.path = self.simdir / "zfs.json"
        self.data_dir = self.simdir / "zfs" / "data"
        self.paths = PathMap(root=str(self.simdir / "root"))

    def exists(self) -> bool:
        return self.path.is_file()

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fd = os.open(self.simdir / "zfs.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)

    def _load(self) -> Pool:
        with open(self.path, encoding="utf-8") as f:
            return Pool.from_json(json.load(f))

    @contextlib.contextmanager
    def read(self) -> Iterator[Pool]:
        with self._locked(fcntl.LOCK_SH):
            yield self._load()

    @contextlib.contextmanager
    def write(self) -> Iterator[Pool]:
        """Exclusive; saved when the block ends without an exception."""
        with self._locked(fcntl.LOCK_EX):
            pool = self._load()
            yield pool
            self.save(pool)

    def save(self, pool: Pool) -> None:
        data = json.dumps(pool.to_json(), indent=0).encode()
        fd, tmp = tempfile.mkstemp(prefix=".zfs.", suffix=".json", dir=self.simdir)
        try:
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # -- files of a dataset ---------------------------------------------------------

    def real(self, host_path: str) -> Path:
        return Path(self.paths.real(host_path))

    def snap_dir(self, snap: Snapshot) -> Path:
        return self.data_dir / snap.data


def _excluded(pool: Pool, ds: Dataset) -> set[str]:
    """Host paths below ``ds``'s mount point where something else is mounted."""
    mp = pool.mountpoint(ds).rstrip("/")
    return {p for p in pool.mounted_points() if p.startswith(mp + "/")}


def own_files(store: PoolStore, pool: Pool, ds: Dataset) -> Path | None:
    """The real directory holding ``ds``'s files, or None if it is not mounted."""
    if not pool.is_mounted(ds):
        return None
    return store.real(pool.mountpoint(ds))


def copy_own(src: Path, dst: Path, skip: set[Path]) -> None:
    """Copy ``src`` to ``dst`` (new) keeping modes, times and symlinks, leaving out
    the directories in ``skip`` (other file systems mounted below; their mount point
    directory itself stays, empty, as it does inside a snapshot)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copystat(src, dst, follow_symlinks=False)
    with os.scandir(src) as it:
        for entry in it:
            s = Path(entry.path)
            d = dst / entry.name
            if entry.is_symlink():
                os.symlink(os.readlink(s), d)
            elif entry.is_dir(follow_symlinks=False):
                if s in skip:
                    d.mkdir(exist_ok=True)
                    continue
                copy_own(s, d, skip)
            elif entry.is_file(follow_symlinks=False):
                shutil.copy2(s, d, follow_symlinks=False)


def clear_own(root: Path, skip: set[Path]) -> None:
    """Delete what ``root`` holds, except the file systems mounted in ``skip``."""
    with os.scandir(root) as it:
        for entry in it:
            p = Path(entry.path)
            if entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
                if p in skip:
                    continue
                if any(str(x).startswith(str(p) + "/") for x in skip):
                    clear_own(p, skip)
                    continue
                shutil.rmtree(p)
            else:
                p.unlink()


def skip_paths(store: PoolStore, pool: Pool, ds: Dataset) -> set[Path]:
    return {store.real(p) for p in _excluded(pool, ds)}


def take_snapshot(store: PoolStore, pool: Pool, ds: Dataset, short: str, now: int) -> Snapshot:
    """Copy ``ds``'s own files into a new snapshot (the caller checked the name)."""
    snap = Snapshot(f"{ds.name}@{short}", now, pool.alloc_data(), ds.base, pool.alloc_txg())
    dst = store.snap_dir(snap)
    src = own_files(store, pool, ds)
    if dst.exists():
        shutil.rmtree(dst)
    if src is not None and src.is_dir():
        copy_own(src, dst, skip_paths(store, pool, ds))
    else:
        dst.mkdir(parents=True)
    pool.snapshots.append(snap)
    return snap


def drop_snapshot(store: PoolStore, pool: Pool, snap: Snapshot) -> None:
    pool.snapshots.remove(snap)
    shutil.rmtree(store.snap_dir(snap), ignore_errors=True)


# -- what files a tree holds (sizes, diff) ------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One path of a tree: its type, mode, size and content hash (files only)."""

    kind: str  # "F", "/", "@"
    mode: int
    size: int
    digest: str
    mtime: float


def walk(root: Path | None, skip: frozenset[Path] | set[Path] = frozenset()) -> dict[str, Entry]:
    """Relative path ("" for the root) -> Entry, not crossing into ``skip``."""
    out: dict[str, Entry] = {}
    if root is None or not root.is_dir():
        return out

    def visit(d: Path, rel: str) -> None:
        st = d.lstat()
        out[rel] = Entry("/", st.st_mode, 0, "", st.st_mtime)
        if d in skip:
            return
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            p = Path(e.path)
            r = f"{rel}/{e.name}"
            if e.is_symlink():
                target = os.readlink(p)
                st2 = p.lstat()
                out[r] = Entry("@", st2.st_mode, len(target),
                               hashlib.sha256(target.encode("utf-8", "surrogateescape")
                                              ).hexdigest(), st2.st_mtime)
            elif e.is_dir(follow_symlinks=False):
                visit(p, r)
            elif e.is_file(follow_symlinks=False):
                st2 = p.lstat()
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 16), b""):
                        h.update(chunk)
                out[r] = Entry("F", st2.st_mode, st2.st_size, h.hexdigest(), st2.st_mtime)

    visit(root, "")
    return out


def tree_bytes(entries: dict[str, Entry]) -> int:
    """Space a tree takes: each entry at least a block, files rounded up to blocks."""
    return sum(max(BLOCK, -(-e.size // BLOCK) * BLOCK) for e in entries.values())


def live_tree(store: PoolStore, pool: Pool, ds: Dataset) -> dict[str, Entry]:
    return walk(own_files(store, pool, ds), skip_paths(store, pool, ds))


def snap_tree(store: PoolStore, snap: Snapshot) -> dict[str, Entry]:
    return walk(store.snap_dir(snap))


def unique_bytes(mine: dict[str, Entry], *others: dict[str, Entry]) -> int:
    """Bytes of ``mine`` no neighbour holds identically (a snapshot's ``used``)."""
    total = 0
    for rel, e in mine.items():
        if e.kind == "/":
            continue
        if any(o.get(rel) is not None and o[rel].digest == e.digest for o in others):
            continue
        total += max(BLOCK, -(-e.size // BLOCK) * BLOCK)
    return total


@dataclass
class Space:
    """used, available and referenced of every dataset and snapshot, in bytes."""

    used: dict[str, int] = field(default_factory=dict)
    avail: dict[str, int] = field(default_factory=dict)
    refer: dict[str, int] = field(default_factory=dict)


def space(store: PoolStore, pool: Pool) -> Space:
    """Compute the space accounting the way zfsprops.7 defines it (simplified:
    a snapshot's ``used`` is what neither its older neighbour nor its newer one
    -- or the live file system -- holds; a clone shares its origin's blocks)."""
    sp = Space()
    live = {d.name: live_tree(store, pool, d) for d in pool.datasets}
    snaps = {s.name: snap_tree(store, s) for s in pool.snapshots}
    own_used: dict[str, int] = {}
    for d in pool.datasets:
        refer = d.base + tree_bytes(live[d.name])
        sp.refer[d.name] = refer
        shared = 0
        if d.origin and d.origin in snaps:
            origin = pool.snapshot(d.origin)
            shared = (origin.base if origin else 0) + tree_bytes(live[d.name]) - unique_bytes(
                live[d.name], snaps[d.origin])
        own = refer - shared
        chain = pool.snapshots_of(d.name)
        for i, s in enumerate(chain):
            tree = snaps[s.name]
            sp.refer[s.name] = s.base + tree_bytes(tree)
            older = snaps[chain[i - 1].name] if i > 0 else {}
            newer = snaps[chain[i + 1].name] if i + 1 < len(chain) else live[d.name]
            sp.used[s.name] = unique_bytes(tree, older, newer)
            own += sp.used[s.name]
        own_used[d.name] = own
    for d in sorted(pool.datasets, key=lambda x: -x.name.count("/")):
        sp.used[d.name] = own_used[d.name] + sum(sp.used[c.name] for c in pool.children(d.name))
    free = pool.size - sum(sp.used[d.name] for d in pool.datasets if "/" not in d.name)
    for d in pool.datasets:
        avail = max(0, free)
        name = d.name
        while True:
            anc = pool.dataset(name)
            if anc is not None and anc.quota:
                avail = min(avail, max(0, anc.quota - sp.used[anc.name]))
            if "/" not in name:
                break
            name = name.rsplit("/", 1)[0]
        sp.avail[d.name] = avail
    return sp


# -- the mount table ----------------------------------------------------------------------

def mount_table(pool: Pool | None, running_roots: Iterable[str]) -> list[Mount]:
    """What ``mount -p`` lists, in mount order."""
    out = [Mount("/dev/ada0p2", "/", "ufs", "rw", 1, 1), Mount("devfs", "/dev", "devfs", "rw")]
    if pool is not None:
        for d in sorted(pool.datasets, key=lambda x: (x.txg, x.name)):
            if pool.is_mounted(d):
                opts = "ro,nfsv4acls" if d.readonly else "rw,nfsv4acls"
                out.append(Mount(d.name, pool.mountpoint(d), "zfs", opts))
        out += [m for m in pool.mounts if m.fstype != "nullfs"]
    for root in running_roots:
        out.append(Mount("devfs", root.rstrip("/") + "/dev", "devfs", "rw"))
    if pool is not None:
        out += [m for m in pool.mounts if m.fstype == "nullfs"]
    return out


def fstab_line(m: Mount) -> str:
    """One ``mount -p`` line, padded with tabs as mount.c putfsent() pads it."""
    def pad(text: str) -> str:
        n = len(text)
        return text + ("\t" if n < 8 else "") + ("\t" if n < 16 else "") + (
            "\t" if n < 24 else " ")
    return (pad(m.device) + pad(m.point) + m.fstype + "\t" + m.opts
            + ("\t" if len(m.opts) < 8 else " ") + f"\t{m.dump} {m.passno}\n")


# -- the demo host's pool ----------------------------------------------------------------

#: Where the demo host's pool is mounted: host path prefix -> dataset (the rest of a
#: jail root's path names its dataset below that one).
POOL_PREFIXES = (("/usr/local/jails", f"{POOL}/jails"), ("/usr/local/bastille", f"{POOL}/bastille"),
                 ("/zroot", POOL))


def dataset_for(path: str) -> str | None:
    """The dataset the demo layout gives a jail root at ``path`` (None: not on the pool)."""
    for prefix, ds in POOL_PREFIXES:
        if path.startswith(prefix + "/"):
            return ds + path[len(prefix):]
    return None


def build(simdir: Path, datasets: dict[str, int], ufs_roots: Iterable[str], now: int) -> None:
    """Lay out the demo pool: ``datasets`` (name -> bytes counted but not written: the
    base system of a jail root) with the parents they need, and a UFS file system on
    a disk of its own for each of ``ufs_roots``."""
    pool = Pool()
    created = now - 40 * 86_400

    def ensure(name: str, mountpoint: str | None = None, base: int = 0) -> None:
        if pool.dataset(name) is not None:
            return
        if "/" in name:
            ensure(name.rsplit("/", 1)[0])
        pool.datasets.append(Dataset(name, created + len(pool.datasets) * 60, mountpoint,
                                     base=base, txg=pool.alloc_txg()))

    ensure(POOL, "/zroot")
    ensure(f"{POOL}/jails", "/usr/local/jails")
    ensure(f"{POOL}/bastille", "/usr/local/bastille")
    for name in sorted(datasets):
        ensure(name, None, datasets[name])
    for root in ufs_roots:
        n = len([m for m in pool.mounts if m.fstype == "ufs"])
        pool.mounts.append(Mount(f"/dev/ada{1 + n}p1", root, "ufs", "rw", 2, 2))
    store = PoolStore(simdir)
    for d in pool.datasets:
        os.makedirs(store.real(pool.mountpoint(d)), exist_ok=True)
    store.data_dir.mkdir(parents=True, exist_ok=True)
    store.save(pool)
