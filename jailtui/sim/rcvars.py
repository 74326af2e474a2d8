"""Read rc.conf(5) variable files through the project's parser.

rc.conf is sh, sourced by rc(8); :mod:`jailtui.core.freebsd.rcconf` reads
its assignments without executing anything. This adapter adds a cache keyed
by the file's signature, because the simulator reads every jail's rc.conf
when it builds or starts jails.
"""

from __future__ import annotations

import os
from functools import lru_cache

from jailtui.core.freebsd import rcconf


def read_rc_vars(path: str) -> dict[str, str]:
    """Variables set in the rc.conf at ``path`` (this machine's path); {} if unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return {}
    return dict(_cached(path, st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=256)
def _cached(path: str, _mtime: int, _size: int) -> tuple[tuple[str, str], ...]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return ()
    return tuple(rcconf.parse(text).items())
