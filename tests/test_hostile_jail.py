"""A jail's root is hostile (issue 14 item 1): what it plants in its tree.

Root inside a jail controls every file under the jail's path. Each case here
plants one hostile file where the console reads (the jail's ``etc/rc.conf``,
its ``etc/passwd``) and runs the real entry points against it: ``jailtui
--sim H check`` as a subprocess, and the console under Pilot. None may hang,
grow without bound, read outside the jail, or put raw control characters on
the terminal; what could not be read is UNKNOWN with the reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_tui_health import console, wait_for

from jailtui.core.checks.health import Severity
from jailtui.core.transport import jailfs

ROOT = Path(__file__).resolve().parent.parent
JAILS = "root/usr/local/jails"
SECRET = "hostsecretd"


def jt(sim: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def rc_conf(sim: Path, jail: str = "web") -> Path:
    return sim / JAILS / jail / "etc/rc.conf"


def _replace(p: Path) -> None:
    p.unlink()


def plant_dev_zero(sim: Path) -> str:
    # Absolute: resolved inside the jail; relative and escaping: ".." stops
    # at the jail's root. Both must not reach this machine's /dev/zero.
    p = rc_conf(sim)
    _replace(p)
    p.symlink_to("../../../../../../../../../../dev/zero")
    return "does not exist inside the jail"


def plant_dev_zero_in_jail_dev(sim: Path) -> str:
    """The jail's own /dev/zero (a devfs node on FreeBSD): a device, never read."""
    p = rc_conf(sim)
    _replace(p)
    p.symlink_to("/dev/zero")
    (sim / JAILS / "web/dev").mkdir(exist_ok=True)
    (sim / JAILS / "web/dev/zero").symlink_to(os.path.realpath("/dev/zero"))
    return "too many levels of symbolic links"  # the jail's link points at itself


def plant_host_file(sim: Path) -> str:
    secret = sim.parent / "host-rc.conf"
    secret.write_text(f'{SECRET}_enable="YES"\n')
    p = rc_conf(sim)
    _replace(p)
    p.symlink_to(secret)  # absolute: inside the jail that path does not exist
    return "does not exist inside the jail"


def plant_host_file_relative(sim: Path) -> str:
    (sim / "root/etc/rc.conf").write_text(f'{SECRET}_enable="YES"\n')
    p = rc_conf(sim)
    _replace(p)
    # The sim host's own rc.conf outside; inside the jail the same path is
    # this very link.
    p.symlink_to("../../../../../../etc/rc.conf")
    return "too many levels of symbolic links"


def plant_other_jail(sim: Path) -> str:
    with open(rc_conf(sim, "db"), "a", encoding="utf-8") as f:
        f.write(f'{SECRET}_enable="YES"\n')
    p = rc_conf(sim)
    _replace(p)
    p.symlink_to("../../db/etc/rc.conf")
    return "does not exist inside the jail"


def plant_fifo(sim: Path) -> str:
    p = rc_conf(sim)
    _replace(p)
    os.mkfifo(p)
    return "a FIFO, not read"


def plant_sparse(sim: Path) -> str:
    p = rc_conf(sim)
    with open(p, "r+b") as f:
        f.truncate(2 * 1024 ** 3)
    return "too large (2147483648 bytes"


def plant_directory(sim: Path) -> str:
    p = rc_conf(sim)
    _replace(p)
    p.mkdir()
    return "a directory, not read"


def plant_escapes(sim: Path) -> str:
    p = rc_conf(sim)
    _replace(p)
    p.symlink_to("/etc/\x1b]0;pwned\x07\x1b[2J")
    return "does not exist inside the jail"


PLANTS: dict[str, Callable[[Path], str]] = {
    "dev-zero": plant_dev_zero, "jail-dev-zero": plant_dev_zero_in_jail_dev,
    "host-file": plant_host_file, "host-file-relative": plant_host_file_relative,
    "other-jail": plant_other_jail, "fifo": plant_fifo, "sparse-2g": plant_sparse,
    "directory": plant_directory, "escapes": plant_escapes,
}


@pytest.mark.parametrize("case", list(PLANTS))
def test_check_reports_unknown_and_never_reads_outside(sim_dir: Path, case: str) -> None:
    reason = PLANTS[case](sim_dir)
    out = jt(sim_dir, "check")
    # db's own rc.conf enabling the planted daemon is db's CRITICAL finding.
    assert out.returncode == (2 if case == "other-jail" else 3), out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert "UNKNOWN: web: daemons not checked: /usr/local/jails/web/etc/rc.conf: " \
        in out.stdout and reason in out.stdout, out.stdout
    assert not [line for line in out.stdout.splitlines()
                if SECRET in line and not line.startswith("CRITICAL: db: ")]
    assert not any(f.startswith("CRITICAL: web: ") for f in out.stdout.splitlines())
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout


def test_other_jails_file_is_not_read_as_this_jails(sim_dir: Path) -> None:
    plant_other_jail(sim_dir)
    out = jt(sim_dir, "check")
    # db's own rc.conf enables it: db's finding, never web's.
    assert f"CRITICAL: db: {SECRET} is enabled in rc.conf but not running" in out.stdout
    assert f"web: {SECRET}" not in out.stdout


def test_a_link_inside_the_jail_is_followed_inside_it(sim_dir: Path) -> None:
    """A legitimate absolute link (``/etc/rc.conf -> /usr/local/etc/rc.conf``)
    is what the jail itself sees: followed, from the jail's root."""
    web = sim_dir / JAILS / "web"
    (web / "usr/local/etc").mkdir(parents=True, exist_ok=True)
    (web / "usr/local/etc/rc.conf").write_text('sshd_enable="YES"\nfoobard_enable="YES"\n')
    rc_conf(sim_dir).unlink()
    rc_conf(sim_dir).symlink_to("/usr/local/etc/rc.conf")
    out = jt(sim_dir, "check")
    assert "CRITICAL: web: foobard is enabled in rc.conf but not running" in out.stdout


