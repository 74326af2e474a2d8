"""Tools that misbehave (issue 14 items 2, 3; issue 13 item 5), through ``--host local``.

The simulator's shims stand for FreeBSD's tools on PATH; one of them is
then replaced by a misbehaving one: not an executable format, missing,
endless output on stdout or stderr, a child left behind holding stdout.
Every case ends at once with one line, and leaves no process behind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from jailtui.core.errors import CommandNotStarted, CommandTimeout, OutputTooLarge
from jailtui.core.transport.runner import LocalRunner, run_all

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, path: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PATH": path})


def bindir_of(shim_path: str) -> Path:
    return Path(shim_path.split(os.pathsep, 1)[0])


def gone(pid: int) -> bool:
    """Dead or a zombie, waiting until it is (the kill is asynchronous)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def hanging_jls(bindir: Path, tmp_path: Path) -> Path:
    """A jls that never answers and writes down its pid."""
    pidfile = tmp_path / "jls.pid"
    jls = bindir / "jls"
    jls.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 600\n")
    jls.chmod(0o755)
    return pidfile


def wait_file(p: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.exists() and p.read_text().strip():
            return int(p.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{p} never written")


def test_exec_format_error_is_one_line_and_the_sibling_is_killed(shim_path: str,
                                                                  tmp_path: Path) -> None:
    bindir = bindir_of(shim_path)
    pidfile = hanging_jls(bindir, tmp_path)
    (bindir / "ps").write_bytes(b"\x00\x01 this is not a program\n")
    (bindir / "ps").chmod(0o755)
    for cmd in (["list"], ["ps", "--json"]):
        pidfile.unlink(missing_ok=True)
        out = jailtui(*cmd, path=shim_path)
        assert out.returncode == 1, out.stdout + out.stderr
        assert out.stderr.strip().splitlines() == ["ps: cannot run: Exec format error"], \
            out.stderr
        assert "Exception ignored" not in out.stderr
        # jls got started before ps failed: it must be dead now. An empty file is
        # a shell killed between its open and its write of `echo $$ > FILE`.
        started = pidfile.read_text().strip() if pidfile.exists() else ""
        if started:
            assert gone(int(started))
    out = jailtui("check", path=shim_path)
    assert out.returncode == 3
    assert "ps: cannot run: Exec format error" in out.stdout
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr


def test_a_missing_tool_is_one_line_everywhere(shim_path: str) -> None:
    """Issue 13 item 5: ps on PATH, no jls."""
    (bindir_of(shim_path) / "jls").unlink()
    path = str(bindir_of(shim_path))  # nothing else: the host's own tools are not FreeBSD's
    for cmd in (["list"], ["ps"]):
        out = jailtui(*cmd, path=path)
        assert out.returncode == 1
        assert out.stderr.strip().splitlines() == ["jls: command not found"], out.stderr
    out = jailtui("check", path=path)
    assert out.returncode == 3 and "jls: command not found" in out.stdout


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_endless_output_is_capped(shim_path: str, tmp_path: Path, stream: str) -> None:
    bindir = bindir_of(shim_path)
    redirect = " >&2" if stream == "stderr" else ""
    (bindir / "ps").write_text(f"#!/bin/sh\nexec yes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy{redirect}\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text("[limits]\noutput_mib = 2\n")
    out = jailtui("--config", str(cfg), "list", path=shim_path)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"ps: output too large (more than 2M on {stream}; killed)"], out.stderr


def test_output_cap_setting_is_validated(tmp_path: Path) -> None:
    from jailtui.core.config.settings import SettingsError, parse_settings

    assert parse_settings({"limits": {"output_mib": 8}}).output_mib == 8
    for bad in (0, -1, True, "8", 10 ** 6):
        with pytest.raises(SettingsError, match=r"\[limits\] output_mib"):
            parse_settings({"limits": {"output_mib": bad}})


def test_a_child_left_holding_stdout_is_killed(shim_path: str, tmp_path: Path) -> None:
    """A ps that leaves a background child with its stdout: the poll ends
    when ps does, and the child is killed with its process group."""
    bindir = bindir_of(shim_path)
    (bindir / "real").mkdir()
    real = bindir / "real/ps"  # the shim keeps its name: it is the tool it is named for
    (bindir / "ps").rename(real)
    pidfile = tmp_path / "bg.pid"
    (bindir / "ps").write_text(f'#!/bin/sh\nsleep 600 &\necho $! > {pidfile}\n'
                               f'exec {real} "$@"\n')
    (bindir / "ps").chmod(0o755)
    out = jailtui("list", "--json", path=shim_path)
    assert out.returncode == 0, out.stderr
    assert gone(wait_file(pidfile))


# -- the runner itself ----------------------------------------------------------


def test_partial_output_is_kept_on_timeout() -> None:
    with pytest.raises(CommandTimeout) as info:
        asyncio.run(LocalRunner().run(["sh", "-c", "echo partial; echo oops >&2; exec sleep 60"],
                                      timeout=0.5))
    assert info.value.stdout == b"partial\n" and info.value.stderr_bytes == b"oops\n"


def test_spawn_failure_is_typed(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00garbage")
    bad.chmod(0o755)
    with pytest.raises(CommandNotStarted, match="cannot run: Exec format error"):
        asyncio.run(LocalRunner().run([str(bad)]))
    bad.chmod(0o644)
    with pytest.raises(CommandNotStarted, match="cannot run: Permission denied"):
        asyncio.run(LocalRunner().run([str(bad)]))


def test_run_all_cancels_the_siblings(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"

    async def go() -> None:
        r = LocalRunner(max_output=1024)
        await run_all(r, [["sh", "-c", f"echo $$ > {pidfile}; exec sleep 600"],
                          ["sh", "-c", "sleep 0.2; exec yes"]], timeout=60)

    with pytest.raises(OutputTooLarge):
        asyncio.run(go())
    assert gone(wait_file(pidfile))


def test_a_jailed_process_is_signalled_from_inside_its_jail(shim_path: str,
                                                            tmp_path: Path) -> None:
    """Issue 14 item 6: ``jexec JID kill``, so a pid reused outside the jail
    cannot be hit. The host's kill is made to fail: only the jail's is used."""
    import json

    bindir = bindir_of(shim_path)
    (bindir / "kill").write_text("#!/bin/sh\necho 'host kill used' >&2\nexit 1\n")
    (bindir / "kill").chmod(0o755)
    procs = json.loads(jailtui("ps", "--jail", "web", "--json", path=shim_path).stdout)
    worker = next(p for p in procs if "worker process" in p["command"])
    out = jailtui("kill", "-s", "HUP", str(worker["pid"]), path=shim_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"sent SIGHUP to {worker['pid']}" in out.stdout
