"""rctl limits of a jail: view, add, change, remove, persist (issue 20; docs/freebsd.md 7).

Every change is the ``rctl`` action of the gate (core/actions/control.py
``Controller._target``: policy, scope, the jail re-resolved), refused before
anything runs when resource accounting is off (``sysctl -n kern.racct.enable``
is 0, or the OID is missing: a kernel without ``options RACCT``), then one
``rctl -a RULE`` or ``rctl -r FILTER``, and with ``persist`` the jail's
marked block of ``/etc/rctl.conf`` rewritten through the same safe save as
jail.conf (core/config/safefile.py here, core/config/remotefile.py on an SSH
host), so the rule comes back at boot (rc.d/rctl). One audit record, with the
outcome. Rules are checked against rctl(8)'s names first
(core/freebsd/rctl.py ``jail_rule``): a typo never reaches the kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jailtui.core.actions.policy import Action, refused
from jailtui.core.config import remotefile, safefile
from jailtui.core.errors import CommandError, JailtuiError, PolicyDenied
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import rctl, rctlconf
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail

if TYPE_CHECKING:
    from jailtui.core.actions.control import ActionResult, Controller

__all__ = ["RACCT_OFF", "RACCT_MISSING", "LimitChange", "change", "racct_state", "rules"]

#: The tunable, and why a reboot: kern.racct.enable is CTLFLAG_RDTUN (kern_racct.c).
RACCT_OFF = ("resource accounting is off on this host (kern.racct.enable=0); add "
             "kern.racct.enable=1 to /boot/loader.conf and reboot")
RACCT_MISSING = ("this kernel has no resource accounting (no kern.racct.enable: build it "
                 "with options RACCT and RCTL, then set kern.racct.enable=1 in "
                 "/boot/loader.conf)")
SYSCTL_TIMEOUT = 10.0
RCTL_TIMEOUT = 20.0
#: An empty /etc/rctl.conf made where there is none (0644 root:wheel like the
#: rest of /etc); set -C: never truncates one that appeared meanwhile.
CREATE_SCRIPT = 'set -C; umask 022; : > "$1" 2>/dev/null; exit 0'


@dataclass(frozen=True, slots=True)
class LimitChange:
    """What to do: add (or change) a rule, remove one (or every amount), and/or persist."""

    add: rctl.RctlRule | None = None
    remove: rctl.RctlRule | None = None
    persist: bool = False

    def describe(self) -> str:
        parts = ([f"add {self.add.text}"] if self.add else []) + \
            ([f"remove {rctl.filter_text(self.remove)}"] if self.remove else [])
        if self.persist:
            parts.append(f"persist in {rctlconf.PATH}")
        return ", ".join(parts) or "nothing"


async def racct_state(controller: Controller) -> str | None:
    """None when rctl can work, else why not (:data:`RACCT_OFF`, :data:`RACCT_MISSING`)."""
    try:
        res = await controller.host.runner.run(argvmod.sysctl_value_argv("kern.racct.enable"),
                                               timeout=SYSCTL_TIMEOUT)
    except CommandError as exc:
        return f"cannot tell whether resource accounting is on: {exc.message}"
    if res.returncode != 0:
        return RACCT_MISSING
    return None if res.stdout.strip() == b"1" else RACCT_OFF


async def rules(controller: Controller, name: str) -> list[rctl.RctlRule]:
    """The rules that apply to jail ``name`` (``rctl jail:NAME``): reading, VIEW."""
    controller.gate(Action.VIEW, name)
    return await controller.host.rctl_rules(name)


async def persisted(controller: Controller, name: str) -> list[rctl.RctlRule] | None:
    """The rules of ``name``'s block in /etc/rctl.conf (None: the file cannot be read)."""
    controller.gate(Action.VIEW, name)
    try:
        text = await asyncio.to_thread(controller.host.files.read_text, rctlconf.PATH)
    except FileNotFoundError:
        return []  # no /etc/rctl.conf (the default): nothing is kept
    except (OSError, JailtuiError):
        return None
    try:
        return rctlconf.block_rules(text, name)
    except JailtuiError:
        return None


