"""Drift: where a running jail differs from what its configuration says (issue 20).

Two comparisons, both only over the parameters the configuration sets
(a parameter it leaves out takes the kernel's default, which is no drift):

- the effective jail.conf block (core/freebsd/jailconf, variables expanded)
  against the running parameters (``jls -n -j NAME all``, Host.jail_params);
- for a jail a manager owns (core/owners): the manager's view (Bastille's
  per-jail jail.conf; the path, hostname and addresses of iocage's
  config.json and the others' files) against the same running parameters.

jls reports several parameters differently from how jail.conf spells them;
:func:`normalize` knows these (docs/freebsd.md 4.4, with the sources:
kern_jail.c, jls.c, jail(8)): ``ip4.addr = "em0|10.0.0.1/24"`` is
``10.0.0.1`` in jls, several addresses are a list in either order, a bare
boolean is ``true``, ``vnet``/``sysv*``/``host`` booleans are the jailsys
values ``new``/``disable``/``inherit``, paths lose a trailing slash, and the
pseudo-parameters jail(8) keeps to itself (``exec.*``, ``mount.*``,
``interface``, ``vnet.interface``, ``depend``, ``ip_hostname``,
``allow.dying``, ``persist`` which jail(8) sets and clears around
exec.start, ``securelevel`` which the jail may raise itself) are not compared.
"""

from __future__ import annotations

import ipaddress
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd import jailconf
from jailtui.core.hosts.confsource import ConfiguredJails
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import ParamValue
from jailtui.core.owners import Owner

__all__ = ["Drift", "DriftReport", "compare", "compare_configured", "jail_drift", "normalize"]

#: jail(8)'s own parameters, never sent to the kernel (jail(8) "pseudo-parameters"):
#: jls cannot show them, so they cannot drift.
PSEUDO_PREFIXES = ("exec.", "mount.", "zfs.dataset")
PSEUDO = frozenset({"name", "mount", "interface", "vnet.interface", "depend", "ip_hostname",
                    "allow.dying", "command"})
#: Changed at run time by design, so a difference is no drift:
#: persist (jail(8) creates every jail persistent and clears it after exec.start
#: unless configured, command.c), securelevel (the jail raises it itself:
#: kern.securelevel in its rc.conf; a parent's raise is inherited, kern_jail.c),
#: dying and the counters (children.cur, cpuset.id, parent, jid unless configured).
RUNTIME = frozenset({"persist", "securelevel", "dying", "children.cur", "cpuset.id", "parent"})
#: jailsys parameters (kern_jail.c JAIL_SYS_*): a boolean in jail.conf means new/disable
#: (vnet: new/inherit, as jail(8) documents).
JAILSYS = frozenset({"vnet", "host", "ip4", "ip6", "sysvmsg", "sysvsem", "sysvshm"})
#: Lists whose order the kernel does not keep as written (jls prints them sorted
#: as it stores them; jail(8) may reorder).
ADDRESS_LISTS = frozenset({"ip4.addr", "ip6.addr"})


@dataclass(frozen=True, slots=True)
class Drift:
    """One parameter whose configured value is not the running one."""

    param: str
    configured: str
    running: str
    #: What says so: "jail.conf" (the file's path) or the manager ("bastille").
    source: str

    def text(self) -> str:
        return f"{self.param}: {self.source} says {self.configured or '(empty)'}, " \
               f"running {self.running or '(empty)'}"


@dataclass(frozen=True, slots=True)
class DriftReport:
    name: str
    drifts: tuple[Drift, ...]
    #: Why a comparison could not be made (a file unreadable, not running...).
    notes: tuple[str, ...] = ()


