"""The restore flow's other ways in the console (issue 16), on the real stack (Host +
Controller + the simulator's zfs and jail(8)): ``X`` on a snapshot rolls back,
discarding the root, after naming what is lost; ``s`` after a start that failed puts
the quarantined root back; a flow cut short is said when the console starts, with
finish (``f``) and undo (``u``); an SVG of that prompt at 80x24."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sim_console import open_snapshots as open_on
from sim_console import sim_console
from textual.containers import VerticalScroll
from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    record_notifications,
    settle,
    wait_until,
    widget_text,
)

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.config.settings import Settings
from jailtui.core.hosts.host import Host
from jailtui.core.storage import restore as restoremod
from jailtui.screens.backup import BackupScreen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.restore import RestoreScreen
from jailtui.screens.resume import ResumeScreen
from jailtui.screens.snapshot_name import SnapshotNameScreen
from jailtui.screens.snapshots import SnapshotsScreen
from jailtui.sim import faults
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner

SIZE = (120, 36)
WEB = "usr/local/jails/web"


def console(sim_dir: Path, role: Role = Role.HOST_ADMIN,
            scope: frozenset[str] | None = None, keep: int = 0
            ) -> tuple[JailtuiApp, MemorySink]:
    return sim_console(sim_dir, role, scope, Settings(backup_keep=keep))


def snapshot_names(sim_dir: Path, ds: str = "zroot/jails/web") -> list[str]:
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "snapshot",
                                    "-d", "1", ds])
    return [n.split("@", 1)[1] for n in out.decode().split()] if rc == 0 else []


def zfs_rows(sim_dir: Path) -> dict[str, str]:
    rc, out, err = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name,origin,readonly", "-r",
                                      "zroot/jails"])
    assert rc == 0, err
    return dict(line.split("\t", 1) for line in out.decode().splitlines())


def quarantines(sim_dir: Path) -> list[str]:
    return [n for n in zfs_rows(sim_dir) if n.startswith("zroot/jails/web.quarantine-")
            and "/" not in n[len("zroot/jails/web"):]]


def running(sim_dir: Path, name: str) -> bool:
    rc, out, _ = dispatch(sim_dir, ["jls", "-j", name, "name"])
    return rc == 0 and out.decode().strip() == name


def snap(sim_dir: Path, name: str) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", f"zroot/jails/web@{name}"])
    assert rc == 0, err


async def open_snapshots(pilot: Any, jail: str) -> SnapshotsScreen:
    """z on ``jail``, until a snapshot is selected."""
    return await open_on(pilot, jail, lambda s: "snapshot" in widget_text(
        s.query_one("#snapshots-message")) and s.selected_snapshot() is not None)


async def restore_done(pilot: Any, mode: str) -> RestoreScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RestoreScreen)
                     and pilot.app.screen.mode == mode and pilot.app.screen.done,
                     f"the {mode} flow ends")
    screen = pilot.app.screen
    assert isinstance(screen, RestoreScreen)
    return screen


# -- X: roll back, keeping nothing ---------------------------------------------------------

async def test_x_rolls_back_after_naming_what_is_lost(sim_dir: Path) -> None:
    snap(sim_dir, "good")
    snap(sim_dir, "later")
    planted = sim_dir / "root" / WEB / "etc" / "backdoor"
    planted.write_text("evil\n")
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_snapshots(pilot, "web")
        assert [s.short for s in screen._snaps][:2] == ["later", "good"]
        await pilot.press("down")  # newest first: good is the second row
        await pilot.pause()
        assert screen.selected_snapshot() is not None
        assert screen.selected_snapshot().short == "good"  # type: ignore[union-attr]
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = widget_text(app.screen.query_one("#confirm-question"))
        assert "Roll jail web back to good, keeping nothing?" in question
        assert ("Everything written to web since good, and the newer snapshots later, is "
                "destroyed; no quarantined copy is kept.") in " ".join(question.split())
        await pilot.press("n")  # No: nothing happens
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))
        assert planted.exists()
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        done = await restore_done(pilot, "discard")
        assert done.result is not None and done.result.ok, done.result
        lines = widget_text(done.query_one("#restore-lines"))
        for step in restoremod.DISCARD_STEPS:
            assert step in lines
        assert "destroyed the newer snapshots: later" in lines
        summary = widget_text(done.query_one("#restore-summary"))
        assert "the discarded root was not kept" in summary
        assert not done.check_action("what_changed", ())  # nothing was kept to compare
    assert not planted.exists() and quarantines(sim_dir) == [] and running(sim_dir, "web")
    assert sum(1 for r in sink.records if r.action == "restore") == len(
        restoremod.DISCARD_STEPS)


# -- keep = N: asked before pruning -----------------------------------------------------

async def test_keep_asks_before_pruning_after_a_snapshot(sim_dir: Path) -> None:
    for name in ("jailtui-20250101T000000Z", "before-upgrade", "jailtui-20250102T000000Z"):
        snap(sim_dir, name)
    app, sink = console(sim_dir, keep=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_snapshots(pilot, "web")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotNameScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        question = " ".join(widget_text(app.screen.query_one("#confirm-question")).split())
        assert "Prune the console's own snapshots of jail web (keep = 1)?" in question
        assert ("keep = 1 destroys 2 of the console's own snapshots: "
                "zroot/jails/web@jailtui-20250101T000000Z, "
                "zroot/jails/web@jailtui-20250102T000000Z") in question
        assert "before-upgrade" not in question
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and "pruned 2 (keep = 1)" in widget_text(
                             app.screen.query_one("#snapshots-message")))
    left = snapshot_names(sim_dir)
    assert "before-upgrade" in left and len(left) == 2
    assert not any(n in left for n in ("jailtui-20250101T000000Z", "jailtui-20250102T000000Z"))
    assert sum(1 for r in sink.records if "prune" in r.detail) == 2


async def test_keep_after_a_backup_no_means_nothing_goes(sim_dir: Path) -> None:
    snap(sim_dir, "jailtui-20250101T000000Z")
    app, _ = console(sim_dir, keep=1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        question = " ".join(widget_text(app.screen.query_one("#confirm-question")).split())
        assert "zroot/jails/web@jailtui-20250101T000000Z" in question
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen))
        screen = app.screen
        assert isinstance(screen, BackupScreen) and screen.result is not None
        assert screen.result.ok and screen.pruned is None
    assert "jailtui-20250101T000000Z" in snapshot_names(sim_dir)


# -- s: swap back after a start that failed -----------------------------------------------

async def test_s_swaps_back_after_a_start_that_failed(sim_dir: Path) -> None:
    snap(sim_dir, "good")
    planted = sim_dir / "root" / WEB / "etc" / "backdoor"
    planted.write_text("evil\n")
    faults.add(sim_dir, "nostart", "web")
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_snapshots(pilot, "web")
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        screen = await restore_done(pilot, "restore")
        assert screen.result is not None and not screen.result.ok
        assert screen.result.swap_back
        summary = widget_text(screen.query_one("#restore-summary"))
        assert "s: swap back (put the old root back)" in summary
        assert screen.check_action("restore_swap_back", ()) is True
        (q,) = quarantines(sim_dir)
        assert zfs_rows(sim_dir)["zroot/jails/web"].startswith(f"{q}@good")
        faults.clear(sim_dir)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = " ".join(widget_text(app.screen.query_one("#confirm-question")).split())
        assert "Put the old root of jail web back?" in question
        assert f"{q} is made writable, renamed back in place" in question
        await pilot.press("y")
        back = await restore_done(pilot, "swap_back")
        assert back is screen and back.result is not None and back.result.ok, back.result
        lines = widget_text(back.query_one("#restore-lines"))
        for step in ("set aside", "put back", "verify running"):
            assert step in lines
        assert "daemons up: " in lines
        assert "nothing was destroyed" in widget_text(back.query_one("#restore-summary"))
        assert back.check_action("restore_swap_back", ()) is False
    rows = zfs_rows(sim_dir)
    assert rows["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []
    assert any(n.startswith("zroot/jails/web.failed-") for n in rows)  # kept, not destroyed
    assert planted.read_text() == "evil\n" and running(sim_dir, "web")
    assert any("step=put back" in r.detail for r in sink.records if r.action == "restore")


async def test_no_swap_back_after_a_restore_that_worked(sim_dir: Path) -> None:
    """And its result is said on the screen and in the action log, with no
    notification over the steps (at 80x24 one covered half of them)."""
    snap(sim_dir, "good")
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_snapshots(pilot, "web")
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        seen = record_notifications(app)
        await pilot.press("y")
        screen = await restore_done(pilot, "restore")
        assert screen.result is not None and screen.result.ok
        assert "done in" in widget_text(screen.query_one("#restore-summary"))
        logged = [e for e in app.journal if e.title.startswith("restore")]
        assert logged and logged[-1].ok and logged[-1].message == screen.result.summary
        assert not [m for m, _, _ in seen if screen.result.summary[:40] in m], seen
        assert screen.check_action("restore_swap_back", ()) is False
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen and screen.mode == "restore"


# -- a flow cut short, said at start ------------------------------------------------------

async def cut_short_at_clone(sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The console killed as the clone starts: the quarantine is made, the clone not."""
    runner = SimRunner(sim_dir)
    ctl = Controller(Host(runner, backend="SIMULATED", paths=runner.paths),
                     Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())
    real_zfs = restoremod.Restore._zfs

    async def killed(self: restoremod.Restore, argv: list[str]) -> str:
        if argv[:2] == ["zfs", "clone"]:
            raise SystemExit("killed")
        return await real_zfs(self, argv)

    monkeypatch.setattr(restoremod.Restore, "_zfs", killed)
    with pytest.raises(SystemExit):
        await restoremod.Restore(ctl).run("web", "good")
    monkeypatch.setattr(restoremod.Restore, "_zfs", real_zfs)
    (q,) = quarantines(sim_dir)
    assert "zroot/jails/web" not in zfs_rows(sim_dir)
    return q


