"""A manager's own settings file (sh assignments) with its defaults, read once.

Shared by the Bastille, AppJail, pot and ezjail drivers: they differ only in the file
names and the defaults (docs/managers.md 1.1, 1.3-1.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jailtui.core.owners import shvars
from jailtui.core.owners.base import ConfigUnreadable, Files, exists, read_config


@dataclass(frozen=True, slots=True)
class ShConf:
    #: Values after the user's files and then the defaults (``VAR=${VAR:-default}``).
    values: Mapping[str, str]
    #: At least one of the files exists (the manager is set up here).
    found: bool
    #: What went wrong reading them; values are then the defaults alone.
    problems: tuple[str, ...] = ()


def load(files: Files, paths: Sequence[str], defaults: Sequence[tuple[str, str]],
         env: Mapping[str, str] | None = None) -> ShConf:
    """Read ``paths`` in order (later ones override), then apply ``defaults`` for every
    variable still unset; a default may refer to earlier variables (``${PREFIX}``).

    A malformed or unreadable file is reported in ``problems`` and contributes nothing.
    """
    values: dict[str, str] = dict(env or {})
    found = False
    problems: list[str] = []
    for path in paths:
        if not exists(files, path):
            continue
        found = True
        try:
            values.update(shvars.parse(read_config(files, path), path, values))
        except (ConfigUnreadable, shvars.ShellVarsError) as exc:
            problems.append(str(exc))
    for key, default in defaults:
        if values.get(key, "") == "":
            values[key] = shvars.parse(f'{key}="{default}"', "(default)", values)[key]
    return ShConf(values, found, tuple(problems))
