"""Where configured jails come from: rc.conf + jail.conf files (docs/freebsd.md 8).

rc.d/jail decides, per jail name, which file ``jail -f FILE -c NAME`` is
given (docs/freebsd.md 8.2): ``jail_<jv>_conf`` (default
``/etc/jail.<name>.conf``) if readable, else ``/etc/jail.conf.d/<name>.conf``
if readable and ``$jail_conf`` does not already ``.include
/etc/jail.conf.d/``, else ``$jail_conf``.  The console must show the same
jails with the same parameters, so this module applies that lookup to
every candidate file, loads each config on its own (as jail(8) would with
``-f``), and says which jails are meant to start at boot.

Everything goes through host-path callables (``read``, ``glob``,
``exists``, ``stat``) so the same code serves the local host, a
:class:`~jailtui.core.transport.hostfs.PathMap` and the simulator.  Loading is called
every poll (2 s), so configs are cached by each file's ``(path,
st_mtime_ns, st_size)`` plus the results of the include globs; nothing is
re-read or re-parsed until one of them changes.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jailtui.core.freebsd import jailconf, rcconf
from jailtui.core.freebsd.jailconf import JailConfError
from jailtui.core.model import ParamValue

__all__ = [
    "ConfSource",
    "ConfiguredJail",
    "ConfiguredJails",
    "configured_jails",
    "dependents",
    "jail_f_file",
]

DEFAULT_RC_CONF = "/etc/rc.conf"
#: jail(8) reads this file when no ``-f`` is given (jail(8) ``-f``,
#: docs/freebsd.md 3.2).
DEFAULT_JAIL_CONF = "/etc/jail.conf"
JAIL_CONF_D = "/etc/jail.conf.d"

#: rc.d/jail: ``grep -q '^[[:space:]]*\.include[[:space:]]*["'\'']\?/etc/jail.conf.d/'``.
_INCLUDES_CONF_D = re.compile(r"""^[ \t]*\.include[ \t]*["']?/etc/jail\.conf\.d/""", re.M)


class _StatLike(Protocol):
    @property
    def st_mtime_ns(self) -> int: ...
    @property
    def st_size(self) -> int: ...


ReadFn = Callable[[str], str]
GlobFn = Callable[[str], list[str]]
ExistsFn = Callable[[str], bool]
#: The names in a host directory (an empty collection when it does not
#: exist), or None when that cannot be told (unreadable, remote).
NamesFn = Callable[[str], Collection[str] | None]
StatFn = Callable[[str], _StatLike]
Sig = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class ConfiguredJail:
    """A jail defined in a config file, as rc.d/jail would start it."""

    name: str
    params: dict[str, ParamValue]
    #: The file holding the jail's block (may be an included file).
    file: str
    #: Meant to start at boot: ``jail_enable`` and listed in ``jail_list``
    #: (an empty ``jail_list`` means every jail of ``$jail_conf``).
    enabled: bool
    #: The config file rc.d/jail passes to ``jail -f`` for this jail.
    conf: str = ""
    #: Why it does or does not start at boot, naming the rc.conf file that
    #: set each deciding variable (``jail_enable="YES" (/etc/rc.conf)``).
    boot_source: str = ""


@dataclass(frozen=True, slots=True)
class ConfiguredJails:
    jails: dict[str, ConfiguredJail]
    #: Problems, worded like jail(8): a file that does not parse (the others
    #: still load), a jail whose variables do not resolve, unreadable files.
    errors: list[str]
    enabled_list: list[str]
    jail_enable: bool
    #: Every config file that was read (roots and includes), for display.
    files: list[str] = field(default_factory=list)
    #: The rc.conf files read (rc.subr's order) and, per variable, the file
    #: that set it (docs/freebsd.md 8.1).
    rc_files: list[str] = field(default_factory=list)
    rc_origin: dict[str, str] = field(default_factory=dict)
    #: The entries of ``errors`` about rc.conf files (not jail(8)'s words).
    rc_errors: list[str] = field(default_factory=list)
    #: What to do about ``errors``, in our words (a CRLF file...).
    hints: list[str] = field(default_factory=list)
    #: (mtime_ns, size) of every file read (rc.conf files, roots, includes),
    #: as cached; empty without stat: what ``config_changed`` compares.
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Entry:
    deps: dict[str, Sig]
    globs: dict[str, list[str]]
    config: jailconf.Config | None
    text: str
    error: str | None
    hint: str | None = None