async def resume_prompt(pilot: Any) -> ResumeScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ResumeScreen),
                     "the half-done prompt")
    screen = pilot.app.screen
    assert isinstance(screen, ResumeScreen)
    return screen


async def test_start_says_a_flow_cut_short_and_finishes_it(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap(sim_dir, "good")
    planted = sim_dir / "root" / WEB / "etc" / "backdoor"
    planted.write_text("evil\n")
    q = await cut_short_at_clone(sim_dir, monkeypatch)
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await resume_prompt(pilot)
        text = " ".join(widget_text(prompt.query_one("#resume-text")).split())
        assert text.startswith("A restore of jail web is half done")
        assert ("was cut short in step 'clone': its root dataset zroot/jails/web does not "
                f"exist and {q} holds the old root") in text
        keys = widget_text(prompt.query_one("#resume-keys"))
        assert "f: finish it" in keys and "u: undo it" in keys
        await pilot.press("f")
        done = await restore_done(pilot, "resume")
        assert done.result is not None and done.result.ok, done.result
        lines = widget_text(done.query_one("#restore-lines"))
        for step in restoremod.RESUME_STEPS:
            assert step in lines
        assert "daemons up: " in lines  # the same check as the flow's own
        assert "finished in" in widget_text(done.query_one("#restore-summary"))
        assert done.check_action("what_changed", ())  # the quarantine is there to compare
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert zfs_rows(sim_dir)["zroot/jails/web"].startswith(f"{q}@good")
    assert not planted.exists() and running(sim_dir, "web")
    # Nothing is half done any more: the next start asks nothing.
    app2, _ = console(sim_dir)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        assert not isinstance(app2.screen, ResumeScreen)


async def test_start_says_a_flow_cut_short_and_undoes_it(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap(sim_dir, "good")
    planted = sim_dir / "root" / WEB / "etc" / "backdoor"
    planted.write_text("evil\n")
    await cut_short_at_clone(sim_dir, monkeypatch)
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await resume_prompt(pilot)
        await pilot.press("u")
        done = await restore_done(pilot, "swap_back")
        assert done.result is not None and done.result.ok, done.result
        assert "set aside" in widget_text(done.query_one("#restore-lines"))
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []
    assert planted.exists() and running(sim_dir, "web")


async def test_later_leaves_it_and_a_delegate_of_another_jail_is_not_asked(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap(sim_dir, "good")
    q = await cut_short_at_clone(sim_dir, monkeypatch)
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await resume_prompt(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert q in zfs_rows(sim_dir) and "zroot/jails/web" not in zfs_rows(sim_dir)
    app2, _ = console(sim_dir, Role.DELEGATE, frozenset({"db"}))
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        assert not isinstance(app2.screen, ResumeScreen)


async def test_the_newest_step_stays_in_view_at_80x24(sim_dir: Path) -> None:
    """The steps scroll to the newest: at 80x24 the failed start's reason was below the fold."""
    snap(sim_dir, "good")
    faults.add(sim_dir, "nostart", "web")
    app, _ = console(sim_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_snapshots(pilot, "web")
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        screen = await restore_done(pilot, "restore")
        await settle(pilot)
        steps = screen.query_one("#restore-steps", VerticalScroll)
        assert steps.max_scroll_y > 0, "the steps fit: nothing to show"
        assert steps.scroll_y == steps.max_scroll_y


def test_resume_prompt_svg(snap_compare: Any) -> None:
    text = ("web: the restore from zroot/jails/web@known-good begun 2025-06-15 14:20:00Z was "
            "cut short in step 'clone': its root dataset zroot/jails/web does not exist and "
            "zroot/jails/web.quarantine-20250615T142000Z holds the old root (read-only); to "
            "finish (clone zroot/jails/web@known-good in place, start it): jailtui restore "
            "web --resume; to undo (put the old root back, start it): jailtui restore web "
            "--swap-back")
    controller = FakeController(half_done=[("web", text, True)])

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ResumeScreen))
        await settle(pilot)

    assert snap_compare(make_app(FakeHost(), controller, interval=2.0),
                        terminal_size=(80, 24), run_before=run_before)


# -- w on a UFS jail: its copies kept aside beside the root --------------------------------

async def test_w_on_a_ufs_jail_walks_its_newest_quarantined_copy(sim_dir: Path) -> None:
    """staging (UFS, no snapshots): no copy kept aside, no ``w``; two ROOT.quarantine-*
    beside the root (listed by ls on the host side): ``w`` compares the selected one (the
    newest at first) with the root in place, through Controller.what_changed (a VIEW, audited when refused)."""
    import shutil

    from jailtui.screens.changes import ChangesScreen

    jails = sim_dir / "root/usr/local/jails"
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("staging")
        await pilot.pause()
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and "not a ZFS dataset" in widget_text(app.screen.query_one(
                             "#snapshots-message")))
        screen = app.screen
        assert isinstance(screen, SnapshotsScreen)
        await pilot.pause(0.2)
        assert not screen.check_action("what_changed", ())  # nothing kept aside yet
        await pilot.press("escape")
        for stamp in ("20261201T000000Z", "20261202T000000Z"):
            shutil.copytree(jails / "staging", jails / f"staging.quarantine-{stamp}",
                            symlinks=True)
        newest = jails / "staging.quarantine-20261202T000000Z"
        (newest / "usr/local/bin").mkdir(parents=True, exist_ok=True)
        (newest / "usr/local/bin/.sysupd").write_bytes(b"\x7fELF")
        os.chmod(newest / "usr/local/bin/.sysupd", 0o4755)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and app.screen.quarantine_table.source_count == 2)
        screen = app.screen
        assert isinstance(screen, SnapshotsScreen)
        # Both listed under the snapshots; the newest is the one selected at first.
        assert "Quarantined copies (2)" in widget_text(screen.query_one("#quarantine-head"))
        assert screen.quarantine() == "/usr/local/jails/staging.quarantine-20261202T000000Z"
        assert screen.check_action("what_changed", ())
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen)
                         and app.screen.report is not None)
        changes = app.screen
        assert isinstance(changes, ChangesScreen)
        assert "a walk of both trees" in widget_text(changes.query_one("#changes-title"))
        body = widget_text(changes.query_one("#changes-text"))
        assert "/usr/local/bin/.sysupd  [setuid]" in body
    # Another jail's root is no quarantine of staging's: refused, and audited.
    from jailtui.core.actions.policy import Action

    controller = app.controller
    assert controller is not None
    with pytest.raises(Exception, match="is not a quarantined copy of staging"):
        await controller.what_changed("staging", "/usr/local/jails/web")
    assert any(r.action == Action.VIEW.value and r.result.startswith("denied: not its")
               for r in sink.records)
