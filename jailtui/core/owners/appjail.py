"""AppJail (sysutils/appjail): jails under ``${JAILDIR}/NAME`` (docs/managers.md 1.4).

``conf/jail.conf`` is compiled from ``conf/template.conf`` on every start, so it is never
ours to write; the files are shown read-only.
"""

from __future__ import annotations

from collections.abc import Mapping

from jailtui.core.owners import shconf
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
)

CONF = "/usr/local/etc/appjail/appjail.conf"
DEFAULTS = (("PREFIX", "/usr/local"), ("DATADIR", "${PREFIX}/appjail"),
            ("JAILDIR", "${DATADIR}/jails"))
DEFAULT_JAILDIR = "/usr/local/appjail/jails"


def read_template(files: Files, path: str) -> dict[str, str]:
    """``conf/template.conf``'s ``param: value`` lines (quotes stripped); {} if unreadable
    (a display nicety: ownership does not depend on it)."""
    try:
        text = read_config(files, path)
    except ConfigUnreadable:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            out[key.strip()] = value.strip().strip('"')
    return out


class AppJailDriver:
    owner = Owner.APPJAIL
    command = "appjail"
    package = "sysutils/appjail"

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        return ([CONF, DEFAULT_JAILDIR], [f"{DEFAULT_JAILDIR}/*/conf/config.conf", f"{DEFAULT_JAILDIR}/*/conf/template.conf", f"{DEFAULT_JAILDIR}/*/conf/boot/startup/boot"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        conf = shconf.load(files, [CONF], DEFAULTS)
        jaildir = conf.values["JAILDIR"].rstrip("/")
        if not conf.found and not exists(files, jaildir):
            return Inventory(self.owner)
        jails: dict[str, ManagedJail] = {}
        for file in files.glob(f"{jaildir}/*/conf/config.conf"):
            name = file.rsplit("/", 3)[-3]
            # `appjail jail boot on` touches it, `off` removes it (cmd/jail
            # jail_boot_on/off, docs/managers.md 1.4).
            boot = exists(files, f"{jaildir}/{name}/conf/boot/startup/boot")
            template = f"{jaildir}/{name}/conf/template.conf"
            params = read_template(files, template)
            jails[name] = ManagedJail(self.owner, name, name, f"{jaildir}/{name}/jail",
                                      template, params.get("host.hostname", ""),
                                      bare_addrs(params.get("ip4.addr", "")), boot)
        return Inventory(self.owner, True, jails, conf.problems)

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        # AppJail's own test: jls path == ${JAILDIR}/NAME/jail (lib_jail_created_by_appjail).
        mj = inv.jails.get(name)
        if mj is not None and mj.path == path.rstrip("/"):
            if inv.problems:
                return "; ".join(inv.problems)
            return mj
        if inv.problems and path.rstrip("/").endswith(f"/{name}/jail"):
            return "; ".join(inv.problems)
        return None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        verb = {"shell": "login"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.READ_ONLY, conf_file,
                        f"appjail jail ... / appjail-config set -j {name} PARAM=VALUE")
