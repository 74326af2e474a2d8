"""Process hardening for a privileged (sudo/doas) session, before Textual loads.

Textual reads ``TEXTUAL_LOG`` (a file it appends to), ``TEXTUAL_DRIVER`` (a
module it imports), ``TEXTUAL_PRESS`` (keys it presses) and more when it is
imported (docs/security.md 0.7, 2.2); Python honours ``PYTHON*``; programs
we start honour ``EDITOR``, ``PAGER``, ``SHELL``, ``ENV``... So a delegate's
environment is replaced by an allowlist of validated values before anything
else is imported, the umask is 077, the working directory ``/`` and core
dumps are off.
"""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Mapping

#: PATH of a hardened session: the base system, then ports (absolute only).
SAFE_PATH = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"

_TERM_RE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
_LANG_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_COLORTERM = frozenset({"truecolor", "24bit", "256", "yes"})

#: Identity variables kept so the role can be decided (identify()).
_IDENTITY = ("SUDO_UID", "SUDO_GID", "SUDO_USER", "DOAS_USER")


def safe_environment(environ: Mapping[str, str], home: str = "/root") -> dict[str, str]:
    """The allowlisted environment of a privileged session."""
    env = {"PATH": SAFE_PATH, "HOME": home, "SHELL": "/bin/sh"}
    term = environ.get("TERM", "")
    env["TERM"] = term if _TERM_RE.match(term) else "vt100"
    for key in ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES"):
        value = environ.get(key)
        if value and _LANG_RE.match(value):
            env[key] = value
    colorterm = environ.get("COLORTERM")
    if colorterm in _COLORTERM:
        env["COLORTERM"] = colorterm
    for key in _IDENTITY:
        if key in environ:
            env[key] = environ[key]
    for key in ("USER", "LOGNAME"):
        if key in environ and _LANG_RE.match(environ[key]):
            env[key] = environ[key]
    return env


def privileged_delegation(environ: Mapping[str, str], euid: int) -> bool:
    """True when we run as root on behalf of another user (sudo or doas)."""
    if euid != 0:
        return False
    sudo_uid = environ.get("SUDO_UID", "").strip()
    doas = environ.get("DOAS_USER", "").strip()
    return sudo_uid not in ("", "0") or doas not in ("", "root", "toor")


def apply() -> None:
    """Harden this process in place (call before importing Textual or Rich)."""
    clean = safe_environment(os.environ)
    os.environ.clear()
    os.environ.update(clean)
    os.umask(0o077)
    os.chdir("/")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
