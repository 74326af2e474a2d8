"""Where the host's files are, seen from this machine.

On a FreeBSD host ``/etc/jail.conf`` is ``/etc/jail.conf``. The simulated
host keeps a whole host file system under ``SIMDIR/root`` so that its
jail.conf, rc.conf and jail roots use the same absolute paths as on FreeBSD
(``path = /usr/local/jails/web``); :class:`PathMap` translates between the
two. Paths shown to the user are always host paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PathMap:
    """Maps host paths to paths on this machine (identity for a real host)."""

    #: Directory on this machine that is the host's ``/``; "" for identity.
    root: str = ""

    def real(self, host_path: str) -> str:
        """This machine's path for a host path (absolute host paths only)."""
        if not self.root:
            return host_path
        if not host_path.startswith("/"):
            raise ValueError(f"not an absolute pathname: {host_path}")
        norm = os.path.normpath(host_path)
        # normpath keeps a leading "//"; collapse it so joining stays under root.
        return os.path.join(self.root, norm.lstrip("/"))

    def host(self, real_path: str) -> str:
        """The host path for a path on this machine (inverse of :meth:`real`)."""
        if not self.root:
            return real_path
        rel = os.path.relpath(real_path, self.root)
        if rel == ".":
            return "/"
        if rel.startswith(".."):
            raise ValueError(f"{real_path} is outside the host root {self.root}")
        return "/" + rel
