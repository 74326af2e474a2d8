"""Jail owners: which tool manages a jail (plain jail(8), Bastille, iocage, ...).

One driver module per owner (docs/managers.md 1.0): each reads its manager's files
(never its slow ``list`` command), lists the jails it configures with their own names,
says whether they start at boot, gives the argv of start/stop/restart/shell and says
how the jail's configuration is edited. :mod:`.registry` attributes a running jail
from its ``jls`` name and path alone (docs/managers.md 1.7) and caches the result.
"""

from jailtui.core.owners.base import (
    OWNER_TERM,
    OWNERS,
    EditInfo,
    EditKind,
    Inventory,
    ManagedJail,
    Owner,
    Ownership,
    column_letter,
    letter,
    owner_term_matches,
    title,
)
from jailtui.core.owners.registry import DRIVERS, OwnerIndex, driver

__all__ = ["DRIVERS", "OWNERS", "EditInfo", "EditKind", "Inventory", "ManagedJail", "OWNER_TERM",
           "Owner", "OwnerIndex", "Ownership", "column_letter", "driver", "letter",
           "owner_term_matches", "title"]
