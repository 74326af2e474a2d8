"""The simulated host's posture tools, through their shims (docs/freebsd.md 13)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    from jailtui.sim.shims import write_shims

    host = make_host(tmp_path)
    write_shims(host.simdir, host.bindir, tools=("chflags", "stat", "devfs", "pkg"))
    return host


def test_securelevel_is_raised_never_lowered_and_jails_follow(sim: SimHost) -> None:
    assert sim.out("sysctl", "-n", "kern.securelevel") == "-1\n"
    assert sim.out("jls", "-j", "web", "securelevel") == "-1\n"
    assert sim.out("jls", "-j", "ci", "securelevel") == "3\n"
    assert sim.out("sysctl", "kern.securelevel=1") == "kern.securelevel: -1 -> 1\n"
    # The host's level is a floor for every jail (kern_jail.c).
    assert sim.out("jls", "-j", "web", "securelevel") == "1\n"
    assert sim.out("jls", "-j", "ci", "securelevel") == "3\n"
    res = sim.run("sysctl", "kern.securelevel=0")
    assert res.returncode == 1
    assert res.stderr == b"sysctl: kern.securelevel=0: Operation not permitted\n"
    assert sim.out("jexec", "web", "sysctl", "-n", "kern.securelevel") == "1\n"


def test_flags_recorded_and_shown_by_stat(sim: SimHost) -> None:
    res = sim.run("stat", "-f", "%Sf", "/usr/local/jails/web/bin",
                  "/usr/local/jails/web/var/log/messages", "/usr/local/jails/cache/bin",
                  "/usr/local/jails/web/nonexistent")
    assert res.returncode == 1
    assert res.stdout == b"schg\nsappnd\n-\n"
    assert res.stderr == (b"stat: /usr/local/jails/web/nonexistent: lstat: "
                          b"No such file or directory\n")


def test_chflags_sets_clears_and_is_refused_at_securelevel(sim: SimHost) -> None:
    assert sim.out("chflags", "schg,nodump", "/usr/local/jails/cache/bin") == ""
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/cache/bin") == "schg,nodump\n"
    assert sim.out("chflags", "noschg,dump", "/usr/local/jails/cache/bin") == ""
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/cache/bin") == "-\n"
    bad = sim.run("chflags", "sticky", "/usr/local/jails/cache/bin")
    assert (bad.returncode, bad.stderr) == (1, b"chflags: invalid flag: sticky\n")
    sim.out("sysctl", "kern.securelevel=1")
    # A file that carries schg cannot change at securelevel 1 (ufs_setattr) ...
    res = sim.run("chflags", "noschg", "/usr/local/jails/web/bin")
    assert res.returncode == 1
    assert res.stderr == b"chflags: /usr/local/jails/web/bin: Operation not permitted\n"
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/web/bin") == "schg\n"
    # ... one without system flags may still get them.
    assert sim.out("chflags", "schg", "/usr/local/jails/cache/sbin") == ""
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/cache/sbin") == "schg\n"


def test_chflags_in_a_jail_needs_allow_chflags(sim: SimHost) -> None:
    res = sim.run("jexec", "web", "chflags", "noschg", "/bin")
    assert (res.returncode, res.stderr) == (1, b"chflags: /bin: Operation not permitted\n")
    # The loosened jail has allow.chflags: its root may set system flags.
    assert sim.out("jexec", "cache", "chflags", "schg", "/bin") == ""
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/cache/bin") == "schg\n"


def test_ls_lo_shows_the_flags_column(sim: SimHost) -> None:
    from jailtui.sim.commands import dispatch

    rc, out, _ = dispatch(sim.simdir, ["ls", "-lo", "/usr/local/jails/web/var/log"],
                          env={**os.environ, "TZ": "UTC"})
    assert rc == 0
    lines = out.decode().splitlines()
    assert lines[0].startswith("total ")
    messages = next(line for line in lines if line.endswith(" messages"))
    assert messages.split()[:5] == ["-rw-r--r--", "1", "root", "wheel", "sappnd"]
    rc, out, _ = dispatch(sim.simdir, ["ls", "-ldo", "/usr/local/jails/cache/bin"])
    assert out.decode().split()[4] == "-"


def test_devfs_rule_show(sim: SimHost) -> None:
    assert sim.out("devfs", "rule", "-s", "4", "show") == (
        "100 include 1\n200 include 2\n300 include 3\n400 path fuse unhide\n"
        "500 path zfs unhide\n")
    assert sim.out("devfs", "rule", "-s", "1", "show") == "100 hide\n"
    assert sim.out("devfs", "rule", "-s", "9", "show") == ""
    assert sim.out("devfs", "rule", "showsets") == "1\n2\n3\n4\n5\n"


def test_freebsd_version_files_differ_by_jail(sim: SimHost) -> None:
    web = (sim.root / "usr/local/jails/web/bin/freebsd-version").read_text()
    mail = (sim.root / "usr/local/jails/mail/bin/freebsd-version").read_text()
    assert web.startswith("#!/bin/sh\n")
    assert 'USERLAND_VERSION="15.0-RELEASE-p2"' in web
    assert 'USERLAND_VERSION="14.1-RELEASE-p3"' in mail


def test_pkg_audit_in_the_jail_and_of_the_base(sim: SimHost) -> None:
    res = sim.run("jexec", "-l", "-U", "root", "mail", "pkg", "audit", "-q")
    assert res.returncode == 1
    assert res.stdout == b"curl-8.7.1\ndovecot-2.3.20_3\npostfix-3.8.4,1\n"
    res = sim.run("jexec", "-l", "-U", "root", "web", "pkg", "audit")
    assert (res.returncode, res.stdout) == (0, b"0 problem(s) in 0 installed package(s) found.\n")
    # The recipe of pkg's periodic base audit: names given on the command line.
    res = sim.run("pkg", "audit", "-q", "FreeBSD-14.1_3", "FreeBSD-15.0_2",
                  "FreeBSD-kernel-15.0")
    assert (res.returncode, res.stdout) == (1, b"FreeBSD-14.1_3\n")
    full = sim.run("pkg", "audit", "FreeBSD-14.1_3").stdout.decode()
    assert "FreeBSD-14.1_3 is vulnerable:\n" in full and "CVE: CVE-2026-90001" in full
    assert full.endswith("1 problem(s) in 1 installed package(s) found.\n")


def test_pkg_bad_inputs(sim: SimHost) -> None:
    root = sim.root / "usr/local/jails/dns"
    (root / "var/db/pkg/vuln.xml").write_text("<vuxml><vuln")
    res = sim.run("jexec", "-l", "-U", "root", "dns", "pkg", "audit", "-q")
    assert (res.returncode, res.stderr) == (1, b"pkg: cannot process vulnxml\n")
    (root / "var/db/pkg/vuln.xml").unlink()
    res = sim.run("jexec", "-l", "-U", "root", "dns", "pkg", "audit", "-q")
    assert res.returncode == 1
    assert res.stderr == (b"pkg: vulnxml file /var/db/pkg/vuln.xml does not exist. "
                          b"Try running 'pkg audit -F' first\n")
    (root / "usr/local/sbin/pkg").unlink()
    res = sim.run("jexec", "-l", "-U", "root", "dns", "pkg", "audit", "-q")
    assert (res.returncode, res.stderr) == (1, b"jexec: execvp: pkg: No such file or directory\n")


def test_version_compare() -> None:
    from jailtui.sim.pkg import compare

    assert compare("3.8.4,1", "3.8.6,1") < 0
    assert compare("2.3.20_3", "2.3.21.1") < 0
    assert compare("14.1_3", "14.1_6") < 0
    assert compare("14.1", "14.1_6") < 0
    assert compare("15.0_2", "15.0_2") == 0
    assert compare("1.26.2_1,3", "1.30.0") > 0  # the epoch wins


def test_pkg_info_e_tells_pkgbase(sim: SimHost) -> None:
    res = sim.run("jexec", "-l", "-U", "root", "git", "pkg", "info", "-e", "FreeBSD-runtime")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"", b"")
    res = sim.run("jexec", "-l", "-U", "root", "web", "pkg", "info", "-e", "FreeBSD-runtime")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b"")
    listed = sim.out("jexec", "-l", "-U", "root", "git", "pkg", "info")
    assert "FreeBSD-runtime-15.0p2\n" in listed


def test_stat_shim_hands_what_freebsd_rejects_to_this_machine(sim: SimHost,
                                                               tmp_path: Path) -> None:
    """The stat shim is FreeBSD's stat(1) for every argv FreeBSD's accepts; argv it
    rejects as a usage error (GNU's --version and -c) go to this machine's stat,
    so scripts that pick a flavour with ``stat --version`` keep working with the
    shims first on PATH (core/config/remotefile.py; docs/freebsd.md 13.5)."""
    import shutil

    if shutil.which("stat", path="/usr/bin:/bin") is None:
        pytest.skip("no stat on this machine")
    version = sim.run("stat", "--version")
    assert version.returncode == 0 and b"stat" in version.stdout
    f = tmp_path / "five"
    f.write_bytes(b"12345")
    assert sim.out("stat", "-c", "%s", str(f)) == "5\n"
    # FreeBSD's own argv: the simulated host's file, by host path.
    assert sim.out("stat", "-f", "%Sf", "/usr/local/jails/web/bin") == "schg\n"
    # Without another stat on PATH: FreeBSD's usage error.
    alone = sim.run("stat", "--version", env={"PATH": str(sim.bindir)})
    assert alone.returncode == 1 and alone.stderr.startswith(b"usage: stat ")
