"""Confinement of what the simulated jexec runs: the jail's root as ``/``.

FreeBSD's jexec(8) attaches to the jail (jail_attach(2), docs/freebsd.md 6),
after which the process sees only the jail's root. Linux has no jails, so
the simulator confines with bubblewrap (``bwrap``, Debian package
bubblewrap), which needs unprivileged user namespaces. What a confined
command sees (decided here, documented in docs/internals.md, simulator):

- ``/`` is a tmpfs holding a bind of every top-level entry of the jail's
  root (read-write: they are the jail's files), so nothing of this
  machine's ``/`` is reachable and no mount point is created on disk at the
  top of the jail root;
- this machine's binaries and libraries (``/bin``, ``/sbin``, ``/lib*``,
  ``/usr/bin``, ``/usr/sbin``, ``/usr/lib*``, ``/usr/libexec``,
  ``/usr/share``) read-only where the jail root lacks them (missing or
  empty: the builder leaves them empty: a FreeBSD jail root has these
  directories), and ``/etc/ld.so.cache`` and ``/etc/alternatives`` so
  those binaries start (their mount points appear in the jail's ``/etc``);
- a fresh ``/proc`` (own pid namespace) and a minimal ``/dev``; its own
  hostname (UTS namespace), IPC and network (loopback only);
- the user the jail's passwd names (``jexec -U``), mapped in the user
  namespace: files of this machine's user show as that user, others as
  nobody (one uid can be mapped without privileges, user_namespaces(7));
- the simulated in-jail tools (ps, service, hostname, ...) under
  ``/.jailtui-sim``: the simulated host's state read-write (they change it,
  as a jailed ``service`` changes the kernel's), its files read-only.

Where confinement is impossible (no bwrap, or user namespaces refused)
:func:`confinement_available` is False and jexec runs only the built-in
simulated tools (:mod:`jailtui.sim.restricted`), never a shell or a program
on this machine's ``/``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Set to ``none`` to behave as if bwrap were missing (tests of the fallback).
#: It can only take confinement away, never pretend to have it.
ENV_CONFINE = "JAILTUI_SIM_CONFINE"
#: Where the simulated host and the in-jail tools appear inside the sandbox.
SIM_MOUNT = "/.jailtui-sim"
#: Top-level host directories lent read-only to a jail root that lacks them.
HOST_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: /usr subdirectories lent the same way (never /usr/local: the jail's own).
HOST_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "libexec", "share")
#: Files under /etc the host's binaries need (the dynamic linker's cache, Debian's
#: alternatives symlinks); lent read-only where the jail lacks them.
HOST_ETC = ("ld.so.cache", "alternatives")
#: Seconds the probe may take.
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Confinement:
    """Whether jexec can confine, with what, and if not, why."""

    available: bool
    #: The bwrap executable found (None: not installed).
    tool: str | None
    #: Why not (empty when available).
    reason: str = ""

    def describe(self) -> str:
        if self.available:
            return f"confined to the jail's root by bubblewrap ({self.tool})"
        return f"NOT confined: {self.reason}; only the simulated tools run"


@functools.cache
def probe() -> Confinement:
    """Find bwrap and check that it can create the namespaces we use (cached)."""
    if os.environ.get(ENV_CONFINE, "").lower() == "none":
        return Confinement(False, None, f"confinement disabled ({ENV_CONFINE}=none)")
    tool = shutil.which("bwrap")
    if tool is None:
        return Confinement(False, None, "bubblewrap (bwrap) is not installed")
    argv = [tool, "--unshare-all", "--unshare-user", "--die-with-parent", "--tmpfs", "/",
            "--ro-bind", "/usr", "/usr", *_top_links(), "--proc", "/proc", "--dev", "/dev",
            "--", "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"]
    try:
        res = subprocess.run(argv, capture_output=True, timeout=PROBE_TIMEOUT, check=False,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Confinement(False, tool, f"bwrap did not run ({exc})")
    if res.returncode != 0:
        why = res.stderr.decode("utf-8", "replace").strip().splitlines()
        return Confinement(False, tool, "bwrap cannot create user namespaces here"
                           + (f" ({why[0]})" if why else ""))
    return Confinement(True, tool)


def confinement_available() -> bool:
    """Can the simulated jexec confine what it runs to the jail's root?

    Delegated sessions on a simulated host depend on this: without it a
    jailed command would run on this machine's ``/``.
    """
    return probe().available


def _top_links() -> list[str]:
    """Merged-/usr hosts have /bin -> usr/bin ...: recreate those links."""
    out: list[str] = []
    for name in HOST_TOP:
        path = f"/{name}"
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
    return out


def _lacks(path: str) -> bool:
    """Missing, an empty directory or an empty file (a mount point bwrap left):
    the host's may be lent there."""
    if os.path.islink(path):
        return False
    if not os.path.exists(path):
        return True
    if os.path.isdir(path):
        return not (set(os.listdir(path)) - STAND_INS)
    return os.path.getsize(path) == 0


