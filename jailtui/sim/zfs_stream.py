"""``zfs send`` and ``zfs receive`` of the simulated host (docs/freebsd.md 12.7).

The options, refusals and messages are OpenZFS's (zfs-send(8), zfs-recv(8),
libzfs_sendrecv.c); the bytes are not. A real stream is a sequence of DMU
replay records beginning with the magic 0x2F5bacbac; this one is the
simulator's own, made to be checked:

- line 1: :data:`MAGIC` (so a real stream, or any other bytes, is refused
  with ``invalid stream (bad magic number)``, as recv refuses a foreign one);
- line 2: a JSON header: the datasets (relative names, ``""`` for the top),
  their local properties (``-R`` only, as a replication stream carries them),
  every snapshot the sender has (for ``-F``), and the snapshots sent;
- per snapshot sent: a ``snap`` JSON line, one JSON line per file (path, kind,
  mode, mtime, size) followed by its bytes, and a ``done`` line with the
  SHA-256 of that snapshot's records;
- last: an ``end`` line.

Each snapshot carries its whole tree (the simulator shares no blocks), and
receive applies a snapshot only when its ``done`` line checks: as in ZFS, a
snapshot is received whole or not at all, and a stream cut short after the
first snapshots of a ``-R`` package leaves those, complete (``recv -s``
resumable state is not modelled).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jailtui.sim import zfs_model as zm
from jailtui.sim.getopt import GetoptError, getopt

#: First line of every stream (clearly not an OpenZFS DRR_BEGIN record).
MAGIC = b"JAILTUI-SIMULATED-ZFS-STREAM 1\n"

USAGE_SEND = ("\tsend [-R] [-i|-I snapshot] <snapshot>\n")
USAGE_RECV = ("\treceive [-Fuv] [-x property] ... <filesystem|volume|snapshot>\n")

#: Bytes written per chunk (the throttle sleeps between chunks).
CHUNK = 64 * 1024


class StreamError(Exception):
    """A refusal: its text goes to stderr, exit status 1 (2 with ``usage``)."""

    def __init__(self, text: str, usage: bool = False) -> None:
        super().__init__(text)
        self.usage = usage


# -- send ---------------------------------------------------------------------------------

@dataclass
class _Plan:
    """What one ``zfs send`` writes: the header and the snapshots, in order."""

    header: dict[str, Any]
    #: (relative dataset name, snapshot) in stream order.
    snaps: list[tuple[str, zm.Snapshot]]


def _options(args: list[str], spec: str) -> tuple[list[tuple[str, str]], list[str]]:
    """getopt, its complaint worded as zfs words it (zfs_main.c)."""
    try:
        return getopt(args, spec)
    except GetoptError as exc:
        letter = str(exc).rsplit(" ", 1)[-1]
        if "requires an argument" in str(exc):
            raise StreamError(f"missing argument for '{letter}' option", usage=True) from None
        raise StreamError(f"invalid option '{letter}'", usage=True) from None


def _send_plan(pool: zm.Pool, args: list[str]) -> _Plan:
    opts, operands = _options(args, "Ri:I:")
    replicate = any(o == "R" for o, _ in opts)
    incr = [(o, a) for o, a in opts if o in "iI"]
    if not operands:
        raise StreamError("missing snapshot argument", usage=True)
    if len(operands) > 1:
        raise StreamError("too many arguments", usage=True)
    if len(incr) > 1:
        raise StreamError("invalid option combination: -i and -I are given twice", usage=True)
    target = operands[0]
    if "@" not in target:
        raise StreamError("argument must be a snapshot", usage=True)
    tosnap = pool.snapshot(target)
    if tosnap is None:
        raise StreamError(f"cannot open '{target}': dataset does not exist")
    top = tosnap.dataset
    from_short: str | None = None
    every = False
    if incr:
        flag, src = incr[0]
        every = flag == "I"
        if src.startswith("@"):
            src = top + src
        if "@" not in src:
            src = f"{top}@{src}"
        if src.split("@", 1)[0] != top:
            raise StreamError("incremental source must be in same filesystem", usage=True)
        fromsnap = pool.snapshot(src)
        if fromsnap is None:
            raise StreamError(f"cannot open '{src}': dataset does not exist")
        if fromsnap.txg >= tosnap.txg:
            raise StreamError(f"cannot send '{target}': not an earlier snapshot from the "
                              "same fs")
        from_short = fromsnap.short
    group = [pool.dataset(top), *(pool.descendants(top) if replicate else [])]
    datasets: list[dict[str, Any]] = []
    order: list[tuple[str, zm.Snapshot]] = []
    for ds in group:
        assert ds is not None
        chain = pool.snapshots_of(ds.name)
        to = next((s for s in chain if s.short == tosnap.short), None)
        if to is None:
            continue  # a descendant without the snapshot is not part of the package
        frm = next((s for s in chain if s.short == from_short), None) if from_short else None
        if frm is None and from_short is not None and ds.name == top:
            raise StreamError(f"cannot open '{top}@{from_short}': dataset does not exist")
        if frm is None:
            sent = [s for s in chain if s.txg <= to.txg] if replicate else [to]
        else:
            after = [s for s in chain if frm.txg < s.txg <= to.txg]
            sent = after if every else [to]
        rel = ds.name[len(top):]
        props: dict[str, Any] = {}
        if replicate:
            if ds.mountpoint is not None:
                props["mountpoint"] = ds.mountpoint
            if ds.quota:
                props["quota"] = ds.quota
            if ds.readonly:
                props["readonly"] = "on"
        datasets.append({
            "rel": rel, "props": props,
            "have": [s.guid for s in chain],
            "from_guid": frm.guid if frm is not None else None,
            "snapshots": [{"short": s.short, "guid": s.guid, "creation": s.creation,
                           "base": s.base} for s in sent]})
        order += [(rel, s) for s in sent]
    header = {"tosnap": tosnap.name, "replicate": replicate, "datasets": datasets}
    return _Plan(header, order)


def _records(store: zm.PoolStore, plan: _Plan) -> Iterator[bytes]:
    yield MAGIC
    yield json.dumps(plan.header, separators=(",", ":")).encode() + b"\n"
    for rel, snap in plan.snaps:
        h = hashlib.sha256()

        def out(data: bytes, h: Any = h) -> bytes:
            h.update(data)
            return data
        yield out(json.dumps({"snap": rel, "short": snap.short}).encode() + b"\n")
        root = store.snap_dir(snap)
        for path, kind, st, payload in _tree(root):
            meta = {"p": path, "k": kind, "m": st.st_mode & 0o7777, "t": st.st_mtime,
                    "n": len(payload)}
            yield out(json.dumps(meta, separators=(",", ":")).encode() + b"\n")
            if payload:
                yield out(payload)
        yield json.dumps({"done": h.hexdigest()}).encode() + b"\n"
    yield b'{"end":true}\n'


def _tree(root: Path) -> Iterator[tuple[str, str, os.stat_result, bytes]]:
    """Every path of a snapshot copy, parents first: (relative path, kind, lstat,
    payload: a file's bytes or a symlink's target)."""
    def visit(d: Path, rel: str) -> Iterator[tuple[str, str, os.stat_result, bytes]]:
        yield rel, "/", d.lstat(), b""
        for e in sorted(os.scandir(d), key=lambda e: e.name):
            p, r = Path(e.path), f"{rel}/{e.name}"
            if e.is_symlink():
                yield r, "@", p.lstat(), os.fsencode(os.readlink(p))
            elif e.is_dir(follow_symlinks=False):
                yield from visit(p, r)
            elif e.is_file(follow_symlinks=False):
                yield r, "F", p.lstat(), p.read_bytes()
    if root.is_dir():
        yield from visit(root, "")


def send(simdir: Path, args: list[str], fd: int | None) -> tuple[int, bytes, bytes]:
    """Run ``zfs send ARGS``: write the stream to ``fd`` as it is made (None: return
    it), at most ``send_rate`` bytes a second when the pool sets one."""
    store = zm.PoolStore(simdir)
    if fd is not None and os.isatty(fd):
        return 1, b"", (b"Error: Stream can not be written to a terminal.\n"
                        b"You must redirect standard output.\n")
    try:
        with store.read() as pool:
            plan = _send_plan(pool, args)
            rate = pool.send_rate
            # The copies are read under the lock: a snapshot destroyed meanwhile
            # cannot tear the stream (ZFS holds the snapshots it sends).
            chunks = list(_records(store, plan))
    except StreamError as exc:
        return (2 if exc.usage else 1), b"", _err(exc, "usage:\n" + USAGE_SEND)
    if fd is None:
        return 0, b"".join(chunks), b""
    data = b"".join(chunks)
    started = time.monotonic()
    # Throttled, in pieces of an eighth of a second's worth: progress is seen moving.
    step = CHUNK if rate <= 0 else max(512, min(CHUNK, rate // 8))
    for i in range(0, len(data), step):
        piece = memoryview(data)[i:i + step]
        try:
            while piece:
                n = os.write(fd, piece)
                piece = piece[n:]
        except BrokenPipeError:
            return 1, b"", b"warning: cannot send '" + str(plan.header["tosnap"]).encode() + (
                b"': signal received\n")
        if rate > 0:
            ahead = (i + step) / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    return 0, b"", b""


def _err(exc: StreamError, usage: str) -> bytes:
    text = str(exc).rstrip("\n") + "\n"
    return (text + usage).encode() if exc.usage else text.encode()


# -- receive ------------------------------------------------------------------------------

@dataclass
class _Received:
    """One snapshot read whole from the stream."""

    rel: str
    short: str
    files: list[tuple[dict[str, Any], bytes]]


class _Reader:
    """The stream, record by record; ``None`` where it ends early."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def line(self) -> dict[str, Any] | None:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            return None
        raw = self.data[self.pos:end]
        self.pos = end + 1
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def raw_from(self, start: int) -> bytes:
        return self.data[start:self.pos]

    def take(self, n: int) -> bytes | None:
        if self.pos + n > len(self.data):
            return None
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk


