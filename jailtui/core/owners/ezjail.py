"""ezjail (sysutils/ezjail): one rc file per jail in /usr/local/etc/ezjail (docs/managers.md 1.5).

The kernel name is the *safe name* (every non-alphanumeric -> ``_``); a ``.norun``
suffix means "not at boot". The files are shell and are changed with
``ezjail-admin config``: shown read-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from jailtui.core.owners import shconf, shvars
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

CONF = "/usr/local/etc/ezjail.conf"
CFG_DIR = "/usr/local/etc/ezjail"
DEFAULTS = (("ezjail_jaildir", "/usr/jails"),)


def safename(name: str) -> str:
    """``echo -n NAME | tr -c '[:alnum:]' _`` (ezjail-admin, docs/managers.md 1.5)."""
    return re.sub(r"[^A-Za-z0-9]", "_", name)


class EzjailDriver:
    owner = Owner.EZJAIL
    command = "ezjail-admin"
    package = "sysutils/ezjail"

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        return ([CONF, CFG_DIR], [f"{CFG_DIR}/*"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        conf = shconf.load(files, [CONF], DEFAULTS)
        if not conf.found and not exists(files, CFG_DIR):
            return Inventory(self.owner)
        jails: dict[str, ManagedJail] = {}
        broken: dict[str, Broken] = {}
        for file in files.glob(f"{CFG_DIR}/*"):
            base = file.rsplit("/", 1)[-1]
            safe = base.removesuffix(".norun")
            if safe.startswith(".") or safename(safe) != safe:
                continue
            try:
                v = shvars.parse(read_config(files, file), file)
            except (ConfigUnreadable, shvars.ShellVarsError) as exc:
                broken[safe] = Broken(str(exc), safe, conf_file=file)
                continue
            root = v.get(f"jail_{safe}_rootdir", "")
            if not root:
                broken[safe] = Broken(f"{file}: no jail_{safe}_rootdir (half-written?)", safe,
                                      conf_file=file)
                continue
            hostname = v.get(f"jail_{safe}_hostname", safe)
            jails[safe] = ManagedJail(self.owner, hostname or safe, safe, root.rstrip("/"), file,
                                      hostname, bare_addrs(v.get(f"jail_{safe}_ip", "")),
                                      not base.endswith(".norun"))
        return Inventory(self.owner, True, jails, conf.problems, broken)

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        mj = inv.jails.get(name)
        if mj is not None:
            if mj.path == path.rstrip("/"):
                return mj
            return f"{mj.conf_file}: jail_{name}_rootdir is {mj.path}, jls says {path}"
        got = inv.broken.get(name)
        return got.reason if got is not None else None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        verb = {"shell": "console"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.READ_ONLY, conf_file, f"ezjail-admin config ... {name}")
