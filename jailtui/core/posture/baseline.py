"""The host's security baseline: ``[posture]`` in config.toml, with its defaults.

Every item of a jail's posture (core/posture/collect.py) is measured against
this. The defaults, and why:

- ``min_securelevel = -1``: not enforced. Inside a jail without
  ``allow.chflags``, jail root cannot clear ``schg`` at any securelevel
  (docs/freebsd.md 13.2); the level matters for jails that have
  ``allow.chflags`` and for the host. Raise it (1 forbids clearing system
  flags at all) where the host runs secure.
- ``forbid``: the ``allow.*`` switches that widen a jail's reach towards the
  host: changing system file flags, mounting, raw sockets (spoofing), every
  socket family, the kernel message buffer, tampering with unprivileged
  parent processes (docs/freebsd.md 5.2, docs/security.md 2.6). A name ending
  in ``.*`` covers every parameter under it (``allow.mount.*``).
- ``min_enforce_statfs = 2``: the jail sees only mounts below its root.
- ``devfs_ruleset_zero = false``: a jail with ruleset 0 that may mount devfs
  itself (``allow.mount.devfs``) deviates: its own devfs would hide no device,
  disks included. Ruleset 0 alone is normal: jail(8)'s ``mount.devfs``
  applies rc.conf's ``devfs_jail_ruleset`` (4) without setting the parameter.
- ``flags``: ``schg`` on the base system directories, ``sappnd`` on each log
  file directly in /var/log (security(7)); a path the root does not have is
  not a deviation (``/boot`` in most jails).
- ``max_vulnerable = 0``: no vulnerable package, in the base system or the
  jail's packages.
- ``max_db_age_days = 2``: pkg's periodic base audit refetches the database
  after two days (``security_status_baseaudit_expiry``, docs/freebsd.md 13.4).
- ``critical = []``: every deviation is a WARNING unless its item group is
  listed here (``securelevel``, ``restrictions``, ``flags``, ``userland``,
  ``packages``, ``base``, ``database``).
- ``in_check = false``: ``jailtui check`` and the health view evaluate the
  posture only when this is true or ``check --posture`` asks: it runs one
  ``pkg audit`` inside every jail, too much for a check every minute.

A host may have its own baseline: ``[posture.hosts.NAME]`` (NAME as in
``[hosts.NAME]``, ``local`` for this machine and the simulated host) takes the same keys, each
replacing the one of ``[posture]`` for that host only (a build host may allow
raw sockets, a hardened one demand securelevel 1). ``in_check`` stays global.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jailtui.core.freebsd.fflags import ORDER as FLAG_ORDER

#: Item groups a deviation can be made CRITICAL for.
GROUPS = ("securelevel", "restrictions", "flags", "userland", "packages", "base", "database")

DEFAULT_FORBID = ("allow.chflags", "allow.mount", "allow.mount.*", "allow.raw_sockets",
                  "allow.read_msgbuf", "allow.socket_af", "allow.unprivileged_parent_tampering")

DEFAULT_FLAGS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "/bin": ("schg",), "/sbin": ("schg",), "/lib": ("schg",), "/libexec": ("schg",),
    "/usr/bin": ("schg",), "/usr/sbin": ("schg",), "/usr/lib": ("schg",),
    "/boot": ("schg",), "/var/log/*": ("sappnd",),
})

#: Flag names a baseline may require: chflags(1)'s (docs/freebsd.md 13.2).
KNOWN_FLAGS = frozenset(FLAG_ORDER)


@dataclass(frozen=True, slots=True)
class Baseline:
    min_securelevel: int = -1
    forbid: tuple[str, ...] = DEFAULT_FORBID
    min_enforce_statfs: int = 2
    devfs_ruleset_zero: bool = False
    flags: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_FLAGS)
    max_vulnerable: int = 0
    max_db_age_days: float = 2.0
    critical: tuple[str, ...] = ()
    in_check: bool = False
    #: ``[posture.hosts.NAME]``: the baseline of host NAME (``[posture]`` with
    #: that table's keys replaced).
    hosts: Mapping[str, Baseline] = field(default_factory=lambda: MappingProxyType({}))

    def for_host(self, name: str | None) -> Baseline:
        """The baseline host ``name`` is measured against (this one without its own)."""
        return self.hosts.get(name, self) if name else self

    def forbids(self, param: str) -> bool:
        """Is jail parameter ``param`` one that must be off?"""
        for f in self.forbid:
            if f == param or (f.endswith(".*") and param.startswith(f[:-1])):
                return True
        return False

    def severity_group_critical(self, group: str) -> bool:
        return group in self.critical

    def to_toml(self) -> dict[str, Any]:
        """The values as config.toml spells them (``jailtui config``)."""
        return {"min_securelevel": self.min_securelevel, "forbid": list(self.forbid),
                "min_enforce_statfs": self.min_enforce_statfs,
                "devfs_ruleset_zero": self.devfs_ruleset_zero,
                "flags": {k: ",".join(v) for k, v in self.flags.items()},
                "max_vulnerable": self.max_vulnerable,
                "max_db_age_days": self.max_db_age_days, "critical": list(self.critical),
                "in_check": self.in_check}


#: The keys of [posture] (config.toml.sample lists them at their defaults).
KEYS = tuple(Baseline().to_toml())


def parse_baseline(table: Mapping[str, Any], at: Callable[..., str],
                   error: Callable[[str], Exception]) -> tuple[Baseline, list[str]]:
    """``[posture]`` validated: (the baseline, warnings for unknown keys).

    ``at("posture", key)`` names the key's place; ``error(message)`` is the
    exception raised for a wrong value (SettingsError).
    """
    b = Baseline()
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in table.items():
        where = at("posture", key)
        if key == "min_securelevel":
            if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 3:
                raise error(f"{where}: [posture] min_securelevel must be -1..3")
            values[key] = value
        elif key == "min_enforce_statfs":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
                raise error(f"{where}: [posture] min_enforce_statfs must be 0..2")
            values[key] = value
        elif key in ("forbid", "critical"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise error(f"{where}: [posture] {key} must be a list of names")
            if key == "critical":
                bad = [v for v in value if v not in GROUPS]
                if bad:
                    raise error(f"{where}: [posture] critical: unknown item group "
                                f"{bad[0]!r} (one of {', '.join(GROUPS)})")
            elif any(not v.startswith("allow.") for v in value):
                raise error(f"{where}: [posture] forbid names allow.* parameters")
            values[key] = tuple(value)
        elif key in ("devfs_ruleset_zero", "in_check"):
            if not isinstance(value, bool):
                raise error(f"{where}: [posture] {key} must be true or false")
            values[key] = value
        elif key == "max_vulnerable":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise error(f"{where}: [posture] max_vulnerable must be a count (>= 0)")
            values[key] = value
        elif key == "max_db_age_days":
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise error(f"{where}: [posture] max_db_age_days must be days (> 0)")
            values[key] = float(value)
        elif key == "flags":
            values[key] = _flags(value, where, error)
        elif key == "hosts":
            continue  # below, over the other keys
        else:
            warnings.append(f"{where}: unknown key [posture] {key} ignored")
    hosts: dict[str, Baseline] = {}
    raw = table.get("hosts", {})
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise error(f"{at('posture', 'hosts')}: [posture.hosts.NAME] must be tables")
    common = {k: v for k, v in table.items() if k != "hosts"}
    for name, own in raw.items():
        for k in ("hosts", "in_check"):
            if k in own:
                warnings.append(f"{at('posture', 'hosts', name, k)}: [posture.hosts.{name}] "
                                f"{k} ignored (only [posture] has it)")
        merged = {**common, **{k: v for k, v in own.items() if k not in ("hosts", "in_check")}}
        got, more = parse_baseline(merged, lambda *keys, n=name: at("posture", "hosts", n,
                                                                   *keys[1:]), error)
        hosts[name] = got
        warnings += [w for w in more if w not in warnings]
    values["hosts"] = MappingProxyType(hosts)
    return Baseline(**{**{k: getattr(b, k) for k in KEYS}, **values}), warnings


def _flags(value: object, where: str,
           error: Callable[[str], Exception]) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise error(f'{where}: [posture] flags must be a table of path = "flags"')
    out: dict[str, tuple[str, ...]] = {}
    for path, spec in value.items():
        if not isinstance(path, str) or not path.startswith("/") or ".." in path.split("/"):
            raise error(f"{where}: [posture] flags: {path!r} must be an absolute path "
                        "inside the jail")
        if "*" in path.rstrip("*") or (path.endswith("*") and not path.endswith("/*")):
            raise error(f"{where}: [posture] flags: {path!r}: only a last /* is a pattern")
        if not isinstance(spec, str):
            raise error(f'{where}: [posture] flags: {path} must be "flag,flag"')
        names = tuple(n.strip() for n in spec.split(",") if n.strip())
        bad = [n for n in names if n not in KNOWN_FLAGS]
        if bad:
            raise error(f"{where}: [posture] flags: {path}: unknown flag {bad[0]!r}")
        out[path] = names
    return MappingProxyType(out)
