"""The jexec shell runs on a fresh pty (docs/security.md 2.5, attack tests 21-22)."""

from __future__ import annotations

import fcntl
import os
import pty
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psutil
import pytest

from jailtui.core.transport.ptyrelay import run_on_pty

ROOT = Path(__file__).resolve().parent.parent


def _run_relayed(argv: list[str], stdin: bytes) -> tuple[int, str]:
    """run_on_pty with pipes for our side; return (status, what it printed)."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    os.write(in_w, stdin)
    os.close(in_w)
    chunks: list[bytes] = []

    def reader() -> None:
        while True:
            data = os.read(out_r, 65536)
            if not data:
                return
            chunks.append(data)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    status = run_on_pty(argv, env={"PATH": "/usr/bin:/bin", "TERM": "xterm"},
                        stdin_fd=in_r, stdout_fd=out_w)
    os.close(out_w)
    t.join(5)
    os.close(in_r)
    os.close(out_r)
    return status, b"".join(chunks).decode("utf-8", "replace")


def test_child_gets_its_own_tty_and_only_stdio() -> None:
    """Attack test 22: only 0-2 are open in the shell, on a pty that is not ours."""
    # ls writes to the pty itself: in a pipeline (ls | tr) sh holds the pipe's read end
    # while it forks the second command, and ls could list it (a race seen under load).
    script = "tty; echo FDS; ls -1 /proc/$$/fd; echo END; exit 7"
    status, out = _run_relayed(["/bin/sh", "-c", script], b"")
    assert status == 7
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    assert lines[0].startswith("/dev/pts/")
    fds = sorted(int(x) for x in lines[lines.index("FDS") + 1:lines.index("END")])
    assert fds == [0, 1, 2, 255] or fds == [0, 1, 2]


def _kernel_refuses_tiocsti() -> bool:
    """Linux 6.2+ refuses TIOCSTI unless dev.tty.legacy_tiocsti=1 (EIO), and
    without CAP_SYS_ADMIN (ioctl_tty(2) TIOCSTI; FreeBSD: tty(4) requires
    the tty to be the caller's controlling one). Tried on a pty of our own."""
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSTI, b"x")
    except OSError:
        return True
    finally:
        os.close(master)
        os.close(slave)
    return False


def test_injected_keystrokes_stay_in_the_jail_pty() -> None:
    """Attack test 21: TIOCSTI from the shell reaches the shell's pty, never ours.

    Our side here is a pty too (the admin's terminal); after the session we
    read what arrived on its input: nothing from the jail. Where the kernel
    refuses TIOCSTI altogether there is nothing to test: skipped, not passed.
    """
    if _kernel_refuses_tiocsti():
        pytest.skip("this kernel refuses TIOCSTI (Linux: dev.tty.legacy_tiocsti=0): "
                    "no injection to test")
    admin_master, admin_slave = pty.openpty()
    inject = ("import fcntl, termios\n"
              "try:\n"
              "    [fcntl.ioctl(0, termios.TIOCSTI, bytes([c])) for c in b'id\\n']\n"
              "    print('injected')\n"
              "except OSError as e:\n"
              "    print('refused', e.errno)\n")
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        try:
            status = run_on_pty([sys.executable, "-c", inject],
                                env={"PATH": "/usr/bin:/bin", "TERM": "xterm"},
                                stdin_fd=admin_slave, stdout_fd=out_w)
        finally:
            os._exit(0)
        os._exit(status)
    os.close(out_w)
    os.waitpid(pid, 0)
    out = b""
    while True:
        data = os.read(out_r, 65536)
        if not data:
            break
        out += data
    # The kernel allows TIOCSTI (checked above): the jailed process injected,
    # into its own pty.
    assert b"injected" in out, out
    # Nothing was pushed into the admin's terminal input queue (TIOCSTI is
    # synchronous: what it pushes is queued before the ioctl returns).
    os.set_blocking(admin_slave, False)
    try:
        pushed = os.read(admin_slave, 1024)
    except BlockingIOError:
        pushed = b""
    assert b"id" not in pushed
    os.close(admin_master)
    os.close(admin_slave)


def test_session_is_killed_when_the_shell_exits(tmp_path: Path) -> None:
    """A background process left by the shell does not outlive the session:
    it is gone once the relay returns (waited for, not slept on)."""
    marker = tmp_path / "alive"
    pidfile = tmp_path / "pid"
    script = (f"/bin/sh -c 'echo $$ >{pidfile}; sleep 60; touch {marker}' & "
              f"while [ ! -s {pidfile} ]; do :; done; exit 0")
    status, _ = _run_relayed(["/bin/sh", "-c", script], b"")
    assert status == 0
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 30  # a bound on waiting, not a timing assertion
    while _alive(pid):
        assert time.monotonic() < deadline, f"background job {pid} outlived the session"
        time.sleep(0.05)
    assert not marker.exists()


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_jailtui_shell_command_through_the_simulator(sim_dir: Path) -> None:
    """`jailtui shell web` end to end on a pty: prompt with the jail's hostname."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "shell",
                             "web"], stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                            env={**os.environ, "TERM": "xterm"}, close_fds=True)
    os.close(slave)
    buf = b""
    deadline = time.monotonic() + 20
    sent = False
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        buf += data
        if not sent and b"@web" in buf:
            os.write(master, b"hostname; exit 5\n")
            sent = True
        if sent and proc.poll() is not None:
            break
    proc.wait(10)
    os.close(master)
    assert b"root@web" in buf
    assert b"web.example.org" in buf
    assert proc.returncode == 5
    # A clean exit leaves nothing behind to kill: the zombie bubblewrap leaves
    # for a moment is not a process of the session (ptyrelay.session_members).
    assert b"still had" not in buf


def test_a_background_job_is_killed_with_the_session_and_said(tmp_path: Path) -> None:
    """Issue 14 item 5: a job in its own process group (job control) but the
    shell's session outlived the shell; now it is killed, and the user told."""
    pidfile = tmp_path / "job.pid"
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setpgid(0, 0)\n"
            f"    open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
            "    time.sleep(600)\n"
            "else:\n"
            f"    while not os.path.exists({str(pidfile)!r}): time.sleep(0.01)\n")
    status, out = _run_relayed([sys.executable, "-c", code], b"")
    assert status == 0
    job = int(pidfile.read_text())
    import psutil

    def alive() -> bool:
        try:
            return psutil.Process(job).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10  # SIGKILL is delivered asynchronously
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive()
    assert f"still had 1 process (pid {job}): killed" in out
