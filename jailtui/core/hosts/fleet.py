"""Several jail hosts at once: who they are, and one poll of all of them.

Hosts come from the command line (``--host web1.example.org --host admin@db1
--host local``, repeatable) and from the config file's ``[hosts.NAME]``
tables::

    [hosts.web1]
    destination = "admin@web1.example.org"   # anything ssh(1) takes; default: NAME
    interval = 5                             # seconds between polls of this host
    start_method = "service"                 # service | jail | auto (core.control)
    ssh_options = ["-p", "2222", "-o", "ProxyJump=bastion"]
    connect_timeout = 5                      # ssh_config(5) ConnectTimeout
    root = "/srv/fake"                       # host files under this directory (fakes)
    owners = { bastille = "jail", iocage_root = "/mnt/tank/iocage" }
                                             # per owner: "manager" (default) or "jail"
                                             # (drive its jails with jail(8)); iocage_root:
                                             # where iocage's jails are (docs/managers.md 1.2)

``--host web1`` then means that table; ``--host all`` every table. The
tables are validated here, from the config files core/config/layers.py
reads and merges (a user's ``[hosts.web1] interval`` overrides only that
key of the system file's table); core/config/settings.py owns the other
sections and reports unknown ones.

Every host is a :class:`~jailtui.core.hosts.host.Host`: local ones on a
LocalRunner, remote ones on an :class:`~jailtui.core.transport.ssh.SSHRunner` with
:class:`~jailtui.core.transport.ssh.RemoteFiles`. :meth:`Fleet.poll_all` polls them
concurrently and captures each host's failure on its own, so a dead host
never delays or hides the others.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jailtui.core.errors import JailtuiError
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import HostSnapshot, Jail, Process
from jailtui.core.transport.capture import MAX_OUTPUT
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import LocalRunner

if TYPE_CHECKING:
    # The SSH transport is imported where a remote host is built, the actions
    # layer where a table names a start_method: `list` on the local host
    # loads neither (tests/test_import_hygiene.py LIST_LAZY).
    from jailtui.core.actions.control import StartMethod
    from jailtui.core.transport.ssh import LinkState

__all__ = [
    "ALL", "LOCAL", "Fleet", "FleetConfig", "FleetError", "HostSpec", "HostStatus",
    "all_jails", "all_processes", "build_host",
    "load_hosts_config", "parse_host_arg", "parse_hosts", "resolve_hosts", "tag_snapshot",
]

#: The name of this machine among hosts (``--host local``).
LOCAL = "local"
#: ``--host all``: every host of the config file.
ALL = "all"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEYS = ("destination", "interval", "start_method", "ssh_options", "connect_timeout", "root",
         "owners")
#: Keys of a host's ``owners`` table: a method per manager, and iocage's root.
OWNER_METHOD_KEYS = ("bastille", "iocage", "appjail", "pot", "ezjail")
OWNER_METHODS = ("manager", "jail")


class FleetError(JailtuiError):
    """A host spec or a [hosts.*] table that cannot be used; names the file and key."""


@dataclass(frozen=True, slots=True)
class HostSpec:
    """One host as the user named it."""

    #: Short name shown everywhere ("web1", "local"); unique in a fleet.
    name: str
    #: ssh destination; None for this machine.
    destination: str | None
    #: Poll interval of this host (None: the console's).
    interval: float | None = None
    start_method: StartMethod | None = None
    #: Extra ssh arguments for this host, before the defaults (they win).
    ssh_options: tuple[str, ...] = ()
    connect_timeout: float | None = None
    #: The host's files are under this directory (for fakes and the simulator).
    root: str | None = None
    #: The ``owners`` table: (key, value) pairs, e.g. ("bastille", "jail"),
    #: ("iocage_root", "/mnt/tank/iocage"); read by Host (settings) and Controller (methods).
    owners: tuple[tuple[str, str], ...] = ()
    #: Cap of each output stream of one command, in bytes (``[limits]
    #: output_mib``; core/transport/capture.py), locally and over SSH alike.
    max_output: int = MAX_OUTPUT

    @property
    def is_local(self) -> bool:
        return self.destination is None


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """The [hosts.*] tables of the config file, in file order."""

    hosts: Mapping[str, HostSpec] = field(default_factory=dict)
    source: Path | None = None
    #: Ignored keys, worded for the user.
    warnings: tuple[str, ...] = ()


# -- specs -----------------------------------------------------------------------------


def parse_host_arg(text: str, configured: Mapping[str, HostSpec] | None = None) -> HostSpec:
    """One ``--host`` value: ``local``, a configured NAME, ``NAME=DESTINATION`` or a destination."""
    configured = configured or {}
    text = text.strip()
    if not text:
        raise FleetError("--host: empty host")
    if text in configured:
        return configured[text]
    if text == LOCAL:
        return HostSpec(LOCAL, None)
    name, sep, dest = text.partition("=")
    if sep:
        if not _NAME.match(name):
            raise FleetError(f"--host {text}: {name!r} is not a host name")
    else:
        name, dest = "", text
    from jailtui.core.transport.ssh import default_name

    spec = HostSpec(name or default_name(dest), dest)
    _check_destination(spec.destination or "", f"--host {text}")
    return spec


def _check_destination(dest: str, where: str) -> None:
    from jailtui.core.transport.ssh import SSHRunner

    try:
        SSHRunner.check_destination(dest)
    except ValueError as exc:
        raise FleetError(f"{where}: {exc}") from None


def resolve_hosts(values: Sequence[str], configured: Mapping[str, HostSpec] | None = None
                  ) -> list[HostSpec]:
    """The hosts of repeated ``--host`` options, names made unique.

    Two destinations with the same short name (web1.a.org, web1.b.org) are
    named by their whole host name instead; the same host twice is kept once.
    """
    configured = configured or {}
    # (spec, named by the user): a name the user gave is never changed.
    specs: list[tuple[HostSpec, bool]] = []
    for value in values:
        if value == ALL:
            if not configured:
                raise FleetError("--host all: no [hosts.*] in the config file")
            specs.extend((s, True) for s in configured.values())
        else:
            named = value in configured or "=" in value or value == LOCAL
            specs.append((parse_host_arg(value, configured), named))
    unique: list[tuple[HostSpec, bool]] = []
    for s, named in specs:
        if all(s != u for u, _ in unique):
            unique.append((s, named))
    names = [s.name for s, _ in unique]
    out: list[HostSpec] = []
    for s, named in unique:
        if names.count(s.name) > 1 and not named and s.destination is not None:
            from jailtui.core.transport.ssh import short_host

            s = replace(s, name=short_host(s.destination))
        out.append(s)
    seen: set[str] = set()
    for s in out:
        if s.name in seen:
            raise FleetError(f"two different hosts are named {s.name!r}: "
                             f"name one with --host NAME=DESTINATION")
        seen.add(s.name)
    return out


# -- the config file --------------------------------------------------------------------


def load_hosts_config(path: str | Path | None = None, *,
                      env: Mapping[str, str] | None = None) -> FleetConfig:
    """The ``[hosts.NAME]`` tables; none when the default file does not exist."""
    from jailtui.core.config.settings import read_config_document

    document = read_config_document(path, env=env, error=FleetError)
    if "hosts" not in document.merged:
        return FleetConfig(source=document.source)
    return parse_hosts(document.merged, source=document.source, at=document.at)


def parse_hosts(doc: Mapping[str, Any], *, source: Path | None = None,
                at: Callable[..., str] | None = None) -> FleetConfig:
    """Validate the ``hosts`` table of a decoded document (tests need no file).

    ``at("hosts", NAME, KEY)`` names a key's place ("FILE:LINE",
    core/config/layers.py); without it messages name ``source``.
    """
    if at is None:
        fixed = str(source) if source is not None else "config"

        def at(*_key: str) -> str:
            return fixed
    table = doc.get("hosts", {})
    if not isinstance(table, dict):
        raise FleetError(f"{at('hosts')}: hosts must be a table ([hosts.NAME])")
    hosts: dict[str, HostSpec] = {}
    warnings: list[str] = []
    for name, t in table.items():
        key = f"[hosts.{name}]"
        where = at("hosts", name)
        if not _NAME.match(name) or name == ALL:
            raise FleetError(f"{where}: {key}: not a usable host name")
        if not isinstance(t, dict):
            raise FleetError(f"{where}: {key} must be a table")
        for k in t:
            if k not in _KEYS:
                warnings.append(f"{at('hosts', name, k)}: unknown key {key} {k} ignored")
        dest = t.get("destination", None if name == LOCAL else name)
        if name == LOCAL and dest not in (None, LOCAL):
            raise FleetError(f"{at('hosts', name, 'destination')}: {key} destination: 'local' is this machine")
        if dest == LOCAL:
            dest = None
        if dest is not None:
            if not isinstance(dest, str):
                raise FleetError(f"{at('hosts', name, 'destination')}: {key} destination must be a string")
            _check_destination(dest, f"{at('hosts', name, 'destination')}: {key} destination")
        opts = t.get("ssh_options", [])
        if not isinstance(opts, list) or not all(isinstance(o, str) for o in opts):
            raise FleetError(f"{at('hosts', name, 'ssh_options')}: {key} ssh_options must be a list of strings")
        method = t.get("start_method")
        if method is not None:
            from jailtui.core.actions.control import StartMethod

            try:
                method = StartMethod(method)
            except ValueError:
                raise FleetError(f"{at('hosts', name, 'start_method')}: {key} start_method must be one of "
                                 f"{', '.join(m.value for m in StartMethod)}") from None
        root = t.get("root")
        if root is not None and (not isinstance(root, str) or not os.path.isabs(root)):
            raise FleetError(f"{at('hosts', name, 'root')}: {key} root must be an absolute path")
        owners = _owners(t.get("owners", {}), f"{at('hosts', name, 'owners')}: {key} owners")
        hosts[name] = HostSpec(
            name, dest,
            interval=_seconds(t, "interval", key, at("hosts", name, "interval"), 0.2, 3600.0),
            start_method=method, ssh_options=tuple(opts),
            connect_timeout=_seconds(t, "connect_timeout", key,
                                     at("hosts", name, "connect_timeout"), 1.0, 300.0),
            root=root, owners=owners)
    return FleetConfig(hosts, source, tuple(warnings))


def _owners(table: Any, where: str) -> tuple[tuple[str, str], ...]:
    """A host's ``owners`` table, checked: unknown keys and values are errors (a typo
    must not silently drive a manager's jails some other way)."""
    if not isinstance(table, dict):
        raise FleetError(f"{where} must be a table")
    out: list[tuple[str, str]] = []
    for k, v in table.items():
        if k == "iocage_root":
            if not isinstance(v, str) or not os.path.isabs(v):
                raise FleetError(f"{where}: iocage_root must be an absolute path")
        elif k in OWNER_METHOD_KEYS:
            if v not in OWNER_METHODS:
                raise FleetError(f"{where}: {k} must be one of {', '.join(OWNER_METHODS)}")
        else:
            raise FleetError(f"{where}: unknown key {k!r} (one of "
                             f"{', '.join((*OWNER_METHOD_KEYS, 'iocage_root'))})")
        out.append((k, v))
    return tuple(out)