@dataclass(slots=True)
class _Rc:
    deps: dict[str, Sig]
    globs: dict[str, list[str]]
    sources: rcconf.RcSources
    #: The ``jail_NAME_conf`` files named for the jail_list jails (load's
    #: ``extra``), worked out once per reading of rc.conf: 200 names through
    #: _jv every poll and every health check was most of a cached load.
    named_confs: list[str] | None = None


def _sanitize(name: str) -> str:
    """rc.d/jail: the name used in file names (``tr /. _``)."""
    return name.replace("/", "_").replace(".", "_")


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def _jv(name: str) -> str:
    """rc.d/jail ``_jv``: every non-alphanumeric character becomes ``_``."""
    return _NOT_ALNUM.sub("_", name)


class ConfSource:
    """Configured jails of one host, cached between polls.

    ``stat(path)`` returns an object with ``st_mtime_ns`` and ``st_size``
    (``os.stat`` does) or raises OSError; without it nothing is cached.
    """

    def __init__(self, read: ReadFn, glob: GlobFn, exists: ExistsFn,
                 stat: StatFn | None = None, *, rc_conf: str = DEFAULT_RC_CONF,
                 freebsd: int | None = None, names: NamesFn | None = None) -> None:
        self._read = read
        self._glob = glob
        self._exists = exists
        #: Lists /etc and /etc/jail.conf.d once a load, so the lookup of
        #: each jail's own file asks ``exists`` only of names that are
        #: there (1,000 jails made 3,000 stats a load; issue 18).
        self._names = names
        self._stat = stat
        self.rc_conf = rc_conf
        #: The host's FreeBSD major release: which jail(8) grammar reads
        #: the files (jailconf/dialect.py); None: the newest.
        self.freebsd = freebsd
        self._configs: dict[str, _Entry] = {}
        self._rc: _Rc | None = None
        self._last: tuple[_Rc, list[tuple[str, _Entry]], ConfiguredJails] | None = None
        #: How many files were actually read and parsed (for tests/metrics).
        self.reads = 0

    def read_as(self, freebsd: int) -> None:
        """Read the files as the jail(8) of FreeBSD ``freebsd`` from now on
        (the host said which release it runs); forgets what was parsed with
        another grammar."""
        if freebsd != self.freebsd:
            self.freebsd = freebsd
            self._configs.clear()
            self._last = None

    # caching --------------------------------------------------------------
    def _sig(self, path: str) -> Sig:
        if self._stat is None:
            return None
        try:
            st = self._stat(path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _fresh(self, e: _Entry | _Rc) -> bool:
        if self._stat is None:
            return False
        return (all(self._sig(p) == s for p, s in e.deps.items())
                and all(sorted(self._glob(g)) == r for g, r in e.globs.items()))

    def _rc_vars(self) -> _Rc:
        """rc.conf, rc.conf.local, then rc.conf.d/jail as rc.d/jail's
        ``load_rc_config jail`` sources them (rcconf.load_sources)."""
        if self._rc is not None and self._fresh(self._rc):
            return self._rc
        deps: dict[str, Sig] = {}
        globs: dict[str, list[str]] = {}

        def read(p: str) -> str | None:
            deps[p] = self._sig(p)
            if not self._exists(p):
                return None
            try:
                self.reads += 1
                return self._read(p)
            except IsADirectoryError:
                return None          # rc.subr's "-f" test fails; "-d" is tried next
            except OSError as exc:
                if exc.errno == errno.EISDIR:
                    return None
                raise

        def dir_files(p: str) -> list[str]:
            pattern = f"{p}/*"
            found = sorted(self._glob(pattern))
            globs[pattern] = found
            return found

        files = (self.rc_conf, *rcconf.RC_CONF_FILES[1:])
        sources = rcconf.load_sources("jail", read, dir_files, files)
        self._rc = _Rc(deps, globs, sources)
        return self._rc

    def _config(self, path: str) -> _Entry:
        cached = self._configs.get(path)
        if cached is not None and self._fresh(cached):
            return cached
        deps: dict[str, Sig] = {}
        globs: dict[str, list[str]] = {}
        texts: dict[str, str] = {}

        def read(p: str) -> str:
            deps[p] = self._sig(p)
            self.reads += 1
            t = self._read(p)
            texts.setdefault(p, t)
            return t

        def glob(pattern: str) -> list[str]:
            r = sorted(self._glob(pattern))
            globs[pattern] = r
            return r

        config: jailconf.Config | None = None
        error: str | None = None
        hint: str | None = None
        try:
            config = jailconf.load(path, read=read, glob=glob, freebsd=self.freebsd)
        except JailConfError as e:
            error = str(e)
            hint = e.hint
        entry = _Entry(deps, globs, config, texts.get(path, ""), error, hint)
        self._configs[path] = entry
        return entry

    # the lookup -----------------------------------------------------------
    def load(self) -> ConfiguredJails:
        """All configured jails, their parameters and boot status."""
        rc = self._rc_vars()
        vars_ = rc.sources.values
        errors: list[str] = list(rc.sources.errors)
        hints: list[str] = []
        main = vars_.get("jail_conf") or DEFAULT_JAIL_CONF
        enable = rcconf.jail_enable(vars_)
        listed = rcconf.jail_list(vars_)

        roots: list[str] = []
        main_entry: _Entry | None = None
        main_exists = self._exists(main)
        if main_exists:
            main_entry = self._config(main)
            roots.append(main)
        conf_d_used = not (main_entry is not None and _INCLUDES_CONF_D.search(main_entry.text))
        conf_d = sorted(self._glob(f"{JAIL_CONF_D}/*.conf")) if conf_d_used else []
        per_jail = [p for p in sorted(self._glob("/etc/jail.*.conf")) if p != main]
        roots += [p for p in conf_d + per_jail if p not in roots]

        # A file not in its directory's listing does not exist; one that is
        # is still asked (a dangling symlink is listed but does not exist).
        # The sanitized name has no "/" or ".", so each path below is a
        # plain name in /etc or in /etc/jail.conf.d.
        in_etc = self._names("/etc") if self._names is not None else None
        in_conf_d = self._names(JAIL_CONF_D) if (
            self._names is not None and conf_d_used) else None

        # Which file rc.d/jail would use for a name (8.2), most specific first.
        def lookup(name: str) -> str | None:
            j = _sanitize(name)
            named = vars_.get(f"jail_{_jv(j)}_conf")
            if named:
                if self._exists(named):
                    return named
            elif (in_etc is None or f"jail.{j}.conf" in in_etc) \
                    and self._exists(f"/etc/jail.{j}.conf"):
                return f"/etc/jail.{j}.conf"
            if conf_d_used and (in_conf_d is None or f"{j}.conf" in in_conf_d) \
                    and self._exists(f"{JAIL_CONF_D}/{j}.conf"):
                return f"{JAIL_CONF_D}/{j}.conf"
            return main if main_exists else None

        if rc.named_confs is None:
            rc.named_confs = sorted(
                {vars_.get(f"jail_{_jv(_sanitize(n))}_conf", "") for n in listed} - {""})
        extra = [p for p in rc.named_confs if p not in roots and self._exists(p)]
        roots += sorted(extra)

        entries = [(root, self._config(root)) for root in roots]
        last = self._last
        if (self._stat is not None and last is not None and last[0] is rc
                and len(last[1]) == len(entries)
                and all(r1 == r2 and e1 is e2 for (r1, e1), (r2, e2) in zip(last[1], entries, strict=True))):
            return last[2]
        main_names = set(main_entry.config.jail_names()) if (
            main_entry is not None and main_entry.config is not None) else set()

        # jail_list split once, as a set (1,000 names: not a split and a list
        # scan per jail; issue 18).
        listed_set = frozenset(listed)
        found: dict[str, ConfiguredJail] = {}
        rank: dict[str, int] = {}
        files: list[str] = []
        for root, entry in entries:
            if entry.error is not None:
                errors.append(entry.error)
                if entry.hint and entry.hint not in hints:
                    hints.append(entry.hint)
            if entry.config is None:
                continue
            cfg = entry.config
            files += [f.filename for f in cfg.files if f.filename not in files]
            for name in cfg.jail_names():
                # Prefer the file rc.d/jail would pass to jail -f; a file
                # defining other jails as well still makes them known.
                r = 0 if lookup(name) == root else 1
                if name in rank and rank[name] <= r:
                    continue
                jail_errors: list[str] = []
                params = cfg.effective(name, errors=jail_errors)
                errors += [e for e in jail_errors if e not in errors]
                # rc.d/jail _ALL mode (empty jail_list) runs jail -f $jail_conf -c.
                on_boot = enable and (name in listed_set if listed else name in main_names)
                found[name] = ConfiguredJail(name, params, cfg.file_of(name) or root, on_boot,
                                             root, boot_source(name, rc.sources, main_names,
                                                               listed=listed_set))
                rank[name] = r
        stamps = {p: sig for deps in (rc.deps, *(e.deps for _, e in entries))
                  for p, sig in deps.items() if sig is not None}
        result = ConfiguredJails(found, errors, listed, enable, files, list(rc.sources.files),
                                 dict(rc.sources.origin), list(rc.sources.errors), hints,
                                 stamps)
        self._last = (rc, entries, result)
        return result


def boot_source(name: str, rc: rcconf.RcSources, main_names: set[str], *,
                listed: Collection[str] | None = None) -> str:
    """Why ``name`` starts at boot or not, with the file behind each variable.

    rc.d/jail runs only with ``jail_enable`` YES (rc.subr ``checkyesno``),
    then starts ``jail_list``, or every jail of ``$jail_conf`` when the
    list is empty (docs/freebsd.md 8.1, 8.3). ``listed``: the names of
    ``rcconf.jail_list(rc.values)``, when the caller has them already.
    """
    def said(var: str) -> str:
        where = rc.origin.get(var)
        value = rc.values.get(var, "")
        return f'{var}="{value}" ({where})' if where else f"{var} not set"

    if not rcconf.jail_enable(rc.values):
        return said("jail_enable")
    if listed is None:
        listed = rcconf.jail_list(rc.values)
    if listed:
        verb = "in" if name in listed else "not in"
        return f"{said('jail_enable')}; {verb} jail_list ({rc.origin.get('jail_list')})"
    conf = rc.values.get("jail_conf") or DEFAULT_JAIL_CONF
    verb = "in" if name in main_names else "not in"
    return f"{said('jail_enable')}; jail_list empty: every jail {verb} {conf}"


def jail_f_file(cj: ConfiguredJail | None) -> str | None:
    """The FILE of ``jail -f FILE -c|-r|-rc NAME`` for ``cj``, or None to leave ``-f`` out.

    It is the root file rc.d/jail's ``parse_options`` picks for the name
    (:attr:`ConfiguredJail.conf`, docs/freebsd.md 8.2), never the included
    file that holds the block: with ``/etc/jail.conf`` holding the globals
    and ``.include "/etc/jail.conf.d/*.conf"``, ``-f /etc/jail.conf.d/web.conf``
    would lose every global (``exec.start``, ``mount.devfs``, ``path``; a
    missing path is the host's ``/`` for kern_jail_set).  jail(8)'s own
    default needs no ``-f``.  A jail not in any file (created by hand) has
    no file either.
    """
    if cj is None or not cj.conf or cj.conf == DEFAULT_JAIL_CONF:
        return None
    return cj.conf


def configured_jails(read: ReadFn, glob: GlobFn, exists: ExistsFn, *,
                     rc_conf: str = DEFAULT_RC_CONF) -> ConfiguredJails:
    """One-shot, uncached :meth:`ConfSource.load`."""
    return ConfSource(read, glob, exists, rc_conf=rc_conf).load()


def dependents(conf: ConfiguredJails,
               running: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each running jail, the running jails ``jail -r`` removes first
    (docs/freebsd.md 3.7); jails nothing depends on are left out.

    Configured jails whose ``depend`` lists it, and theirs in turn
    (state.c dep_check marks them JF_STOP), and hierarchical children
    (``NAME.x``: an implied DF_LIGHT dependency, and the kernel removes
    children with their parent); in the order they are found. One pass
    over the configuration per snapshot, not one per jail.
    """
    up = set(running)
    direct: dict[str, list[str]] = {}
    for other, cj in conf.jails.items():
        if other in up:
            for dep in _names(cj.params.get("depend")):
                direct.setdefault(dep, []).append(other)
    for r in running:
        parent, dot, _ = r.rpartition(".")
        if dot and parent in up:
            direct.setdefault(parent, []).append(r)
    out: dict[str, tuple[str, ...]] = {}
    for name in direct:
        if name not in up:
            continue
        found: list[str] = []
        todo = [name]
        while todo:
            for kid in direct.get(todo.pop(0), ()):
                if kid != name and kid not in found:
                    found.append(kid)
                    todo.append(kid)
        out[name] = tuple(found)
    return out


def _names(value: ParamValue | None) -> list[str]:
    """A jail.conf list parameter's names (``depend = a, b;`` or ``"a,b"``)."""
    if value is None or isinstance(value, bool):
        return []
    items = value if isinstance(value, tuple) else (value,)
    return [n.strip() for item in items for n in str(item).split(",") if n.strip()]