#: Files the builder puts in a base directory for the host-side posture reader
#: (bin/freebsd-version, sim/hardening.py): they do not make the directory the
#: jail's own, so this machine's is still lent there (hiding them inside).
STAND_INS = frozenset({"freebsd-version"})


def _lend(host_path: str, jail_path: str, dest: str) -> list[str]:
    """bwrap options lending ``host_path`` at ``dest`` if the jail lacks it."""
    if not (os.path.lexists(host_path) and _lacks(jail_path)):
        return []
    if os.path.islink(host_path):
        return ["--symlink", os.readlink(host_path), dest]
    return ["--ro-bind", host_path, dest]


def exists_inside(root: str, path: str) -> bool:
    """Would ``path`` (absolute, inside the sandbox) exist, given what is lent?"""
    parts = path.strip("/").split("/")
    lent = None
    if parts and parts[0] in HOST_TOP:
        lent = f"/{parts[0]}"
    elif len(parts) > 1 and parts[0] == "usr" and parts[1] in HOST_USR:
        lent = f"/usr/{parts[1]}"
    if lent is not None and _lacks(os.path.join(root, lent.lstrip("/"))):
        return os.path.exists(path)
    return os.path.lexists(os.path.join(root, *parts))


def python_for_tools() -> str:
    """An interpreter reachable inside the sandbox for the in-jail tool shims."""
    for cand in ("/usr/bin/python3", "/bin/python3"):
        if os.access(cand, os.X_OK):
            return cand
    return f"{SIM_MOUNT}/python/bin/{Path(sys.executable).name}"


def sandbox_argv(*, simdir: Path, root: str, argv: Sequence[str], uid: int, gid: int,
                 hostname: str, cwd: str, env: Mapping[str, str], interactive: bool,
                 tool: str, overlays: Mapping[str, str] | None = None,
                 outlive: bool = False) -> list[str]:
    """The bwrap argv running ``argv`` inside the jail root ``root`` (see module doc).

    ``overlays`` maps paths inside to files bound read-only over them (the
    simulated tools at their FreeBSD paths); each must exist inside already.
    ``outlive``: a background command (``exec.start = "daemon &"``) that
    must not die with the jail(8) that started it.
    """
    a = [tool, "--unshare-user", "--uid", str(uid), "--gid", str(gid), "--unshare-pid",
         "--unshare-ipc", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
         "--hostname", hostname or "jail", "--tmpfs", "/"]
    if not outlive:
        a.append("--die-with-parent")
    if not interactive:
        # No controlling terminal to push keystrokes into (TIOCSTI, bwrap(1)).
        a.append("--new-session")
    entries = sorted(os.listdir(root)) if os.path.isdir(root) else []
    for name in entries:
        src = os.path.join(root, name)
        if name in ("proc", "dev") or f"/{name}" == SIM_MOUNT:
            continue
        if os.path.islink(src):
            a += ["--symlink", os.readlink(src), f"/{name}"]
        elif name in HOST_TOP and _lacks(src):
            continue  # lent below
        else:
            a += ["--bind", src, f"/{name}"]
    for name in HOST_TOP:
        a += _lend(f"/{name}", os.path.join(root, name), f"/{name}")
    if "usr" not in entries:
        a += ["--dir", "/usr"]
    for name in HOST_USR:
        a += _lend(f"/usr/{name}", os.path.join(root, "usr", name), f"/usr/{name}")
    if "etc" not in entries:
        a += ["--dir", "/etc"]
    for name in HOST_ETC:
        a += _lend(f"/etc/{name}", os.path.join(root, "etc", name), f"/etc/{name}")
    a += ["--proc", "/proc", "--dev", "/dev"]
    # The simulated in-jail tools: the host's state writable, its files not.
    host = f"{SIM_MOUNT}/host"
    a += ["--bind", str(simdir), host, "--ro-bind", str(simdir / "root"), f"{host}/root"]
    for fixed in ("jailbin", "jailbin-confined", ".jailtui-sim"):
        if (simdir / fixed).exists():
            a += ["--ro-bind", str(simdir / fixed), f"{host}/{fixed}"]
    pkg = Path(__file__).resolve().parents[1]
    a += ["--ro-bind", str(pkg), f"{SIM_MOUNT}/pkg/jailtui"]
    if python_for_tools().startswith(SIM_MOUNT):
        a += ["--ro-bind", sys.base_prefix, f"{SIM_MOUNT}/python"]
    for dest, src in (overlays or {}).items():
        a += ["--ro-bind", src, dest]
    a += ["--chdir", cwd, "--clearenv"]
    for key, value in env.items():
        a += ["--setenv", key, value]
    a += ["--", *argv]
    return a


#: Why a delegated session is refused (one message, used by the CLI and console).
UNCONFINED_REFUSAL = ("delegated sessions are refused on a simulated host whose jexec is not "
                      "confined: a delegate's exec and shell would be root on this machine "
                      "(the host admin may allow it for a test host: simulated_unconfined = "
                      "true in the policy file)")
