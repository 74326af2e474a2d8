"""Lay out jail managers' files on a simulated host, as the real ones do (docs/managers.md).

``managed_jails(managers)`` gives the demo jails of each manager (two each: one running,
one configured but stopped); ``write(paths, managed)`` writes the manager's settings
file, its per-jail files and a stand-in executable in /usr/local/bin (what makes the
command exist on the simulated host), and returns the jails for the builder to give
roots and (when running) to start under their kernel names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jailtui.core.owners import appjail, bastille, ezjail, iocage, pot
from jailtui.core.transport.hostfs import PathMap
from jailtui.sim.managers import COMMANDS
from jailtui.sim.managers import iocage as iocage_sim

MANAGERS = tuple(COMMANDS)


@dataclass(frozen=True)
class Managed:
    """One jail a manager owns on the demo host."""

    manager: str
    #: The manager's own name.
    name: str
    role: str
    ip4: str
    running: bool
    boot: bool

    @property
    def kernel_name(self) -> str:
        if self.manager == "iocage":
            return iocage.kernel_name(self.name)
        if self.manager == "ezjail":
            return ezjail.safename(self.name)
        return self.name

    @property
    def root(self) -> str:
        return {
            "bastille": f"/usr/local/bastille/jails/{self.name}/root",
            "iocage": f"{iocage.DEFAULT_ROOT}/jails/{self.name}/root",
            "appjail": f"/usr/local/appjail/jails/{self.name}/jail",
            "pot": f"/opt/pot/jails/{self.name}/m",
            "ezjail": f"/usr/jails/{self.name}",
        }[self.manager]

    @property
    def params(self) -> dict[str, int]:
        """Kernel parameters the manager's start gave the running jail: iocage's own
        devfs ruleset, generated from 1000 up (sim/managers/iocage.py); Bastille's
        ``jail -f .../jail.conf -c`` the ``devfs_ruleset = 4`` of that file (so a fresh
        demo host shows no drift, core/drift.py)."""
        if self.manager == "iocage" and self.running:
            return {"devfs_ruleset": iocage_sim.MIN_DYN_DEVFS_RULESET}
        if self.manager == "bastille" and self.running:
            return {"devfs_ruleset": 4}
        return {}

    @property
    def hostname(self) -> str:
        return self.name if "." in self.name else f"{self.name}.example.org"


_DEMO: dict[str, tuple[Managed, ...]] = {
    "bastille": (Managed("bastille", "shop", "web", "10.0.1.11", True, True),
                 Managed("bastille", "wiki", "web", "10.0.1.12", False, False)),
    "iocage": (Managed("iocage", "media.lan", "cache", "10.0.2.11", True, True),
               Managed("iocage", "backup", "dns", "10.0.2.12", False, False)),
    "appjail": (Managed("appjail", "radio", "dns", "10.0.3.11", True, True),
                Managed("appjail", "builder", "ci", "10.0.3.12", False, False)),
    "pot": (Managed("pot", "proxy", "cache", "10.0.4.11", True, True),
            Managed("pot", "batch", "dns", "10.0.4.12", False, False)),
    "ezjail": (Managed("ezjail", "forum.example.net", "web", "10.0.5.11", True, True),
               Managed("ezjail", "old", "dns", "10.0.5.12", False, False)),
}


def parse_managers(text: str) -> tuple[str, ...]:
    """``bastille,iocage`` -> ("bastille", "iocage"); ``none`` (or nothing) -> ();
    ValueError names an unknown one."""
    if text.strip() == "none":
        return ()
    out: list[str] = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if word not in MANAGERS:
            raise ValueError(f"unknown manager {word!r} (choose from {', '.join(MANAGERS)})")
        if word not in out:
            out.append(word)
    return tuple(out)


def managed_jails(managers: Iterable[str]) -> list[Managed]:
    return [m for name in managers for m in _DEMO[name]]


def _write(paths: PathMap, host_path: str, text: str, mode: int = 0o644) -> None:
    real = paths.real(host_path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(real, mode)


def write(paths: PathMap, managers: Sequence[str], jails: Sequence[Managed]) -> None:
    """Every manager's settings and per-jail files, and its executable stand-in."""
    for name in managers:
        _write(paths, f"/usr/local/bin/{COMMANDS[name]}",
               f"#!/bin/sh\n# {name}: stand-in; the simulator answers this command\n", 0o755)
        _SETTINGS[name](paths)
    for m in jails:
        _JAIL[m.manager](paths, m)


