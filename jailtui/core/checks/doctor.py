"""``jailtui doctor``: is this host set up safely for delegated jail admins?

It checks what jailtui relies on and what security(7) and jail(8) NOTES
recommend (docs/security.md 1.6, 6.7): the policy file's ownership and
modes, jailtui's own files, jail roots under a root-only parent, and the
``security.bsd.*`` visibility knobs.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import jailtui
from jailtui.core.actions import delegation
from jailtui.core.checks import privrules
from jailtui.core.errors import JailtuiError, NotFreeBSD, describe

if TYPE_CHECKING:
    from jailtui.core.hosts.protocol import JailHost
    from jailtui.core.transport.runner import Runner
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import misc
from jailtui.core.text import visible
from jailtui.core.transport import jailfs

#: sysctl, wanted value, why (security(7)).
SYSCTLS = (
    ("security.bsd.see_other_uids", "0", "users cannot see other users' processes"),
    ("security.bsd.see_other_gids", "0", "users cannot see other groups' processes"),
    ("security.bsd.see_jail_proc", "0", "host users cannot see jailed processes"),
    ("security.bsd.unprivileged_proc_debug", "0", "no debugging of other processes"),
)


def _line(status: str, text: str) -> str:
    return f"{status:5} {visible(text)}"


def check_policy(real: Callable[[str], str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    path = real(delegation.POLICY_PATH)
    if not os.path.exists(path):
        out.append(("INFO", f"{delegation.POLICY_PATH}: no policy (no delegated users)"))
        return out
    try:
        delegation.check_root_owned(path, "policy")
        out.append(("OK", f"{delegation.POLICY_PATH}: owned by root, writable only by root"))
    except delegation.PolicyError as exc:
        out.append(("FAIL", str(exc)))
        return out
    try:
        with open(path, encoding="utf-8") as fh:
            pf = delegation.parse_policy(fh.read(), delegation.POLICY_PATH)
        out.append(("OK", f"{delegation.POLICY_PATH}: {len(pf.delegates)} delegate entr"
                          f"{'y' if len(pf.delegates) == 1 else 'ies'}"))
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o044:
            out.append(("WARN", f"{delegation.POLICY_PATH}: readable by others "
                                f"(mode {mode:04o}; 0600 recommended)"))
    except (OSError, delegation.PolicyError) as exc:
        out.append(("FAIL", str(exc)))
    return out


def check_code() -> list[tuple[str, str]]:
    pkg = os.path.dirname(os.path.abspath(jailtui.__file__))
    try:
        delegation.check_code_safe(pkg)
        return [("OK", f"jailtui code in {pkg}: owned by root, writable only by root")]
    except delegation.PolicyError as exc:
        return [("FAIL", f"{exc} (delegated sessions will refuse to start)")]


def check_jail_roots(real: Callable[[str], str], paths: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    parents = sorted({os.path.dirname(p.rstrip("/")) for p in paths if p})
    for parent in parents:
        try:
            st = os.stat(real(parent))
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid == 0 and not mode & 0o077:
            out.append(("OK", f"{parent}: jail roots under a root-only (0{mode:o}) directory"))
        else:
            out.append(("WARN", f"{parent}: mode {mode:04o}; jail(8) NOTES: put jail roots "
                                f"under a root-owned 0700 directory"))
    return out


async def check_sysctls(runner: Runner) -> list[tuple[str, str]]:
    """The security sysctls of SYSCTLS against the values delegation wants."""
    out: list[tuple[str, str]] = []
    names = [n for n, _, _ in SYSCTLS]
    try:
        res = await runner.run(argvmod.sysctl_argv(names), timeout=10)
    except JailtuiError as exc:
        return [("WARN", f"sysctl: {exc}")]
    values = misc.parse_sysctl(res.stdout)
    for name, want, why in SYSCTLS:
        have = values.get(name)
        if have is None:
            out.append(("WARN", f"{name}: unknown on this host"))
        elif have == want:
            out.append(("OK", f"{name}={have}: {why}"))
        else:
            out.append(("WARN", f"{name}={have}: set {want} so that {why} (security(7))"))
    return out


def _read_small(path: str) -> str | None:
    try:
        return jailfs.read_host_file(path, max_bytes=1024 * 1024).decode("utf-8", "replace")
    except OSError:
        return None


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def run_doctor(host: JailHost) -> int:
    """Print the findings; exit 1 if anything would make delegation unsafe."""
    real = host.paths.real
    lines: list[tuple[str, str]] = []
    lines += check_policy(real)
    lines += check_code()
    lines += privrules.check_rules(lambda p: _read_small(real(p)), lambda d: _listdir(real(d)))
    try:
        conf = host.configured()
        lines += check_jail_roots(real, [str(cj.params.get("path", "")) for cj in
                                         conf.jails.values()])
    except (OSError, JailtuiError) as exc:
        lines.append(("WARN", f"jail configuration: {exc}"))
    try:
        release = asyncio.run(host.os_release())
    except NotFreeBSD as exc:
        # Nothing below means anything on another system (issue 13 item 28).
        print(f"# jailtui doctor on {visible(host.hostname())} ({visible(exc.system)})")
        print(_line("FAIL", exc.message))
        print("FAIL: not a FreeBSD host", file=sys.stderr)
        return 1
    except JailtuiError as exc:
        release = None
        lines.append(("WARN", f"which system this host runs: {describe(exc)}"))
    if release is None:
        lines.append(("WARN", "which system this host runs: sysctl kern.ostype did not say"))
    lines += asyncio.run(check_sysctls(host.runner))
    label = "SIMULATED FreeBSD host" if host.label == "SIMULATED" else host.label
    if release:
        label = f"{label} {release}"
    print(f"# jailtui doctor on {visible(host.hostname())} ({label})")
    for status, text in lines:
        print(_line(status, text))
    failed = any(s == "FAIL" for s, _ in lines)
    print("FAIL: delegated use is not safe on this host" if failed
          else "OK: no blocking problem found", file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
