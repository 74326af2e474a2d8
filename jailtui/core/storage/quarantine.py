"""A jail's quarantined roots (what a restore moved aside), and destroying one.

The restore flow never destroys the compromised root; this is the separate,
confirmed action that does (the caller asks first, naming it). Listing is a
VIEW; destroying is :data:`Action.RESTORE` on the jail (a delegate only on their
own jail: the gate), audited with the outcome.

The restored root is a clone of a snapshot of the quarantine (core/storage/
restore.py), so ``zfs destroy -r`` of the quarantine alone is refused
("filesystem has dependent clones"). zfs-promote(8) reverses that first: each
restored dataset takes over the snapshots up to its origin, and the quarantine
becomes the clone, which may then go. Never ``-R`` (that would destroy the
restored root with it).

A UFS root that is a directory (``restore --standby``, core/storage/standby.py)
leaves its quarantine as a directory beside it, ``ROOT.quarantine-UTCTIME``
(core/storage/changes.py ``ufs_quarantines``). Only exactly one of those is
destroyed, never the root or its standby, and not while a mount is under it or a
restore cut short still needs it: ``chflags -R -x`` clears the flags that stop
unlink(2) (refused at kern.securelevel > 0 for schg/sappnd/sunlnk: said so), then
``rm -rfx --``; neither follows a symlink nor leaves the file system
(docs/freebsd.md 12.9).
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass

from jailtui.core.actions.control import ActionResult, Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.zfs import ZfsDataset

TIMEOUT = 120.0
#: chflags -R and rm -r of a whole root: every inode of it, like the standby's extraction.
TREE_TIMEOUT = 3600.0
#: The UTC stamp a restore puts in the name it moves a root to (restore.quarantine_name,
#: standby.aside_path): ``….quarantine-20261202T043500Z``.
_STAMP = re.compile(r"\.quarantine-(\d{8}T\d{6}Z)$")


def quarantined_at(name: str) -> float | None:
    """When the root was moved aside, from the stamp in its name (a dataset's
    ``creation`` is when it was made, not when it was renamed); None without one."""
    m = _STAMP.search(name)
    if m is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One moved-aside root: its dataset, its space, and who depends on it."""

    dataset: ZfsDataset
    #: Child datasets moved with it.
    children: tuple[str, ...]
    #: Datasets cloned from its snapshots (the restored root and its children).
    clones: tuple[str, ...]

    @property
    def name(self) -> str:
        """What :func:`destroy` takes: the dataset's name."""
        return self.dataset.name

    def to_json(self) -> dict[str, object]:
        d = self.dataset
        return {"kind": "zfs", "name": d.name, "used": d.used, "referenced": d.refer,
                "mountpoint": d.mountpoint, "children": list(self.children),
                "clones": list(self.clones)}


@dataclass(frozen=True, slots=True)
class QuarantinedDir:
    """A UFS root moved aside: a directory beside the root. Only its path is known
    from the host side cheaply (its size would be a walk of the whole tree)."""

    path: str

    @property
    def name(self) -> str:
        """What :func:`destroy` takes: the directory's path."""
        return self.path

    def to_json(self) -> dict[str, object]:
        return {"kind": "directory", "name": self.path, "path": self.path}


def not_a_quarantine(name: str, quarantine: str, found: list[str]) -> str:
    """The one refusal of a destroy that names no quarantine of the jail."""
    return (f"{quarantine[:200]} is not a quarantined root of {name} (these are: "
            f"{', '.join(found) or 'none'})")


def destroy_question(name: str, quarantine: str) -> str:
    """What the CLI (and any console flow) asks before :func:`destroy`."""
    if quarantine.startswith("/"):
        return (f"Destroy the directory {quarantine} and everything in it (the evidence "
                f"of {name}'s compromise; its flags are cleared first)? {CANNOT_UNDO}")
    return (f"Destroy {quarantine}, its child datasets and snapshots (the evidence of "
            f"{name}'s compromise)? {CANNOT_UNDO}")


#: Said with every destroy question: nothing keeps a copy of what goes.
CANNOT_UNDO = "This cannot be undone."


def destroy_how(quarantine: Quarantined | QuarantinedDir) -> str:
    """The commands :func:`destroy` runs on it, for the question (console's ``D``)."""
    if isinstance(quarantine, QuarantinedDir):
        return (f"chflags -R -x (the flags that stop unlink), then rm -rfx -- "
                f"{quarantine.path}; the root and its standby copy are untouched")
    kids = len(quarantine.children)
    text = f"zfs destroy -r {quarantine.name}" + (
        f" (with its {kids} child dataset{'s' if kids != 1 else ''})" if kids else "")
    if quarantine.clones:
        text += (f"; first zfs promote {', '.join(quarantine.clones)} (restored from it), "
                 "which keeps running")
    return text