def _bastille_settings(paths: PathMap) -> None:
    # bastille.conf.sample's shape: shell, ${bastille_prefix} substitution (1.1).
    _write(paths, bastille.CONF, "\n".join([
        "#####################", "## [ BastilleBSD ] ##", "#####################", "",
        "## default paths", 'bastille_prefix="/usr/local/bastille"                ## default: '
        '"/usr/local/bastille"',
        'bastille_jailsdir="${bastille_prefix}/jails"          ## default: '
        '"${bastille_prefix}/jails"',
        'bastille_releasesdir="${bastille_prefix}/releases"    ## default: '
        '"${bastille_prefix}/releases"',
        'bastille_logsdir="/var/log/bastille"                  ## default: "/var/log/bastille"',
        "", 'bastille_zfs_enable="NO"', 'bastille_zfs_zpool=""', ""]))
    os.makedirs(paths.real("/usr/local/bastille/jails"), exist_ok=True)
    os.makedirs(paths.real("/var/log/bastille"), exist_ok=True)
    os.chmod(paths.real("/usr/local/bastille"), 0o750)


def _bastille_jail(paths: PathMap, m: Managed) -> None:
    d = f"/usr/local/bastille/jails/{m.name}"
    _write(paths, f"{d}/jail.conf", "\n".join([
        f"{m.name} {{", "  devfs_ruleset = 4;", "  enforce_statfs = 2;",
        "  exec.clean;", f"  exec.consolelog = /var/log/bastille/{m.name}_console.log;",
        "  exec.start = '/bin/sh /etc/rc';", "  exec.stop = '/bin/sh /etc/rc.shutdown';",
        f"  host.hostname = {m.hostname};", f"  mount.fstab = {d}/fstab;", "  mount.devfs;",
        f"  path = {d}/root;", "  securelevel = 2;", f"  ip4.addr = em0|{m.ip4}/24;",
        "}", ""]))
    _write(paths, f"{d}/fstab", "")
    _write(paths, f"{d}/settings.conf",
           f"boot={'on' if m.boot else 'off'}\npriority=99\ndepend=\n")


def _iocage_settings(paths: PathMap) -> None:
    # The datasets `iocage activate` makes under POOL/iocage (ioc_check.py __check_datasets__).
    for sub in ("download", "images", "jails", "log", "releases", "templates"):
        os.makedirs(paths.real(f"{iocage.DEFAULT_ROOT}/{sub}"), exist_ok=True)
    _write(paths, f"{iocage.DEFAULT_ROOT}/defaults.json", json.dumps(
        {"CONFIG_VERSION": "33", "boot": 0, "priority": "99"}, indent=4) + "\n")


def _iocage_jail(paths: PathMap, m: Managed) -> None:
    d = f"{iocage.DEFAULT_ROOT}/jails/{m.name}"
    # config.json keys from retrieve_default_props (ioc_json.py, docs/managers.md 1.2).
    _write(paths, f"{d}/config.json", json.dumps({
        "CONFIG_VERSION": "33", "host_hostuuid": m.name, "host_hostname": m.hostname,
        "release": "14.3-RELEASE", "type": "jail", "boot": 1 if m.boot else 0,
        "priority": "99", "basejail": 0, "ip4_addr": f"em0|{m.ip4}/24", "ip6_addr": "none",
        "vnet": 0, "exec_start": "/bin/sh /etc/rc", "exec_stop": "/bin/sh /etc/rc.shutdown",
        "login_flags": "-f root", "securelevel": "2", "devfs_ruleset": "4",
        "notes": "none"}, indent=4, sort_keys=True) + "\n")
    _write(paths, f"{d}/fstab", "")
    if m.running:
        # What its last `iocage start` wrote, so a stop finds it (ioc_stop.py).
        data = json.loads(open(paths.real(f"{d}/config.json"), encoding="utf-8").read())
        _write(paths, f"/var/run/jail.{m.kernel_name}.conf",
               iocage_sim.runtime_conf(m.name, data, m.params["devfs_ruleset"]))


def _appjail_settings(paths: PathMap) -> None:
    _write(paths, appjail.CONF, 'EXT_IF=em0\nFREEBSD_VERSION=14.3-RELEASE\n'
           'FREEBSD_ARCH=amd64\nIMAGE_ARCH=amd64\nSHORTEN_DOMAIN=1\n')
    os.makedirs(paths.real("/usr/local/appjail/jails"), exist_ok=True)


