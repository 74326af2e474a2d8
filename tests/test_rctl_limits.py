"""rctl limits of a jail (issue 20): rules checked against rctl(8) before anything runs,
``rctl -a``/``-r`` through the gate (the ``rctl`` action: delegable, in scope, audited),
the jail's marked block of /etc/rctl.conf saved safely, a clear refusal when racct is off;
``jailtui rctl`` through the simulator's shims on PATH.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.actions import limits
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import ParseError, PolicyDenied
from jailtui.core.freebsd import rctl, rctlconf
from jailtui.core.hosts.host import Host
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner
from jailtui.sim.state import Store


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], capture_output=True,
                          text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def local(sim_dir: Path, shim_path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point with the shims first on PATH, as on a FreeBSD host."""
    return cli("--host", "local", "--root", str(sim_dir / "root"), *args,
               env={"PATH": shim_path})


def kernel_rules(sim_dir: Path, jail: str) -> list[str]:
    rc, out, err = dispatch(sim_dir, ["rctl", f"jail:{jail}"])
    assert rc == 0, err
    return out.decode().split()


def rctl_conf(sim_dir: Path) -> str:
    p = sim_dir / "root/etc/rctl.conf"
    return p.read_text() if p.exists() else ""


def controller(sim_dir: Path, policy: Policy | None = None) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy or Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink


def racct_off(sim_dir: Path) -> None:
    with Store(sim_dir).write() as st:
        st.racct = False


# -- what a person types -------------------------------------------------------------------


def test_a_rule_is_checked_against_rctl8() -> None:
    r = rctl.jail_rule("db", "memoryuse:deny=2G")
    assert r.text == "jail:db:memoryuse:deny=2147483648"
    assert rctl.jail_rule("db", "jail:db:maxproc:deny=100").text == "jail:db:maxproc:deny=100"
    assert rctl.jail_rule("db", "openfiles:log=500/process").text == \
        "jail:db:openfiles:log=500/process"
    # /jail is the subject itself: the kernel leaves it out, so do we.
    assert rctl.jail_rule("db", "pcpu:deny=50/jail").text == "jail:db:pcpu:deny=50"
    assert rctl.jail_rule("db", "readbps:throttle=10M").amount == 10 << 20
    flt = rctl.jail_rule("db", "maxproc:deny", amount_required=False)
    assert rctl.filter_text(flt) == "jail:db:maxproc:deny"
    bad = {
        "": "empty rule",
        "memory:deny=1G": "unknown resource 'memory'",
        "memoryuse:kill=1G": "unknown action 'kill'",
        "memoryuse:deny": "has no amount",
        "memoryuse:deny=lots": "amount 'lots'",
        "memoryuse:deny=1G/host": "unknown per 'host'",
        "wallclock:deny=10": "wallclock cannot be denied",
        "maxproc:throttle=10": "throttle applies only to",
        "shmsize:deny=1G/process": "cannot be counted per process",
        "jail:web:maxproc:deny=1": "is not for jail 'db'",
        "user:1001:maxproc:deny=1": "is not for jail 'db'",
        "maxproc:deny=99999999999999999999": "amount",
    }
    for text, words in bad.items():
        with pytest.raises(rctl.RuleError) as exc:
            rctl.jail_rule("db", text)
        assert words in exc.value.message, (text, exc.value.message)


def test_the_block_in_rctl_conf_leaves_every_other_line_alone() -> None:
    mine = "# kept by hand\nuser:1001:maxproc:deny=50\n"
    r1 = rctl.jail_rule("web", "maxproc:deny=100")
    r2 = rctl.jail_rule("web", "memoryuse:deny=1G")
    one = rctlconf.with_block(mine, "web", [r1])
    assert one == mine + "# BEGIN jailtui web\njail:web:maxproc:deny=100\n# END jailtui web\n"
    two = rctlconf.with_block(one + "jail:db:nthr:deny=9\n", "web", [r1, r2])
    assert rctlconf.block_rules(two, "web") == [r1, r2]
    assert two.startswith(mine) and two.endswith("# END jailtui web\njail:db:nthr:deny=9\n")
    assert rctlconf.block_rules(two, "db") == []
    gone = rctlconf.with_block(two, "web", [])
    assert gone == mine + "jail:db:nthr:deny=9\n"
    assert rctlconf.with_block("no newline at end", "db", [r1]).startswith(
        "no newline at end\n# BEGIN jailtui db\n")
    with pytest.raises(ParseError, match="no '# END jailtui web' line"):
        rctlconf.block_rules("# BEGIN jailtui web\njail:web:maxproc:deny=1\n", "web")
    with pytest.raises(ParseError, match="two blocks"):
        rctlconf.block_rules(one + one, "web")


