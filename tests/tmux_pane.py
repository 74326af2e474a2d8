"""A console in a real terminal: tmux, driven by keys, read as text (docs/textual.md 3.1).

Shared by the end-to-end tests. Waits are on conditions, never fixed sleeps.
"""

from __future__ import annotations

import atexit
import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent


def tmux(*args: str) -> str:
    out = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20)
    return out.stdout


def require_tmux() -> None:
    """Skip without tmux (fail under CI): the one rule of tests/conftest.py."""
    require_tool("tmux")


_keeper: list[str] = []


def keep_server() -> None:
    """Hold one session open on the tmux server while this process lives.

    A tmux server exits when its last session closes (the ``exit-empty``
    option, tmux(1)), and a ``new-session`` sent while it exits reaches the
    dying server and makes no pane: a test then waits for a screen that never
    comes (benchmarks/README.md, round 4, saw it as "never ready"). The keeper
    session outlives every test's pane and ends itself once this process is
    gone, even if it is killed before its exit handler runs.
    """
    if _keeper:
        return
    name = f"jt-keep-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    line = f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done"
    for _ in range(20):
        tmux("new-session", "-d", "-s", name, line)
        if subprocess.run(["tmux", "has-session", "-t", name], capture_output=True,
                          timeout=20).returncode == 0:
            break
        time.sleep(0.1)
    _keeper.append(name)
    atexit.register(tmux, "kill-session", "-t", name)


class Pane:
    """One tmux session running one command."""

    def __init__(self, session: str, status_file: Path | None = None) -> None:
        self.session = session
        self.status_file = status_file

    def text(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.session)

    def ansi(self) -> str:
        """The screen with its SGR escapes (colours, attributes)."""
        return tmux("capture-pane", "-p", "-e", "-t", self.session)

    def keys(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.session, *keys)

    def literal(self, text: str) -> None:
        tmux("send-keys", "-t", self.session, "-l", text)

    def wait(self, pred: Callable[[str], bool], timeout: float = 40.0) -> str:
        """The screen once ``pred`` holds; the bound is generous because CI runs
        the suite on a loaded machine (a bound on waiting, never a timing)."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.text()
            if pred(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out; screen was:\n{screen}")

    def exit_status(self, timeout: float = 20.0) -> int:
        """The command's exit status (written by the wrapper of :func:`open_pane`)."""
        assert self.status_file is not None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.status_file.exists() and self.status_file.read_text().strip():
                return int(self.status_file.read_text().strip())
            time.sleep(0.2)
        raise AssertionError(f"no exit status; screen was:\n{self.text()}")

    def last_status(self, timeout: float = 20.0) -> int:
        """Interactive shell (``open_pane(job_control=True)``): ``$?`` of the last job."""
        assert self.status_file is not None
        self.literal(f"echo $? > {self.status_file}")
        self.keys("Enter")
        return self.exit_status(timeout)

    def close(self) -> None:
        tmux("kill-session", "-t", self.session)


def base_env() -> dict[str, str]:
    """The test's environment, minus the terminal-describing variables."""
    return {k: v for k, v in os.environ.items()
            if k.startswith(("XDG_", "PATH", "HOME", "LANG", "LC_"))}


def open_pane(argv: Sequence[str], tmp: Path, *, size: tuple[int, int] = (120, 36),
              env: Mapping[str, str] | None = None, redirect: str = "",
              job_control: bool = False) -> Pane:
    """Start ``argv`` in a new tmux session of ``size`` (columns, rows).

    ``redirect`` is appended to the command line (e.g. ``2>FILE``); the exit
    status lands in a file read by :meth:`Pane.exit_status`. ``job_control``: an
    interactive bash with job control instead, the command typed into it.
    """
    require_tmux()
    keep_server()
    session = f"jt-{uuid.uuid4().hex[:8]}"
    status = tmp / f"status-{session}"
    cols, rows = size
    merged = {**base_env(), "TERM": "xterm-256color", **(env or {})}
    # tmux sets TERM in the pane from its default-terminal, whatever -e says.
    line = " ".join(["env", f"TERM={_quote(merged['TERM'])}", *(_quote(a) for a in argv)]) \
        + (f" {redirect}" if redirect else "")
    envargs = [a for k, v in merged.items() for a in ("-e", f"{k}={v}")]
    # A tmux server started from pytest inherits COLUMNS/LINES=80x24 in its
    # global environment and Textual sizes itself from them.
    envargs += ["-e", f"COLUMNS={cols}", "-e", f"LINES={rows}"]
    if job_control:
        cmd = "bash --norc --noprofile -i"
    else:
        cmd = f"cd {ROOT} && {line}; echo $? > {status}; sleep 60"
    tmux("new-session", "-d", "-s", session, "-x", str(cols), "-y", str(rows), *envargs, cmd)
    pane = Pane(session, status)
    if job_control:
        pane.wait(lambda s: "$" in s or "#" in s)
        # No status written here: a stopped job would write 147 at once;
        # :meth:`Pane.last_status` asks the shell afterwards.
        pane.literal(f"cd {ROOT} && {line}")
        pane.keys("Enter")
    return pane


def _quote(arg: str) -> str:
    return shlex.quote(arg)
