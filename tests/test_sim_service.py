"""service(8), rc.subr and rc.d/jail of the simulated host (reference section 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def test_jail_start_stop_restart_lines(sim: SimHost) -> None:
    assert sim.out("service", "jail", "stop", "web") == "Stopping jails: web.\n"
    # a jail that is not running is skipped silently
    assert sim.out("service", "jail", "stop", "web") == "Stopping jails:.\n"
    assert sim.out("service", "jail", "start", "web") == "Starting jails: web.\n"
    assert (sim.root / "var/run/jail_web.id").read_text().strip() == \
        sim.out("jls", "-j", "web", "jid").strip()
    assert sim.out("service", "jail", "restart", "dns") == \
        "Stopping jails: dns.\nStarting jails: dns.\n"
    assert sim.out("service", "jail", "stop", "dns", "cache") == "Stopping jails: dns cache.\n"


def test_jail_start_failure_lines(sim: SimHost) -> None:
    sim.out("service", "jail", "stop", "cache")
    out = sim.out("service", "jail", "start", "web", "cache")
    assert out == ('Starting jails: cannot start jail  "web": \n'
                   'jail: "web" already exists\n'
                   " cache.\n")


def test_jail_conf_d_lookup(sim: SimHost) -> None:
    # ci is configured in /etc/jail.conf.d/ci.conf only, which /etc/jail.conf
    # does not include here: rc.d/jail passes that file (docs/freebsd.md 8.2).
    conf = sim.root / "etc/jail.conf"
    conf.write_text(conf.read_text().replace('.include "/etc/jail.conf.d/*.conf";', ""))
    assert sim.out("service", "jail", "stop", "ci") == "Stopping jails: ci.\n"
    assert sim.run("jail", "-c", "ci").stderr == b'jail: "ci" not found\n'
    assert sim.out("service", "jail", "start", "ci") == "Starting jails: ci.\n"
    assert sim.out("service", "jail", "config", "ci", "web") == (
        "ci: parameters are in /etc/jail.conf.d/ci.conf.\n"
        "web: parameters are in /etc/jail.conf.\n")


def test_jail_conf_d_included_uses_jail_conf(sim: SimHost) -> None:
    """The demo host's /etc/jail.conf includes /etc/jail.conf.d/*.conf:
    rc.d/jail's parse_options then skips jail.conf.d/NAME.conf and uses
    $jail_conf (its egrep for the .include line; libexec/rc/rc.d/jail)."""
    assert sim.out("service", "jail", "config", "ci") == "ci: parameters are in /etc/jail.conf.\n"
    assert sim.out("service", "jail", "restart", "ci") == ("Stopping jails: ci.\n"
                                                           "Starting jails: ci.\n")
    assert sim.out("jls", "-j", "ci", "path").strip() == "/usr/local/jails/ci"


def test_jail_list_from_rc_conf_d(sim: SimHost) -> None:
    """rc.subr's load_rc_config jail reads /etc/rc.conf.d/jail (a file or a
    directory of files) after rc.conf and rc.conf.local."""
    assert "jail_list" not in (sim.root / "etc/rc.conf").read_text()
    sim.out("service", "jail", "stop")
    # rc.d/jail stops jail_list's jails; a manager's (Bastille, iocage) are its own
    # rc.d script's (docs/managers.md 1.0).
    assert sim.out("jls", "name") == "shop\nioc-media_lan\n"
    conf_d = sim.root / "etc/rc.conf.d/jail"
    conf_d.unlink()
    conf_d.mkdir()
    (conf_d / "list").write_text('jail_list="dns"\n')
    assert sim.out("service", "jail", "start") == "Starting jails: dns.\n"


def test_jail_enable_check(sim: SimHost) -> None:
    rc_conf = sim.root / "etc/rc.conf"
    rc_conf.write_text(rc_conf.read_text().replace('jail_enable="YES"', 'jail_enable="NO"'))
    res = sim.run("service", "jail", "start", "staging")
    assert (res.returncode, res.stdout) == (0, (
        b"Cannot 'start' jail. Set jail_enable to YES in /etc/rc.conf or use 'onestart' "
        b"instead of 'start'.\n"))
    assert sim.run("jls", "-j", "staging").returncode == 1
    assert sim.out("service", "jail", "onestart", "staging") == "Starting jails: staging.\n"


def test_jail_status_and_console(sim: SimHost) -> None:
    assert sim.out("service", "jail", "status") == sim.out("jls", "-N")
    res = sim.run("service", "jail", "console")
    assert (res.returncode, res.stderr) == (3, b"/etc/rc.d/jail: ERROR: Specify a jail name.\n")


def test_enabled_scripts_of_a_jail(sim: SimHost) -> None:
    assert sim.out("service", "-j", "web", "-e") == (
        "/etc/rc.d/cleanvar\n/etc/rc.d/newsyslog\n/etc/rc.d/syslogd\n/etc/rc.d/virecover\n"
        "/etc/rc.d/motd\n/etc/rc.d/os-release\n/etc/rc.d/sshd\n/usr/local/etc/rc.d/nginx\n"
        "/etc/rc.d/cron\n")
    host = sim.out("service", "-e").splitlines()
    assert "/etc/rc.d/jail" in host and "/etc/rc.d/ntpd" in host
    assert all(not ln.startswith("/usr/local") for ln in host)
    res = sim.run("service", "-j", "nosuch", "-e")
    assert (res.returncode, res.stderr) == (1, b'jexec: jail "nosuch" not found\n')


def test_service_in_jail_lifecycle(sim: SimHost) -> None:
    status = sim.run("service", "-j", "web", "nginx", "status")
    assert status.returncode == 0
    pid = status.stdout.decode().split()[-1].rstrip(".")
    assert status.stdout == f"nginx is running as pid {pid}.\n".encode()
    res = sim.run("service", "-j", "web", "nginx", "start")
    assert (res.returncode, res.stderr) == (1, f"nginx already running?  (pid={pid}).\n".encode())
    assert sim.out("service", "-j", "web", "nginx", "stop") == \
        f"Stopping nginx.\nWaiting for PIDS: {pid}.\n"
    ps = sim.out("ps", "-ax", "-J", "web", "-o", "command")
    assert "nginx" not in ps
    res = sim.run("service", "-j", "web", "nginx", "status")
    assert (res.returncode, res.stdout) == (1, b"nginx is not running.\n")
    res = sim.run("service", "-j", "web", "nginx", "stop")
    assert (res.returncode, res.stderr) == (1, b"nginx not running? (check /var/run/nginx.pid).\n")
    assert sim.out("service", "-j", "web", "nginx", "start") == "Starting nginx.\n"
    assert "nginx: worker process (nginx)" in sim.out("ps", "-ax", "-J", "web", "-o", "command")


def test_disabled_service_needs_one(sim: SimHost) -> None:
    assert sim.out("service", "-j", "web", "nginx", "disable") == \
        "nginx disabled in /etc/rc.conf\n"
    assert 'nginx_enable="NO"' in (sim.root / "usr/local/jails/web/etc/rc.conf").read_text()
    sim.out("service", "-j", "web", "nginx", "stop")
    res = sim.run("service", "-j", "web", "nginx", "start")
    assert (res.returncode, res.stdout) == (0, (
        b"Cannot 'start' nginx. Set nginx_enable to YES in /etc/rc.conf or use 'onestart' "
        b"instead of 'start'.\n"))
    assert sim.out("service", "-j", "web", "nginx", "onestart") == "Starting nginx.\n"
    assert sim.run("service", "-j", "web", "nginx", "enabled").returncode == 1
    assert sim.out("service", "-j", "web", "nginx", "enable") == "nginx enabled in /etc/rc.conf\n"
    assert sim.run("service", "-j", "web", "nginx", "enabled").returncode == 0


def test_unknown_script_and_directive(sim: SimHost) -> None:
    res = sim.run("service", "-j", "web", "redis", "start")
    assert (res.returncode, res.stdout) == (1, (
        b"redis does not exist in /etc/rc.d or the local startup\n"
        b"directories (/usr/local/etc/rc.d), or is not executable\n"))
    res = sim.run("service", "-j", "web", "nginx", "bogus")
    assert res.returncode == 1
    assert res.stderr.startswith(b"/usr/local/etc/rc.d/nginx: unknown directive 'bogus'.\n"
                                 b"Usage: /usr/local/etc/rc.d/nginx [fast|force|one|quiet](")
    res = sim.run("service")
    assert res.returncode == 1 and b"Usage:" in res.stdout


def test_restart_in_jail(sim: SimHost) -> None:
    out = sim.out("service", "-j", "db", "postgresql", "restart")
    lines = out.splitlines()
    assert lines[0] == "Stopping postgresql." and lines[1].startswith("Waiting for PIDS: ")
    assert lines[2] == "Starting postgresql."
