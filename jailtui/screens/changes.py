"""What changed in a quarantined root since its known-good snapshot (``w``).

core/storage/changes.py through the controller contract: flagged changes first
(setuid, new in /etc, /usr/local/etc, /root, crontabs, rc.d scripts) with the
reason, then every change grouped by directory. Paths come from the jail (an
intruder chose them): every one through visible(), never markup.
"""

from __future__ import annotations

import stat
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.errors import describe
from jailtui.core.model import Jail
from jailtui.core.storage.changes import KINDS, Change, ChangeReport
from jailtui.core.text import one_line, visible
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.status_bar import StatusBar

__all__ = ["ChangesScreen", "report_content"]

_STYLE = {"+": "$success", "-": "$error", "M": "$warning", "R": "$accent"}


def _line(c: Change) -> Content:
    mode = f"{stat.S_IMODE(c.mode):04o}" if c.mode is not None else "    "
    parts: list[str | tuple[str, str]] = [
        "  ", (c.kind, f"bold {_STYLE.get(c.kind, '')}"), f" {c.ftype} ",
        (mode, "$foreground-muted"), "  ", visible(c.rel, 400)]
    if c.new_rel:
        parts += [" -> ", visible(c.new_rel, 400)]
    if c.flags:
        parts += ["  ", (f"[{', '.join(c.flags)}]", "bold $error")]
    return Content.assemble(*parts)


def report_content(report: ChangeReport) -> Content:
    """The whole report: counts, flagged, then by directory."""
    counts = {k: sum(1 for c in report.changes if c.kind == k) for k in KINDS}
    lines = [Content.assemble(
        ", ".join(f"{n} {KINDS[k]}" for k, n in counts.items()), "; ",
        (f"{len(report.flagged)} flagged", "bold $error" if report.flagged else "$success"))]
    if not report.changes:
        lines.append(Content.styled("Nothing changed since the snapshot.", "$success"))
    if report.flagged:
        lines.append(Content.styled("Look at these first:", "bold"))
        lines += [_line(c) for c in report.flagged]
    for directory, changes in report.groups():
        lines.append(Content.styled(visible(directory, 400), "bold $text-accent"))
        lines += [_line(c) for c in changes]
    return Content("\n").join(lines)


class ChangesScreen(GuardedScreen):
    """One quarantine's changes."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("changes"))

    DEFAULT_CSS = """
    ChangesScreen #changes-title { height: auto; padding: 0 1; background: $boost; }
    ChangesScreen #changes-body { height: 1fr; padding: 0 1; }
    """

    def __init__(self, jail: Jail, quarantine: str) -> None:
        super().__init__(id="changes")
        self._jail = jail
        self.quarantine = quarantine
        self.report: ChangeReport | None = None

    def selected_jail(self) -> Jail | None:
        return self._jail

    @property
    def ufs(self) -> bool:
        """A UFS root kept aside is a directory (a path), a ZFS one a dataset name."""
        return self.quarantine.startswith("/")

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        since = (", against the root now in place (a walk of both trees)" if self.ufs
                 else ", since the snapshot it was restored from (zfs diff)")
        yield Static(Content.assemble(
            ("What changed in ", "bold"), (visible(self.quarantine, 200), "bold $accent"),
            "\n", ("the quarantined root of jail ", "$foreground-muted"),
            (visible(self._jail.name, 64), "$text-accent"), (since, "$foreground-muted")),
            id="changes-title", markup=False)
        with VerticalScroll(id="changes-body"):
            yield Static(Content.styled("reading… (walking both trees)" if self.ufs
                                        else "reading… (zfs diff)", "$foreground-muted"),
                         id="changes-text", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        controller = self.console.controller_for(self._jail.host_name)
        text = self.query_one("#changes-text", Static)
        if controller is None:
            text.update("Not available in this session.")
            return
        name, q, jail = self._jail.name, self.quarantine, self._jail

        async def run() -> None:
            try:
                report = await controller.what_changed(name, q, jail)
            except Exception as exc:  # every failure belongs on the screen, sanitised
                text.update(Content.assemble(("Could not compare: ", "bold $error"),
                                             (one_line(describe(exc), 600), "$error")))
                return
            self.report = report
            text.update(report_content(report))

        self.run_worker(job(run), group="changes-load", exclusive=True, exit_on_error=False,
                        description="what changed in a quarantined root")

    def action_back(self) -> None:
        self.dismiss()
