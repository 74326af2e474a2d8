"""iocage (sysutils/iocage): jails under ``<iocroot>/jails/NAME`` (docs/managers.md 1.2).

The kernel name is ``ioc-`` + the name with ``.`` -> ``_``; the jail's properties live in
``config.json`` and change through ``iocage set`` (iocage regenerates its jail.conf on
every start, so jailtui never writes one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from jailtui.core.errors import JailtuiError
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
        return ([f"{self.root(settings)}/jails"], [f"{self.root(settings)}/jails/*/config.json"])

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        root = self.root(settings)
        if not exists(files, f"{root}/jails"):
            return Inventory(self.owner)
        jails: dict[str, ManagedJail] = {}
        broken: dict[str, Broken] = {}
        for file in files.glob(f"{root}/jails/*/config.json"):
            name = file.rsplit("/", 2)[-2]
            try:
                mj = self._jail(files, root, name, file)
            except ConfigUnreadable as exc:
                broken[name] = Broken(str(exc), kernel_name(name), f"{root}/jails/{name}/root",
                                      file)
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
                return inv.broken[parts[-2]].reason
            return f"{'/'.join(parts[:-1])}/config.json: missing (iocage no longer knows it)"
        return None

    def argvs(self, action: str, name: str) -> list[list[str]]:
        verb = {"shell": "console"}.get(action, action)
        return [[self.command, verb, name]]

    def edit(self, name: str, conf_file: str) -> EditInfo:
        return EditInfo(EditKind.PROPERTIES, conf_file,
                        f"iocage set PROPERTY=VALUE {name}")


def console_log(conf_file: str, name: str) -> str:
    """The console log iocage starts a jail with: ``exec.consolelog=<iocroot>/log/
    ioc-<uuid>-console.log`` (ioc_start.py, where ``self.uuid`` is the name with
    every ``.`` made ``_``: the kernel name; docs/managers.md 1.2), iocroot being
    the directory above ``jails/NAME/config.json``."""
    iocroot = conf_file.rsplit("/jails/", 1)[0]
    return f"{iocroot}/log/{kernel_name(name)}-console.log"


# -- properties: ``iocage get -a`` / ``iocage set`` (the editor's form) ----------------------

#: The properties the console's form offers, in this order, where the jail has them:
#: the ones an admin changes day to day (docs/managers.md 1.2). Others stay for
#: ``iocage set`` on the command line.
FORM_PROPERTIES = ("boot", "priority", "host_hostname", "ip4_addr", "ip6_addr",
                   "defaultrouter", "securelevel", "devfs_ruleset", "allow_raw_sockets",
                   "allow_sysvipc", "allow_mount", "memoryuse", "maxproc", "depends", "notes")

#: A property's jail(8) parameter, for a delegate's allowlist (policy editable_params):
#: iocage writes these into its generated jail.conf (ioc_start.py).
JAIL_PARAM = {"host_hostname": "host.hostname", "securelevel": "securelevel",
              "devfs_ruleset": "devfs_ruleset", "allow_raw_sockets": "allow.raw_sockets",
              "allow_sysvipc": "allow.sysvipc", "allow_mount": "allow.mount",
              "ip4_addr": "ip4.addr", "ip6_addr": "ip6.addr"}

#: iocage property names are lower-case words joined by ``_`` (ioc_json.py).
_PROP = re.compile(r"^[a-z][a-z0-9_]*$")


class PropertyError(JailtuiError):
    """A property name or value iocage would misread (refused before it runs)."""


def get_all_argv(name: str) -> list[str]:
    """``iocage get -a NAME``: every property, ``prop:value`` a line (iocage_cli/get.py)."""
    return ["iocage", "get", "-a", name]


def set_argv(name: str, prop: str, value: str) -> list[str]:
    """``iocage set PROP=VALUE NAME`` (iocage_cli/set.py), the name and value checked:
    one line, no control characters, the property a plain word (so the argument never
    reads as an option)."""
    problem = property_problem(prop, value)
    if problem is not None:
        raise PropertyError(f"{prop}: {problem}")
    return ["iocage", "set", f"{prop}={value}", name]


def property_problem(prop: str, value: str) -> str | None:
    """Why ``PROP=VALUE`` cannot be set; None when it can."""
    if not _PROP.match(prop):
        return "not an iocage property name"
    if not value:
        return "empty (iocage stores none as the word none)"
    if len(value) > 1024:
        return "longer than 1024 characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "control characters are not allowed"
    return None


def parse_get_all(data: bytes) -> dict[str, str]:
    """``iocage get -a``'s ``prop:value`` lines (the value may hold ``:``)."""
    out: dict[str, str] = {}
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        prop, sep, value = line.partition(":")
        if sep and _PROP.match(prop):
            out[prop] = value
    return out