# -- through the shims ---------------------------------------------------------------------


def test_add_change_remove_and_persist_through_the_shims(sim_dir: Path, shim_path: str) -> None:
    r = local(sim_dir, shim_path, "rctl", "db", "--add", "memoryuse:deny=1G", "--persist")
    assert r.returncode == 0, r.stderr
    assert "rctl -a jail:db:memoryuse:deny=1073741824" in r.stdout
    # A deny rule replaces the one differing only by amount (kern_rctl.c rctl_rule_add).
    assert kernel_rules(sim_dir, "db") == ["jail:db:memoryuse:deny=1073741824"]
    assert "# BEGIN jailtui db\njail:db:memoryuse:deny=1073741824\n# END jailtui db\n" \
        in rctl_conf(sim_dir)
    r = local(sim_dir, shim_path, "rctl", "db", "--add", "maxproc:deny=80")
    assert r.returncode == 0, r.stderr
    assert "maxproc" not in rctl_conf(sim_dir)  # not persisted unless asked
    r = local(sim_dir, shim_path, "rctl", "db", "--json")
    doc = json.loads(r.stdout)
    assert [(x["rule"], x["persisted"]) for x in doc["rules"]] == [
        ("jail:db:memoryuse:deny=1073741824", True), ("jail:db:maxproc:deny=80", False)]
    r = local(sim_dir, shim_path, "rctl", "db")
    assert r.returncode == 0
    assert "memoryuse  deny        1G  yes" in r.stdout and "maxproc    deny        80  no" \
        in r.stdout
    r = local(sim_dir, shim_path, "rctl", "db", "--remove", "memoryuse:deny", "--persist")
    assert r.returncode == 0, r.stderr
    assert kernel_rules(sim_dir, "db") == ["jail:db:maxproc:deny=80"]
    assert "jailtui db" not in rctl_conf(sim_dir)
    # --persist alone: what the jail has now goes into its block.
    r = local(sim_dir, shim_path, "rctl", "db", "--persist")
    assert r.returncode == 0, r.stderr
    assert rctlconf.block_rules(rctl_conf(sim_dir), "db") == [
        rctl.jail_rule("db", "maxproc:deny=80")]


def test_bad_input_runs_nothing_and_loses_nothing(sim_dir: Path, shim_path: str) -> None:
    before = kernel_rules(sim_dir, "web")
    r = local(sim_dir, shim_path, "rctl", "web", "--add", "memoryuse:deny=1Q")
    assert r.returncode == 1 and "jailtui: amount '1Q'" in r.stderr
    r = local(sim_dir, shim_path, "rctl", "web", "--add", "cputime:deny=10", "--persist")
    assert r.returncode == 1 and "cputime cannot be denied" in r.stderr
    r = local(sim_dir, shim_path, "rctl", "web", "--remove", "nthr:deny")
    # rctl(8)'s own words when nothing matches (rctl.c remove_rule: ESRCH).
    assert r.returncode == 1
    assert "rctl: failed to remove rule 'jail:web:nthr:deny': No such process" in r.stderr
    assert kernel_rules(sim_dir, "web") == before and rctl_conf(sim_dir) == ""
    r = local(sim_dir, shim_path, "rctl", "nosuch", "--add", "maxproc:deny=1")
    assert r.returncode == 1
    assert r.stderr == 'jailtui: rctl: refused — no jail "nosuch" is running or configured\n'
    # A stopped jail's rules are set for its next start (the kernel keeps them by name).
    r = local(sim_dir, shim_path, "rctl", "staging", "--add", "maxproc:deny=9")
    assert r.returncode == 0 and kernel_rules(sim_dir, "staging") == [
        "jail:staging:maxproc:deny=9"]