def _address(text: str) -> str:
    """``em0|10.0.0.1/24`` -> ``10.0.0.1`` (jail(8): interface|address/mask; kern_jail.c
    keeps the address only, jls prints it with inet_ntop: canonical IPv6)."""
    a = text.strip()
    if "|" in a:
        a = a.split("|", 1)[1]
    a = a.split("/", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a  # a host name (ip_hostname) or junk: compared as written


def _as_list(value: ParamValue) -> tuple[str, ...]:
    if isinstance(value, tuple):
        out: list[str] = []
        for v in value:
            out += [p for p in v.split(",") if p.strip()]
        return tuple(out)
    if isinstance(value, bool):
        return ()
    return tuple(p for p in str(value).split(",") if p.strip())


def normalize(param: str, value: ParamValue) -> str:
    """One spelling for a value from jail.conf or from jls (module docstring)."""
    if param in ADDRESS_LISTS:
        return ",".join(sorted({_address(a) for a in _as_list(value)}))
    if param in JAILSYS:
        if value is True:
            text = "new"
        elif value is False:
            text = "inherit" if param == "vnet" else "disable"
        else:
            text = str(value).strip().lower()
        if param in ("ip4", "ip6") and text == "new":
            # "new" and "disable" are one flag (PR_IP4_USER) and the get path tests
            # "disable" first: jls says disable for ip4=new (docs/freebsd.md 1.4).
            return "disable"
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    if param == "path" or param.endswith(".path"):
        return posixpath.normpath(text) if text else text
    if text.lstrip("-").isdigit():
        return str(int(text))
    return text


def _compared(param: str) -> bool:
    if param in PSEUDO or param in RUNTIME or param.startswith(PSEUDO_PREFIXES):
        return False
    return True


def compare(configured: Mapping[str, ParamValue], running: Mapping[str, ParamValue],
            source: str) -> list[Drift]:
    """The parameters ``configured`` sets whose running value differs.

    A parameter jls does not report (unknown to this kernel) is skipped: jail(8)
    would have refused to create the jail with it, so it is no drift of this one.
    """
    out: list[Drift] = []
    for param, value in configured.items():
        if not _compared(param) or param not in running:
            continue
        want, have = normalize(param, value), normalize(param, running[param])
        # A jailsys parameter set by its addresses (ip4.addr implies ip4=new, kern_jail.c).
        if want != have:
            out.append(Drift(param, want, have, source))
    return out


async def jail_drift(host: JailHost, name: str,
                     running: Mapping[str, ParamValue] | None = None) -> DriftReport:
    """Drift of running jail ``name``: jail.conf and its manager's view against jls -n."""
    if running is None:
        running = await host.jail_params(name)
    notes: list[str] = []
    drifts = compare_configured(host, name, running, notes)
    return DriftReport(name, tuple(drifts), tuple(notes))


def compare_configured(host: JailHost, name: str, running: Mapping[str, ParamValue],
                       notes: list[str] | None = None,
                       configured: ConfiguredJails | None = None) -> list[Drift]:
    """:func:`jail_drift` without the jls call (``check`` has every jail's ``jls -n all``).

    ``configured``: ``host.configured()`` when the caller has it already (the
    health check compares every running jail against one reading)."""
    drifts: list[Drift] = []
    notes = [] if notes is None else notes
    cj = (configured if configured is not None else host.configured()).jails.get(name)
    if cj is not None:
        drifts += compare(cj.params, running, cj.file)
    own = host.owner_of(name)
    if own.owner not in (Owner.JAILCONF, Owner.UNKNOWN, "") and own.conf_file:
        view, why = _manager_view(host, name, own.owner, own.conf_file)
        if view is not None:
            drifts += compare(view, running, own.owner.value)
        elif why is not None:
            notes.append(why)
    elif cj is None:
        notes.append(f"{name} is in no configuration file: nothing to compare")
    return drifts


def _manager_view(host: JailHost, name: str, owner: Owner, conf_file: str
                  ) -> tuple[dict[str, ParamValue] | None, str | None]:
    """A manager's parameters of jail ``name`` (or None and why) from its own files."""
    if conf_file.endswith("jail.conf"):
        # Bastille: ``jail -f JAILSDIR/NAME/jail.conf`` (docs/managers.md 1.1).
        try:
            config = jailconf.load_string(host.read_text(conf_file), conf_file)
            return dict(config.effective(name)), None
        except (OSError, JailtuiError) as exc:
            return None, f"{conf_file}: {exc}"
    mj = host.managed_jail(name)
    if mj is None:
        return None, f"{owner.value}: no record of {name}"
    params: dict[str, ParamValue] = {"path": mj.path}
    if mj.hostname:
        params["host.hostname"] = mj.hostname
    if mj.ip4:
        params["ip4.addr"] = mj.ip4
    return params, None