def securelevel_blocks(level: int | None, path: str) -> str:
    """Why clearing the flags under ``path`` failed at the host's securelevel."""
    at = f"securelevel {level}" if level is not None else "a securelevel that could not be read"
    return (f"the host runs at {at}: files under {path} carry schg, sappnd or sunlnk, "
            "which cannot be cleared above securelevel 0; nothing was removed: only init(8) "
            "lowers it (single-user, or a boot that does not raise it): destroy it then")


def _root_dataset(name: str, root: str, datasets: list[ZfsDataset]) -> str | None:
    """The jail's root dataset name, also when a restore cut short left it missing."""
    mounted = [d for d in datasets if d.mountpoint.rstrip("/") == root.rstrip("/")]
    if mounted:
        return mounted[0].name
    parents = sorted((d for d in datasets if root.startswith(d.mountpoint.rstrip("/") + "/")),
                     key=lambda d: len(d.mountpoint))
    if not parents:
        return None
    p = parents[-1]
    return p.name + root[len(p.mountpoint.rstrip("/")):]


async def quarantined(controller: Controller, name: str, expect: Jail | None = None
                      ) -> list[Quarantined | QuarantinedDir]:
    """The jail's quarantined roots, oldest first (their names sort by time): datasets
    for a root on ZFS, else the directories beside a UFS root. ``expect``: the jail as
    the caller has it (the console's row), else the host is polled for it."""
    controller.gate(Action.VIEW, name)
    jail = await snapmod.Snapshots(controller).find(name, expect)
    if not jail.path:
        raise snapmod.StorageError(f"{name}: its root path is not known")
    datasets = (await snapmod.read_tables(controller.host.runner))[0]
    ds = _root_dataset(name, jail.path, datasets)
    if ds is None or not any(d.name == ds or d.name.startswith(f"{ds}.quarantine-")
                             for d in datasets):
        from jailtui.core.storage.changes import ufs_quarantines

        return [QuarantinedDir(p) for p in await ufs_quarantines(controller, name, jail)]
    prefix = f"{ds}.quarantine-"
    out: list[Quarantined | QuarantinedDir] = []
    for d in sorted(datasets, key=lambda x: x.name):
        if not d.name.startswith(prefix) or "/" in d.name[len(prefix):]:
            continue
        children = tuple(c.name for c in datasets if c.name.startswith(d.name + "/"))
        tree = {d.name, *children}
        clones = tuple(c.name for c in datasets if c.origin.split("@", 1)[0] in tree)
        out.append(Quarantined(d, children, clones))
    return out


async def destroy(controller: Controller, name: str, quarantine: str,
                  expect: Jail | None = None) -> ActionResult:
    """Promote the clones of ``quarantine`` (the restored root), then ``zfs destroy -r``
    it; refused for anything that is not one of the jail's quarantined roots. The CLI's
    ``quarantine destroy`` and the console's ``D`` (Controller.quarantine_destroy)."""
    controller.gate(Action.RESTORE, name)
    if quarantine.startswith("/"):  # a directory; a dataset's name never starts so
        return await _destroy_dir(controller, name, quarantine, expect)
    found = {q.dataset.name: q for q in await quarantined(controller, name, expect)
             if isinstance(q, Quarantined)}
    jail = await snapmod.Snapshots(controller).find(name, expect)
    detail = f"destroy quarantine {quarantine[:200]}"
    q = found.get(quarantine)
    if q is None:
        msg = not_a_quarantine(name, quarantine, list(found))
        controller.record(Action.RESTORE, name, jail.jid, f"failed: {msg}", detail)
        raise snapmod.StorageError(msg)
    needed = await _needed_by_restore(controller, name, quarantine)
    if needed is not None:  # cut short after the rename: it may be the only root there is
        controller.record(Action.RESTORE, name, jail.jid, f"failed: {needed}", detail)
        raise snapmod.StorageError(needed)
    runner = controller.host.runner
    done: list[str] = []
    try:
        for clone in q.clones:
            res = await runner.run(argvmod.zfs_promote_argv(clone), timeout=TIMEOUT)
            if res.returncode != 0:
                raise tool_error(res)
            done.append(f"promoted {clone}")
        res = await runner.run(argvmod.zfs_destroy_tree_argv(quarantine), timeout=TIMEOUT)
        if res.returncode != 0:
            raise tool_error(res)
    except JailtuiError as exc:
        msg = str(exc).strip()
        controller.record(Action.RESTORE, name, jail.jid,
                          f"failed: {msg.splitlines()[0][:300] if msg else 'failed'}", detail)
        return ActionResult(False, f"{quarantine} not destroyed: {msg}"
                            + (f" ({'; '.join(done)}: the restored root no longer depends on "
                               "it)" if done else ""))
    controller.record(Action.RESTORE, name, jail.jid, "ok", detail)
    kids = f" and its {len(q.children)} child dataset{'s' if len(q.children) != 1 else ''}" \
        if q.children else ""
    return ActionResult(True, f"destroyed {quarantine}{kids} and "
                        f"{'their' if q.children else 'its'} snapshots"
                        + (f" ({'; '.join(done)} first)" if done else ""))