def _appjail_jail(paths: PathMap, m: Managed) -> None:
    d = f"/usr/local/appjail/jails/{m.name}"
    _write(paths, f"{d}/conf/config.conf",
           "jail_type=thin\nosarch=amd64\nosversion=14.3-RELEASE\nappjail_version=5.4.0\n")
    _write(paths, f"{d}/conf/template.conf", "\n".join([
        'exec.start: "/bin/sh /etc/rc"', 'exec.stop: "/bin/sh /etc/rc.shutdown jail"',
        "mount.devfs", f'host.hostname: "{m.hostname}"', f'ip4.addr: "em0|{m.ip4}/24"', ""]))
    if m.boot:
        _write(paths, f"{d}/conf/boot/startup/boot", "")
    # What the last `appjail start` compiled (cmd/start), so a running jail stops by it.
    from jailtui.sim.managers.appjail import compile_conf
    _write(paths, f"{d}/conf/jail.conf",
           compile_conf(open(paths.real(f"{d}/conf/template.conf"), encoding="utf-8").read(),
                        m.name, "/usr/local/appjail/jails"))


def _pot_settings(paths: PathMap) -> None:
    _write(paths, pot.CONF_FILES[0], "# pot configuration defaults\nPOT_ZFS_ROOT=zroot/pot\n"
           "POT_FS_ROOT=/opt/pot\nPOT_CACHE=/var/cache/pot\nPOT_TMP=/tmp\n"
           "POT_NETWORK=10.192.0.0/10\nPOT_GATEWAY=10.192.0.1\n")
    os.makedirs(paths.real("/opt/pot/jails"), exist_ok=True)


def _pot_jail(paths: PathMap, m: Managed) -> None:
    d = f"/opt/pot/jails/{m.name}"
    _write(paths, f"{d}/conf/pot.conf", "\n".join([
        "pot.level=1", "pot.type=multi", "pot.base=14.3", "pot.potbase=", "pot.dns=inherit",
        "pot.cmd=sh /etc/rc", f'host.hostname="{m.hostname}"', "osrelease=14.3-RELEASE",
        "pot.attr.no-rc-script=NO", "pot.attr.persistent=YES",
        f"pot.attr.start-at-boot={'YES' if m.boot else 'NO'}", "network_type=alias",
        f"ip={m.ip4}", ""]))
    _write(paths, f"{d}/conf/fscomp.conf", f"/opt/pot/bases/14.3 {d}/m ro\n")


def _ezjail_settings(paths: PathMap) -> None:
    _write(paths, ezjail.CONF, '# ezjail.conf\nezjail_jaildir=/usr/jails\n'
           'ezjail_jailbase=${ezjail_jaildir}/basejail\nezjail_use_zfs="NO"\n')
    os.makedirs(paths.real(ezjail.CFG_DIR), exist_ok=True)


def _ezjail_jail(paths: PathMap, m: Managed) -> None:
    s = ezjail.safename(m.name)
    # writejailinfo's shape (ezjail-admin 3.4.2, docs/managers.md 1.5).
    text = "\n".join([
        "# To specify the start up order of your ezjails, use these lines to",
        "# create a Jail dependency tree. See rcorder(8) for more details.", "#",
        "# PROVIDE: standard_ezjail", "# REQUIRE: ", "# BEFORE: ", "#", "",
        f'export jail_{s}_hostname="{m.name}"', f'export jail_{s}_ip="em0|{m.ip4}"',
        f'export jail_{s}_rootdir="/usr/jails/{m.name}"', f'export jail_{s}_exec_start="/bin/sh /etc/rc"',
        f'export jail_{s}_exec_stop=""', f'export jail_{s}_mount_enable="YES"',
        f'export jail_{s}_devfs_enable="YES"', f'export jail_{s}_devfs_ruleset="devfsrules_jail"',
        f'export jail_{s}_procfs_enable="YES"', f'export jail_{s}_fdescfs_enable="YES"',
        f'export jail_{s}_image=""', f'export jail_{s}_imagetype=""', ""])
    _write(paths, f"{ezjail.CFG_DIR}/{s}{'' if m.boot else '.norun'}", text)
    _write(paths, f"/etc/fstab.{s}", f"/usr/jails/basejail /usr/jails/{m.name}/basejail "
           "nullfs ro 0 0\n")


_SETTINGS = {"bastille": _bastille_settings, "iocage": _iocage_settings,
             "appjail": _appjail_settings, "pot": _pot_settings, "ezjail": _ezjail_settings}
_JAIL = {"bastille": _bastille_jail, "iocage": _iocage_jail, "appjail": _appjail_jail,
         "pot": _pot_jail, "ezjail": _ezjail_jail}
