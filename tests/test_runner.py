"""LocalRunner: argv in, bytes out, a timeout on everything, a clean environment."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import psutil
import pytest

from jailtui.core.errors import CommandNotFound, CommandTimeout
from jailtui.core.transport.runner import LocalRunner, clean_env


def test_runs_argv_and_captures_both_streams(tmp_path: Path) -> None:
    r = LocalRunner()
    res = asyncio.run(r.run(["sh", "-c", "printf out; printf err >&2; exit 3"]))
    assert (res.returncode, res.stdout, res.stderr) == (3, b"out", b"err")


def test_argv_is_never_a_shell_string(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    res = asyncio.run(LocalRunner().run(["echo", f"x; touch {marker}"]))
    assert res.stdout == f"x; touch {marker}\n".encode()
    assert not marker.exists()


def test_missing_command() -> None:
    with pytest.raises(CommandNotFound, match="nosuchtool: command not found"):
        asyncio.run(LocalRunner().run(["nosuchtool"]))


def test_timeout_kills_the_child_and_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    t0 = time.monotonic()
    with pytest.raises(CommandTimeout, match="timed out after 0.5 s"):
        asyncio.run(LocalRunner().run(["sh", "-c", script], timeout=0.5))
    assert time.monotonic() - t0 < 5
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and psutil.pid_exists(grandchild):
        try:
            if psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    alive = psutil.pid_exists(grandchild) and \
        psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE
    assert not alive


def test_stdin_is_passed(tmp_path: Path) -> None:
    res = asyncio.run(LocalRunner().run(["cat"], input=b"hello\x00world"))
    assert res.stdout == b"hello\x00world"


def test_environment_is_an_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    monkeypatch.setenv("LD_PRELOAD", "/tmp/x.so")
    env = clean_env()
    assert "SECRET_TOKEN" not in env and "LD_PRELOAD" not in env
    res = asyncio.run(LocalRunner().run(["env"]))
    assert b"SECRET_TOKEN" not in res.stdout and b"LD_PRELOAD" not in res.stdout
    assert os.environ["SECRET_TOKEN"] == "s3cr3t"


def test_big_output_arrives_whole_and_the_cap_keeps_its_first_bytes() -> None:
    # Many reads of the pipe (capture._CHUNK each) gathered in one buffer and
    # handed over without a copy (capture.collect, issue 18): the very bytes,
    # in order, on stdout and stderr alike; over the cap, the first max_output
    # bytes come with the error.
    import sys

    from jailtui.core.errors import OutputTooLarge

    script = ("import sys\n"
              "data = bytes(range(256)) * 12289 + b'end'\n"
              "sys.stdout.buffer.write(data); sys.stderr.buffer.write(data[::-1])\n")
    want = bytes(range(256)) * 12289 + b"end"
    res = asyncio.run(LocalRunner().run([sys.executable, "-c", script]))
    assert (res.returncode, res.stdout, res.stderr) == (0, want, want[::-1])
    with pytest.raises(OutputTooLarge) as caught:
        asyncio.run(LocalRunner(max_output=1_000_000).run([sys.executable, "-c", script]))
    assert caught.value.stdout == want[:1_000_000]
