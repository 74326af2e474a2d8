"""Which jail(8) reads the file: FreeBSD 14.0 rewrote jail.conf's scanner and grammar.

Up to 13.x (``usr.sbin/jail/jaillex.l`` caa41f64, releng/12.2 and 13, and
``jailparse.y`` 0e5ec9dc): whitespace is only blank, tab and newline (a CR is
a stray character, hence a syntax error), a block holds parameters only, a
``.include`` line is an ordinary parameter, and every run of top-level
parameters after a block starts a new global ``*`` pseudo-jail.

From 14.0 (the reentrant scanner of 086e0149 and the ``jailparse.y`` with
``current_jail``/``global_jail``): ``[ \\t\\r\\n]+`` is whitespace, blocks nest,
``.include`` reads files, and all top-level parameters, from every file, go
into the one ``global_jail`` created where the first of them stands.

Callers pass the host's FreeBSD major release; ``None`` means the newest.
docs/freebsd.md 4.1, 4.2.
"""

from __future__ import annotations

import re

__all__ = ["MODERN", "modern", "release_major"]

#: The first release with the newer scanner and grammar.
MODERN = 14


def modern(freebsd: int | None) -> bool:
    """The 14.0+ scanner and grammar apply to a host of release ``freebsd``."""
    return freebsd is None or freebsd >= MODERN


def release_major(osrelease: str) -> int | None:
    """The major release of a ``kern.osrelease``/``uname -r`` string
    (``14.3-RELEASE-p2`` -> 14); None when it is not one."""
    m = re.match(r"([0-9]+)\.", osrelease)
    return int(m.group(1)) if m else None
