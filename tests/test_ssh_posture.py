"""File flags on a host reached over SSH (issue 17): read and set from the host side.

One real sshd in front of the demo host (tests/ssh_servers.py); the jail root
is walked on the remote side (core/transport/jailfs.py astat_remote), ``stat
-f %Sf`` and ``chflags -h`` run there through the SSH runner, argv only.
Through the real entry points: ``jailtui --host NAME flags``, the Controller
(the one gate, its audit) and the posture screen's key in the console.

The cases share one server; each changes a different jail, and the one that
raises the host's securelevel (which the simulator, like FreeBSD, never lowers)
comes last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ssh_servers import Client, Server, ServerError, start_servers

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.fleet import Fleet, HostSpec
from jailtui.core.posture.baseline import Baseline
from jailtui.core.posture.collect import collect
from jailtui.sim.state import Store

ROOT = Path(__file__).resolve().parent.parent
JAILS = "/usr/local/jails"


@dataclass
class Remote:
    server: Server
    config: Path

    def root(self, jail: str) -> Path:
        return self.server.simdir / "root" / JAILS.lstrip("/") / jail

    def fleet(self) -> Fleet:
        srv = self.server
        spec = HostSpec(srv.name, srv.destination, ssh_options=srv.ssh_options(),
                        root=str(srv.simdir / "root"))
        return Fleet.from_specs([spec], control_dir=srv.client.control_dir)

    def clear(self, *paths: str) -> None:
        """Take the flags off ``paths`` (host paths), as an admin's chflags would."""
        from jailtui.sim.commands import dispatch

        for path in paths:
            assert dispatch(self.server.simdir, ["chflags", "0", path])[0] == 0

    def flags(self, name: str) -> dict[str, list[str]]:
        with Store(self.server.simdir).read() as st:
            return {p: list(f) for p, f in st.flags.items() if p.startswith(f"{JAILS}/{name}/")}


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    base = tmp_path_factory.mktemp("sshd-posture")
    client = Client.create(base / "client")
    try:
        (srv,) = start_servers(base, ["fort"], client)
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    config = base / "config.toml"
    config.write_text(f'[hosts.fort]\ndestination = "{srv.destination}"\n'
                      f"ssh_options = {json.dumps(list(srv.ssh_options()))}\n"
                      f'root = "{srv.simdir / "root"}"\n')
    try:
        yield Remote(srv, config)
    finally:
        srv.stop()
        client.close()


def jt(r: Remote, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--config", str(r.config),
                           "--host", "fort", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env=dict(os.environ),
                          stdin=subprocess.DEVNULL)


def admin(r: Remote) -> tuple[Fleet, Controller]:
    fleet = r.fleet()
    host = fleet.host("fort")
    return fleet, Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


def items(r: Remote, name: str) -> dict[str, dict[str, Any]]:
    out = jt(r, "posture", "--json", name)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    return {i["title"]: i for i in row["items"]}


def test_flags_apply_over_ssh_changes_exactly_what_was_shown(remote: Remote) -> None:
    plan = jt(remote, "flags", "cache")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.endswith("11 files would change; --apply sets the flags\n")
    shown = {ln.split()[1] for ln in plan.stdout.splitlines() if ln.startswith("+")}
    assert f"{JAILS}/cache/bin" in shown and f"{JAILS}/cache/var/log/messages" in shown
    assert remote.flags("cache") == {}
    unconfirmed = jt(remote, "flags", "cache", "--apply")
    assert unconfirmed.returncode == 1 and "confirm with --yes" in unconfirmed.stderr
    assert remote.flags("cache") == {}
    done = jt(remote, "flags", "cache", "--apply", "--yes")
    assert done.returncode == 0, done.stderr
    assert "cache: flags set on 11 files" in done.stdout
    assert set(remote.flags("cache")) == shown  # exactly those, nothing else
    assert jt(remote, "flags", "cache").stdout == "cache: the flags meet the baseline\n"
    assert items(remote, "cache")["flags /usr/bin"]["value"] == "schg"