def _next_snapshot(r: _Reader) -> _Received | None | bool:
    """The next snapshot; True at the end record; None when cut short or corrupt."""
    start = r.pos
    head = r.line()
    if head is None:
        return None
    if head.get("end") is True:
        return True
    if "snap" not in head:
        return None
    files: list[tuple[dict[str, Any], bytes]] = []
    while True:
        at = r.pos
        meta = r.line()
        if meta is None:
            return None
        if "done" in meta:
            body = r.data[start:at]
            if hashlib.sha256(body).hexdigest() != meta["done"]:
                return None
            return _Received(str(head["snap"]), str(head["short"]), files)
        payload = r.take(int(meta.get("n", 0)))
        if payload is None:
            return None
        files.append((meta, payload))


def _write_tree(dst: Path, files: list[tuple[dict[str, Any], bytes]]) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    dirs: list[tuple[Path, dict[str, Any]]] = []
    for meta, payload in files:
        p = dst / str(meta["p"]).lstrip("/") if meta["p"] else dst
        if meta["k"] == "/":
            p.mkdir(parents=True, exist_ok=True)
            dirs.append((p, meta))
        elif meta["k"] == "@":
            os.symlink(os.fsdecode(payload), p)
        else:
            p.write_bytes(payload)
            os.chmod(p, int(meta["m"]))
            os.utime(p, (float(meta["t"]), float(meta["t"])))
    for p, meta in reversed(dirs):
        os.chmod(p, int(meta["m"]) | 0o700)
        os.utime(p, (float(meta["t"]), float(meta["t"])))


