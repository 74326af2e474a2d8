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
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.actions.control import ActionResult, Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.zfs import ZfsDataset

TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One moved-aside root: its dataset, its space, and who depends on it."""

    dataset: ZfsDataset
    #: Child datasets moved with it.
    children: tuple[str, ...]
    #: Datasets cloned from its snapshots (the restored root and its children).
    clones: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        d = self.dataset
        return {"name": d.name, "used": d.used, "referenced": d.refer,
                "mountpoint": d.mountpoint, "children": list(self.children),
                "clones": list(self.clones)}


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


async def quarantined(controller: Controller, name: str) -> list[Quarantined]:
    """The jail's quarantined roots, oldest first (their names sort by time)."""
    controller.gate(Action.VIEW, name)
    jail = await snapmod.Snapshots(controller).find(name)
    if not jail.path:
        raise snapmod.StorageError(f"{name}: its root path is not known")
    datasets = (await snapmod.read_tables(controller.host.runner))[0]
    ds = _root_dataset(name, jail.path, datasets)
    if ds is None:
        return []
    prefix = f"{ds}.quarantine-"
    out = []
    for d in sorted(datasets, key=lambda x: x.name):
        if not d.name.startswith(prefix) or "/" in d.name[len(prefix):]:
            continue
        children = tuple(c.name for c in datasets if c.name.startswith(d.name + "/"))
        tree = {d.name, *children}
        clones = tuple(c.name for c in datasets if c.origin.split("@", 1)[0] in tree)
        out.append(Quarantined(d, children, clones))
    return out


async def destroy(controller: Controller, name: str, quarantine: str) -> ActionResult:
    """Promote the clones of ``quarantine`` (the restored root), then ``zfs destroy -r``
    it; refused for anything that is not one of the jail's quarantined roots."""
    controller.gate(Action.RESTORE, name)
    found = {q.dataset.name: q for q in await quarantined(controller, name)}
    jail = await snapmod.Snapshots(controller).find(name)
    detail = f"destroy quarantine {quarantine[:200]}"
    q = found.get(quarantine)
    if q is None:
        msg = (f"{quarantine[:200]} is not a quarantined root of {name} (these are: "
               f"{', '.join(found) or 'none'})")
        controller.record(Action.RESTORE, name, jail.jid, f"failed: {msg}", detail)
        raise snapmod.StorageError(msg)
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
    return ActionResult(True, f"destroyed {quarantine}{kids} and their snapshots"
                        + (f" ({'; '.join(done)} first)" if done else ""))
