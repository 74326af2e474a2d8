"""What jexec runs where it cannot confine (no bwrap, no user namespaces).

Never a shell or a program of this machine (it would run on the real
``/``: issue 13 item 9). Only the simulated tools (they answer from the
simulated state) and a few built-ins computed from the jail's passwd and
root, each saying SIMULATED where it speaks for itself.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

#: Built-in commands of the restricted mode (besides the simulated tools).
BUILTINS = ("id", "pwd", "echo", "true", "false", "whoami", "help", "exit")


def not_confined_message(argv0: str, reason: str) -> str:
    """The one refusal of a command that would need a real program."""
    return (f"jexec: {argv0}: not run: this SIMULATED jail is not confined ({reason}); "
            f"only the simulated tools and {', '.join(BUILTINS[:-2])} are available")


def builtin(argv: list[str], *, user: str, uid: int, gid: int, cwd: str,
            env: Mapping[str, str]) -> tuple[int, str] | None:
    """Run a built-in: (status, stdout text), or None if ``argv[0]`` is not one."""
    cmd = argv[0]
    if cmd == "id":
        return 0, f"uid={uid}({user}) gid={gid} groups={gid}\n"
    if cmd == "whoami":
        return 0, f"{user}\n"
    if cmd == "pwd":
        return 0, f"{cwd}\n"
    if cmd == "echo":
        return 0, " ".join(argv[1:]) + "\n"
    if cmd == "true":
        return 0, ""
    if cmd == "false":
        return 1, ""
    if cmd == "help":
        return 0, ("SIMULATED jail, not confined: the simulated tools (ps, service, hostname, "
                   f"sysctl, jls, who, kill) and {', '.join(BUILTINS)}\n")
    return None


def repl(run_one: Callable[[list[str]], int], prompt: str, banner: str) -> int:
    """A line-at-a-time prompt running ``run_one`` on each split line (no shell syntax)."""
    out = sys.stdout
    out.write(banner + "\n")
    out.flush()
    status = 0
    while True:
        try:
            out.write(prompt)
            out.flush()
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            out.write("\n")
            continue
        if not line:
            return status
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            out.write(f"sh: {exc}\n")
            status = 2
            continue
        if not argv:
            continue
        if argv[0] == "exit":
            try:
                return int(argv[1]) if len(argv) > 1 else status
            except ValueError:
                return 2
        status = run_one(argv)


def write(fd: int, text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    while data:
        n = os.write(fd, data)
        data = data[n:]


def exists(path: str | Path) -> bool:
    return os.path.exists(path)