async def test_apply_over_ssh_is_audited_and_rechecks_the_root(remote: Remote) -> None:
    """A directory swapped for a symlink after the read is refused (audited), on
    the remote side, before any chflags: nothing changes, not even the other files."""
    logs = [f"{JAILS}/web/var/log/{n}" for n in ("messages", "security")]
    remote.clear(*logs)
    fleet, ctl = admin(remote)
    try:
        host = fleet.host("fort")
        jail = (await host.poll()).jail("web")
        assert jail is not None
        (posture,) = await collect(host, [jail], Baseline())
        changes = posture.flag_changes
        assert {c.path for c in changes} == set(logs)
        root = remote.root("web")
        (root / "var/log").rename(root / "var/log.real")
        (root / "var/log").symlink_to("/var/log")  # the host's own logs, if followed
        before = remote.flags("web")
        with Store(remote.server.simdir).read() as st:
            host_logs = {p: list(f) for p, f in st.flags.items() if p.startswith("/var/log/")}
        with pytest.raises(PolicyDenied) as refused:
            await ctl.apply_flags("web", changes, jail)
        assert "the jail root changed since it was read" in str(refused.value)
        assert "var/log/messages" in str(refused.value) and "not followed" in str(refused.value)
        assert remote.flags("web") == before
        with Store(remote.server.simdir).read() as st:
            assert {p: list(f) for p, f in st.flags.items()
                    if p.startswith("/var/log/")} == host_logs
        (root / "var/log").unlink()
        (root / "var/log.real").rename(root / "var/log")
        done = await ctl.apply_flags("web", changes, jail)
        assert done.ok, done.message
        assert set(remote.flags("web")) - set(before) == {c.path for c in changes}
        audit = ctl.audit
        assert isinstance(audit, MemorySink)
        got = [(r.action, r.jail, r.result.split(":")[0]) for r in audit.records]
        assert got == [("flags", "web", "denied"), ("flags", "web", "ok")]
        assert f"+sappnd {JAILS}/web/var/log/messages" in audit.records[-1].detail
    finally:
        fleet.close()


async def test_chflags_runs_in_the_held_directory_never_through_a_link(remote: Remote) -> None:
    """Past the recheck (a swap in the window after it): the remote chflags
    enters each directory itself and refuses a symlinked component, file by
    file; the other files are still set, nothing outside the root is touched."""
    from jailtui.core.posture.apply import apply_remote
    from jailtui.core.posture.model import FlagChange

    root = remote.root("vpn")
    remote.clear(f"{JAILS}/vpn/usr/sbin", f"{JAILS}/vpn/sbin")
    (root / "usr").rename(root / "usr.real")
    (root / "usr").symlink_to("/usr")  # the host's /usr, if followed
    fleet = remote.fleet()
    try:
        host = fleet.host("fort")
        with Store(remote.server.simdir).read() as st:
            host_usr = {p: list(f) for p, f in st.flags.items() if p.startswith("/usr/sbin")}
        problems, _ = await apply_remote(
            host.runner, host.paths.real(f"{JAILS}/vpn"), f"{JAILS}/vpn",
            [FlagChange(f"{JAILS}/vpn/usr/sbin", (), ("schg",)),
             FlagChange(f"{JAILS}/vpn/sbin", (), ("schg",))], 30)
        assert problems == [f"{JAILS}/vpn/usr/sbin: a symlink or a file where a directory "
                            "should be, not followed"]
        flags = remote.flags("vpn")
        assert flags[f"{JAILS}/vpn/sbin"] == ["schg"] and f"{JAILS}/vpn/usr/sbin" not in flags
        with Store(remote.server.simdir).read() as st:
            assert {p: list(f) for p, f in st.flags.items()
                    if p.startswith("/usr/sbin")} == host_usr
    finally:
        fleet.close()
        (root / "usr").unlink()
        (root / "usr.real").rename(root / "usr")


#: Any byte but "/" and NUL may be in a name the jail gives a log.
ODD_NAMES = [b"evil\nname", b"\x1b[31mred", b"\xff\xfe\x01bad"]