def _seconds(t: Mapping[str, Any], k: str, key: str, where: str, low: float,
             high: float) -> float | None:
    v = t.get(k)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
            or not low <= v <= high:
        raise FleetError(f"{where}: {key} {k} must be between {low:g} and {high:g} seconds")
    return float(v)


# -- hosts ---------------------------------------------------------------------------------


def build_host(spec: HostSpec, *, control_dir: str | None = None,
               runner_options: Mapping[str, Any] | None = None,
               files_options: Mapping[str, Any] | None = None) -> Host:
    """The Host for a spec: LocalRunner here, SSHRunner + RemoteFiles elsewhere.

    ``runner_options``/``files_options`` go to SSHRunner/RemoteFiles (tests
    shorten the backoff and the cache age).
    """
    paths = PathMap(root=spec.root) if spec.root else PathMap()
    if spec.destination is None:
        host = Host(LocalRunner(max_output=spec.max_output), backend="FreeBSD", paths=paths,
                    name=spec.name, owner_settings=dict(spec.owners))
    else:
        from jailtui.core.transport.ssh import CONNECT_TIMEOUT, RemoteFiles, SSHRunner

        runner = SSHRunner(spec.destination, name=spec.name, ssh_options=spec.ssh_options,
                           connect_timeout=spec.connect_timeout or CONNECT_TIMEOUT,
                           control_dir=control_dir, max_output=spec.max_output,
                           **dict(runner_options or {}))
        files = RemoteFiles(runner, paths=paths, **dict(files_options or {}))
        # The remote machine's own hostname is not known without asking;
        # the name the user gave it is what every output shows.
        host = Host(runner, backend="FreeBSD", paths=paths, files=files, name=spec.name,
                    hostname=spec.name, owner_settings=dict(spec.owners))
    return host


