"""Run an interactive command (the jexec shell) on a fresh pty.

A jailed process that shares the admin's terminal can push keystrokes into
it with ioctl(TIOCSTI) and run them in the admin's host shell after jexec
returns; it can also linger holding the terminal (reported against jexec and
``iocage console``: freebsd/iocage#74; docs/security.md 2.5). So the shell
never gets the admin's tty: it runs on a new pseudo-terminal whose master we
keep, in a new session, and we relay bytes both ways. When the shell exits
we hang up and kill its whole session, so nothing of the jail keeps a
descriptor to our terminal. This is what sudo's ``use_pty`` does.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import tty
from collections.abc import Mapping, Sequence

#: Grace period for the shell's session after the shell itself exited.
HANGUP_GRACE = 0.5


def _copy_winsize(src_fd: int, dst_fd: int) -> None:
    with contextlib.suppress(OSError):
        size = fcntl.ioctl(src_fd, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        fcntl.ioctl(dst_fd, termios.TIOCSWINSZ, size)


def run_on_pty(argv: Sequence[str], env: Mapping[str, str] | None = None,
               stdin_fd: int | None = None, stdout_fd: int | None = None) -> int:
    """Run ``argv`` on a new pty relayed to our terminal; return its exit status.

    The child: new session (setsid), the pty slave as its controlling tty and
    stdio, every other descriptor closed (execve with close-on-exec, and
    os.closerange below), so no fd to our terminal, config files or locks
    reaches the jail.
    """
    in_fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    out_fd = sys.stdout.fileno() if stdout_fd is None else stdout_fd
    master, slave = os.openpty()
    if os.isatty(in_fd):
        _copy_winsize(in_fd, slave)
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.closerange(3, 65536)
            environ = dict(env) if env is not None else dict(os.environ)
            os.execvpe(argv[0], list(argv), environ)
        except BaseException as exc:  # noqa: BLE001 - report and leave the child
            with contextlib.suppress(OSError):
                os.write(2, f"jailtui: cannot run {argv[0]}: {exc}\r\n".encode())
            os._exit(127)
    os.close(slave)
    old_attr = None
    if os.isatty(in_fd):
        old_attr = termios.tcgetattr(in_fd)
        tty.setraw(in_fd)

    def on_winch(_sig: int, _frame: object) -> None:
        _copy_winsize(in_fd, master)

    old_winch = signal.signal(signal.SIGWINCH, on_winch) if os.isatty(in_fd) else None
    status = 0
    try:
        status = _relay(pid, master, in_fd, out_fd)
    finally:
        if old_attr is not None:
            termios.tcsetattr(in_fd, termios.TCSAFLUSH, old_attr)
        if old_winch is not None:
            signal.signal(signal.SIGWINCH, old_winch)
        _end_session(pid, master, out_fd)
    return status


def _relay(pid: int, master: int, in_fd: int, out_fd: int) -> int:
    """Copy bytes between our terminal and the pty until the child exits."""
    fds = [master, in_fd]
    while True:
        try:
            ready, _, _ = select.select(fds, [], [], 0.2)
        except InterruptedError:
            continue
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                break
            _write_all(out_fd, data)
        if in_fd in ready:
            try:
                data = os.read(in_fd, 65536)
            except OSError:
                data = b""
            if data:
                _write_all(master, data)
            else:
                fds = [master]
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _drain(master, out_fd)
            return _exit_status(status)
    _, status = os.waitpid(pid, 0)
    return _exit_status(status)


def _drain(master: int, out_fd: int) -> None:
    while True:
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            return
        try:
            data = os.read(master, 65536)
        except OSError:
            return
        if not data:
            return
        _write_all(out_fd, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _exit_status(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 1


def session_members(sid: int) -> list[int]:
    """Pids of the processes in session ``sid`` (getsid(2) of each process).

    Background jobs of an interactive shell have process groups of their own
    (job control) but stay in the shell's session; a process that called
    setsid(2) itself has left it and is out of reach (README, security).

    A zombie is left out: it has already exited and holds nothing but its exit
    status until its parent (or init) reaps it, and a signal cannot reach it
    (kill(2)). A child of the shell that exits with it is often one for a moment:
    bubblewrap's inner process is, reparented to init when the simulated jail's
    shell ends, and counting it said "still had 1 process: killed" after every
    clean exit.
    """
    import psutil

    out = []
    for proc in psutil.process_iter(["status"]):
        pid = proc.pid
        with contextlib.suppress(OSError):
            if (pid != sid and os.getsid(pid) == sid
                    and proc.info["status"] != psutil.STATUS_ZOMBIE):
                out.append(pid)
    return out


def _end_session(pid: int, master: int, out_fd: int | None = None) -> list[int]:
    """Hang up the shell's session and kill what is left of it: its process
    group and every other process of its session (background jobs).

    Returns the pids that had to be killed besides the shell's group, and
    says so on ``out_fd`` (issue 14 item 5).
    """
    left = session_members(pid)
    for sig in (signal.SIGHUP, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        for p in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, sig)
    with contextlib.suppress(OSError):
        os.close(master)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    if left and out_fd is not None:
        msg = (f"jailtui: the shell's session still had {len(left)} process"
               f"{'es' if len(left) != 1 else ''} (pid {', '.join(map(str, left))}): killed\r\n")
        with contextlib.suppress(OSError):
            _write_all(out_fd, msg.encode())
    return left