def test_odd_log_names_over_ssh_hide_no_flags(remote: Remote) -> None:
    logs = remote.root("db") / "var/log"
    for name in ODD_NAMES:
        (Path(os.fsdecode(bytes(logs))) / os.fsdecode(name)).write_bytes(b"x\n")
    got = items(remote, "db")
    for log in ("auth.log", "maillog", "messages", "security"):
        assert got[f"flags /var/log/{log}"]["value"] == "sappnd"
        assert got[f"flags /var/log/{log}"]["verdict"] == "ok"
    for name in ODD_NAMES:
        odd = got[f"flags /var/log/{os.fsdecode(name)}"]
        assert (odd["verdict"], odd["value"]) == ("deviates", "-")
    assert not [t for t, i in got.items() if i["verdict"] == "unknown"]
    plan = jt(remote, "flags", "db")
    assert plan.stdout.splitlines()[-1] == "3 files would change; --apply sets the flags"
    assert f"+sappnd {JAILS}/db/var/log/evil\\x0aname (now -)" in plan.stdout
    assert f"+sappnd {JAILS}/db/var/log/\\xff\\xfe\\x01bad (now -)" in plan.stdout
    assert "\x1b" not in plan.stdout
    done = jt(remote, "flags", "db", "--apply", "--yes")
    assert done.returncode == 0, done.stderr
    flags = remote.flags("db")
    for name in ODD_NAMES:
        assert flags[f"{JAILS}/db/var/log/{os.fsdecode(name)}"] == ["sappnd"]


def test_a_log_gone_before_stat_over_ssh_hides_no_other_flag(remote: Remote) -> None:
    from jailtui.sim import faults

    faults.add(remote.server.simdir, "rotated", f"{JAILS}/dns/var/log/maillog")
    got = items(remote, "dns")
    gone = got["flags /var/log/maillog"]
    assert gone["verdict"] == "unknown" and "No such file or directory" in gone["reason"]
    assert got["flags /bin"]["verdict"] == "ok"
    assert got["flags /var/log/messages"]["value"] == "sappnd"


async def test_the_posture_key_sets_flags_on_an_ssh_host(remote: Remote) -> None:
    """``S`` then ``f`` in the console whose host is reached over SSH."""
    from test_tui_sim import wait_for
    from tui_fakes import settle, widget_text

    from jailtui.app import JailtuiApp
    from jailtui.screens.confirm import ConfirmScreen
    from jailtui.screens.main import MainScreen
    from jailtui.screens.posture import PostureScreen

    remote.clear(f"{JAILS}/mail/bin", f"{JAILS}/mail/var/log/auth.log")
    fleet, ctl = admin(remote)
    try:
        app = JailtuiApp(fleet.host("fort"), ctl, interval=1000.0)
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen)
                           and any(j.name == "mail" for j in app.screen.jails.rows))
            main = app.screen
            assert isinstance(main, MainScreen)
            main.jails.move_to_key("mail")
            await pilot.pause()
            await pilot.press("S")
            screen = app.screen
            assert isinstance(screen, PostureScreen)
            await wait_for(pilot, lambda: screen.result is not None)
            assert screen.result is not None
            planned = {c.path for c in screen.result.flag_changes}
            assert planned == {f"{JAILS}/mail/bin", f"{JAILS}/mail/var/log/auth.log"}
            await pilot.press("f")
            await settle(pilot)
            confirm = app.screen
            assert isinstance(confirm, ConfirmScreen)
            assert f"+schg {JAILS}/mail/bin" in widget_text(
                confirm.query_one("#confirm-question"))
            await pilot.press("y")
            await wait_for(pilot, lambda: screen.result is not None
                           and screen.result.missing_flags == 0)
            assert set(remote.flags("mail")) >= planned
            audit = ctl.audit
            assert isinstance(audit, MemorySink)
            assert [(r.action, r.jail, r.result) for r in audit.records
                    if r.action == "flags"] == [("flags", "mail", "ok")]
    finally:
        fleet.close()


def test_flags_over_ssh_refused_when_the_securelevel_forbids(remote: Remote,
                                                             tmp_path: Path) -> None:
    """Last: the host's securelevel is raised (never lowered again)."""
    from jailtui.sim.commands import dispatch

    cfg = tmp_path / "config.toml"
    cfg.write_text(remote.config.read_text()
                   + '\n[posture]\nflags = { "/bin" = "schg,sunlnk" }\n')
    assert dispatch(remote.server.simdir, ["sysctl", "kern.securelevel=1"])[0] == 0
    before = remote.flags("git")
    res = subprocess.run([sys.executable, "-m", "jailtui", "--config", str(cfg), "--host",
                          "fort", "flags", "git", "--apply", "--yes"], cwd=ROOT,
                         capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert res.returncode == 1, res.stdout
    assert (f"flags: refused — the host runs at securelevel 1: {JAILS}/git/bin carry "
            "schg/sappnd/sunlnk") in res.stderr
    assert remote.flags("git") == before
