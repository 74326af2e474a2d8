"""One process in detail: open files, memory map, and on ``e`` its environment.

Opened with ``o`` (or Enter) on a process row. Each part is one procstat run
through the controller's gate (Controller.process_detail, core/procdetail.py),
in its own worker, when the screen opens and on ``r``. The environment is not
read until asked for (``e``): its values may be secrets, it is a host admin's
only (Action.PROCESS_ENV: hidden from everyone else, refused with the reason
when forced) and every reading is audited. Everything procstat prints comes
from the process, so possibly from a jail: shown through core/text.py, never
as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.policy import Action
from jailtui.core.errors import describe
from jailtui.core.model import Jail, Process
from jailtui.core.procdetail import ProcessDetail, What
from jailtui.core.text import human_kib, visible
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.detail_section import DetailSection
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.status_bar import StatusBar

#: Open files shown before "... and N more".
FILES_SHOWN = 200

#: What the environment section says until ``e`` is pressed.
ENV_HIDDEN = ("Not read yet: press e to read it (procstat -e). Its values may be secrets "
              "(tokens, passwords); reading it is recorded in the audit log.")
ENV_ADMIN_ONLY = "Host admins only: the environment may hold secrets (procstat -e)."


class ProcessScreen(GuardedScreen):
    """The detail of one process (by pid, checked again before each read)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("process"))

    def __init__(self, proc: Process) -> None:
        super().__init__(id="process")
        self.proc = proc
        self._gone = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="detail-title", markup=False)
        with VerticalScroll(id="detail-body"):
            yield DetailSection("Process", id="sec-proc")
            yield DetailSection("Open files (procstat -f)", id="sec-files")
            yield DetailSection("Memory map (procstat -v, by what backs it)", id="sec-vm")
            yield DetailSection("Environment (procstat -e)", id="sec-env")
        yield KeyFooter()

    def section(self, key: str) -> DetailSection:
        return self.query_one(f"#sec-{key}", DetailSection)

    def selected_jail(self) -> Jail | None:
        snap = self.console.snapshot_for(self.proc.host_name)
        if snap is None or self.proc.jail is None:
            return None
        return snap.jail(self.proc.jail)

    def guard_reason(self, action: str) -> str | None:
        if action == "process_env":
            controller = self.console.controller_for(self.proc.host_name)
            if controller is None:
                return "read-only session: no actions"
            jail = self.selected_jail()
            return controller.refusal(Action.PROCESS_ENV, jail) if (
                jail is not None or self.proc.jail is None) else "the jail is gone"
        return super().guard_reason(action)

    def on_mount(self) -> None:
        p = self.proc
        where = f"jail {p.jail}" if p.jail is not None else "the host"
        self.query_one("#detail-title", Static).update(Content.assemble(
            ("Process ", "bold"), (str(p.pid), "bold $text-accent"), "  ",
            (visible(p.command, 200), "bold"), ("  in " + visible(where, 128),
                                                "$foreground-muted")))
        rows = [("pid", f"{p.pid}   parent {p.ppid}"),
                ("jail", visible(p.jail, 128) if p.jail is not None else "- (the host)"),
                ("user", visible(p.user, 64)),
                ("state", visible(p.state, 16)),
                ("memory", f"{human_kib(p.rss_kib)} resident of {human_kib(p.vsz_kib)}"),
                ("started", visible(p.started, 64)),
                ("command", visible(p.command, 2048))]
        self.section("proc").show(Content("\n").join(
            Content.assemble((f"{k:<9}", "$foreground-muted"), v) for k, v in rows))
        self.section("env").note(ENV_HIDDEN if self.guard_reason("process_env") is None
                                 else ENV_ADMIN_ONLY)
        self.query_one("#detail-body").focus()
        self.load()

    # -- reading --------------------------------------------------------------------

    def load(self) -> None:
        self._read("files")
        self._read("vm")

    def action_reload(self) -> None:
        self.load()
        if self.section("env").load_state == "ok":
            self._read("env")

    def action_process_env(self) -> None:
        if not self.refuse_if_guarded("process_env"):
            self._read("env")

    def action_back(self) -> None:
        self.dismiss()

    def _read(self, what: What) -> None:
        sec = self.section(what)
        controller = self.console.controller_for(self.proc.host_name)
        if controller is None:
            sec.note("A read-only session without a controller reads no process details.")
            return
        sec.show_loading()
        proc = self.proc

        async def run() -> None:
            try:
                got = await controller.process_detail(proc, what)
            except Exception as exc:  # every failure belongs in its section
                sec.fail(describe(exc))
                return
            self._show(got)

        self.run_worker(job(run), group=f"process-{what}", exclusive=True, exit_on_error=False,
                        description=f"procstat {what} of a process")

    def _show(self, got: ProcessDetail) -> None:
        sec = self.section(got.what)
        if got.gone:
            self._gone = True
            for key in ("files", "vm", "env"):
                self.section(key).note(got.note)
            return
        if got.note:
            sec.note(got.note)
            return
        if got.what == "files":
            sec.show(_files(got))
        elif got.what == "vm":
            sec.show(_vm(got))
        else:
            sec.show(_env(got.env))
            # Asked for with e: bring it into view (below the fold at 80x24).
            body = self.query_one("#detail-body", VerticalScroll)
            self.call_after_refresh(body.scroll_to_widget, sec, animate=False, top=True)


def _files(got: ProcessDetail) -> Content:
    if not got.files:
        return Content.styled("No open files.", "$foreground-muted")
    lines = [Content.styled(f"{'FD':>5} T V {'FLAGS':<8} {'PRO':<3} NAME", "$foreground-muted")]
    for f in got.files[:FILES_SHOWN]:
        lines.append(Content.assemble(
            f"{visible(f.fd, 8):>5} {visible(f.type, 2)} {visible(f.vtype, 2)} "
            f"{visible(f.flags, 8):<8} {visible(f.proto, 4):<3} ",
            (visible(f.name, 1024), "bold" if f.type == "s" else "")))
    more = len(got.files) - FILES_SHOWN
    if more > 0:
        lines.append(Content.styled(f"... and {more} more", "$foreground-muted"))
    return Content("\n").join(lines)


def _vm(got: ProcessDetail) -> Content:
    if not got.vm:
        return Content.styled("No mappings.", "$foreground-muted")
    lines = [Content.styled(f"{'RESIDENT':>9} {'MAPPED':>9} {'MAPS':>4}  BACKED BY",
                            "$foreground-muted")]
    for what, count, mapped, resident in got.vm:
        lines.append(Content.assemble(f"{human_kib(resident):>9} {human_kib(mapped):>9} "
                                      f"{count:>4}  ", visible(what, 1024)))
    total = sum(r for _, _, _, r in got.vm)
    lines.append(Content.styled(f"{human_kib(total):>9} resident in all", "$foreground-muted"))
    return Content("\n").join(lines)


def _env(env: Sequence[str]) -> Content:
    if not env:
        return Content.styled("The environment is empty.", "$foreground-muted")
    lines = []
    for item in env:
        name, eq, value = item.partition("=")
        lines.append(Content.assemble((visible(name, 256), "$text-accent"), eq,
                                      visible(value, 4096)))
    return Content("\n").join(lines)
