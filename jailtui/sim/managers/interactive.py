"""A manager's interactive shell command (console/login/term) as the jexec argv it runs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from jailtui.sim.context import Ctx


def interactive_argv(simdir: str, argv: list[str], env: Mapping[str, str]) -> list[str] | None:
    """The ``jexec ...`` argv for ``bastille console NAME`` and friends; None when
    ``argv`` is not an interactive command (it then runs captured, as usual)."""
    from jailtui.sim.managers import appjail, bastille, ezjail, iocage, pot
    fns = {"bastille": bastille.interactive, "iocage": iocage.interactive,
           "appjail": appjail.interactive, "pot": pot.interactive,
           "ezjail-admin": ezjail.interactive}
    name = os.path.basename(argv[0])
    fn = fns.get(name)
    if fn is None:
        return None
    ctx = Ctx(Path(simdir), dict(env), prog=name)
    # On None the caller runs argv captured, which prints the manager's own error.
    return fn(ctx, argv[1:])
