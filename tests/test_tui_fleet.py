"""One console for many hosts: the all-hosts view, the host switcher, actions on
the right host, a host that drops and comes back.

Two kinds of fleets:

- two simulated hosts in-process (SimRunner), built from the same seed, so
  jail names *and pids* repeat across hosts: the keying and cursor tests;
- two real OpenSSH servers on loopback (tests/ssh_servers.py), each in front
  of its own simulated host, as tests/test_ssh_hosts.py uses them: the
  production path (SSH runner, shared master, backoff) end to end, including
  a server killed mid-session and started again.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ssh_servers import Client, Server, ServerError, start_servers
from tui_fakes import NOW, record_notifications, settle, table_lines, widget_text

from jailtui.app import JailtuiApp
from jailtui.console.fleet import FleetConsole
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import CommandTimeout
from jailtui.core.hosts.fleet import Fleet, HostSpec
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import JailState
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.hosts import HostsScreen
from jailtui.screens.main import ONE_HOST, MainScreen
from jailtui.sim.builder import init_host
from jailtui.sim.runner import SimRunner
from jailtui.widgets.host_column import STALE_MARK

SIZE = (160, 44)


def main_screen(app: JailtuiApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


async def wait_for(pilot: Any, predicate: Callable[[], object], timeout: float = 20.0,
                   what: str = "condition") -> None:
    """Let the console run (real pollers, real timers) until ``predicate``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def admin(host: JailHost) -> Controller:
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


def fleet_console(fleet: Fleet, *, interval: float,
                  intervals: dict[str, float | None] | None = None) -> JailtuiApp:
    controllers = {name: admin(fleet.host(name)) for name in fleet.names()}
    hosts = {name: fleet.host(name) for name in fleet.names()}
    console = FleetConsole(hosts, controllers, intervals=intervals)
    return JailtuiApp(interval=interval, fleet=console)


def title(table: Any) -> str:
    """A pane's title as shown (border_title reads back as escaped markup)."""
    from textual.content import Content

    return Content.from_markup(table.border_title or "").plain


def status_text(app: JailtuiApp) -> str:
    return widget_text(main_screen(app).query_one("#status"))


# -- two simulated hosts in-process ------------------------------------------------------


@pytest.fixture
def sim_fleet(tmp_path: Path) -> Fleet:
    """alpha and beta: the same demo host twice (same jails, same pids)."""
    hosts = []
    for name in ("alpha", "beta"):
        simdir = init_host(tmp_path / name)
        runner = SimRunner(simdir)
        hosts.append(Host(runner, backend="SIMULATED", paths=runner.paths,
                          hostname=f"{name}.example.org", name=name))
    return Fleet(hosts)


def sim_app(fleet: Fleet, **kw: Any) -> JailtuiApp:
    kw.setdefault("interval", 1000.0)  # only the test's own refreshes poll
    return fleet_console(fleet, **kw)