async def change(controller: Controller, name: str, what: LimitChange,
                 expect: Jail | None = None) -> ActionResult:
    """Carry out ``what`` on jail ``name`` through the gate; one audit record."""
    from jailtui.core.actions.control import ActionResult

    target = await controller.target(Action.RCTL, name, expect)
    detail = what.describe()
    if target.now is None and name not in controller.host.configured().jails and \
            controller.host.managed_jail(name) is None:
        # rctl takes rules for any name (they apply when such a jail starts): a typo
        # would quietly limit nothing, so only a jail that runs or is configured.
        msg = f'no jail "{name}" is running or configured'
        controller.record(Action.RCTL, name, None, f"denied: {msg}", detail)
        raise PolicyDenied(refused(Action.RCTL.value, msg))
    for rule in (what.add, what.remove):
        if rule is not None and (rule.subject, rule.subject_id) != ("jail", name):
            msg = f"rule {rule.text} is not for jail {name}"
            controller.record(Action.RCTL, name, target.jid, f"denied: {msg}", detail)
            raise PolicyDenied(refused(Action.RCTL.value, msg))
    off = await racct_state(controller)
    if off is not None:
        controller.record(Action.RCTL, name, target.jid, f"denied: {off}", detail)
        raise PolicyDenied(refused(Action.RCTL.value, off))
    done: list[str] = []
    for argv in ([rctl.rctl_remove_argv(what.remove)] if what.remove else []) + \
            ([rctl.rctl_add_argv(what.add)] if what.add else []):
        ok, msg = await _run(controller, argv)
        if not ok:
            controller.record(Action.RCTL, name, target.jid, f"failed: {msg}", detail)
            return ActionResult(False, msg, "", tuple(argv))
        done.append(" ".join(argv))
    if what.persist:
        try:
            saved = await _persist(controller, name, what)
        except JailtuiError as exc:
            controller.record(Action.RCTL, name, target.jid, f"failed: {exc.message}", detail)
            kernel = "; the kernel's rules were changed" if done else ""
            return ActionResult(False, f"{exc.message}{kernel}")
        done.append(saved)
    controller.record(Action.RCTL, name, target.jid, "ok", detail)
    return ActionResult(True, "; ".join(done) or "nothing to do", "\n".join(done))


async def _run(controller: Controller, argv: list[str]) -> tuple[bool, str]:
    try:
        res = await controller.host.runner.run(argv, timeout=RCTL_TIMEOUT)
    except CommandError as exc:
        return False, exc.message
    if res.returncode != 0:
        return False, tool_error(res).message
    return True, ""


def _new_block(old: list[rctl.RctlRule], what: LimitChange,
               kernel: list[rctl.RctlRule] | None) -> list[rctl.RctlRule]:
    """The block after ``what``: the kernel's rules of the jail when only persisting."""
    if kernel is not None:
        return kernel
    out = [r for r in old if what.remove is None or not rctl.matches(what.remove, r)]
    if what.add is not None:
        a = what.add
        # As the kernel does (kern_rctl.c rctl_rule_add): a deny rule replaces one
        # differing only by amount; any other rule only its exact duplicate.
        out = [r for r in out if not (rctl.same_slot(a, r) and
                                      (a.action == "deny" or r.amount == a.amount))]
        out.append(a)
    return out


async def _persist(controller: Controller, name: str, what: LimitChange) -> str:
    """Rewrite ``name``'s block of /etc/rctl.conf with the safe save; what was done."""
    only = what.add is None and what.remove is None
    kernel = await controller.host.rctl_rules(name) if only else None
    host = controller.host
    real = host.files.local_path(rctlconf.PATH)
    if real is not None:
        try:
            loaded = await asyncio.to_thread(_load_local, real)
        except safefile.SafeFileError as exc:
            raise JailtuiError(str(exc).replace(real, rctlconf.PATH)) from exc
    else:
        runner = host.runner.blocking()
        if runner is None:
            raise JailtuiError(f"{rctlconf.PATH}: this host's files cannot be written from here")
        remote_real = host.paths.real(rctlconf.PATH)
        await host.runner.run(["sh", "-c", CREATE_SCRIPT, "jailtui-create", remote_real],
                              timeout=SYSCTL_TIMEOUT)
        loaded = await asyncio.to_thread(remotefile.load, runner, remote_real, rctlconf.PATH)
    text = loaded.data.decode("utf-8", "surrogateescape")
    block = _new_block(rctlconf.block_rules(text, name), what, kernel)
    new = rctlconf.with_block(text, name, block).encode("utf-8", "surrogateescape")
    if new == loaded.data:
        return f"{rctlconf.PATH}: already as wanted"
    if real is not None:
        try:
            await asyncio.to_thread(safefile.save, loaded, new)
        except safefile.SafeFileError as exc:
            raise JailtuiError(str(exc).replace(real, rctlconf.PATH)) from exc
    else:
        assert runner is not None
        await remotefile.save(runner, loaded, new, host_path=rctlconf.PATH)
    host.files.invalidate()
    return f"{rctlconf.PATH}: saved ({len(block)} rule{'s' if len(block) != 1 else ''} " \
           f"for {name})"


def _load_local(real: str) -> safefile.Loaded:
    """safefile.load, creating an empty file first where there is none (O_EXCL)."""
    with contextlib.suppress(FileExistsError):
        fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        os.close(fd)
    return safefile.load(real)
