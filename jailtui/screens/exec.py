"""Run one command in a jail (``!``): its argv, its output, its exit status.

The command line
    Split with :func:`shlex.split`: sh's quoting rules, but no shell runs.
    The words are the argv of ``jexec -l NAME WORD...`` (``Controller.exec``),
    so ``;``, ``|``, ``$VAR`` and ``*`` reach the command literally; whoever
    wants a shell writes ``sh -c '...'``, which is one more argv through the
    same gate. Unbalanced quotes are a parse error under the input and
    nothing runs.

The output
    Whatever the jail's programs print is theirs to choose: it goes through
    ``visible_lines()`` into ``Text`` lines of a ``RichLog(markup=False)``,
    so escape sequences and markup-like text show literally and do nothing
    (docs/security.md 4.2). The log keeps every command of the visit, like
    a terminal, and scrolls both ways (no wrap: ``ps`` columns stay columns).

Running
    One command at a time, in an *app* worker with a visible "running…"
    line: leaving the screen does not cancel it half-way (the controller
    writes one audit record per command), its result then goes to the
    action log and a notification. Its output streams in as it comes
    (``Controller.exec_stream``), in batches a few times a second, capped
    (widgets/exec_output.py: the rest is saved to a file and the screen says
    so); ctrl+c kills it; the controller's timeout (600 s) bounds it. Lines
    submitted while it runs are queued and run next (type-ahead), and the
    action log keeps a bounded summary, not the whole output.

History
    The session's command lines (:class:`CommandHistory`, kept on the app so
    it survives leaving the screen), walked with ↑/↓ in the input as in a
    shell; the line being typed comes back after the newest entry.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Input, RichLog, Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.text import one_line, visible, visible_lines
from jailtui.screens.contracts import ConsoleController
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.exec_output import OutputSpool
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.status_bar import StatusBar

__all__ = ["CommandHistory", "ExecScreen", "parse_command"]

#: Lines the output log keeps over the visit (the oldest go first).
MAX_OUTPUT_LINES = 5000

#: Seconds between two batches of output lines to the log.
FLUSH_EVERY = 0.1


class CommandHistory:
    """Command lines of this session, oldest first; ↑/↓ walk them like a shell's."""

    LIMIT = 200

    def __init__(self) -> None:
        self._items: list[str] = []
        #: Index of the entry shown; None: the line being typed.
        self._pos: int | None = None
        self._draft = ""

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self._items)

    def add(self, line: str) -> None:
        """Remember ``line`` (not twice in a row) and go back to a new line."""
        if line and (not self._items or self._items[-1] != line):
            self._items.append(line)
            del self._items[:-self.LIMIT]
        self.reset()

    def reset(self) -> None:
        self._pos = None
        self._draft = ""

    def step(self, direction: int, current: str) -> str | None:
        """The line one step back (-1) or forward (+1); None: stay as it is."""
        if not self._items:
            return None
        if self._pos is None:
            if direction > 0:
                return None
            self._draft = current
            self._pos = len(self._items) - 1
            return self._items[self._pos]
        new = self._pos + direction
        if new < 0:
            return None
        if new >= len(self._items):
            self._pos = None
            return self._draft
        self._pos = new
        return self._items[new]


def parse_command(line: str) -> list[str]:
    """The argv of a command line, by sh's quoting rules; ValueError if unbalanced."""
    return shlex.split(line)