async def _destroy_dir(controller: Controller, name: str, quarantine: str,
                       expect: Jail | None = None) -> ActionResult:
    """``chflags -R -x`` then ``rm -rfx`` of exactly one ``ROOT.quarantine-*`` directory
    of the jail (the module docstring); refusals raise, audited as ZFS's are."""
    from jailtui.core.storage import standby
    from jailtui.core.storage.changes import ufs_quarantines

    jail = await snapmod.Snapshots(controller).find(name, expect)
    detail = f"destroy quarantine {quarantine[:200]}"

    def refuse(msg: str) -> snapmod.StorageError:
        controller.record(Action.RESTORE, name, jail.jid, f"failed: {msg}", detail)
        return snapmod.StorageError(msg)

    found = await ufs_quarantines(controller, name, jail)
    if quarantine not in found:  # exactly: no trailing "/", no "..", no other directory
        raise refuse(not_a_quarantine(name, quarantine, found))
    needed = await _needed_by_restore(controller, name, quarantine)
    if needed is not None:
        raise refuse(needed)
    try:
        mounted = await standby.mounted_under(controller, quarantine)
    except JailtuiError as exc:
        raise refuse(f"{quarantine}: the mount table could not be read: {exc.message}"
                     ) from None
    if mounted:
        raise refuse(f"mounted under {quarantine}: {'; '.join(mounted)}: unmount first")
    runner = controller.host.runner
    try:
        res = await runner.run(argvmod.chflags_tree_argv(argvmod.NO_UNLINK_CLEAR, quarantine),
                               timeout=TREE_TIMEOUT)
        if res.returncode != 0:
            err = res.stderr.decode("utf-8", "replace")
            if "Operation not permitted" in err:
                level = await _securelevel(controller)
                if level is None or level > 0:
                    raise snapmod.StorageError(securelevel_blocks(level, quarantine))
            raise tool_error(res)
        res = await runner.run(argvmod.rm_tree_argv(quarantine), timeout=TREE_TIMEOUT)
        if res.returncode != 0:
            first = tool_error(res).message.strip().splitlines()
            raise snapmod.StorageError(f"{first[0] if first else 'rm failed'} (rm went on with "
                                       "the rest: what it could remove is gone)")
        if await standby.dev_ino(controller, quarantine) is not None:
            raise snapmod.StorageError("rm said it was removed, but it is still there")
    except JailtuiError as exc:
        msg = str(exc).strip() or "failed"
        controller.record(Action.RESTORE, name, jail.jid,
                          f"failed: {msg.splitlines()[0][:300]}", detail)
        return ActionResult(False, f"{quarantine} not destroyed: {msg}")
    controller.record(Action.RESTORE, name, jail.jid, "ok", detail)
    return ActionResult(True, f"destroyed {quarantine} and everything in it (its file flags "
                        f"cleared first); {name}'s root and its standby copy are untouched")


async def _needed_by_restore(controller: Controller, name: str, quarantine: str
                             ) -> str | None:
    """Why a restore of ``name`` cut short (its journal, read again: Restore.pending)
    still needs ``quarantine`` (its swap back or resume puts it back); None if none does."""
    from jailtui.core.storage.restore import Restore

    pending = await Restore(controller).pending(name)
    if pending is None or pending[0].quarantine != quarantine:
        return None
    return (f"{quarantine}: a restore of {name} cut short still needs it: "
            f"{pending[1].splitlines()[0] if pending[1] else 'finish it first'}")


async def _securelevel(controller: Controller) -> int | None:
    """The host's kern.securelevel (sysctl -n), None if it cannot be read."""
    try:
        res = await controller.host.runner.run(argvmod.sysctl_value_argv("kern.securelevel"),
                                               timeout=10)
        return int(res.stdout.decode().strip()) if res.returncode == 0 else None
    except (JailtuiError, ValueError):
        return None
