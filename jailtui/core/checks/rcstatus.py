"""The status of a jail's rc.d services: ``service -j NAME SERVICE status``.

The console's services screen (``D``, screens/services.py) lists a jail's enabled
rc.d services (``service -j NAME -e``, core/host.py) and asks each one for
its status *on demand*, never per poll tick: a status is one jexec per
service (docs/architecture.md: "never fork a command per jail per tick").

rc.subr's ``run_rc_command`` answers ``status`` with exactly these lines
(rc.subr(8); docs/freebsd.md 8):

- ``nginx is running as pid 1234.`` and exit 0;
- ``nginx is not running.`` and exit 1;
- ``/etc/rc.d/cleanvar: unknown directive 'status'.`` (plus usage) and exit 1
  for scripts without a ``procname``/``pidfile``, i.e. the one-shot boot
  scripts (cleanvar, motd, newsyslog ...): there is nothing to be running.

Everything else (a jail that vanished, a timeout, a script's own error) is
``UNKNOWN`` with the tool's first line, raw; the UI makes it visible.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from jailtui.core.freebsd import argv as argvmod
from jailtui.core.transport.runner import CommandResult

__all__ = ["ServiceState", "ServiceStatus", "parse_status", "status_argv", "valid_service_name"]

_RUNNING = re.compile(r"\bis running as pid (\d+)")
_NOT_RUNNING = re.compile(r"\bis not running\b")
_NO_STATUS = re.compile(r"unknown directive '(?:one|force|fast|quiet)?status'")


class ServiceState(enum.StrEnum):
    """What ``status`` said, in words the screen shows."""

    RUNNING = "running"
    STOPPED = "not running"
    #: A one-shot boot script: no ``status`` command, nothing to run.
    NO_STATUS = "no status"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """One service's answer; ``message`` is the tool's first line, raw."""

    service: str
    state: ServiceState
    pid: int | None = None
    message: str = ""


def valid_service_name(service: str) -> bool:
    """The same rule as ``Controller.service``: a name, never an option or a path.

    Service names come from the jail's own rc.d directory, which the jail's
    root controls; ``-j`` or ``../x`` must not reach service(8) as an argument
    that means something else.
    """
    return bool(service) and not service.startswith("-") and "/" not in service \
        and "\x00" not in service


def status_argv(jail: str, service: str) -> list[str]:
    """``service -j JAIL SERVICE status`` (argv, never a shell string)."""
    if not valid_service_name(service):
        raise ValueError(f"bad service name {service!r}")
    return argvmod.service_argv(jail, service, "status")


def parse_status(service: str, result: CommandResult) -> ServiceStatus:
    """The state of ``service`` from its ``status`` answer (stdout and stderr)."""
    text = (result.stdout + b"\n" + result.stderr).decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    found = _RUNNING.search(text)
    if result.returncode == 0 and found is not None:
        return ServiceStatus(service, ServiceState.RUNNING, int(found.group(1)), first)
    if _NO_STATUS.search(text):
        return ServiceStatus(service, ServiceState.NO_STATUS, None,
                             "no status command (a one-shot boot script)")
    if _NOT_RUNNING.search(text):
        return ServiceStatus(service, ServiceState.STOPPED, None, first)
    if result.returncode == 0:
        # A script with its own status_cmd that said something else: it ran.
        return ServiceStatus(service, ServiceState.RUNNING, None, first)
    return ServiceStatus(service, ServiceState.UNKNOWN, None,
                         first or f"service exited with status {result.returncode}")
