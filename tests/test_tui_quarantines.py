"""The quarantined copies on the snapshots screen (``z``; issue 16: destroying one is a
separate, confirmed action): listed under the snapshots, ``w`` on the selected one,
``D`` asks (naming it, "cannot be undone") and runs Controller.quarantine_destroy, the
code of ``jailtui quarantine destroy``: on the demo host's ZFS after ``sim compromise``
and a restore, and on the UFS jail (``sim init --ufs-dir-jail``: legacy); refusals
shown; an SVG of the screen with a copy."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from sim_console import open_snapshots, sim_console
from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    record_notifications,
    settle,
    shows,
    table_lines,
    wait_until,
    widget_text,
)
from ufs_host import make_ufs_sim, real

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Role
from jailtui.core.storage.quarantine import CANNOT_UNDO
from jailtui.screens.changes import ChangesScreen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.snapshots import SnapshotsScreen
from jailtui.sim.commands import dispatch
from jailtui.sim.compromise import plant

SIZE = (120, 36)
ROOT = "/ufs/jails/legacy"
OLDER = ROOT + ".quarantine-20260101T000000Z"
NEWER = ROOT + ".quarantine-20260102T000000Z"


console = sim_console


def datasets(sim_dir: Path) -> list[str]:
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-r", "zroot/jails"])
    assert rc == 0
    return out.decode().split()


async def open_quarantines(pilot: Any, jail: str) -> SnapshotsScreen:
    """z on ``jail``, until its quarantined copies are listed."""
    return await open_snapshots(pilot, jail, lambda s: s.quarantine_table.source_count > 0)


def confirm_text(app: Any) -> str:
    assert isinstance(app.screen, ConfirmScreen)
    return widget_text(app.screen.query_one("#confirm-question"))


@pytest.fixture
def restored(sim_dir: Path) -> tuple[Path, str]:
    """The demo host after ``sim compromise web`` and a restore: one quarantine."""
    dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/web@known-good"])
    plant(sim_dir, "web")
    app, _ = console(sim_dir)
    assert isinstance(app.controller, Controller)
    result = asyncio.run(app.controller.restore("web", "known-good"))
    assert result.ok, result.summary
    return sim_dir, result.quarantine


async def test_zfs_copy_listed_w_then_d_cancelled_then_destroyed(
        restored: tuple[Path, str]) -> None:
    sim_dir, q = restored
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quarantines(pilot, "web")
        lines = table_lines(screen.quarantine_table)
        assert "QUARANTINED (UTC)" in lines[0] and "USED" in lines[0]
        assert q in lines[1] and lines[1].split()[0].startswith("20")
        head = widget_text(screen.query_one("#quarantine-head"))
        assert "Quarantined copies (1)" in head
        assert f"mounted at /usr/local/jails/{q.rsplit('/', 1)[1]}" in head
        assert "the root is a clone of it" in head
        # w: what changed in the selected copy (what sim compromise planted).
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen)
                         and app.screen.report is not None)
        assert isinstance(app.screen, ChangesScreen) and app.screen.quarantine == q
        assert "/root/.ssh/authorized_keys" in widget_text(app.screen.query_one("#changes-text"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: shows(app, screen))
        # D, then no: nothing is destroyed, nothing audited.
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = confirm_text(app)
        assert f"Destroy {q}," in text and CANNOT_UNDO in text
        assert f"zfs destroy -r {q}" in text and "zfs promote zroot/jails/web" in text
        await pilot.press("n")
        await wait_until(pilot, lambda: shows(app, screen))
        assert q in datasets(sim_dir) and not [r for r in sink.records if r.action == "restore"]
        # D, then yes: the CLI's code destroys it; the result said, the list refreshed.
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: q not in datasets(sim_dir)
                         and screen.quarantine_table.source_count == 0)
        msg = widget_text(screen.query_one("#snapshots-message"))
        assert f"destroyed {q} and its snapshots" in msg and "promoted zroot/jails/web" in msg
        assert not screen.quarantine_table.display
        assert not screen.query_one("#quarantine-head").display
        assert "zroot/jails/web" in datasets(sim_dir)
        assert [(r.action, r.result, r.detail) for r in sink.records] == [
            ("restore", "ok", f"destroy quarantine {q}")]
        # Nothing left to act on: w and D say so instead of doing anything.
        seen = record_notifications(app)
        await pilot.press("D")
        await settle(pilot)
        assert shows(app, screen) and any("no quarantined copy" in m for m, _, _ in seen)


async def test_read_only_sees_the_copy_but_d_is_refused(restored: tuple[Path, str]) -> None:
    sim_dir, q = restored
    app, sink = console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quarantines(pilot, "web")
        seen = record_notifications(app)
        await pilot.press("D")
        await settle(pilot)
        assert shows(app, screen)  # refused before any question, with the reason
        assert any(m.startswith("quarantine_destroy: refused") for m, _, _ in seen), seen
        assert q in datasets(sim_dir)
        assert not [r for r in sink.records if r.action == "restore" and not r.denied]


async def test_a_refusal_of_the_core_is_shown_and_nothing_goes(
        restored: tuple[Path, str]) -> None:
    """zfs destroy of a busy dataset fails (sim fault busy): said under the title."""
    sim_dir, q = restored
    from jailtui.sim import faults

    faults.add(sim_dir, "busy", q)
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quarantines(pilot, "web")
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "not destroyed" in widget_text(
            screen.query_one("#snapshots-message")))
        assert q in datasets(sim_dir) and screen.quarantine_table.source_count == 1
        assert sink.records[-1].result.startswith("failed: ")


@pytest.fixture
def ufs_sim(tmp_path: Path) -> Path:
    """legacy with two copies kept beside its root by hand, older and newer."""
    d = make_ufs_sim(tmp_path)
    for q in (OLDER, NEWER):
        shutil.copytree(real(d, ROOT), real(d, q), symlinks=True)
    (real(d, OLDER) / "etc" / "planted-older").write_text("evil\n")
    return d


async def test_ufs_w_on_the_selected_copy_and_a_mount_under_it_refused(ufs_sim: Path) -> None:
    app, sink = console(ufs_sim)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quarantines(pilot, "legacy")
        assert [r.copy.name for r in screen.quarantine_table.rows] == [OLDER, NEWER]
        assert screen.quarantine() == NEWER  # the newest first selected
        lines = table_lines(screen.quarantine_table)
        assert "2026-01-01 00:00:00" in lines[1] and OLDER in lines[1]
        assert lines[1].split()[3] == "?"  # a directory's size is not walked
        # Tab to the copies, up to the older one: w compares that one, not the newest.
        await pilot.press("tab")
        await pilot.press("up")
        await settle(pilot)
        assert screen.quarantine() == OLDER
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen)
                         and app.screen.report is not None)
        assert isinstance(app.screen, ChangesScreen) and app.screen.quarantine == OLDER
        assert "/etc/planted-older" in widget_text(app.screen.query_one("#changes-text"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: shows(app, screen))
        # A mount under it: refused by the core, said, nothing removed.
        real(ufs_sim, "/var/shared").mkdir(parents=True)
        (real(ufs_sim, OLDER) / "mnt").mkdir(exist_ok=True)
        assert dispatch(ufs_sim, ["mount", "-t", "nullfs", "/var/shared", OLDER + "/mnt"])[0] == 0
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = confirm_text(app)
        assert f"Destroy the directory {OLDER} and everything in it" in text
        assert CANNOT_UNDO in text and f"rm -rfx -- {OLDER}" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: "unmount first" in widget_text(
            screen.query_one("#snapshots-message")))
        assert f"mounted under {OLDER}" in widget_text(screen.query_one("#snapshots-message"))
        assert real(ufs_sim, OLDER).is_dir() and real(ufs_sim, NEWER).is_dir()
        assert sink.records[-1].result.startswith("failed: mounted under")
        # Unmounted: the same key destroys exactly that one; the list has the other.
        assert dispatch(ufs_sim, ["umount", OLDER + "/mnt"])[0] == 0
        assert screen.quarantine() == OLDER
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: [r.copy.name for r in screen.quarantine_table.rows]
                         == [NEWER])
        assert not real(ufs_sim, OLDER).exists() and real(ufs_sim, NEWER).is_dir()
        assert (real(ufs_sim, ROOT) / "etc" / "rc.conf").is_file()
        assert f"destroyed {OLDER}" in widget_text(screen.query_one("#snapshots-message"))


async def test_ufs_d_cancelled_keeps_both(ufs_sim: Path) -> None:
    app, sink = console(ufs_sim)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quarantines(pilot, "legacy")
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert NEWER in confirm_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: shows(app, screen))
        assert real(ufs_sim, OLDER).is_dir() and real(ufs_sim, NEWER).is_dir()
        assert not [r for r in sink.records if r.action == "restore"]


def test_snapshots_screen_with_a_quarantine_svg(snap_compare: Any) -> None:
    """80x24: web after a restore, its copy under the snapshots, the copies focused."""
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key("web")
        await pilot.pause()
        for key in ("z", "down", "B", "y", "escape", "tab"):
            await pilot.press(key)
            await settle(pilot)
        pilot.app.clear_notifications()  # the restore's toast would cover the copies
        await settle(pilot)

    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(80, 24), run_before=run_before)
