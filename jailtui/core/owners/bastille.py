"""Bastille (sysutils/bastille): jails under ``<jailsdir>/NAME`` (docs/managers.md 1.1).

The per-jail ``jail.conf`` is jail.conf(5): our parser reads it, and the editor opens it.
``bastille start`` runs ``jail -f <jailsdir>/NAME/jail.conf -c NAME`` plus rctl, cpuset
and pf rdr, which is why actions go through ``bastille``, not jail(8).
"""

from __future__ import annotations

from collections.abc import Mapping

from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd import jailconf
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
    conf_str,
    exists,
    read_config,
    truthy,
)

CONF = "/usr/local/etc/bastille/bastille.conf"
DEFAULTS = (("bastille_prefix", "/usr/local/bastille"),
            ("bastille_jailsdir", "${bastille_prefix}/jails"))
#: Bastille's own words when its config is missing (usr/local/bin/bastille).
NO_CONFIG = "No config file found!"
DEFAULTS_JAILSDIR = "/usr/local/bastille/jails"


class BastilleDriver:
    owner = Owner.BASTILLE
    command = "bastille"
    package = "sysutils/bastille"

    def jailsdir(self, files: Files) -> tuple[str, shconf.ShConf]:
        conf = shconf.load(files, [CONF], DEFAULTS)
        return conf.values["bastille_jailsdir"].rstrip("/") or "/", conf

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        return ([CONF, DEFAULTS_JAILSDIR], [f"{DEFAULTS_JAILSDIR}/*/jail.conf", f"{DEFAULTS_JAILSDIR}/*/settings.conf"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        jailsdir, conf = self.jailsdir(files)
        problems = list(conf.problems)
        if not conf.found:
            if not exists(files, jailsdir):
                return Inventory(self.owner)
            problems.append(f"{CONF}: missing; bastille says {NO_CONFIG!r} and does nothing")
        jails: dict[str, ManagedJail] = {}
        broken: dict[str, Broken] = {}
        for file in files.glob(f"{jailsdir}/*/jail.conf"):
            name = file.rsplit("/", 2)[-2]
            try:
                jails[name] = self._jail(files, jailsdir, name, file)
            except (ConfigUnreadable, JailtuiError, shvars.ShellVarsError) as exc:
                broken[name] = Broken(str(exc), name, f"{jailsdir}/{name}/root", file)
        return Inventory(self.owner, True, jails, tuple(problems), broken)

    def _jail(self, files: Files, jailsdir: str, name: str, file: str) -> ManagedJail:
        config = jailconf.load_string(read_config(files, file), file,
                                      read=lambda p: read_config(files, p), glob=files.glob)
        if name not in config.jail_names():
            raise ConfigUnreadable(f"{file}: no block for {name!r} (Bastille lists it as n/a)")
        p = config.effective(name)
        boot = False
        settings_file = f"{jailsdir}/{name}/settings.conf"
        if exists(files, settings_file):
            boot = truthy(shvars.parse(read_config(files, settings_file),
                                       settings_file).get("boot", "off"))
        return ManagedJail(self.owner, name, name, conf_str(p.get("path")) or
                           f"{jailsdir}/{name}/root", file, conf_str(p.get("host.hostname")),
                           bare_addrs(p.get("ip4.addr")), boot)

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        mj = inv.jails.get(name)
        if mj is not None and mj.path.rstrip("/") == path.rstrip("/"):
            if inv.problems:
                return "; ".join(inv.problems)
            return mj
        if not path.endswith(f"/{name}/root"):
            return None
        if name in inv.broken:
            return inv.broken[name].reason
        if inv.problems and inv.present:
            return "; ".join(inv.problems)
        return None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        verb = {"shell": "console"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        # jail.conf syntax, written by `bastille create` once and read on every start:
        # ours to edit with the parser, checks and safe save (docs/managers.md 1.1).
        return EditInfo(EditKind.JAILCONF, conf_file)
