"""``jailtui exec`` and jail names through the real command line (issue 13 items 9, 11, 19, 21).

exec: confined to the jail's root on the simulated host, streams kept apart,
the exit status passed through, output shown as it comes. Names: one
validator (core/freebsd/jailname.py) before any tool sees them.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.freebsd.jailname import jail_name_problem

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_exec_runs_in_the_jail_not_on_this_machine(sim_dir: Path) -> None:
    listing = jailtui("--sim", str(sim_dir), "exec", "web", "--", "ls", "/")
    assert listing.returncode == 0, listing.stderr
    names = listing.stdout.split()
    assert "etc" in names and "usr" in names and "work" not in names
    assert "SIMULATED" in listing.stderr
    passwd = jailtui("--sim", str(sim_dir), "exec", "web", "--", "cat", "/etc/passwd")
    jail_passwd = (sim_dir / "root/usr/local/jails/web/etc/passwd").read_text()
    assert passwd.stdout == jail_passwd
    assert jailtui("--sim", str(sim_dir), "exec", "web", "--", "pwd").stdout == "/root\n"
    # a file written "in the jail" lands in the jail's root
    assert jailtui("--sim", str(sim_dir), "exec", "web", "--", "touch", "/tmp/made").returncode == 0
    assert (sim_dir / "root/usr/local/jails/web/tmp/made").exists()


def test_exec_keeps_streams_apart_and_passes_the_status(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "exec", "web", "--", "sh", "-c",
                  "echo to-out; echo to-err >&2; exit 3")
    assert out.returncode == 3
    assert out.stdout == "to-out\n"
    assert "to-err" in out.stderr and "to-err" not in out.stdout
    assert out.stderr.count("to-err") == 1


def test_exec_streams_output_as_it_comes(sim_dir: Path) -> None:
    """The first line arrives while the command still waits for input: with
    captured output it would only come at the end (and this would time out)."""
    proc = subprocess.Popen([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "exec",
                             "web", "--", "sh", "-c", "echo first; read x; echo second $x"],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no output while the command runs"
        assert proc.stdout.readline() == b"first\n"
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        assert proc.stdout.read() == b"second go\n"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_exec_help_mentions_the_separator() -> None:
    out = jailtui("exec", "--help")
    assert out.returncode == 0 and " -- " in out.stdout


@pytest.mark.parametrize(("argv", "why"), [
    (["start", "*"], "wildcard"),
    (["start", "--", "-x"], "option"),
    (["stop", ""], "empty"),
    (["start", "../etc"], "'/'"),
    (["exec", "--", "-U", "web", "--", "id"], "option"),
    (["service", "--", "-x", "nginx", "status"], "option"),
    (["ps", "--jail", ""], "empty"),
    (["shell", "a..b"], "component"),
])
def test_invalid_jail_names_are_refused_with_the_reason(sim_dir: Path, argv: list[str],
                                                        why: str) -> None:
    def states() -> dict[str, tuple[str, int | None]]:
        jails = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
        return {j["name"]: (j["state"], j["jid"]) for j in jails}

    before = states()
    out = jailtui("--sim", str(sim_dir), *argv)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "invalid jail name" in lines[0] and why in lines[0], out.stderr
    assert out.stdout == ""
    assert states() == before  # nothing was started or stopped


def test_jail_name_rules() -> None:
    for good in ("web", "ci.build", "5", "a b", "wéb", "x" * 255):
        assert jail_name_problem(good) is None, good
    for bad in ("", "-x", "*", "web.*", "a/b", "a\nb", "a\x1bb", ".web", "web.", "x" * 256):
        assert jail_name_problem(bad) is not None, bad


def test_every_subcommand_has_a_description() -> None:
    """issue 13 item 40: `COMMAND --help` says what it does, not only its usage."""
    for cmd in ("list", "ps", "sim", "start", "stop", "restart", "shell", "exec", "kill",
                "service", "doctor", "check"):
        out = jailtui(cmd, "--help")
        assert out.returncode == 0, cmd
        usage, _, rest = out.stdout.partition("\n\n")
        first = rest.splitlines()[0] if rest else ""
        assert first and not first.startswith(("positional", "options")), (cmd, out.stdout)
    assert "sim_args" not in jailtui("sim", "--help").stdout
    readme = (ROOT / "README.md").read_text()
    assert "`--root DIR`" in readme and "`--delegate JAIL`" in readme
