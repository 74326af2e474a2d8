"""A host that is not FreeBSD says so (issue 13 item 28).

``--host local`` on Linux used to say "FreeBSD", the panes stayed
"loading..." for ever and ``doctor`` printed OK. The host is asked once
which system it is (``sysctl -n kern.ostype kern.osrelease``, then
``uname -sr`` to name another system: docs/freebsd.md 5.5), through the
production path: tools on PATH, the command line, the console.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tui_fakes import table_lines, wait_until

from jailtui.core.errors import NotFreeBSD
from jailtui.core.hosts.host import Host
from jailtui.core.transport.runner import LocalRunner

ROOT = Path(__file__).resolve().parent.parent
LINUX = "Linux 6.1.0-test"


def other_system(tmp_path: Path) -> Path:
    """A PATH of another system's tools: a sysctl without kern.* names (procps
    says "cannot stat /proc/sys/kern/ostype" and exits 255), a uname, and a
    jls that would never be reached."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tools = {
        "sysctl": "echo 'sysctl: cannot stat /proc/sys/kern/ostype: No such file or directory'"
                  " >&2; exit 255",
        "uname": f"echo '{LINUX}'",
        "jls": "touch \"$0.ran\"; exit 1",
        "ps": "exit 0",
    }
    for name, body in tools.items():
        tool = bindir / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    return bindir


def jailtui(bindir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": str(bindir)})


def test_list_ps_check_and_doctor_say_the_host_is_not_freebsd(tmp_path: Path) -> None:
    bindir = other_system(tmp_path)
    for command in ("list", "ps"):
        out = jailtui(bindir, command)
        assert out.returncode == 1 and out.stdout == ""
        assert f"this host runs {LINUX}, not FreeBSD" in out.stderr, out.stderr
    check = jailtui(bindir, "check")
    assert check.returncode == 3
    assert check.stdout.startswith(f"JAILS UNKNOWN - this host runs {LINUX}, not FreeBSD")
    doctor = jailtui(bindir, "doctor")
    assert doctor.returncode == 1
    assert f"({LINUX})" in doctor.stdout and "FAIL" in doctor.stdout
    assert "OK:" not in doctor.stdout + doctor.stderr
    # Nothing else was believed: jls never ran.
    assert not (bindir / "jls.ran").exists()


def test_a_system_whose_sysctl_answers_is_named_by_it(tmp_path: Path) -> None:
    """macOS's sysctl knows kern.ostype (``Darwin``): that names the system."""
    bindir = other_system(tmp_path)
    (bindir / "sysctl").write_text("#!/bin/sh\necho Darwin; echo 23.6.0\n")
    host = Host(LocalRunner(path=str(bindir)), backend="FreeBSD")
    with pytest.raises(NotFreeBSD, match="this host runs Darwin 23.6.0, not FreeBSD"):
        asyncio.run(host.poll())


@pytest.mark.parametrize("release", [14, 15])
def test_a_freebsd_host_gives_its_release_and_its_jail_grammar(tmp_path: Path,
                                                               release: int) -> None:
    """kern.osrelease of the simulated host (through its shims on PATH) fills
    HostInfo.os_release, and its major number picks the jail(8) grammar the
    configuration is read with (jailconf/dialect.py: 13.x differs)."""
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.sim.builder import init_host
    from jailtui.sim.shims import write_shims

    sim = init_host(tmp_path / "sim", freebsd=release)
    write_shims(sim, tmp_path / "bin")
    host = Host(LocalRunner(path=str(tmp_path / "bin")), backend="FreeBSD",
                paths=PathMap(root=str(sim / "root")))
    snap = asyncio.run(host.poll())
    assert snap.info.os_release.startswith(f"{release}.")
    assert host.configured().jails
    assert host._source.freebsd == release


async def test_the_console_says_it_instead_of_loading(tmp_path: Path) -> None:
    from jailtui.app import JailtuiApp
    from jailtui.widgets.jail_table import JailTable
    from jailtui.widgets.process_table import ProcessTable

    host = Host(LocalRunner(path=str(other_system(tmp_path))), backend="FreeBSD")
    app = JailtuiApp(host, None, interval=1000.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.poll_state.error is not None)
        for table in (app.screen.query_one(JailTable), app.screen.query_one(ProcessTable)):
            shown = table_lines(table)[1]
            assert shown.startswith(f"no data: this host runs {LINUX}, not FreeBSD"), shown
