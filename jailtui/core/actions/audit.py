"""Audit records: one per action and per denial.

On FreeBSD the records go to syslog's ``authpriv`` facility (routed to
/var/log/auth.log by the default syslog.conf, docs/security.md 3.5), denials
at warning level. The simulated host writes the same lines to
``SIMDIR/audit.log``. Every field is made visible (no newline or escape can
forge a second record, security.md attack test 28).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Protocol

from jailtui.core.errors import JailtuiError
from jailtui.core.text import visible


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which jail, and how it ended."""

    user: str
    uid: int
    role: str
    action: str
    jail: str | None
    jid: int | None
    result: str  # "ok", "failed: <message>", "denied: <reason>"
    detail: str = ""

    @property
    def denied(self) -> bool:
        return self.result.startswith("denied")

    def line(self) -> str:
        """``key=value`` fields, each value sanitised and quoted when needed."""
        fields = [
            ("user", self.user), ("uid", str(self.uid)), ("role", self.role),
            ("action", self.action), ("jail", self.jail if self.jail is not None else "-"),
            ("jid", str(self.jid) if self.jid is not None else "-"), ("result", self.result),
        ]
        if self.detail:
            fields.append(("detail", self.detail))
        return " ".join(f"{k}={_quote(v)}" for k, v in fields)


def _quote(value: str) -> str:
    v = visible(value, 512)
    if v == "" or any(c in v for c in ' "='):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


class AuditSink(Protocol):
    def write(self, record: AuditRecord) -> None: ...


class SyslogSink:
    """syslog(3), facility authpriv; warning for denials, notice otherwise."""

    def write(self, record: AuditRecord) -> None:
        import syslog

        syslog.openlog("jailtui", syslog.LOG_PID, syslog.LOG_AUTHPRIV)
        prio = syslog.LOG_WARNING if record.denied else syslog.LOG_NOTICE
        syslog.syslog(prio, record.line())


class FileSink:
    """Appends syslog-like lines to a file (the simulated host's audit.log)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def write(self, record: AuditRecord) -> None:
        level = "warning" if record.denied else "notice"
        stamp = time.strftime("%b %e %H:%M:%S")
        line = f"{stamp} jailtui[{os.getpid()}]: authpriv.{level}: {record.line()}\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            # A read-only simulated host (issue 14 item 9): one line, not a traceback.
            raise JailtuiError(f"audit log {self.path}: {exc.strerror or exc}") from None


class MemorySink:
    """Keeps records in memory (tests, and the console's action log)."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def write(self, record: AuditRecord) -> None:
        self.records.append(record)