def test_refused_when_racct_is_off_with_the_tunable(sim_dir: Path, shim_path: str) -> None:
    racct_off(sim_dir)
    r = local(sim_dir, shim_path, "rctl", "db", "--add", "maxproc:deny=10", "--persist")
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "jailtui: rctl: refused — resource accounting is off on this host "
        "(kern.racct.enable=0); add kern.racct.enable=1 to /boot/loader.conf and reboot")
    assert rctl_conf(sim_dir) == ""
    r = local(sim_dir, shim_path, "rctl", "db")
    assert r.returncode == 1 and "kern.racct.enable=1 to /boot/loader.conf" in r.stderr
    with Store(sim_dir).read() as st:
        assert "jail:db:maxproc:deny=10" not in st.rules


def test_the_gate_decides_and_audits(sim_dir: Path) -> None:
    add = limits.LimitChange(rctl.jail_rule("web", "nthr:deny=300"), None, True)
    delegate = Policy(Role.DELEGATE, "alice", 1001, frozenset({"web"}),
                      frozenset({Action.RCTL}))
    ctl, sink = controller(sim_dir, delegate)
    assert asyncio.run(ctl.rctl_change("web", add)).ok
    assert "jail:web:nthr:deny=300" in kernel_rules(sim_dir, "web")
    other = limits.LimitChange(rctl.jail_rule("db", "nthr:deny=300"))
    with pytest.raises(PolicyDenied, match="rctl is not permitted for alice"):
        asyncio.run(ctl.rctl_change("db", other))
    # A rule naming another jail, handed in for this one, is refused too.
    with pytest.raises(PolicyDenied, match="is not for jail web"):
        asyncio.run(ctl.rctl_change("web", other))
    assert [(r.action, r.jail, r.result.split(":")[0]) for r in sink.records] == [
        ("rctl", "web", "ok"), ("rctl", None, "denied"), ("rctl", "web", "denied")]
    no_rctl = Policy(Role.DELEGATE, "carol", 1003, frozenset({"web"}),
                     frozenset({Action.SNAPSHOT}))
    with pytest.raises(PolicyDenied):
        asyncio.run(controller(sim_dir, no_rctl)[0].rctl_change("web", add))
    with pytest.raises(PolicyDenied, match="read-only session"):
        asyncio.run(controller(sim_dir, Policy(Role.READ_ONLY, "bob", 1002))[0]
                    .rctl_change("web", add))
    # Reading the rules is a view: every role, in scope.
    ro = controller(sim_dir, Policy(Role.READ_ONLY, "bob", 1002))[0]
    assert "jail:web:nthr:deny=300" in [r.text for r in asyncio.run(ro.rctl_rules("web"))]


def test_a_symlinked_rctl_conf_is_never_written_through(sim_dir: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    (sim_dir / "root/etc/rctl.conf").symlink_to(victim)
    ctl, sink = controller(sim_dir)
    result = asyncio.run(ctl.rctl_change("db", limits.LimitChange(
        rctl.jail_rule("db", "maxproc:deny=5"), None, True)))
    assert not result.ok and "/etc/rctl.conf" in result.message
    assert "the kernel's rules were changed" in result.message
    assert victim.read_text() == "untouched\n"
    assert sink.records[-1].result.startswith("failed:")


def test_the_simulated_rctl_answers_as_rctl8(sim_dir: Path) -> None:
    rc, out, err = dispatch(sim_dir, ["rctl", "-a", "jail:db:nshm:deny=4/process"])
    assert (rc, err) == (1, b"rctl: failed to add rule 'jail:db:nshm:deny=4/process': "
                             b"Operation not supported\n")
    rc, out, err = dispatch(sim_dir, ["rctl", "-a", "jail:db:maxproc:deny=1k"])
    assert rc == 0 and "jail:db:maxproc:deny=1024" in kernel_rules(sim_dir, "db")
    racct_off(sim_dir)
    rc, out, err = dispatch(sim_dir, ["rctl", "-a", "jail:db:maxproc:deny=1"])
    assert (rc, err) == (1, b"rctl: RACCT/RCTL present, but disabled; enable using "
                             b"kern.racct.enable=1 tunable\n")
    rc, out, err = dispatch(sim_dir, ["sysctl", "-n", "kern.racct.enable"])
    assert (rc, out) == (0, b"0\n")
