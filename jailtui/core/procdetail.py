"""One process in detail: open files, memory map, environment (procstat(1); issue 20).

Read on demand (the process screen, ``o`` or Enter on a process row), through the
gate (Controller.process_detail: Action.PROCESS, and Action.PROCESS_ENV, a host
admin's only, for the environment). Before procstat runs, the process is looked
up again by pid (``ps -p``) and must still be the one the user picked (same jid,
command and start time): pids are reused, and another process's environment
is exactly what must not be shown by mistake. What remains between that check
and procstat (a pid reused within milliseconds) is said in docs/security.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from jailtui.core.errors import CommandNotFound, CommandTimeout, JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import procstat
from jailtui.core.freebsd import ps as psmod
from jailtui.core.model import Process
from jailtui.core.transport.runner import CommandResult

__all__ = ["PROCSTAT_TIMEOUT", "ProcessDetail", "What", "read", "same_process"]

#: procstat reads kernel tables: quick; a host that takes longer says so.
PROCSTAT_TIMEOUT = 10.0

What = Literal["files", "vm", "env"]

Run = Callable[[Sequence[str], float], Awaitable[CommandResult]]


@dataclass(frozen=True, slots=True)
class ProcessDetail:
    """What procstat said, or why it could not (``note``: one clear line)."""

    pid: int
    what: What
    files: list[procstat.OpenFile] = field(default_factory=list)
    vm: list[tuple[str, int, int, int]] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    note: str = ""
    #: The process is gone (or is another one now): nothing else is shown.
    gone: bool = False


def same_process(now: Process | None, expect: Process) -> bool:
    """Is ``now`` (ps -p now) still the process the user picked?"""
    return now is not None and (now.jid, now.command, now.started) == \
        (expect.jid, expect.command, expect.started)


def vanished_text(pid: int) -> str:
    """The one line of a process that is no longer there."""
    return f"process {pid} has exited (or its pid now belongs to another process)"


async def read(run: Run, ps_argv: Sequence[str], expect: Process, what: What) -> ProcessDetail:
    """Re-check the process, then run the procstat ``what`` asks for."""
    pid = expect.pid
    try:
        res = await run([*ps_argv, "-p", str(pid)], PROCSTAT_TIMEOUT)
        current = psmod.parse_ps(res.stdout) if res.returncode == 0 else ()
    except JailtuiError as exc:
        return ProcessDetail(pid, what, note=describe(exc))
    now = next((p for p in current if p.pid == pid), None)
    if not same_process(now, expect):
        return ProcessDetail(pid, what, note=vanished_text(pid), gone=True)
    argv = argvmod.procstat_env_argv(pid) if what == "env" else \
        argvmod.procstat_argv("-f" if what == "files" else "-v", pid)
    try:
        res = await run(argv, PROCSTAT_TIMEOUT)
    except CommandNotFound:
        return ProcessDetail(pid, what, note="procstat is not installed on this host")
    except CommandTimeout:
        return ProcessDetail(pid, what, note=f"procstat did not answer in "
                                             f"{PROCSTAT_TIMEOUT:.0f} s")
    except JailtuiError as exc:
        return ProcessDetail(pid, what, note=describe(exc))
    if res.returncode != 0:
        if procstat.vanished(res.stderr):
            return ProcessDetail(pid, what, note=vanished_text(pid), gone=True)
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        said = err[0] if err else f"procstat exited with status {res.returncode}"
        if "Operation not permitted" in said or "Permission denied" in said:
            said += " (another user's process: needs root)"
        return ProcessDetail(pid, what, note=said)
    try:
        if what == "files":
            return ProcessDetail(pid, what, files=procstat.parse_files(res.stdout))
        if what == "vm":
            return ProcessDetail(pid, what, vm=procstat.vm_summary(procstat.parse_vm(res.stdout)))
        env = procstat.parse_env_json(res.stdout, pid)
    except JailtuiError as exc:
        return ProcessDetail(pid, what, note=describe(exc))
    if env is None:
        return ProcessDetail(pid, what, note=vanished_text(pid), gone=True)
    return ProcessDetail(pid, what, env=env)
