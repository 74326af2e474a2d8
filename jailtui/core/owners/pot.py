"""pot (sysutils/pot): pots under ``${POT_FS_ROOT}/jails/NAME`` (docs/managers.md 1.3).

pot has no restart command: restart is ``pot stop`` then ``pot start``. Its files are
shown read-only; pot's own commands change them.
"""

from __future__ import annotations

from collections.abc import Mapping

from jailtui.core.owners import shconf
from jailtui.core.owners.base import (
    Broken,
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
)

CONF_FILES = ("/usr/local/etc/pot/pot.default.conf", "/usr/local/etc/pot/pot.conf")
DEFAULTS = (("POT_FS_ROOT", "/opt/pot"), ("POT_ZFS_ROOT", "zroot/pot"))


def read_pot_conf(text: str) -> dict[str, str]:
    """``key=value`` lines, quotes stripped, as ``_get_conf_var`` reads them
    (``grep "^key="``, share/pot/common.sh; docs/managers.md 1.3)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and not key.startswith("#"):
            out.setdefault(key.strip(), value.strip().strip('"').strip("'"))
    return out


class PotDriver:
    owner = Owner.POT
    command = "pot"
    package = "sysutils/pot"

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        return ([*CONF_FILES, "/opt/pot/jails"], ["/opt/pot/jails/*/conf/pot.conf"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        conf = shconf.load(files, CONF_FILES, DEFAULTS)
        root = conf.values["POT_FS_ROOT"].rstrip("/")
        if not conf.found and not exists(files, f"{root}/jails"):
            return Inventory(self.owner)
        jails: dict[str, ManagedJail] = {}
        broken: dict[str, Broken] = {}
        for file in files.glob(f"{root}/jails/*/conf/pot.conf"):
            name = file.rsplit("/", 3)[-3]
            try:
                kv = read_pot_conf(read_config(files, file))
            except ConfigUnreadable as exc:
                broken[name] = Broken(str(exc), name, f"{root}/jails/{name}/m", file)
                continue
            if "pot.level" not in kv and "host.hostname" not in kv:
                broken[name] = Broken(f"{file}: no pot.level / host.hostname (half-written?)",
                                      name, f"{root}/jails/{name}/m", file)
                continue
            jails[name] = ManagedJail(self.owner, name, name, f"{root}/jails/{name}/m", file,
                                      kv.get("host.hostname", ""), bare_addrs(kv.get("ip", "")),
                                      kv.get("pot.attr.start-at-boot", "NO").upper() == "YES")
        return Inventory(self.owner, True, jails, conf.problems, broken)

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        mj = inv.jails.get(name)
        if mj is not None and mj.path == path.rstrip("/"):
            if inv.problems:
                return "; ".join(inv.problems)
            return mj
        if path.rstrip("/").endswith(f"/jails/{name}/m") and name in inv.broken:
            return inv.broken[name].reason
        return None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        if action == "restart":
            # No `pot restart` (bin/pot's command list, docs/managers.md 1.3).
            return [[self.command, "stop", name], [self.command, "start", name]]
        verb = {"shell": "term"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.READ_ONLY, conf_file,
                        f"pot set-attr -p {name} -A ATTRIBUTE -V VALUE")
