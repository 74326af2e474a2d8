"""``z``: a jail's snapshots in the console, on the real stack (Host + Controller + the
simulator's zfs), and where the jail lives in the detail view; an SVG of the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim_console import open_snapshots as open_on
from sim_console import sim_console
from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    settle,
    table_lines,
    wait_until,
    widget_text,
)

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Role
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.snapshot_name import SnapshotNameScreen
from jailtui.screens.snapshots import NO_ZFS_SNAPSHOTS, SnapshotsScreen
from jailtui.sim.commands import dispatch

SIZE = (120, 36)


console = sim_console


def snapshots_of(sim_dir: Path, ds: str) -> list[str]:
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "snapshot",
                                    "-d", "1", ds])
    assert rc == 0
    return out.decode().split()


async def open_snapshots(pilot: Any, jail: str) -> SnapshotsScreen:
    """z on ``jail``, until its snapshots (or why there are none) are said."""
    return await open_on(pilot, jail, lambda s: "snapshot" in widget_text(
        s.query_one("#snapshots-message")))


async def test_take_and_destroy_a_snapshot(sim_dir: Path) -> None:
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_snapshots(pilot, "db")
        title = widget_text(screen.query_one("#snapshots-title"))
        assert "ZFS dataset zroot/jails/db" in title and "zroot/jails/db/var" in title
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotNameScreen))
        from textual.widgets import Input

        field = app.screen.query_one(Input)
        assert field.value.startswith("jailtui-") and field.value.endswith("Z")
        field.value = "before upgrade"  # a space: refused before any command runs
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SnapshotNameScreen)
        assert "Not a name to take" in widget_text(app.screen.query_one("#snapname-problem"))
        field.value = "before-upgrade"
        await pilot.press("enter")
        await wait_until(pilot, lambda: snapshots_of(sim_dir, "zroot/jails/db") ==
                         ["zroot/jails/db@before-upgrade"])
        assert snapshots_of(sim_dir, "zroot/jails/db/var") == ["zroot/jails/db/var@before-upgrade"]
        await wait_until(pilot, lambda: any("before-upgrade" in ln
                                            for ln in table_lines(screen.table)))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "zroot/jails/db@before-upgrade" in widget_text(
            app.screen.query_one("#confirm-question"))
        await pilot.press("y")
        await wait_until(pilot, lambda: snapshots_of(sim_dir, "zroot/jails/db") == [])
        assert [(r.action, r.result, r.detail) for r in sink.records] == [
            ("snapshot", "ok", "create zroot/jails/db@before-upgrade"),
            ("snapshot", "ok", "destroy zroot/jails/db@before-upgrade")]


async def test_read_only_sees_snapshots_but_may_not_take_one(sim_dir: Path) -> None:
    dispatch(sim_dir, ["zfs", "snapshot", "zroot/jails/web@kept"])
    app, sink = console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_snapshots(pilot, "web")
        await wait_until(pilot, lambda: any("kept" in ln for ln in table_lines(screen.table)))
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen  # refused, with the reason
        assert snapshots_of(sim_dir, "zroot/jails/web") == ["zroot/jails/web@kept"]


async def test_ufs_jail_says_where_it_lives(sim_dir: Path) -> None:
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_snapshots(pilot, "staging")
        await wait_until(pilot, lambda: "not a ZFS dataset of its own" in widget_text(
            screen.query_one("#snapshots-message")))
        text = widget_text(screen.query_one("#snapshots-message"))
        assert "UFS /dev/ada1p1 mounted at /usr/local/jails/staging" in text
        # A fact said as one, not a failed listing; the empty table says what there is.
        assert "Could not list" not in text
        assert screen.table.placeholder() == NO_ZFS_SNAPSHOTS
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen)
                         and "UFS" in widget_text(app.screen.section("storage")))


async def test_detail_shows_the_dataset(sim_dir: Path) -> None:
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("db")
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen)
                         and "zroot/jails/db/var" in widget_text(app.screen.section("storage")))
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        text = widget_text(detail.section("storage"))
        assert "zroot/jails/db" in text and "quota none" in text


def test_snapshots_screen_svg(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("z")
        await settle(pilot)
        await settle(pilot)

    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(80, 24), run_before=run_before)


async def test_b_restores_the_picked_snapshot(sim_dir: Path) -> None:
    from jailtui.screens.restore import RestoreScreen

    dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@known-good"])
    planted = sim_dir / "root/usr/local/jails/db/etc/backdoor"
    planted.write_text("evil\n")
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("db")
        await pilot.pause()
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and "pick the known-good one" in widget_text(
                             app.screen.query_one("#snapshots-message")))
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "with snapshot known-good" in widget_text(app.screen.query_one("#confirm-question"))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreScreen)
                         and app.screen.done)
        screen = app.screen
        assert isinstance(screen, RestoreScreen) and screen.result is not None
        assert screen.result.ok, screen.result.summary
        lines = widget_text(screen.query_one("#restore-lines"))
        for step in ("stop", "verify stopped", "mounts", "quarantine", "clone", "start",
                     "verify running"):
            assert step in lines
        assert "done in" in widget_text(screen.query_one("#restore-summary"))
        assert not planted.exists()
        assert sum(1 for r in sink.records if r.action == "restore") == 7
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))


def test_restore_screen_svg(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key("web")
        await pilot.pause()
        for key in ("z", "down", "B", "y"):
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)

    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(100, 24), run_before=run_before)


async def test_what_changed_after_a_restore(sim_dir: Path) -> None:
    """z on a restored jail: w shows what sim compromise planted, flagged first."""
    from jailtui.screens.changes import ChangesScreen
    from jailtui.sim.compromise import plant

    dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/web@known-good"])
    plant(sim_dir, "web")
    app, _ = console(sim_dir)
    controller = app.controller
    assert isinstance(controller, Controller)
    result = await controller.restore("web", "known-good")
    assert result.ok, result.summary
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_snapshots(pilot, "web")
        await wait_until(pilot, lambda: screen.quarantine() == result.quarantine)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen)
                         and app.screen.report is not None)
        text = widget_text(app.screen.query_one("#changes-text"))
        first = text.splitlines()[1:5]
        assert first[0] == "Look at these first:"
        assert "/usr/local/bin/.sysupd  [setuid]" in text
        assert "/var/cron/tabs/root  [crontab]" in text
        assert "/root/.ssh/authorized_keys  [new in /root]" in text


def test_changes_screen_svg(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key("web")
        await pilot.pause()
        for key in ("z", "down", "B", "y", "w"):
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)

    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(100, 24), run_before=run_before)