def test_a_hostile_passwd_leaves_numeric_users(sim_dir: Path) -> None:
    """USER of jailed processes comes from the jail's passwd (issue 13 item 39),
    through the same reader: a FIFO there is not read and the list still comes."""
    def users() -> set[str]:
        out = jt(sim_dir, "ps", "--jail", "git", "--json")
        assert out.returncode == 0, out.stderr
        return {str(p["user"]) for p in json.loads(out.stdout)}

    assert "git" in users()  # a user known only to the jail's passwd, named
    assert not any(u.isdigit() for u in users())
    passwd = sim_dir / JAILS / "git/etc/passwd"
    passwd.unlink()
    os.mkfifo(passwd)
    left = users()
    assert "git" not in left and any(u.isdigit() for u in left)


# -- the reader itself --------------------------------------------------------


def test_reader_refuses_without_blocking_or_reading(tmp_path: Path) -> None:
    root = tmp_path / "jail"
    (root / "etc").mkdir(parents=True)
    os.mkfifo(root / "etc/fifo")
    (root / "etc/zero").symlink_to("../../../../../../../../dev/zero")
    (root / "etc/file").write_bytes(b"x" * 100)
    (root / "etc/sub").mkdir()
    (root / "etc/notdir").write_text("")
    assert jailfs.read_under_root(str(root), "etc/fifo").reason == "a FIFO, not read"
    assert jailfs.read_under_root(str(root), "etc/zero").missing is False
    assert jailfs.read_under_root(str(root), "etc/sub").reason == "a directory, not read"
    assert jailfs.read_under_root(str(root), "etc/notdir/x").reason == \
        "a component is not a directory"
    assert jailfs.read_under_root(str(root), "etc/nope").missing is True
    assert jailfs.read_under_root(str(root), "etc/file", max_bytes=99).reason.startswith(
        "too large (100 bytes")
    got = jailfs.read_under_root(str(root), "etc/file")
    assert got.data == b"x" * 100 and got.identity is not None


def test_reader_never_leaves_the_root_through_dotdot(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("host")
    root = tmp_path / "jail"
    (root / "etc").mkdir(parents=True)
    (root / "secret").write_text("jail")
    assert jailfs.read_under_root(str(root), "../secret").data == b"jail"
    (root / "etc/link").symlink_to("../../../secret")
    assert jailfs.read_under_root(str(root), "etc/link").data == b"jail"


def test_async_reader_is_bounded_in_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()

    def stuck(*a: object, **k: object) -> jailfs.FileRead:
        release.wait(30)
        return jailfs.FileRead("x")

    monkeypatch.setattr(jailfs, "read_under_root", stuck)
    try:
        got = asyncio.run(jailfs.aread_under_root(str(tmp_path), "etc/rc.conf", timeout=0.2,
                                                  shown="/j/etc/rc.conf"))
    finally:
        release.set()
    assert got.reason == "not read within 0.2 s" and not got.ok


# -- the console ----------------------------------------------------------------


@pytest.mark.parametrize("case", ["fifo", "sparse-2g", "other-jail", "escapes"])
async def test_console_stays_alive_and_shows_unknown(sim_dir: Path, case: str) -> None:
    reason = PLANTS[case](sim_dir)
    app = console(sim_dir)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        report = app.health.state.report
        assert report is not None
        web = [f for f in report.findings if f.jail == "web"]
        assert [(f.severity, f.kind) for f in web] == [(Severity.UNKNOWN, "unknown")]
        assert reason in web[0].message
        snap = app._state.snapshot
        assert snap is not None and any(j.name == "web" for j in snap.jails)


def test_host_files_are_regular_files_only(sim_dir: Path) -> None:
    """jail.conf.d planted with a FIFO (a manager's file, an include): the
    poll is not stuck and says what it skipped."""
    d = sim_dir / "root/etc/jail.conf.d"
    d.mkdir(exist_ok=True)
    os.mkfifo(d / "stuck.conf")
    out = jt(sim_dir, "list")
    assert "Traceback" not in out.stderr
    assert "web" in out.stdout


def test_host_file_reader_refuses_fifo_and_big_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match="a FIFO, not read"):
        jailfs.read_host_file(str(tmp_path / "fifo"))
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(OSError, match="larger than 100 bytes"):
        jailfs.read_host_file(str(tmp_path / "big"), max_bytes=100)
    assert jailfs.read_host_file(str(tmp_path / "big")) == b"x" * 101


def test_hostile_rc_d_scripts_are_left_out(sim_dir: Path) -> None:
    """The daemon check reads each enabled service's rc.d script (its pidfile and
    procname) through the same reader: a FIFO there and a link to the jail's
    /dev/zero are left out, the service is then looked for by its name, and
    ``check`` answers as with the real scripts."""
    before = jt(sim_dir, "check")
    web = sim_dir / JAILS / "web"
    nginx = web / "usr/local/etc/rc.d/nginx"
    assert nginx.is_file()  # the demo's web jail runs nginx from ports
    nginx.unlink()
    os.mkfifo(nginx)
    (web / "etc/rc.d").mkdir(exist_ok=True)
    (web / "etc/rc.d/sshd").symlink_to("/dev/zero")
    (web / "dev").mkdir(exist_ok=True)
    (web / "dev/zero").symlink_to(os.path.realpath("/dev/zero"))
    after = jt(sim_dir, "check")
    assert "Traceback" not in after.stderr
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout)
