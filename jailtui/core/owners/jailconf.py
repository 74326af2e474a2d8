"""Plain jail(8): jails with a block in /etc/jail.conf or /etc/jail.conf.d (docs/managers.md 1.6).

Their inventory is the host's own configuration source (core/hosts/confsource.py,
already cached by stat), so this driver reads no file. The argv here is the plain
jail(8) form; the controller refines it with the host's start method
(``service jail ...`` or ``jail -f FILE ...``, docs/freebsd.md 8.3).
"""

from __future__ import annotations

from collections.abc import Mapping

from jailtui.core.owners.base import EditInfo, EditKind, Files, Inventory, ManagedJail, Owner


class JailConfDriver:
    owner = Owner.JAILCONF
    command = "jail"
    package = "base system"

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        return ([], [])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        return Inventory(self.owner, True)

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        return None  # decided by the registry from the configured names

    def argvs(self, action: str, name: str) -> list[list[str]]:
        if action == "shell":
            return [["jexec", "-l", name]]
        flag = {"start": "-c", "stop": "-r", "restart": "-rc"}[action]
        return [["jail", flag, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.JAILCONF, conf_file)
