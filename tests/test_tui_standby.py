"""The UFS standby swap in the console (issue 16), on the real stack (Host + Controller +
the simulator's bsdtar, mv, mkdir, stat and jail(8)) over ``sim init --ufs-dir-jail``:
``b`` on legacy (a root that is a directory on UFS) archives it and offers the standby
copy; ``B`` on its snapshots screen swaps the copy in after asking, step by step, and
``w`` there compares the compromised root kept aside with the one now in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sim_console import sim_console
from tui_fakes import settle, wait_until, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.storage.standby import STANDBY_STEPS
from jailtui.screens.backup import BackupScreen
from jailtui.screens.changes import ChangesScreen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.restore import RestoreScreen
from jailtui.screens.snapshots import SnapshotsScreen
from jailtui.sim.builder import init_host

SIZE = (120, 36)
ROOT = "ufs/jails/legacy"


@pytest.fixture
def ufs_sim(tmp_path: Path) -> Path:
    d = tmp_path / "sim"
    init_host(d, ufs_dir_jail=True)
    return d


def console(sim_dir: Path) -> tuple[JailtuiApp, MemorySink]:
    return sim_console(sim_dir)


async def test_b_offers_the_standby_and_B_swaps_it_in(ufs_sim: Path) -> None:
    app, sink = console(ufs_sim)
    jails = ufs_sim / "root/ufs/jails"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("legacy")
        await pilot.pause()
        # No standby yet: the snapshots screen says so and B is not offered.
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and "no standby copy" in widget_text(app.screen.query_one(
                             "#snapshots-message")))
        snaps = app.screen
        assert isinstance(snaps, SnapshotsScreen)
        assert snaps.guard_reason("snapshot_restore") is not None
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                         "the standby question after the archive")
        question = " ".join(widget_text(app.screen.query_one("#confirm-question")).split())
        assert question.startswith("Also make the standby copy /ufs/jails/legacy.standby of "
                                   "legacy from /var/backups/jailtui-legacy-")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen)
                         and app.screen.standby is not None, "the standby copy made")
        backup = app.screen
        assert isinstance(backup, BackupScreen) and backup.standby is not None
        # The title names the copy this root gets (an archive), not zfs send.
        title = " ".join(widget_text(backup.query_one("#backup-title")).split())
        assert "bsdtar" in title and "zfs send" not in title, title
        assert backup.standby.ok, backup.standby.message
        assert "standby copy /ufs/jails/legacy.standby made from the archive" in " ".join(
            widget_text(backup.query_one("#backup-summary")).split())
        assert sorted(p.name for p in jails.iterdir()) == ["legacy", "legacy.standby"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        (ufs_sim / "root" / ROOT / "etc/backdoor").write_text("evil\n")
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, SnapshotsScreen)
                         and "B: replace the root by its standby copy" in widget_text(
                             app.screen.query_one("#snapshots-message")))
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "asked first")
        question = " ".join(widget_text(app.screen.query_one("#confirm-question")).split())
        assert "rename its root /ufs/jails/legacy to /ufs/jails/legacy.quarantine-UTCTIME " \
               "(kept, never destroyed)" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreScreen)
                         and app.screen.done, "the swap ends")
        done = app.screen
        assert isinstance(done, RestoreScreen) and done.result is not None
        assert done.result.ok, done.result.summary
        lines = widget_text(done.query_one("#restore-lines"))
        for step in STANDBY_STEPS:
            assert step in lines
        q = done.result.quarantine
        assert q.startswith("/ufs/jails/legacy.quarantine-")
        assert not (ufs_sim / "root" / ROOT / "etc/backdoor").exists()
        assert (ufs_sim / "root" / q.lstrip("/") / "etc/backdoor").exists()
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen)
                         and app.screen.report is not None)
        assert "/etc/backdoor" in widget_text(app.screen.query_one("#changes-text"))
    steps = [r.detail for r in sink.records if r.action == "restore"]
    assert len(steps) == len(STANDBY_STEPS)
    assert any(r.action == "backup" and r.detail.startswith("standby ")
               for r in sink.records)


async def test_a_swap_cut_short_is_said_at_start_and_undone(
        ufs_sim: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between the two renames: the next console says so at start with finish and
    undo (the standby journal is undoable too); u puts the old root back and starts it."""
    import asyncio

    from jailtui.core.storage import standby as standbymod
    from jailtui.screens.resume import ResumeScreen

    jails = ufs_sim / "root/ufs/jails"

    def cut_short() -> None:
        """In a thread of its own: SystemExit must not reach the test's event loop."""
        app0, _ = console(ufs_sim)
        controller = app0.controller
        assert isinstance(controller, Controller)
        made = asyncio.run(standbymod.make(controller, "legacy"))
        assert made.ok, made.message
        real_rename = standbymod.rename

        async def killed(ctl: Controller, source: str, target: str) -> str:
            if source.endswith(".standby"):
                raise SystemExit("killed")
            return await real_rename(ctl, source, target)

        monkeypatch.setattr(standbymod, "rename", killed)
        with pytest.raises(SystemExit):
            asyncio.run(standbymod.StandbySwap(controller).run_standby("legacy"))
        monkeypatch.setattr(standbymod, "rename", real_rename)

    await asyncio.to_thread(cut_short)
    (q,) = [p.name for p in jails.iterdir() if ".quarantine-" in p.name]
    app, _ = console(ufs_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ResumeScreen),
                         "the half-done prompt")
        prompt = app.screen
        assert isinstance(prompt, ResumeScreen)
        text = " ".join(widget_text(prompt.query_one("#resume-text")).split())
        assert "was cut short in step 'put in place'" in text
        keys = widget_text(prompt.query_one("#resume-keys"))
        assert "f: finish it" in keys and "u: undo it" in keys
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, RestoreScreen)
                         and app.screen.done, "the swap back ends")
        done = app.screen
        assert isinstance(done, RestoreScreen) and done.result is not None
        assert done.result.ok, done.result.summary
    assert sorted(p.name for p in jails.iterdir()) == ["legacy", "legacy.standby"]
    assert not (jails / q).exists()
