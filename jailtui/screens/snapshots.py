"""A jail's ZFS snapshots (``z``): where it lives, its snapshots newest first, take, destroy.

Where each part comes from (core/storage/snapshots.py, docs/freebsd.md 12):
``mount -p`` and ``zfs list -H -p`` locate the jail's dataset, ``zfs list -t
snapshot -d 1`` lists its snapshots; both read when the screen opens, on
``r`` and after every action, never per poll tick. Taking (``n``, a name the
user may edit, default ``jailtui-UTCTIME``) and destroying (``d``, confirmed
naming the snapshot) go through the gate (the ``snapshot`` action), in app
workers so leaving the screen never cancels one before its audit record.

Under them, only when there are any, the jail's quarantined copies (what a
restore kept: ``DS.quarantine-UTC`` datasets, ``ROOT.quarantine-UTC``
directories beside a UFS root; Controller.quarantine_list, read with the
snapshots): Tab moves between the two tables, ``w`` shows what changed in the
selected copy, ``D`` destroys it (asked first, naming it and the commands;
Controller.quarantine_destroy, the code ``jailtui quarantine destroy`` runs:
the ``restore`` action, its refusals shown as they come).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.storage import quarantine as qmod
from jailtui.core.storage import restore as restoremod
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.locate import JailStorage
from jailtui.core.storage.zfs import ZfsSnapshot
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.contracts import ConsoleController
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.prune import offer_prune
from jailtui.screens.snapshot_name import SnapshotNameScreen
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.keyed_table import KeyedTable
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.quarantine_table import QuarantineTable, quarantine_rows
from jailtui.widgets.snapshot_table import SnapshotTable, rows_of
from jailtui.widgets.status_bar import StatusBar

__all__ = ["SnapshotsScreen"]


#: The empty table of a root off ZFS: no snapshot to take, b makes its backup.
NO_ZFS_SNAPSHOTS = "no ZFS snapshots here: b on the jail archives its root with bsdtar"
#: The heading of the quarantined copies' table (its keys, as the footer has them).
QUARANTINE_HEAD = "Quarantined copies"
QUARANTINE_KEYS = "   Tab: select  w: what changed  D: destroy"
#: Why w and D do nothing.
NO_QUARANTINE = "no quarantined copy of this jail selected"

class SnapshotsScreen(GuardedScreen):
    """One jail's snapshots, by name (its jid may change while it is open)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("snapshots"))

    DEFAULT_CSS = """
    SnapshotsScreen #snapshots-title { height: auto; padding: 0 1; background: $boost; }
    SnapshotsScreen #snapshots-message { height: auto; max-height: 4; padding: 0 1; }
    SnapshotsScreen #snapshots-table { height: 1fr; }
    SnapshotsScreen #quarantine-head { height: auto; padding: 0 1; background: $boost; }
    """

    def __init__(self, jail: Jail, *, restoring: bool = False) -> None:
        super().__init__(id="snapshots")
        #: Opened by B: the user is to pick the known-good snapshot.
        self.restoring = restoring
        self.jail_name = jail.name
        self.jail_host = jail.host_name
        self._jail: Jail | None = jail
        self._where: JailStorage | None = None
        self._snaps: tuple[ZfsSnapshot, ...] = ()
        #: The jail's quarantined copies (datasets or directories), oldest first.
        self._quarantines: list[qmod.Quarantined | qmod.QuarantinedDir] = []
        #: A UFS root's standby copy, when it has one to swap in (B).
        self._standby = ""
        self._busy = ""
        self._load_line: Content = Content("")
        self._action_line: Content | None = None
        #: A UFS root's standby copy, said under the action's outcome (None: nothing).
        self._standby_line: Content | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="snapshots-title", markup=False)
        yield Static("", id="snapshots-message", markup=False)
        yield SnapshotTable(id="snapshots-table")
        yield Static("", id="quarantine-head", markup=False)
        yield QuarantineTable(id="quarantine-table")
        yield KeyFooter()

    @property
    def table(self) -> SnapshotTable:
        return self.query_one("#snapshots-table", SnapshotTable)

    @property
    def quarantine_table(self) -> QuarantineTable:
        return self.query_one("#quarantine-table", QuarantineTable)

    def selected_jail(self) -> Jail | None:
        return self._jail

    def selected_snapshot(self) -> ZfsSnapshot | None:
        row = self.table.cursor_row
        return row.snap if row is not None else None

    def on_mount(self) -> None:
        self._show_quarantines()
        self.table.focus()
        self.console.poll_signal.subscribe(self, self.apply, immediate=True)
        self._draw_title()
        self.load()

    def apply(self, state: PollState) -> None:
        snap = state.snapshot
        if snap is not None:
            found = snap.jail(self.jail_name)
            if found is not None:
                self._jail = found
        self.refresh_bindings()

    def _draw_title(self) -> None:
        parts: list[str | tuple[str, str]] = [("Snapshots of jail ", "bold"),
                                              (visible(self.jail_name, 64), "bold $text-accent")]
        if self.jail_host is not None:
            parts += [" on ", (visible(self.jail_host, 32), "bold")]
        w = self._where
        if w is not None:
            parts += ["\n", ("lives on ", "$foreground-muted"), visible(w.summary(), 300)]
            if w.children:
                names = ", ".join(visible(c.name, 80) for c in w.children)
                parts += ["\n", ("children ", "$foreground-muted"), names]
        self.query_one("#snapshots-title", Static).update(Content.assemble(*parts))

    # -- loading ------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def load(self) -> None:
        jail = self._jail
        controller = self.console.controller_for(self.jail_host)
        self._set_load_line(Content.styled("reading… (mount -p, zfs list)", "$foreground-muted"))

        async def run() -> None:
            try:
                if controller is None:
                    raise snapmod.StorageError("this session has no access to the host's "
                                               "storage")
                listing = await controller.snapshot_list(self.jail_name, jail)
            except Exception as exc:  # every failure belongs on the screen, sanitised
                self._failed(exc)
                if controller is not None:
                    await self._find_standby(controller, jail)
                    await self._find_quarantines(controller, jail)
                return
            self._where = listing.where
            self._snaps = listing.snapshots
            self._draw_title()
            self.table.set_rows(rows_of(listing.snapshots, self.console.now()))
            newest = listing.snapshots[0] if listing.snapshots else None
            hint = ("   pick the known-good one and press B (X: roll back, keeping nothing)"
                    if self.restoring
                    else "   n: take one   d: destroy the selected one   B: restore from it")
            self._set_load_line(Content.assemble(
                f"{len(listing.snapshots)} snapshot{'s' if len(listing.snapshots) != 1 else ''}",
                (f", newest {snapmod.age_text(self.console.now() - newest.creation)} old"
                 if newest else "", ""), (hint, "$foreground-muted")))
            self.refresh_bindings()
            await self._find_quarantines(controller, jail)

        self.run_worker(job(run), group="snapshots-load", exclusive=True, exit_on_error=False,
                        description="a jail's snapshots")

    async def _find_quarantines(self, controller: ConsoleController,
                                jail: Jail | None) -> None:
        """The jail's quarantined copies, into the second table (hidden with none)."""
        try:
            found = await controller.quarantine_list(self.jail_name, jail)
        except Exception as exc:  # said in the heading; the snapshots stay
            self._quarantines = []
            self._show_quarantines(Content.assemble(
                ("Could not list the quarantined copies: ", "bold $error"),
                (one_line(describe(exc), 300), "$error")))
            return
        first = not self.quarantine_table.source_count
        self._quarantines = found
        self.quarantine_table.set_rows(quarantine_rows(found, self.console.now()))
        origin = self._origin()
        if first and found:  # the copy the root came from, else the newest
            self.quarantine_table.move_to_key(
                origin if origin in {q.name for q in found} else found[-1].name)
        self._show_quarantines()

    def _origin(self) -> str | None:
        """The quarantine the jail's root was cloned from (its origin), if any."""
        w = self._where
        if w is None or w.dataset is None or ".quarantine-" not in w.dataset.origin:
            return None
        return w.dataset.origin.split("@", 1)[0]

    def _show_quarantines(self, problem: Content | None = None) -> None:
        """The heading and the table: shown only with copies (or a failure to say)."""
        head = self.query_one("#quarantine-head", Static)
        table = self.quarantine_table
        table.display = bool(self._quarantines)
        head.display = bool(self._quarantines) or problem is not None
        if problem is not None:
            head.update(problem)
        elif self._quarantines:
            n = len(self._quarantines)
            parts: list[str | tuple[str, str]] = [
                (f"{QUARANTINE_HEAD} ({n})", "bold"), (QUARANTINE_KEYS, "$foreground-muted")]
            q = self.selected_quarantine()
            if isinstance(q, qmod.Quarantined):
                kids = len(q.children)
                parts += ["\n", ("mounted at ", "$foreground-muted"),
                          visible(q.dataset.mountpoint, 200),
                          (f"; {kids} child dataset{'s' if kids != 1 else ''}" if kids
                           else "", "$foreground-muted"),
                          ("; the root is a clone of it" if q.clones else "",
                           "$foreground-muted")]
            elif q is not None:
                parts += ["\n", ("a directory beside the root; its size is not read "
                                 "(a walk of the whole tree)", "$foreground-muted")]
            head.update(Content.assemble(*parts))
        if not table.display and self.focused is table:
            self.table.focus()
        self.refresh_bindings()

    def selected_quarantine(self) -> qmod.Quarantined | qmod.QuarantinedDir | None:
        row = self.quarantine_table.cursor_row
        return row.copy if row is not None and self._quarantines else None

    @on(KeyedTable.CursorMoved, "#quarantine-table")
    def _quarantine_moved(self, _event: KeyedTable.CursorMoved) -> None:
        self._show_quarantines()

    def action_switch_table(self) -> None:
        other = self.quarantine_table if self.focused is not self.quarantine_table \
            else self.table
        if other.display:
            other.focus()

    async def _find_standby(self, controller: ConsoleController,
                            jail: Jail | None) -> None:
        """No snapshots: a UFS root may have a standby copy to swap in (``B``)."""
        try:
            standby = await controller.ufs_standby(self.jail_name, jail)
        except Exception:  # the listing's own failure is already on the screen
            standby = None
        self._standby = standby[0] if standby is not None and standby[1] else ""
        lines: list[Content] = []
        if self._standby:
            lines.append(Content.assemble(
                ("B: replace the root by its standby copy ", "$foreground-muted"),
                visible(self._standby, 200), (" (asks first)", "$foreground-muted")))
        elif standby is not None:
            lines.append(Content.styled(
                f"no standby copy {visible(standby[0], 200)} to swap in: b makes a backup "
                "and offers one", "$foreground-muted"))
        self._standby_line = Content("\n").join(lines) if lines else None
        self._set_load_line(self._load_line)
        self.refresh_bindings()

    def _failed(self, exc: BaseException) -> None:
        self._snaps = ()
        if isinstance(exc, snapmod.NotOnZfs):
            # A fact, not a failure: a UFS root has no snapshots (b archives it).
            self.table.empty_text = NO_ZFS_SNAPSHOTS
            self.table.set_rows([])
            self._set_load_line(Content.styled(one_line(describe(exc), 400),
                                               "$foreground-muted"))
        else:
            self.table.set_rows([])
            self._set_load_line(Content.assemble(
                ("Could not list the snapshots: ", "bold $error"),
                (one_line(describe(exc), 400), "$error")))
        self.refresh_bindings()

    def _set_load_line(self, line: Content) -> None:
        self._load_line = line
        lines = [line, *(x for x in (self._action_line, self._standby_line) if x is not None)]
        self.query_one("#snapshots-message", Static).update(Content("\n").join(lines))

    # -- actions ------------------------------------------------------------------------

    def guard_reason(self, action: str) -> str | None:
        reason = super().guard_reason(action)
        if reason is not None:
            return reason
        if action == "quarantine_destroy":
            if self._busy:
                return f"busy: {self._busy}"
            return NO_QUARANTINE if self.selected_quarantine() is None else None
        if not action.startswith("snapshot_"):
            return reason
        if self._busy:
            return f"busy: {self._busy}"
        if action == "snapshot_restore" and self._where is None and self._standby:
            return None  # a UFS root: its standby copy is swapped in
        if self._where is None or self._where.dataset is None:
            return f"{visible(self.jail_name, 64)} has no ZFS dataset of its own"
        if action in ("snapshot_destroy", "snapshot_restore", "snapshot_discard") and \
                self.selected_snapshot() is None:
            return "no snapshot selected"
        return None

    def action_back(self) -> None:
        self.dismiss()

    def action_snapshot_take(self) -> None:
        if self.refuse_if_guarded("snapshot_take"):
            return
        assert self._where is not None and self._where.dataset is not None

        def named(name: str | None) -> None:
            if name:
                self._run("take", name)

        self.app.push_screen(SnapshotNameScreen(self._where.dataset.name,
                                                len(self._where.children),
                                                snapmod.default_name()), named)

    def action_snapshot_destroy(self) -> None:
        if self.refuse_if_guarded("snapshot_destroy"):
            return
        snap = self.selected_snapshot()
        if snap is None:
            return
        children = self._where.children if self._where is not None else ()
        question = Content.assemble(
            ("Destroy snapshot ", "bold"), (visible(snap.name, 160), "bold $accent"), "?\n",
            (f"zfs destroy -r {visible(snap.name, 160)}"
             + (f" (and the same snapshot of {len(children)} child dataset"
                f"{'s' if len(children) != 1 else ''})" if children else ""),
             "$foreground-muted"), "\n",
            ("Its data is gone for good; a snapshot that clones depend on is refused.",
             "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self._run("destroy", snap.short)

        self.app.push_screen(ConfirmScreen(question, yes="Destroy"), answered)

    def quarantine(self) -> str | None:
        """The selected quarantined copy's name (dataset or directory), if any."""
        q = self.selected_quarantine()
        return q.name if q is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "what_changed":
            return self.quarantine() is not None
        if action == "switch_table":
            return bool(self._quarantines)
        return super().check_action(action, parameters)

    def action_what_changed(self) -> None:
        q = self.quarantine()
        if q is None or self._jail is None:
            self.app.notify(NO_QUARANTINE, severity="warning", markup=False)
            return
        from jailtui.screens.changes import ChangesScreen

        self.app.push_screen(ChangesScreen(self._jail, q))

    def action_quarantine_destroy(self) -> None:
        """``D``: asked first, naming the copy and the commands, then the CLI's code."""
        if self.refuse_if_guarded("quarantine_destroy"):
            return
        q = self.selected_quarantine()
        if q is None:
            return
        question = Content.assemble(
            (visible(qmod.destroy_question(self.jail_name, q.name), 800), "bold"), "\n",
            (visible(qmod.destroy_how(q), 800), "$foreground-muted"))
        name = q.name

        def answered(yes: bool | None) -> None:
            if yes:
                self._destroy_quarantine(name)

        self.app.push_screen(ConfirmScreen(question, yes="Destroy"), answered)

    def _destroy_quarantine(self, quarantine: str) -> None:
        controller = self.console.controller_for(self.jail_host)
        if controller is None:
            self.console.refuse("quarantine_destroy", "read-only session: no actions")
            return
        console = self.console
        jail = self._jail
        self._busy = f"destroy {quarantine}"
        self.refresh_bindings()

        async def run() -> None:
            try:
                result = await controller.quarantine_destroy(self.jail_name, quarantine, jail)
            except JailtuiError as exc:  # a refusal (not its copy, still needed, ...)
                result = ActionResult(False, describe(exc))
            self._busy = ""
            console.report(f"destroy quarantined copy {quarantine} of {self.jail_name}",
                           result)
            if self.is_attached:
                self._show_result(result)
                self.load()

        self.app.run_worker(job(run), group="action-quarantine", exit_on_error=False,
                            description="destroy a quarantined copy")

    def _show_result(self, result: ActionResult) -> None:
        """An action's outcome under the load line, until the next one."""
        mark = ((f"{glyphs().ok} ", "$success") if result.ok
                else (f"{glyphs().bad} ", "bold $error"))
        self._action_line = Content.assemble(
            mark, one_line(result.message, 300) or ("done" if result.ok else "failed"),
            ("   L: action log", "$foreground-muted"))
        self._set_load_line(self._load_line)

    def action_snapshot_restore(self) -> None:
        if self.refuse_if_guarded("snapshot_restore"):
            return
        if self._where is None and self._standby and self._jail is not None:
            self._restore_standby(self._jail)
            return
        snap = self.selected_snapshot()
        jail = self._jail
        if snap is None or jail is None:
            return
        w = self._where
        question = Content.assemble(
            ("Replace the root of jail ", "bold"), (visible(self.jail_name, 64), "bold $accent"),
            (" with snapshot ", "bold"), (visible(snap.short, 160), "bold $accent"), "?\n",
            (f"The jail is stopped, {visible(w.device if w else '', 160)} is renamed to "
             f"….quarantine-UTCTIME and made read-only (kept, never destroyed), the snapshot "
             f"is cloned in its place and the jail started again. Its name, path, addresses "
             f"and jail.conf stay as they are.", "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                from jailtui.screens.restore import RestoreScreen

                self.app.push_screen(RestoreScreen(jail, snap.short), lambda _r: self.load())

        self.app.push_screen(ConfirmScreen(question, yes="Restore"), answered)

    def _restore_standby(self, jail: Jail) -> None:
        """B on a UFS root with a standby copy: asked, then the swap on the restore
        screen (core/storage/standby.py)."""
        from jailtui.core.storage.standby import swap_question
        from jailtui.screens.restore import RestoreScreen

        question = Content.assemble(("Replace the root of jail ", "bold"),
                                    (visible(self.jail_name, 64), "bold $accent"), "?\n",
                                    (visible(swap_question(self.jail_name, jail.path), 800),
                                     "$foreground-muted"))
        standby = self._standby

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(RestoreScreen(jail, standby, mode="standby"),
                                     lambda _r: self.load())

        self.app.push_screen(ConfirmScreen(question, yes="Restore"), answered)

    def _pruned(self, result: ActionResult) -> None:
        mark = ((f"{glyphs().ok} ", "$success") if result.ok
                else (f"{glyphs().bad} ", "bold $error"))
        self._action_line = Content.assemble(mark, one_line(result.message, 300),
                                             ("   L: action log", "$foreground-muted"))
        if self.is_attached:
            self.load()

    def action_snapshot_discard(self) -> None:
        """Roll back in place (``zfs rollback -r``): asks first, naming what is lost
        (the current root and every newer snapshot), in the CLI's words."""
        if self.refuse_if_guarded("snapshot_discard"):
            return
        snap = self.selected_snapshot()
        jail = self._jail
        if snap is None or jail is None:
            return
        shorts = [s.short for s in self._snaps]
        newer = shorts[:shorts.index(snap.short)] if snap.short in shorts else []
        lost = restoremod.discard_loss(self.jail_name, snap.short, newer)
        question = Content.assemble(
            ("Roll jail ", "bold"), (visible(self.jail_name, 64), "bold $accent"),
            (" back to ", "bold"), (visible(snap.short, 160), "bold $accent"),
            (", keeping nothing?", "bold $error"), "\n",
            (lost[:1].upper() + lost[1:] + ". The jail is stopped, rolled back (zfs rollback -r) and started again; "
               "nothing is left to look at afterwards: B keeps the compromised root "
               "instead.", "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                from jailtui.screens.restore import RestoreScreen

                self.app.push_screen(RestoreScreen(jail, snap.short, mode="discard"),
                                     lambda _r: self.load())

        self.app.push_screen(ConfirmScreen(question, yes="Roll back"), answered)

    def _run(self, verb: str, name: str) -> None:
        controller = self.console.controller_for(self.jail_host)
        if controller is None:
            self.console.refuse("snapshot", "read-only session: no actions")
            return
        console = self.console
        jail = self._jail
        title = f"{verb} snapshot {name} of {self.jail_name}"
        self._busy = f"{verb} {name}"
        self.refresh_bindings()

        async def run() -> None:
            try:
                if verb == "take":
                    # keep = N is asked for after it (screens/prune.py), never silent.
                    result = await controller.snapshot_create(self.jail_name, name, jail)
                else:
                    result = await controller.snapshot_destroy(self.jail_name, name, jail)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            self._busy = ""
            console.report(title, result)
            if not self.is_attached:
                return
            self._show_result(result)
            self.load()
            if verb == "take" and result.ok and jail is not None:
                offer_prune(self.console, jail, self._pruned)

        self.app.run_worker(job(run), group="action-snapshot", exit_on_error=False,
                            description="a snapshot of a jail")
