"""One view of a host's jail configuration for one action's decisions.

An action on a jail (Controller._lifecycle: start, stop, restart) asks the
configuration several times within a millisecond: the manager-name hint, the owner,
rc.d/jail or jail(8), the ``jail -f`` file, the dependents ``jail -r`` stops first.
Each ``Host.configured()`` is the cache of core/hosts/confsource.py checked against
every file's stat and include glob (some 15 stats and 6 globs), so the same check
ran four or five times per action (benchmarks/README.md "restore", round 4). Inside
:func:`one_view` the first call checks and the others get that same view: the
decisions of one action are taken from one reading of the files (never a mix of two,
had one changed in between). The view is the action's task's only (a ContextVar: the
console's poll, another task, checks as always) and ends with the block, so the next
action, a step later in a restore, checks the files again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from jailtui.core.hosts.confsource import ConfiguredJails

#: Per host object (by identity) the view this block took; None outside a block.
_VIEWS: ContextVar[dict[int, tuple[object, ConfiguredJails]] | None] = ContextVar(
    "jailtui_one_view", default=None)


@contextmanager
def one_view() -> Iterator[None]:
    """Inside: each host's configuration is checked once (the first ``configured()``)."""
    token = _VIEWS.set({})
    try:
        yield
    finally:
        _VIEWS.reset(token)


def configured(host: object, load: Callable[[], ConfiguredJails]) -> ConfiguredJails:
    """``load()`` (the checked cache), or inside :func:`one_view` the view this block
    already took of ``host``."""
    views = _VIEWS.get()
    if views is None:
        return load()
    held = views.get(id(host))
    if held is not None and held[0] is host:
        return held[1]
    conf = load()
    views[id(host)] = (host, conf)
    return conf