async def test_all_hosts_view_has_a_host_column_and_host_keys(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        assert main.all_hosts
        header, *rows = table_lines(main.jails)
        assert header.split()[:4] == ["HOST▲", "STATE", "JID", "NAME"]
        hosts_of_web = sorted(str(j.host_name) for j in main.jails.rows if j.name == "web")
        assert hosts_of_web == ["alpha", "beta"]  # same name on both, two rows
        assert ("alpha", "web") in {main.jails.row_key(j) for j in main.jails.rows}
        assert {r.split()[0] for r in rows if r.strip()} == {"alpha", "beta"}
        # Jails grouped by host (the HOST sort), then by name.
        keys = [main.jails.row_key(j) for j in main.jails.rows]
        assert keys == sorted(keys)
        # The processes pane follows the selected jail *on its host*: the
        # jid matches on both hosts, the host tells them apart.
        assert isinstance(main.jails.cursor_key, tuple)
        host, _name = main.jails.cursor_key
        assert main.procs.rows and {p.host_name for p in main.procs.rows} == {host}
        status = status_text(app)
        assert "ALL HOSTS" in status and "2 hosts: 2 ok" in status
        assert "Jails on all hosts" in title(main.jails)

        # Host-wide: every process of both hosts, pids repeat, keys do not.
        await pilot.press("tab", "a")
        await settle(pilot)
        pids = [p.pid for p in main.procs.rows]
        assert len(pids) > len(set(pids))  # the same pids on both hosts
        keys_p = [main.procs.row_key(p) for p in main.procs.rows]
        assert len(keys_p) == len(set(keys_p))
        assert table_lines(main.procs)[0].split()[0] == "HOST"
        # The tree links a process to its parent on its own host: every row
        # once, each host's init a root, children right under their parent.
        await pilot.press("t")
        await settle(pilot)
        tree = list(main.procs.rows)
        assert len(tree) == len(keys_p)
        for i, p in enumerate(tree):
            if p.ppid in {q.pid for q in tree if q.host_name == p.host_name} and p.ppid != p.pid:
                parent = next(q for q in tree[:i] if q.host_name == p.host_name and q.pid == p.ppid)
                assert parent.host_name == p.host_name


async def test_cursor_stays_on_its_host_and_row(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        assert main.jails.move_to_key(("beta", "web"))
        await pilot.pause()
        await pilot.press("r")  # refresh: both hosts polled again
        await settle(pilot)
        assert main.jails.cursor_key == ("beta", "web")
        await pilot.press("s", "s")  # another sort column: rows move, the cursor follows
        await settle(pilot)
        assert main.jails.cursor_key == ("beta", "web")
        await pilot.press("slash", *"we")
        await pilot.press("enter")
        await settle(pilot)
        assert {j.name for j in main.jails.rows} == {"web"}
        assert main.jails.cursor_key == ("beta", "web")
        await pilot.press("escape")  # clear it
        await pilot.press("slash", *"beta")  # the filter matches the HOST column too
        await pilot.press("enter")
        await settle(pilot)
        assert {j.host_name for j in main.jails.rows} == {"beta"}
        assert main.jails.cursor_key == ("beta", "web")
        await pilot.press("escape")
        await settle(pilot)
        # The processes of beta's web: keyed (host, pid), all on beta.
        await pilot.press("tab")
        await pilot.press("down")
        await settle(pilot)
        key = main.procs.cursor_key
        assert isinstance(key, tuple) and key[0] == "beta"
        await pilot.press("r")
        await settle(pilot)
        assert main.procs.cursor_key == key


async def test_switcher_shows_one_host_exactly_like_one_host(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        await pilot.press("h")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, HostsScreen)
        lines = [str(o.prompt) for o in switcher.options.options]
        assert lines[0].startswith("◆ All hosts") and "2 hosts: 2 ok" in lines[0]
        assert "alpha" in lines[1] and " ok " in lines[1] and "jails up" in lines[1]
        await pilot.press("down", "down", "enter")  # beta
        await settle(pilot)
        assert app.screen is main and not main.all_hosts
        assert app.fleet is not None and app.fleet.view == "beta"
        header = table_lines(main.jails)[0].split()
        assert header[:3] == ["STATE", "JID", "NAME▲"]  # the single-host columns
        assert {j.host_name for j in main.jails.rows} == {"beta"}
        assert main.jails.cursor_key == "cache"  # the first running jail, as on one host
        assert app.host is sim_fleet.host("beta")
        status = status_text(app)
        assert "beta.example.org" in status and "(2 hosts: 2 ok)" in status
        assert "Jails on beta" in title(main.jails)
        # Back to all hosts from the command palette's entry.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Show all hosts", "Show host alpha", "Show host beta",
                "Hosts: switch host or show all hosts"} <= set(commands)
        commands["Show all hosts"].callback()
        await settle(pilot)
        assert main.all_hosts and table_lines(main.jails)[0].split()[0] == "HOST▲"


async def test_help_lists_the_host_keys(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = widget_text(app.screen.query_one("#help-text"))
        hosts = text[text.index("\nHosts\n"):]
        assert "  h " in hosts and hosts.split("\n")[2].rstrip().endswith("hosts")
        assert "  c " in hosts and "reconnect" in hosts


async def test_actions_go_to_the_rows_host(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        assert main.jails.move_to_key(("beta", "dns"))
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop jail dns on beta" in widget_text(app.screen.query_one("#confirm-question"))
        await pilot.press("y")
        # The stopped row (the jail lingers dying beside it: docs/freebsd.md 5.4).
        await wait_for(pilot, lambda: next(j for j in main.jails.rows
                                           if (j.host_name, j.name) == ("beta", "dns")
                                           and not j.dying).state
                       is JailState.STOPPED, what="dns stopped on beta")
        alpha_dns = next(j for j in main.jails.rows if (j.host_name, j.name) == ("alpha", "dns"))
        assert alpha_dns.state is JailState.RUNNING  # the other host untouched
        assert (await sim_fleet.host("alpha").poll()).jail("dns").state is JailState.RUNNING  # type: ignore[union-attr]
        entry = app.journal.last()
        assert entry is not None and entry.title == "stop beta:dns" and entry.ok
        # Start it again from the row (u): beta's controller again.
        assert main.jails.cursor_key == ("beta", "dns")
        await pilot.press("u")
        await wait_for(pilot, lambda: next(j for j in main.jails.rows
                                           if (j.host_name, j.name) == ("beta", "dns")).state
                       is JailState.RUNNING, what="dns running on beta")


async def test_detail_and_signal_use_the_rows_host(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        assert main.jails.move_to_key(("beta", "web"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.host is sim_fleet.host("beta")  # the detail's slow facts: beta's
        assert app.fleet is not None and app.fleet.focus == "beta"
        await pilot.press("escape")
        await settle(pilot)
        assert main.all_hosts  # still the all-hosts view
        # A process of alpha (same pid exists on beta): the signal goes to alpha.
        assert main.jails.move_to_key(("alpha", "web"))
        await pilot.press("tab")
        await settle(pilot)
        # A long-lived daemon: the simulator's short-lived cron children come
        # and go every minute and would make this test depend on the clock.
        stable = next(p for p in main.procs.rows
                      if p.host_name == "alpha" and p.command.startswith("nginx: master"))
        assert main.procs.move_to_key(("alpha", stable.pid))
        await pilot.pause()
        proc = main.procs.cursor_row
        assert proc is not None and proc.host_name == "alpha"
        beta_twin = (await sim_fleet.host("beta").poll()).process(proc.pid)
        assert beta_twin is not None and beta_twin.command == proc.command
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")  # the first signal of the list (TERM)
        await wait_for(pilot, lambda: app.journal.last() is not None
                       and app.journal.last().title.startswith("SIG"),  # type: ignore[union-attr]
                       what="the signal result")
        entry = app.journal.last()
        assert entry is not None and entry.title == f"SIGTERM alpha:{proc.pid}", entry
        assert entry.ok, entry.message
        assert (await sim_fleet.host("alpha").poll()).process(proc.pid) is None
        assert (await sim_fleet.host("beta").poll()).process(proc.pid) is not None


async def test_a_failing_host_goes_stale_alone_and_comes_back(sim_fleet: Fleet) -> None:
    beta = sim_fleet.host("beta")
    real_run = beta.runner.run
    broken = {"on": False}

    async def run(argv: Any, **kw: Any) -> Any:
        if broken["on"]:
            raise CommandTimeout(list(argv), 8)
        return await real_run(argv, **kw)

    beta.runner.run = run  # type: ignore[method-assign]
    app = sim_app(sim_fleet, interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        fleet = app.fleet
        assert fleet is not None
        await wait_for(pilot, lambda: fleet.state.counts()["ok"] == 2, what="both hosts up")
        main = main_screen(app)
        broken["on"] = True
        await wait_for(pilot, lambda: fleet.poll_state("beta").stale, what="beta stale")
        beta_rows = [j for j in main.jails.rows if j.host_name == "beta"]
        assert beta_rows  # the last good data stays on screen
        lines = table_lines(main.jails)
        assert any(ln.startswith(f"{STALE_MARK}beta") for ln in lines)
        assert not any(ln.startswith(f"{STALE_MARK}alpha") for ln in lines)
        status = status_text(app)
        assert "2 hosts: 1 ok, 1 down" in status and "beta: stale: " in status
        assert "timed out" in status
        taken = fleet.poll_state("alpha").snapshot.taken_at  # type: ignore[union-attr]
        await wait_for(pilot, lambda: fleet.poll_state("alpha").snapshot.taken_at > taken,  # type: ignore[union-attr]
                       what="alpha still polled")
        assert not fleet.poll_state("alpha").stale
        broken["on"] = False  # nobody presses a key: the retry brings it back
        await wait_for(pilot, lambda: not fleet.poll_state("beta").stale, what="beta back")
        await wait_for(pilot, lambda: not any(ln.startswith(STALE_MARK)
                                              for ln in table_lines(main.jails)),
                       what="the stale mark gone")
        assert any(e.title == "beta: poll failed" for e in app.journal)
        assert any(e.title == "beta: poll" and e.ok for e in app.journal)


async def test_each_host_has_its_own_interval_and_poller(sim_fleet: Fleet) -> None:
    beta = sim_fleet.host("beta")
    real_run = beta.runner.run
    gate = asyncio.Event()

    async def slow(argv: Any, **kw: Any) -> Any:
        await gate.wait()  # beta hangs until the test lets it go
        return await real_run(argv, **kw)

    app = sim_app(sim_fleet, interval=0.3, intervals={"beta": 7.0})
    async with app.run_test(size=SIZE) as pilot:
        fleet = app.fleet
        assert fleet is not None
        assert fleet.poll_state("beta").interval == 7.0
        assert fleet.poll_state("alpha").interval == 0.3
        await wait_for(pilot, lambda: fleet.state.counts()["ok"] == 2, what="both hosts up")
        beta.runner.run = slow  # type: ignore[method-assign]
        fleet.poll_now(["beta"])
        first = fleet.poll_state("alpha").snapshot.taken_at  # type: ignore[union-attr]
        # alpha keeps its pace while beta's poll hangs.
        await wait_for(pilot, lambda: fleet.poll_state("alpha").snapshot.taken_at  # type: ignore[union-attr]
                       > first + 0.5, what="alpha polled on")
        fleet.poll_now(["beta"])  # one poll at a time: queued, not a second one
        gate.set()
        beta.runner.run = real_run  # type: ignore[method-assign]
        await settle(pilot)
        # + on the all-hosts view steps every host from its own interval.
        await pilot.press("plus")
        assert fleet.poll_state("alpha").interval == 0.5
        assert fleet.poll_state("beta").interval == 10.0


async def test_reconnect_key_cuts_the_selected_hosts_wait(sim_fleet: Fleet) -> None:
    app = sim_app(sim_fleet)
    asked: list[str | None] = []
    for name in sim_fleet.names():
        def retry(name: str = name) -> None:
            asked.append(name)

        sim_fleet.host(name).retry_now = retry  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        assert main.jails.move_to_key(("beta", "db"))
        await pilot.press("c")
        await settle(pilot)
        assert asked == ["beta"]
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("down", "c")  # in the switcher: the highlighted host
        await settle(pilot)
        assert asked == ["beta", "alpha"]


async def test_one_host_has_no_host_keys(sim_dir: Path) -> None:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    app = JailtuiApp(host, admin(host), interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        seen = record_notifications(app)
        await pilot.press("h", "c")
        await settle(pilot)
        # Nothing opens, but the keys say why (issue 13 item 27: not silently).
        assert isinstance(app.screen, MainScreen)
        assert [m for m, _s, _mk in seen] == [ONE_HOST, ONE_HOST]
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert not any(t.startswith(("Hosts", "Show host", "Reconnect")) for t in titles)
        assert main.jails.cursor_key == "cache" and all(j.host_name is None for j in main.jails.rows)
        assert "hosts" not in str(widget_text(main.query_one("#status")))


def test_delegated_session_refuses_several_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from jailtui.cli import session
    from jailtui.core.actions import delegation
    from jailtui.core.errors import PolicyDenied

    monkeypatch.setattr(delegation, "identify",
                        lambda *_a: delegation.Identity("alice", 1001, "sudo"))
    monkeypatch.setattr(session, "_audit_denial", lambda *_a: None)
    args = argparse.Namespace(readonly=False, delegate=None)
    specs = [HostSpec("a", "a.example.org"), HostSpec("b", "b.example.org")]
    with pytest.raises(PolicyDenied, match="single-host only"):
        session.make_fleet_session(args, specs)


# -- two real sshd servers -----------------------------------------------------------------

#: Backoff short enough for a test; the shape (doubling, cap) is the product's.
FAST = {"backoff_first": 0.4, "backoff_cap": 1.6}


class Servers:
    def __init__(self, client: Client, alpha: Server, beta: Server) -> None:
        self.client, self.alpha, self.beta = client, alpha, beta

    def fleet(self) -> Fleet:
        specs = [HostSpec(s.name, s.destination, ssh_options=s.ssh_options(),
                          root=str(s.simdir / "root")) for s in (self.alpha, self.beta)]
        return Fleet.from_specs(specs, control_dir=self.client.control_dir, runner_options=FAST)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """alpha and beta: the demo host behind each (the same jail names on both)."""
    base = tmp_path_factory.mktemp("sshd-fleet")
    client = Client.create(base / "client")
    try:
        alpha, beta = start_servers(base, ["alpha", "beta"], client)
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield Servers(client, alpha, beta)
    finally:
        for srv in (alpha, beta):
            srv.stop()
        client.close()


async def test_one_ssh_host_logs_an_outage_once() -> None:
    """``--host web1`` alone, web1 unreachable: one action-log entry for the
    whole outage, as on a console of several hosts, not one per retry
    (issue 12: the single-host poller logged "retrying in 2 s", "... 4 s"
    each as a new failure). The host is built as the command line builds
    it (one --host: cli/session.py make_target -> Fleet.from_specs)."""
    fleet = Fleet.from_specs([HostSpec("web1", "127.0.0.1", ssh_options=("-p", "9"))],
                             runner_options={"backoff_first": 30.0, "backoff_cap": 60.0})
    host = fleet.host("web1")
    app = JailtuiApp(host, admin(host), interval=0.5)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.poll_state.stale, what="the first failure")
            poller = app.fleet.poller("web1")
            for _ in range(3):  # r while the link waits for its retry: polls refused early
                started = poller.loop.started

                def polled(started: int = started) -> bool:
                    return poller.loop.started > started and not poller.polling

                await pilot.press("r")
                await wait_for(pilot, polled, what="the poll after r")
            failed = [e for e in app.journal if "poll failed" in e.title]
            assert len(failed) == 1, [e.message for e in failed]
            assert failed[0].title == "poll failed"  # one host: no host prefix
            assert "retrying in" not in failed[0].message
            assert poller.loop.started >= 4
    finally:
        fleet.close()


def jail_state(app: JailtuiApp, host: str, name: str) -> JailState | None:
    assert app.fleet is not None
    snap = app.fleet.poll_state(host).snapshot
    jail = snap.jail(name) if snap is not None else None
    return jail.state if jail is not None else None


async def test_ssh_fleet_in_one_console(servers: Servers) -> None:
    """Both hosts in the all-hosts view; one host alone; stop a jail on alpha
    through the console; alpha's server killed and started again."""
    fleet = servers.fleet()
    app = fleet_console(fleet, interval=0.5)
    try:
        async with app.run_test(size=SIZE) as pilot:
            console = app.fleet
            assert console is not None
            await wait_for(pilot, lambda: console.state.counts()["ok"] == 2, what="both up")
            main = main_screen(app)
            await pilot.pause(0.2)
            lines = table_lines(main.jails)
            assert lines[0].split()[0] == "HOST▲"
            assert {ln.split()[0] for ln in lines[1:] if ln.strip()} == {"alpha", "beta"}
            assert {(j.host_name, j.name) for j in main.jails.rows} >= {
                ("alpha", "dns"), ("beta", "dns"), ("alpha", "staging")}
            assert "2 hosts: 2 ok" in status_text(app)

            # One host: beta alone, as a single-host console.
            await pilot.press("h")
            await settle(pilot)
            await pilot.press("down", "down", "enter")
            await wait_for(pilot, lambda: not main.all_hosts and main.jails.rows,
                           what="beta's view")
            assert {j.host_name for j in main.jails.rows} == {"beta"}
            assert table_lines(main.jails)[0].split()[0] == "STATE"
            await pilot.press("h")
            await settle(pilot)
            await pilot.press("home", "enter")
            await wait_for(pilot, lambda: main.all_hosts, what="all hosts again")

            # Stop dns on alpha through the console (confirmed); beta's dns runs on.
            await wait_for(pilot, lambda: main.jails.move_to_key(("alpha", "dns")),
                           what="alpha's dns row")
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                           what="the confirmation")
            await pilot.press("y")
            await wait_for(pilot, lambda: jail_state(app, "alpha", "dns") is JailState.STOPPED,
                           what="dns stopped on alpha")
            await wait_for(pilot, lambda: next(
                j for j in main.jails.rows if (j.host_name, j.name) == ("alpha", "dns")
                and not j.dying).state
                is JailState.STOPPED, what="the row says stopped")
            assert jail_state(app, "beta", "dns") is JailState.RUNNING
            assert main.jails.cursor_key == ("alpha", "dns")  # the cursor stayed on it

            # alpha's server dies mid-session: its rows stay, marked stale.
            beta_taken = console.poll_state("beta").snapshot.taken_at  # type: ignore[union-attr]
            servers.alpha.stop()
            try:
                await wait_for(pilot, lambda: console.poll_state("alpha").stale,
                               what="alpha stale")
                view = console.state.get("alpha")
                assert view is not None and view.link is not None
                await wait_for(pilot, lambda: "alpha: unreachable since" in status_text(app),
                               what="the status line")
                assert "2 hosts: 1 ok, 1 down" in status_text(app)
                # "retrying now" once the wait is over (ssh/link.py): a loaded
                # machine (CI) reached the status line only then.
                assert re.search(r"retrying (in \d+ s|now)", status_text(app)), status_text(app)
                assert any(j.host_name == "alpha" for j in main.jails.rows)  # data kept
                assert any(ln.startswith(f"{STALE_MARK}alpha")
                           for ln in table_lines(main.jails))
                # beta is not held up: it keeps updating meanwhile.
                await wait_for(pilot, lambda: console.poll_state("beta").snapshot.taken_at  # type: ignore[union-attr]
                               > beta_taken + 1.0, what="beta updating")
                assert not console.poll_state("beta").stale
                # The switcher says the same, per host.
                await pilot.press("h")
                await settle(pilot)
                assert isinstance(app.screen, HostsScreen)
                alpha_line = str(app.screen.options.options[1].prompt)
                assert "unreachable since" in alpha_line and "retrying" in alpha_line
                assert "ssh: " in alpha_line  # ssh's own reason, not just "unreachable"
                await pilot.press("escape")
                await settle(pilot)
            finally:
                servers.alpha.start()
            # Back by itself: nobody presses a key.
            await wait_for(pilot, lambda: not console.poll_state("alpha").stale,
                           timeout=30, what="alpha back")
            assert "2 hosts: 2 ok" in status_text(app)
            assert jail_state(app, "alpha", "dns") is JailState.STOPPED  # still as we left it

            # Start it again for the next tests of the module.
            assert main.jails.move_to_key(("alpha", "dns"))
            await pilot.press("u")
            await wait_for(pilot, lambda: jail_state(app, "alpha", "dns") is JailState.RUNNING,
                           what="dns running on alpha")
            # Leave with no ssh in flight: a poll cancelled at exit leaves its
            # subprocess transport to be collected after the loop closed.
            await pilot.press("p")
            await app.workers.wait_for_complete()
    finally:
        fleet.close()


async def test_ssh_shell_goes_to_the_rows_host(servers: Servers,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """x on beta's row: ``ssh -t ... beta-destination jexec -l NAME`` through
    beta's controller (run_interactive), not alpha's."""
    fleet = servers.fleet()
    app = fleet_console(fleet, interval=1000.0)
    ran: list[tuple[str, list[str]]] = []
    for name in fleet.names():
        ctl = app.fleet.controller(name) if app.fleet else None

        def on_pty(argv: list[str], name: str = name) -> int:
            ran.append((name, list(argv)))
            return 0

        monkeypatch.setattr(ctl, "run_interactive", on_pty)

    class NoSuspend:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(app, "suspend", lambda: NoSuspend())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            main = main_screen(app)
            assert main.jails.move_to_key(("beta", "web"))
            await pilot.press("x")
            await settle(pilot)
            assert len(ran) == 1
            host, argv = ran[0]
            assert host == "beta"
            assert argv[1] == "-t" and argv[-1] == "jexec -l -U root web"
            assert f"-p {servers.beta.port}" in " ".join(argv)
            assert str(servers.alpha.port) not in argv
    finally:
        fleet.close()


def test_console_with_several_hosts_needs_a_terminal(servers: Servers) -> None:
    """The CLI takes several --host for the console now (no tty here: it says so)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "jailtui", "--host", "a.example.org",
                          "--host", "b.example.org"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent, env=dict(os.environ))
    assert out.returncode == 1
    assert "console needs a terminal" in out.stderr
    assert "one --host at a time" not in out.stderr
    # Other commands still take one host.
    out = subprocess.run([sys.executable, "-m", "jailtui", "--host", "a.example.org",
                          "--host", "b.example.org", "stop", "web"], capture_output=True,
                         text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent,
                         env=dict(os.environ))
    assert out.returncode == 1 and "one --host at a time" in out.stderr


def test_a_down_host_shows_ssh_s_reason() -> None:
    """Issue 13 item 47: the switcher said "unreachable" without ssh's reason."""
    from jailtui.core.transport.ssh import LinkState
    from jailtui.screens.hosts import host_line
    from jailtui.widgets.fleet_state import HostView
    from jailtui.widgets.poll_state import PollState

    link = LinkState("alpha", connected=False, unreachable_since=NOW - 30, next_retry=NOW + 8,
                     failures=2,
                     error="ssh: connect to host alpha port 22: Connection refused\x1b[31m")
    view = HostView("alpha", PollState(error="ssh failed", failures=2), link)
    line = str(host_line(view, NOW, 8, current=False))
    assert "unreachable since" in line
    assert "connect to host alpha port 22: Connection refused" in line
    assert "\x1b" not in line  # ssh's text is shown sanitised


async def test_command_line_and_events_on_several_hosts(sim_fleet: Fleet) -> None:
    """Issue 20: ``:stop web`` asks which host; ``:stop beta:dns`` and
    ``:host beta`` name it; the timeline's events carry their host."""
    from jailtui.core.events import Kind
    from jailtui.screens.events import EventsScreen

    app = sim_app(sim_fleet)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_screen(app)
        seen = record_notifications(app)
        await pilot.press("colon", *"stop web", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("on 2 hosts" in m and "beta:web" in m for m, _s, _k in seen)
        await pilot.press("colon", *"stop beta:dns", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop jail dns on beta" in widget_text(app.screen.query_one("#confirm-question"))
        await pilot.press("y")
        await wait_for(pilot, lambda: any(
            e.kind is Kind.REMOVED and (e.host, e.jail) == ("beta", "dns")
            for e in app.fleet.timeline.events()), what="dns removed on beta")
        await pilot.press("colon", *"host beta", "enter")
        await settle(pilot)
        assert not main.all_hosts and app.fleet.view == "beta"
        await pilot.press("E")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        assert table_lines(screen.table)[0].split()[:3] == ["TIME▼", "HOST", "JAIL"]
        action = next(e for e in screen.table.rows if e.kind is Kind.ACTION)
        assert (action.host, action.jail, action.ok) == ("beta", "dns", True)
        assert {e.host for e in screen.table.rows} == {"alpha", "beta"}