def _tree_bytes(files: list[tuple[dict[str, Any], bytes]]) -> int:
    return sum(max(zm.BLOCK, -(-len(b) // zm.BLOCK) * zm.BLOCK) for _m, b in files)


def receive(simdir: Path, args: list[str], stdin: bytes | None, *,
            stdin_tty: bool = False) -> tuple[int, bytes, bytes]:
    """Run ``zfs receive ARGS`` reading the stream from ``stdin``."""
    store = zm.PoolStore(simdir)
    out: list[str] = []
    try:
        opts, operands = _options(args, "Fuvx:o:dne")
        flags = {o for o, _ in opts}
        if flags & {"d", "e", "n", "o"}:
            bad = sorted(flags & {"d", "e", "n", "o"})[0]
            raise StreamError(f"invalid option '{bad}'", usage=True)
        excluded = {a for o, a in opts if o == "x"}
        if not operands:
            raise StreamError("missing snapshot argument", usage=True)
        if len(operands) > 1:
            raise StreamError("too many arguments", usage=True)
        if stdin_tty:
            raise StreamError("Error: Backup stream can not be read from a terminal.\n"
                              "You must redirect standard input.")
        target = operands[0]
        if "@" in target:
            raise StreamError(f"cannot receive: '{target}': a snapshot name is not "
                              "supported by the simulated host; name a file system")
        reader = _Reader(stdin or b"")
        if not reader.data:
            raise StreamError("cannot receive: failed to read from stream")
        if not reader.data.startswith(MAGIC):
            raise StreamError("cannot receive: invalid stream (bad magic number)")
        reader.pos = len(MAGIC)
        header = reader.line()
        if header is None or not isinstance(header.get("datasets"), list):
            raise StreamError("cannot receive: failed to read from stream")
        failed: StreamError | None = None
        with store.write() as pool:
            try:
                _receive_into(store, pool, header, reader, target, flags, excluded, out)
            except StreamError as exc:
                # Saved all the same: the snapshots received whole before it stay.
                failed = exc
        if failed is not None:
            raise failed
    except StreamError as exc:
        return (2 if exc.usage else 1), "".join(out).encode(), _err(exc, "usage:\n"
                                                                    + USAGE_RECV)
    return 0, "".join(out).encode(), b""


def _receive_into(store: zm.PoolStore, pool: zm.Pool, header: dict[str, Any], r: _Reader,
                  target: str, flags: set[str], excluded: set[str], out: list[str]) -> None:
    """Check the header against the target, then apply snapshot by snapshot.

    Raises StreamError; what was applied before the error stays (the caller saves
    the pool on this function's StreamError too)."""
    force, verbose, unmounted = "F" in flags, "v" in flags, "u" in flags
    specs = {str(d["rel"]): d for d in header["datasets"]}
    top = specs.get("")
    if top is None:
        raise StreamError("cannot receive: invalid stream (bad snapshot name)")
    incremental = top.get("from_guid") is not None
    what = "incremental stream" if incremental else "new filesystem stream"
    where = f"cannot receive {what}"
    existing = pool.dataset(target)
    if incremental:
        if existing is None:
            raise StreamError(f"{where}: destination '{target}' does not exist")
    elif existing is not None:
        if not force:
            raise StreamError(f"{where}: destination '{target}' exists\n"
                              "must specify -F to overwrite it")
        snaps = pool.snapshots_of(target)
        if snaps:
            raise StreamError(f"{where}: destination has snapshots (eg. {snaps[0].name})\n"
                              "must destroy them to overwrite it")
    else:
        parent = target.rsplit("/", 1)[0] if "/" in target else ""
        if not parent or pool.dataset(parent) is None:
            raise StreamError(f"{where}: dataset does not exist")
    # Each dataset's own checks, before anything changes.
    for rel, spec in specs.items():
        name = target + rel
        ds = pool.dataset(name)
        frm = spec.get("from_guid")
        if frm is None:
            continue
        if ds is None:
            raise StreamError(f"{where}: destination '{name}' does not exist")
        chain = pool.snapshots_of(name)
        match = next((s for s in chain if s.guid == frm), None)
        if match is None or (chain[-1] is not match and not force):
            raise StreamError(f"{where}: most recent snapshot of {name} does not\n"
                              "match incremental source")
        if force:
            for s in chain[chain.index(match) + 1:]:
                zm.drop_snapshot(store, pool, s)
            if header.get("replicate"):
                have = set(spec.get("have", []))
                for s in pool.snapshots_of(name):
                    if s.guid not in have and s is not match:
                        zm.drop_snapshot(store, pool, s)
        elif _modified(store, pool, ds, match):
            raise StreamError(f"{where}: destination {name} has been modified\n"
                              "since most recent snapshot")
    if existing is not None and not incremental:
        _drop_dataset(store, pool, existing)
    while True:
        got = _next_snapshot(r)
        if got is True:
            return
        if got is None:
            # Without -s no resumable state is kept: the snapshot being read is gone.
            raise StreamError(f"{where}: checksum mismatch or incomplete stream")
        assert isinstance(got, _Received)
        spec = specs.get(got.rel)
        if spec is None:
            raise StreamError(f"{where}: invalid stream (bad snapshot name)")
        meta = next((m for m in spec["snapshots"] if m["short"] == got.short), None)
        if meta is None:
            raise StreamError(f"{where}: invalid stream (bad snapshot name)")
        name = target + got.rel
        full = f"{name}@{got.short}"
        same = pool.snapshot(full)
        if same is not None:
            if same.guid == int(meta["guid"]):
                if verbose:
                    out.append(f"snap {full} already exists; ignoring\n")
                continue
            raise StreamError(f"cannot restore to {full}: destination already exists")
        need = _tree_bytes(got.files) + (int(meta.get("base", 0))
                                         if pool.dataset(name) is None else 0)
        sp = zm.space(store, pool)
        parent = name.rsplit("/", 1)[0]
        avail = sp.avail.get(name, sp.avail.get(parent, 0))
        if need > avail:
            raise StreamError(f"{where}: out of space")
        if verbose:
            out.append(f"receiving {'incremental' if spec.get('from_guid') else 'full'} "
                       f"stream of {header['tosnap'].split('@')[0]}{got.rel}@{got.short} "
                       f"into {full}\n")
        ds = pool.dataset(name)
        if ds is None:
            ds = zm.Dataset(name, int(meta["creation"]), None, base=int(meta.get("base", 0)),
                            txg=pool.alloc_txg(), mounted=not unmounted)
            for prop, value in spec.get("props", {}).items():
                if prop in excluded:
                    continue
                if prop == "mountpoint":
                    ds.mountpoint = str(value)
                elif prop == "quota":
                    ds.quota = int(value)
                elif prop == "readonly":
                    ds.readonly = value == "on"
            pool.datasets.append(ds)
        snap = zm.Snapshot(full, int(meta["creation"]), pool.alloc_data(),
                           int(meta.get("base", 0)), pool.alloc_txg(), int(meta["guid"]))
        _write_tree(store.snap_dir(snap), got.files)
        pool.snapshots.append(snap)
        root = zm.own_files(store, pool, ds)
        if root is not None:
            if root.exists():
                zm.clear_own(root, zm.skip_paths(store, pool, ds))
            else:
                root.mkdir(parents=True)
            zm.copy_own(store.snap_dir(snap), root, set())


def _modified(store: zm.PoolStore, pool: zm.Pool, ds: zm.Dataset, snap: zm.Snapshot) -> bool:
    """Has a mounted ``ds`` changed since ``snap``? (an unmounted one cannot have)."""
    if not pool.is_mounted(ds):
        return False
    live = zm.live_tree(store, pool, ds)
    old = zm.snap_tree(store, snap)
    strip = {k: (e.kind, e.digest, e.mode) for k, e in live.items() if k}
    return strip != {k: (e.kind, e.digest, e.mode) for k, e in old.items() if k}


def _drop_dataset(store: zm.PoolStore, pool: zm.Pool, ds: zm.Dataset) -> None:
    """``-F`` on a full stream: the existing (snapshot-less) file system goes."""
    for d in sorted([ds, *pool.descendants(ds.name)], key=lambda x: -x.name.count("/")):
        for s in pool.snapshots_of(d.name):
            zm.drop_snapshot(store, pool, s)
        root = zm.own_files(store, pool, d)
        if root is not None and root.is_dir():
            zm.clear_own(root, zm.skip_paths(store, pool, d))
        pool.datasets.remove(d)

