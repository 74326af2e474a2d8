"""Commands on a remote jail host over OpenSSH, one round trip per poll.

:class:`SSHRunner` implements the :class:`~jailtui.core.transport.runner.Runner`
interface with the system's OpenSSH client (``ssh``), so everything that
works locally (poll, actions, health checks) works on a remote host
unchanged. Why the OpenSSH client and not a Python SSH library: it is what
the admin already trusts and has configured. ``~/.ssh/config`` (``Host``
aliases, ``User``, ``Port``, ``IdentityFile``, ``ProxyJump``), the agent,
``known_hosts`` and hardware keys all work because we never pass ``-F``.

Cost. A poll must stay cheap with a fleet of hosts polled every two
seconds, so:

- the connection is shared: the first ``ssh`` becomes the master and every
  later command is a new session on it (ssh_config(5) ``ControlMaster``,
  ``ControlPersist``, ``ControlPath``); a warm command costs one round
  trip, no TCP or key exchange;
- :meth:`SSHRunner.run_many` sends several argvs as ONE remote script
  (``jls`` and ``ps`` of a tick in one round trip). The script runs each
  command with its stdout, stderr and exit status captured separately and
  prints them framed by a random marker with byte lengths, so the output
  of one command can never be mistaken for another's, nor for the login
  shell's noise (motd, rc files) or ssh's own diagnostics.

Quoting. The remote side necessarily runs a shell: sshd hands the command
to the user's login shell (``$SHELL -c``), which may be csh. So the
command line is only the fixed text ``/bin/sh -s`` and the script goes
through ssh's stdin, where no login shell parses it. Inside the script
every argv is quoted with :func:`shlex.join`, and run through ``env`` so a
shell builtin of the same name (``kill``!) is never used instead of the
tool.

Failures. A host that cannot be reached (ssh exit 255 with no answer, or
a timeout) is marked unreachable and retried with exponential backoff
(2, 4, 8 ... 60 s): in between, commands fail at once with
:class:`HostUnreachable` ("unreachable since 12:03:04, retrying in 8 s")
instead of hammering the host or stalling the console. :meth:`state`
exposes the link for the UI.
"""

from __future__ import annotations

from jailtui.core.transport.ssh.files import RemoteFileError, RemoteFiles
from jailtui.core.transport.ssh.framing import build_script, parse_output
from jailtui.core.transport.ssh.link import HostTimeout, HostUnreachable, LinkState
from jailtui.core.transport.ssh.runner import (
    CONNECT_TIMEOUT,
    CONTROL_PERSIST,
    SSHRunner,
    default_name,
    private_control_dir,
    short_host,
)

__all__ = [
    "CONNECT_TIMEOUT", "CONTROL_PERSIST", "HostTimeout", "HostUnreachable", "LinkState",
    "RemoteFileError", "RemoteFiles", "SSHRunner", "build_script", "parse_output",
    "default_name", "private_control_dir", "short_host",
]
