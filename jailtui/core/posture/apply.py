"""Setting the baseline's file flags on a jail root (``jailtui flags NAME --apply``).

The changes come from a collected posture (JailPosture.flag_changes: the
files that lack a flag, found by walking the root without following any
symlink). Right before ``chflags`` each path is walked again
(core/transport/jailfs.py lstat_under_root): a path that turned into a
symlink, or whose parent did, is refused, so ``chflags`` never reaches out
of the root through a component; ``chflags -h`` acts on a last component
that is a link itself, never its target (docs/freebsd.md 13.2,
docs/security.md 8).

On a host over SSH the walk runs there (:func:`recheck_remote`), and
:func:`apply_remote` runs ``chflags -h`` from inside each file's directory,
entered from the root by a fixed script, so a component swapped for a symlink
after the recheck is refused for that file rather than followed.

The kernel refuses any flag change on a file carrying ``schg``, ``sappnd``
or ``sunlnk`` while the securelevel is above 0: such a plan is refused with
that reason before anything runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.fflags import LOCKING
from jailtui.core.posture.model import FlagChange
from jailtui.core.text import visible
from jailtui.core.transport.runner import Runner

#: Files per chflags command (argv stays far below ARG_MAX).
BATCH = 200


def securelevel_problem(level: int, changes: Sequence[FlagChange]) -> str | None:
    """Why the kernel would refuse the plan at ``level`` (host's effective), or None."""
    if level <= 0:
        return None
    locked = [c.path for c in changes if set(c.current) & LOCKING]
    if not locked:
        return None
    shown = ", ".join(locked[:3]) + (f" and {len(locked) - 3} more" if len(locked) > 3 else "")
    return (f"the host runs at securelevel {level}: {shown} carry schg/sappnd/sunlnk, "
            "whose flags cannot change above securelevel 0 (init(8))")


def recheck(local_root: str, root: str, changes: Sequence[FlagChange]) -> list[str]:
    """Problems of paths that no longer walk cleanly from the root (empty: all fine)."""
    from jailtui.core.transport import jailfs

    out: list[str] = []
    base = root.rstrip("/")
    for c in changes:
        if not c.path.startswith(base + "/"):
            out.append(f"{visible(c.path)}: not under the jail root {visible(root)}")
            continue
        rel = c.path[len(base) + 1:]
        got = jailfs.lstat_under_root(local_root, rel, shown=c.path)
        if not got.ok:
            out.append(got.why())
    return out


async def recheck_remote(runner: Runner, real_root: str, root: str,
                         changes: Sequence[FlagChange]) -> list[str]:
    """:func:`recheck` on a remote host: the same walk from the root, run there
    (core/transport/jailfs.py astat_remote: no component but the last may be a
    symlink), all paths in one round trip. ``real_root`` is the remote machine's
    path of the root, ``root`` its host path."""
    from jailtui.core.transport import jailfs

    out: list[str] = []
    base = root.rstrip("/")
    rels: list[tuple[str, bool]] = []
    for c in changes:
        if not c.path.startswith(base + "/"):
            out.append(f"{visible(c.path)}: not under the jail root {visible(root)}")
        else:
            rels.append((c.path[len(base) + 1:], False))
    if out:
        return out
    got = await jailfs.astat_remote(runner, real_root, rels, shown_root=root)
    for g in got:
        if not g.present:
            out.append(f"{visible(g.path)}: {g.reason}")
    return out


async def apply_remote(runner: Runner, real_root: str, root: str,
                       changes: Sequence[FlagChange],
                       timeout: float) -> tuple[list[str], str]:
    """Set ``changes`` on a remote host: chflags run from inside each file's
    directory, entered from the root on the remote side (core/transport/jailfs.py
    REMOTE_CHFLAGS_SCRIPT), so no component swapped for a symlink after
    :func:`recheck_remote` is followed. Returns the files that were not set
    (empty: all were) and chflags's own messages. Raises CommandError when the
    commands cannot run at all."""
    from jailtui.core.transport import jailfs
    from jailtui.core.transport.runner import run_all

    base = root.rstrip("/")
    groups: dict[tuple[str, ...], list[FlagChange]] = {}
    for c in changes:
        groups.setdefault(c.add, []).append(c)
    batches: list[list[FlagChange]] = []
    argvs: list[list[str]] = []
    for flags, group in groups.items():
        for i in range(0, len(group), BATCH):
            batch = group[i:i + BATCH]
            batches.append(batch)
            argvs.append(jailfs.remote_chflags_argv(
                real_root, ",".join(flags), [c.path[len(base) + 1:] for c in batch]))
    results = await run_all(runner, argvs, timeout)
    problems: list[str] = []
    messages: list[str] = []
    for batch, res in zip(batches, results, strict=True):
        err = res.stderr.decode("utf-8", "replace").strip()
        if err:
            messages.append(err)
        if res.returncode == jailfs.ROOT_UNREADABLE:
            problems += [f"{visible(c.path)}: jail root {visible(root)}: cannot enter it"
                         for c in batch]
            continue
        got = jailfs.chflags_outcomes(res.stdout, len(batch))
        if got is None:
            why = visible(err.splitlines()[-1]) if err else f"exit status {res.returncode}"
            problems += [f"{visible(c.path)}: {why}" for c in batch]
            continue
        for c, line in zip(batch, got, strict=True):
            if line == "failed":
                problems.append(f"{visible(c.path)}: chflags failed")
            elif line != "ok":
                problems.append(f"{visible(c.path)}: {line.removeprefix('refused ')}")
    return problems, "\n".join(messages)


def commands(changes: Sequence[FlagChange]) -> list[list[str]]:
    """``chflags -h FLAGS -- PATH...``, one per set of flags to add (in batches)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for c in changes:
        groups.setdefault(c.add, []).append(c.path)
    out: list[list[str]] = []
    for flags, paths in groups.items():
        for i in range(0, len(paths), BATCH):
            out.append(argvmod.chflags_argv(flags, paths[i:i + BATCH]))
    return out


def describe(changes: Sequence[FlagChange]) -> list[str]:
    """One line per file: ``+schg /usr/local/jails/cache/bin (now -)``."""
    return [f"+{','.join(c.add)} {c.path} (now {','.join(c.current) or '-'})"
            for c in changes]


__all__ = ["BATCH", "apply_remote", "commands", "describe", "recheck", "recheck_remote", "securelevel_problem"]