class ExecScreen(GuardedScreen):
    """One command at a time in one jail, by name (its jid may change)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("exec"))

    #: Typing starts at once (a screen's AUTO_FOCUS applies from its first frame).
    AUTO_FOCUS = "#exec-input"

    DEFAULT_CSS = """
    ExecScreen #exec-title {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    ExecScreen #exec-input {
        margin: 0 1;
    }
    ExecScreen #exec-state {
        height: 1;
        padding: 0 1;
    }
    ExecScreen #exec-output {
        height: 1fr;
        border-top: solid $panel-lighten-2;
        padding: 0 1;
    }
    """

    def __init__(self, jail: Jail) -> None:
        super().__init__(id="exec")
        self.jail_name = jail.name
        self.jail_host = jail.host_name
        self._jail: Jail | None = jail
        self._command: str | None = None
        self._fallback_history = CommandHistory()
        #: Lines submitted while a command ran: run next, in order (type-ahead).
        self._queue: list[str] = []
        self._cancel: asyncio.Event | None = None
        self._spool: OutputSpool | None = None

    def compose(self) -> ComposeResult:
        name = visible(self.jail_name, 64)
        parts: list[str | tuple[str, str]] = [("Run a command in jail ", "bold"),
                                              (name, "bold $text-accent")]
        if self.jail_host is not None:
            parts += [" on ", (visible(self.jail_host, 32), "bold")]
        # The argv the gate runs (Controller.exec_stream: jexec -l -U USER, so
        # the jail's passwd decides; docs/freebsd.md 6).
        controller = self.console.controller
        user = f"-U {visible(controller.jail_user(), 32)} " if controller is not None else ""
        parts.append((f"   jexec -l {user}{name} …  (its own argv: no shell; ↑/↓ history)",
                      "$foreground-muted"))
        yield StatusBar(id="status")
        yield Static(Content.assemble(*parts), id="exec-title", markup=False)
        yield Input(placeholder="command and arguments, quoted as in sh, e.g.  ps -ax -o pid,command",
                    id="exec-input", select_on_focus=False)
        yield Static("", id="exec-state", markup=False)
        yield RichLog(id="exec-output", markup=False, highlight=False, wrap=False,
                      max_lines=MAX_OUTPUT_LINES)
        yield KeyFooter()

    @property
    def input(self) -> Input:
        return self.query_one("#exec-input", Input)

    @property
    def output(self) -> RichLog:
        return self.query_one("#exec-output", RichLog)

    @property
    def history(self) -> CommandHistory:
        """The app's session history (the fallback: an app without one)."""
        shared = getattr(self.app, "exec_history", None)
        return shared if isinstance(shared, CommandHistory) else self._fallback_history

    @property
    def running_command(self) -> str | None:
        """The command line running now, or None."""
        return self._command

    def selected_jail(self) -> Jail | None:
        return self._jail

    # -- life cycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.console.poll_signal.subscribe(self, self.apply, immediate=True)
        self.apply(self.console.poll_state)
        self._set_state(Content.styled("Type a command and press Enter.", "$foreground-muted"))

    def apply(self, state: PollState) -> None:
        snap = state.snapshot
        if snap is not None:
            self._jail = snap.jail(self.jail_name)

    def _set_state(self, line: Content) -> None:
        self.query_one("#exec-state", Static).update(line)

    # -- keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_clear(self) -> None:
        self.output.clear()

    def action_history(self, direction: int) -> None:
        field = self.input
        line = self.history.step(direction, field.value)
        if line is not None:
            field.value = line
            field.cursor_position = len(line)

    # -- running ----------------------------------------------------------------------

    @on(Input.Submitted, "#exec-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    def submit(self, line: str) -> None:
        """Parse, check and run ``line``; every refusal is said under the input."""
        line = line.strip()
        if not line:
            return
        if self._command is not None:
            # Type-ahead: what was typed while it ran runs next, not lost.
            self._queue.append(line)
            self.input.value = ""
            self._set_state(Content.assemble(
                ("running… ", "bold $warning"), (visible(self._command, 200), "bold"),
                (f"   then {len(self._queue)} queued: ", "$foreground-muted"),
                (visible(self._queue[-1], 80), "bold"),
                ("   (ctrl+c cancels it)", "$foreground-muted")))
            return
        try:
            argv = parse_command(line)
        except ValueError as exc:
            self._set_state(Content.assemble(
                ("Cannot parse the command: ", "bold $error"), (visible(str(exc), 200), "$error"),
                ("  (quote as in sh: 'a b' or \"a b\"; nothing was run)", "$foreground-muted")))
            return
        if not argv:
            return
        reason = self.console.gate_reason(Action.EXEC, self._jail)
        controller = self.console.controller
        if reason is None and controller is None:
            reason = "running commands is not available in this session"
        if reason is not None or controller is None:
            reason = reason or "not available"
            self.console.refuse("exec", reason)
            self._set_state(Content.assemble(("Refused: ", "bold $error"), (reason, "$error")))
            return
        self.history.add(line)
        self.input.value = ""
        self._run(controller, line, argv)

    def _run(self, controller: ConsoleController, line: str, argv: list[str]) -> None:
        name, host = self.jail_name, self.jail_host
        where = name if host is None else f"{host}:{name}"
        title = f"exec {where}: {line}"
        shown = visible(line, 200)
        self._command = line
        cancel = self._cancel = asyncio.Event()
        spool = self._spool = OutputSpool()
        self.output.write(Text.assemble((f"{visible(where, 96)}$ ", "bold green"),
                                        (shown, "bold")))
        self._set_state(Content.assemble(("running… ", "bold $warning"), (shown, "bold"),
                                         ("   (ctrl+c cancels; Escape leaves, it goes on)",
                                          "$foreground-muted")))
        console = self.console
        # Lines reach the log in batches, a few times a second: a flood of
        # output is a few writes, and keys typed meanwhile are handled.
        flusher = self.set_interval(FLUSH_EVERY, self._flush, name="exec-output")

        async def run() -> None:
            try:
                result = await controller.exec_stream(name, argv, spool.feed, cancel=cancel)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            finally:
                flusher.stop()
                spool.finish()
            self._command = None
            self._cancel = None
            summary = spool.summary()
            if self.is_attached:
                self._flush()
                console.journal.add(title, result.ok,
                                    "exit status 0" if result.ok else result.message, summary)
                self._show_result(result, spool)
                if self._queue:
                    self.submit(self._queue.pop(0))
            else:
                console.report(title, ActionResult(result.ok, result.message, summary),
                               jail=self.jail_name,
                               host_name=self._jail.host_name if self._jail is not None else None)

        # An app worker: see the module docstring.
        self.app.run_worker(job(run), group="action-exec", exit_on_error=False,
                            description="a command in a jail")

    def action_cancel(self) -> None:
        """ctrl+c: kill the running command (its process group)."""
        if self._cancel is not None:
            self._cancel.set()
            self._queue.clear()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            # Nothing running: ctrl+c is the app's (quit).
            return self._cancel is not None
        return super().check_action(action, parameters)

    def _flush(self) -> None:
        spool = self._spool
        if spool is None:
            return
        log = self.output
        for stream, raw in spool.take():
            for text in visible_lines(raw.decode("utf-8", "replace")) or [""]:
                log.write(Text(text, style="red" if stream == "stderr" else ""))

    def _show_result(self, result: ActionResult, spool: OutputSpool) -> None:
        log = self.output
        count = f"{spool.shown_lines} line{'s' if spool.shown_lines != 1 else ''} of output"
        if spool.more_lines:
            more = f"{spool.more_lines} more lines, saved to {visible(str(spool.file), 200)}"
            log.write(Text(f"[{more}]", style="yellow"))
            count += f"; {more}"
        if result.ok:
            log.write(Text("[exit status 0]", style="green"))
            self._set_state(Content.assemble((f"{glyphs().ok} exit status 0", "bold $success"),
                                             (f"   {count}", "$foreground-muted")))
        else:
            message = one_line(result.message, 300) or "failed"
            log.write(Text(f"[{message}]", style="red"))
            self._set_state(Content.assemble((f"{glyphs().bad} ", "bold $error"),
                                             (message, "$error"),
                                             (f"   {count}", "$foreground-muted")))
