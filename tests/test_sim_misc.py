"""rctl(8), sysctl(8), who(1) and kill(1) of the simulated host (docs/freebsd.md 5.3, 7, 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host

from jailtui.sim.rctl import RESOURCES
from jailtui.sim.state import Store


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


# -- rctl -----------------------------------------------------------------------


def test_rctl_usage_all_resources_in_kernel_order(sim: SimHost) -> None:
    lines = sim.out("rctl", "-u", "jail:db").splitlines()
    assert [ln.split("=")[0] for ln in lines] == list(RESOURCES)
    values = {k: int(v) for k, v in (ln.split("=") for ln in lines)}
    assert values["maxproc"] == len(sim.out("ps", "-ax", "-J", "db", "-o", "pid=").split())
    assert values["memoryuse"] > 0 and values["vmemoryuse"] > values["memoryuse"]
    assert values["wallclock"] > 0
    # a jail that is not running: all zeros (prison_racct_find creates it)
    assert set(sim.out("rctl", "-u", "jail:staging").replace("\n", " ").split()) == \
        {f"{r}=0" for r in RESOURCES}
    human = sim.out("rctl", "-hu", "jail:db")
    assert "memoryuse=" in human and human.split("memoryuse=")[1][0].isdigit()


def test_rctl_rules(sim: SimHost) -> None:
    assert sim.out("rctl") == ("jail:db:memoryuse:deny=2147483648\n"
                               "jail:web:maxproc:deny=256\n"
                               "jail:ci:pcpu:deny=200\n"
                               "jail:ci:vmemoryuse:log=8589934592\n")
    assert sim.out("rctl", "jail:ci") == ("jail:ci:pcpu:deny=200\n"
                                          "jail:ci:vmemoryuse:log=8589934592\n")
    assert sim.out("rctl", "-h", "jail:db") == "jail:db:memoryuse:deny=2048M\n"
    assert sim.out("rctl", "-a", "jail:web:memoryuse:deny=512M") == ""
    assert sim.out("rctl", "jail:web:memoryuse") == "jail:web:memoryuse:deny=536870912\n"
    # a new deny rule replaces one that differs only by amount
    sim.out("rctl", "-a", "j:web:memoryuse:deny=1G")
    assert sim.out("rctl", "jail:web:memoryuse") == "jail:web:memoryuse:deny=1073741824\n"
    sim.out("rctl", "-a", "jail:web:memoryuse:log=1G/process")
    assert "jail:web:memoryuse:log=1073741824/process\n" in sim.out("rctl", "jail:web")
    assert sim.out("rctl", "-r", "jail:web:memoryuse") == ""
    res = sim.run("rctl", "-r", "jail:web:memoryuse")
    assert (res.returncode, res.stderr) == (
        1, b"rctl: failed to remove rule 'jail:web:memoryuse': No such process\n")


def test_rctl_errors(sim: SimHost) -> None:
    res = sim.run("rctl", "-a", "jail:web:bogus:deny=1")
    assert (res.returncode, res.stderr) == (
        1, b"rctl: failed to add rule 'jail:web:bogus:deny=1': Invalid argument\n")
    res = sim.run("rctl", "-a", "jail:web:memoryuse:deny=lots")
    assert res.stderr == (b"rctl: malformed rule 'jail:web:memoryuse:deny=lots': "
                          b"invalid numeric value 'lots'\n")
    assert sim.run("rctl", "-a", "nonsense").stderr == \
        b"rctl: malformed rule 'nonsense': missing subject\n"
    res = sim.run("rctl", "-l", "jail:web")  # kern_rctl.c: -l takes a process filter
    assert (res.returncode, res.stderr) == (
        1, b"rctl: failed to get limits for 'jail:web': Operation not supported\n")
    res = sim.run("rctl", "-u", "jail:")
    assert res.stderr == b"rctl: failed to show resource consumption for 'jail:': Invalid argument\n"
    res = sim.run("rctl", "-a", "-u", "jail:web")
    assert (res.returncode, res.stderr) == (
        1, b"rctl: at most one of -a, -l, -r, or -u may be specified\n")
    res = sim.run("rctl", "-z")
    assert res.stderr == (b"rctl: illegal option -- z\n"
                          b"usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter "
                          b"| filter]\n")


def test_rctl_limits_of_a_process(sim: SimHost) -> None:
    pid = sim.out("ps", "-ax", "-J", "db", "-o", "pid=").split()[0]
    assert sim.out("rctl", "-l", f"process:{pid}") == "jail:db:memoryuse:deny=2147483648\n"


def test_racct_disabled(sim: SimHost) -> None:
    with Store(sim.simdir).write() as st:
        st.racct = False
    msg = (b"rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 "
           b"tunable\n")
    for argv in (("rctl",), ("rctl", "-u", "jail:web"), ("rctl", "-a", "jail:web:nthr:deny=9")):
        res = sim.run(*argv)
        assert (res.returncode, res.stdout, res.stderr) == (1, b"", msg)
    assert sim.out("sysctl", "-n", "kern.racct.enable") == "0\n"


# -- sysctl ----------------------------------------------------------------------


def test_sysctl_host_and_jail_views(sim: SimHost) -> None:
    assert sim.out("sysctl", "security.jail.jailed", "security.jail.vnet") == \
        "security.jail.jailed: 0\nsecurity.jail.vnet: 0\n"
    assert sim.out("jexec", "vpn", "sysctl", "-n", "security.jail.jailed",
                   "security.jail.vnet") == "1\n1\n"
    assert sim.out("jexec", "ci", "sysctl", "-n", "security.jail.children.max") == "2\n"
    assert sim.out("sysctl", "-n", "kern.racct.enable") == "1\n"
    assert sim.out("sysctl", "-n", "security.bsd.see_other_uids",
                   "security.bsd.see_jail_proc") == "1\n1\n"
    subtree = sim.out("sysctl", "security.jail").splitlines()
    assert "security.jail.enforce_statfs: 2" in subtree
    assert "security.jail.param.host.hostname: " in subtree


def test_sysctl_errors(sim: SimHost) -> None:
    res = sim.run("sysctl", "security.jail.bogus")
    assert (res.returncode, res.stderr) == (1, b"sysctl: unknown oid 'security.jail.bogus'\n")
    assert sim.run("sysctl", "-i", "security.jail.bogus").returncode == 0
    res = sim.run("sysctl", "kern.racct.enable=0")
    assert res.returncode == 1
    assert res.stderr == (b"sysctl: oid 'kern.racct.enable' is a read only tunable\n"
                          b"sysctl: Tunable values are set in /boot/loader.conf\n")


# -- who --------------------------------------------------------------------------


def test_who_inside_and_outside(sim: SimHost) -> None:
    inside = sim.out("jexec", "web", "who")
    assert inside == "deploy           pts/1        Jun  2 09:19 (203.0.113.7)\n"
    from_host = sim.out("who", "/usr/local/jails/web/var/run/utx.active")
    assert from_host == inside
    assert sim.out("who").startswith("admin            pts/0        ")
    assert sim.out("who", "-H", "/usr/local/jails/ci/var/run/utx.active").splitlines()[0] == \
        "NAME             LINE         TIME         FROM            "
    assert sim.out("jexec", "db", "who") == ""
    res = sim.run("who", "/nonexistent/utx.active")
    assert (res.returncode, res.stderr) == (
        1, b"who: /nonexistent/utx.active: No such file or directory\n")
    assert sim.out("who", "-q", "/usr/local/jails/web/var/run/utx.active") == \
        "deploy           \n# users = 1\n"


def test_logins_end_with_the_jail(sim: SimHost) -> None:
    sim.out("jail", "-r", "web")
    sim.out("jail", "-c", "web")
    assert sim.out("who", "/usr/local/jails/web/var/run/utx.active") == ""


# -- kill ---------------------------------------------------------------------------


def _pids(sim: SimHost, jail: str, match: str) -> list[str]:
    out = sim.out("ps", "-ax", "-J", jail, "-o", "pid=", "-o", "command=")
    return [ln.split()[0] for ln in out.splitlines() if match in ln]


def test_kill_term_removes_process_and_children(sim: SimHost) -> None:
    master = _pids(sim, "web", "nginx: master")[0]
    assert sim.out("kill", master) == ""
    assert not _pids(sim, "web", "nginx")
    assert _pids(sim, "web", "syslogd")


def test_kill_hup_keeps_and_stop_cont(sim: SimHost) -> None:
    pid = _pids(sim, "dns", "unbound")[0]
    assert sim.out("kill", "-HUP", pid) == ""
    assert sim.out("kill", "-s", "USR1", pid) == ""
    assert _pids(sim, "dns", "unbound") == [pid]
    sim.out("kill", "-STOP", pid)
    assert sim.out("ps", "-p", pid, "-o", "stat=").startswith("T")
    sim.out("kill", "-CONT", pid)
    assert not sim.out("ps", "-p", pid, "-o", "stat=").startswith("T")


def test_kill_errors(sim: SimHost) -> None:
    res = sim.run("kill", "99998")
    assert (res.returncode, res.stderr) == (1, b"kill: 99998: No such process\n")
    res = sim.run("kill", "-s", "BOGUS", "1")
    assert res.returncode == 2
    assert res.stderr.startswith(b"kill: unknown signal BOGUS; valid signals:\nHUP INT QUIT")
    res = sim.run("kill", "abc")
    assert (res.returncode, res.stderr) == (2, b"kill: illegal process id: abc\n")
    res = sim.run("kill")
    assert res.returncode == 2 and res.stderr.startswith(b"usage: kill [-s signal_name] pid ...")
    assert sim.run("kill", "0").stderr == b"kill: 0: No such process\n"
    assert sim.run("kill", "-9", "1").stderr == b"kill: 1: Operation not permitted\n"
    assert sim.out("kill", "-l", "15") == "term\n"


def test_kill_last_process_removes_non_persistent_jail(sim: SimHost) -> None:
    pids = sim.out("ps", "-ax", "-J", "dns", "-o", "pid=").split()
    # children first: a parent's death takes its children (and their pids) along
    assert sim.out("kill", "-9", *sorted(pids, key=int, reverse=True)) == ""
    assert sim.run("jls", "-j", "dns").returncode == 1


def test_kill_inside_jail_sees_only_its_processes(sim: SimHost) -> None:
    other = _pids(sim, "db", "postgres -D")[0]
    res = sim.run("jexec", "web", "kill", other)
    assert (res.returncode, res.stderr) == (1, f"kill: {other}: No such process\n".encode())
    assert _pids(sim, "db", "postgres -D") == [other]


def test_hardware_sysctls_and_a_steady_idle(sim: SimHost) -> None:
    """hw.ncpu/hw.physmem answer from the state (issue 13 item 32); [idle] is what
    the other processes leave of 100 % per CPU, not a random walk up to 4000 %."""
    ncpu = int(sim.out("sysctl", "-n", "hw.ncpu"))
    physmem = int(sim.out("sysctl", "-n", "hw.physmem"))
    assert ncpu == 8 and physmem == 32 * 1024 ** 3
    assert sim.out("jexec", "web", "sysctl", "-n", "hw.ncpu") == "8\n"
    first = None
    for now in ("1748858400.0", "1748858402.0", "1748858460.0", "1748859000.0"):
        at = {"JAILTUI_SIM_NOW": now}
        rows = sim.out("ps", "-ax", "-o", "pid=", "-o", "%cpu=", env=at)
        cpu = {int(p): float(c) for p, c in (ln.split() for ln in rows.splitlines())}
        rest = sum(v for pid, v in cpu.items() if pid != 11)
        # ps rounds each row to 0.1: the sum of 90 rows may be off by 4.5.
        assert abs(cpu[11] - (100.0 * ncpu - rest)) < 5.0, (now, cpu[11], rest)
        assert 0 <= cpu[11] <= 100 * ncpu
        # ps -p 11 alone: the same share (the rest of every process, not of one)
        assert sim.out("ps", "-p", "11", "-o", "%cpu=", env=at).strip() == f"{cpu[11]:.1f}"
        first = cpu[11] if first is None else first
        assert abs(cpu[11] - first) < 50.0  # steady: no 260..4163 % jumps