@dataclass(frozen=True, slots=True)
class HostStatus:
    """One host as the console shows it after a poll."""

    name: str
    #: The last good snapshot (possibly stale: see ``error``); None before one.
    snapshot: HostSnapshot | None
    #: Why the last poll failed; None when it succeeded.
    error: Exception | None = None
    #: The SSH link (None for this machine).
    link: LinkState | None = None
    #: time.time() when the last poll ended (None: never polled).
    polled_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.snapshot is not None

    @property
    def stale(self) -> bool:
        """A snapshot is shown, but the latest poll failed."""
        return self.error is not None and self.snapshot is not None

    def describe(self, now: float | None = None) -> str:
        """``ok``, ``stale: <error>``, ``unreachable since ..., retrying in 8 s``.

        ``now`` (wall clock) counts the retry down; the console passes its own
        clock so a frozen test clock gives a fixed text.
        """
        if self.link is not None and self.link.status == "unreachable":
            return self.link.describe(now)
        if self.error is not None:
            return f"{'stale: ' if self.snapshot else ''}{self.error}"
        return "ok" if self.snapshot is not None else "not polled yet"


class Fleet:
    """Hosts by name, polled concurrently, each failing on its own."""

    def __init__(self, hosts: Iterable[JailHost], specs: Iterable[HostSpec] = (), *,
                 control_dir: str | None = None, owns_control_dir: bool = False) -> None:
        self.hosts: dict[str, JailHost] = {}
        for h in hosts:
            name = h.name or LOCAL
            if name in self.hosts:
                raise FleetError(f"two hosts are named {name!r}")
            self.hosts[name] = h
        self.specs: dict[str, HostSpec] = {s.name: s for s in specs}
        self._status: dict[str, HostStatus] = {n: HostStatus(n, None, link=self._link(n))
                                               for n in self.hosts}
        self._control_dir = control_dir
        self._owns_control_dir = owns_control_dir

    @classmethod
    def from_specs(cls, specs: Sequence[HostSpec], *, control_dir: str | None = None,
                   runner_options: Mapping[str, Any] | None = None,
                   files_options: Mapping[str, Any] | None = None) -> Fleet:
        """Build every host; the SSH ones share one private control directory."""
        owns = False
        if control_dir is None and any(not s.is_local for s in specs):
            from jailtui.core.transport.ssh import private_control_dir

            control_dir, owns = private_control_dir()
        hosts = [build_host(s, control_dir=control_dir, runner_options=runner_options,
                            files_options=files_options) for s in specs]
        return cls(hosts, specs, control_dir=control_dir, owns_control_dir=owns)

    def names(self) -> list[str]:
        return list(self.hosts)

    def host(self, name: str) -> JailHost:
        try:
            return self.hosts[name]
        except KeyError:
            raise FleetError(f"no host named {name!r}") from None

    def _link(self, name: str) -> LinkState | None:
        return self.hosts[name].link()

    def link(self, name: str) -> LinkState | None:
        """The SSH link of a host, now (None for a local host)."""
        return self._link(name)

    def status(self, name: str) -> HostStatus:
        st = self._status[name]
        return HostStatus(st.name, st.snapshot, st.error, self._link(name), st.polled_at)

    def statuses(self) -> list[HostStatus]:
        return [self.status(n) for n in self.hosts]

    async def poll(self, name: str, *, processes: bool = True) -> HostStatus:
        """Poll one host; never raises for the host's own failure (it is in ``error``).

        ``processes=False``: jails and aggregates only (Host.poll)."""
        host = self.host(name)
        prev = self._status[name]
        try:
            snap = await (host.poll() if processes else host.poll(processes=False))
        except Exception as exc:  # noqa: BLE001 - any failure is this host's, kept and shown
            st = HostStatus(name, prev.snapshot, exc, self._link(name), time.time())
        else:
            st = HostStatus(name, snap, None, self._link(name), time.time())
        self._status[name] = st
        return st

    async def poll_all(self, *, processes: bool = True) -> list[HostStatus]:
        """Every host at once (one round trip each); in host order."""
        return list(await asyncio.gather(*(self.poll(n, processes=processes)
                                           for n in self.hosts)))

    def retry_now(self, name: str | None = None) -> None:
        """Cut the backoff short (one host, or every host): the user asked."""
        for n in [name] if name is not None else list(self.hosts):
            self.host(n).retry_now()

    def close(self) -> None:
        """Stop masters in a temporary control dir, and remove it."""
        for h in self.hosts.values():
            h.runner.close(stop_master=self._owns_control_dir)
        if self._owns_control_dir and self._control_dir:
            shutil.rmtree(self._control_dir, ignore_errors=True)


def tag_snapshot(snapshot: HostSnapshot, host: str) -> HostSnapshot:
    """The snapshot with every jail and process marked as ``host``'s.

    The console of many hosts shows rows of several hosts in one table and
    sends an action on a row to that row's host, so the row itself says
    where it lives (model.Jail.host_name). Done once per poll of the host, not
    per redraw.
    """
    jails = tuple(j if j.host_name == host else replace(j, host_name=host) for j in snapshot.jails)
    procs = tuple(p if p.host_name == host else replace(p, host_name=host) for p in snapshot.processes)
    return replace(snapshot, jails=jails, processes=procs)


def all_jails(statuses: Iterable[HostStatus]) -> list[tuple[str, Jail]]:
    """(host name, jail) of every host with a snapshot, for an all-hosts view."""
    return [(s.name, j) for s in statuses if s.snapshot is not None for j in s.snapshot.jails]


def all_processes(statuses: Iterable[HostStatus]) -> list[tuple[str, Process]]:
    return [(s.name, p) for s in statuses if s.snapshot is not None
            for p in s.snapshot.processes]
