"""iocage (sysutils/iocage): jails under ``<iocroot>/jails/NAME`` (docs/managers.md 1.2).

The kernel name is ``ioc-`` + the name with ``.`` -> ``_``; the jail's properties live in
``config.json`` and change through ``iocage set`` (iocage regenerates its jail.conf on
every start, so jailtui never writes one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from jailtui.core.owners.base import (
    ConfigUnreadable,
    EditInfo,
    EditKind,
    Files,
    Inventory,
    ManagedJail,
    Owner,
    bare_addrs,
    exists,
    read_config,
    truthy,
)

#: Where iocroot usually is on a stock FreeBSD ZFS install (docs/managers.md 1.2);
#: a host setting ``[owners] iocage_root`` overrides it.
DEFAULT_ROOT = "/zroot/iocage"
PREFIX = "ioc-"


def kernel_name(name: str) -> str:
    """``ioc-`` + name with every ``.`` -> ``_`` (``ioc_start.py``, docs/managers.md 1.2)."""
    return PREFIX + name.replace(".", "_")


class IocageDriver:
    owner = Owner.IOCAGE
    command = "iocage"
    package = "sysutils/iocage"

    def root(self, settings: Mapping[str, str]) -> str:
        return (settings.get("iocage_root") or DEFAULT_ROOT).rstrip("/")

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """Paths and globs this driver reads at its default layout: fetched in one round
        trip on a remote host (RemoteFiles.prefetch) instead of one per file."""
        return ([f"{self.root(settings)}/jails"], [f"{self.root(settings)}/jails/*/config.json"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        root = self.root(settings)
        if not exists(files, f"{root}/jails"):
            return Inventory(self.owner)
        jails: dict[str, ManagedJail] = {}
        broken: dict[str, str] = {}
        for file in files.glob(f"{root}/jails/*/config.json"):
            name = file.rsplit("/", 2)[-2]
            try:
                mj = self._jail(files, root, name, file)
            except ConfigUnreadable as exc:
                broken[name] = str(exc)
                continue
            jails[mj.kernel_name] = mj
        return Inventory(self.owner, True, jails, (), broken)

    def _jail(self, files: Files, root: str, name: str, file: str) -> ManagedJail:
        text = read_config(files, file)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            # A truncated config.json is what `iocage list` shows as CORRUPT (1.2).
            raise ConfigUnreadable(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno})"
                                   ) from exc
        if not isinstance(data, dict):
            raise ConfigUnreadable(f"{file}: not a JSON object")
        return ManagedJail(self.owner, name, kernel_name(name), f"{root}/jails/{name}/root", file,
                           str(data.get("host_hostname") or name.replace("_", "-")),
                           bare_addrs(data.get("ip4_addr")), truthy(data.get("boot", 0)))

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        if not name.startswith(PREFIX):
            return None
        mj = inv.jails.get(name)
        if mj is not None and mj.path == path.rstrip("/"):
            return mj
        parts = path.rstrip("/").split("/")
        if len(parts) >= 3 and parts[-1] == "root" and parts[-3] == "jails" \
                and kernel_name(parts[-2]) == name:
            if parts[-2] in inv.broken:
                return inv.broken[parts[-2]]
            return f"{'/'.join(parts[:-1])}/config.json: missing (iocage no longer knows it)"
        return None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        verb = {"shell": "console"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.PROPERTIES, conf_file,
                        f"iocage set PROPERTY=VALUE {name}")
