"""Who runs jailtui against which host: target host, identity, policy, controller.

One place decides, before anything is shown or done (docs/architecture.md: one
gate): the target (the simulated host, the FreeBSD commands on PATH, or
hosts over SSH), the caller's identity and role (core.delegation, failing
closed), the scope a delegate sees (ScopedHost) and the controller that
carries out actions. The command line and the console both start here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jailtui
from jailtui.core.errors import JailtuiError, PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.protocol import JailHost

if TYPE_CHECKING:
    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy


def default_sim_dir() -> Path:
    """``$XDG_CACHE_HOME/jailtui/sim`` (``~/.cache/jailtui/sim``)."""
    from jailtui.core.userfiles import cache_home

    return cache_home() / "jailtui" / "sim"




@dataclass
class Target:
    """The host a command runs against, decided once from the arguments:
    the simulated host (``sim_dir`` set), the FreeBSD commands on PATH, or
    one host over SSH. (``backend`` is only the host's label: SIMULATED,
    FreeBSD or fleet, shown in the status line and the JSON rows.)"""

    host: Host
    sim_dir: Path | None
    #: How this host starts jails (config [hosts.NAME] start_method); None: auto.
    start_method: Any = None
    #: [hosts.NAME] owners: the method per jail owner (core/hosts/fleet.py).
    owners: tuple[tuple[str, str], ...] = ()


def host_specs(args: argparse.Namespace) -> list[Any] | None:
    """The hosts of ``--host`` (repeatable) as fleet.HostSpec; None without --host."""
    if not args.host:
        return None
    from dataclasses import replace as dc_replace

    from jailtui.core.hosts.fleet import load_hosts_config, resolve_hosts

    specs = resolve_hosts(args.host, load_hosts_config(args.config).hosts)
    if args.sim is not None and any(not s.is_local for s in specs):
        raise JailtuiError("--sim and a remote --host exclude each other")
    root = os.path.abspath(args.root) if args.root else None
    cap = _output_cap(args)
    return [dc_replace(s, root=root if s.is_local and root else s.root, max_output=cap)
            for s in specs]


def open_fleet(specs: Sequence[Any]) -> Any:
    """A fleet.Fleet of ``specs``; its temporary ssh sockets go at exit."""
    import atexit

    from jailtui.core.hosts.fleet import Fleet

    fleet = Fleet.from_specs(specs)
    atexit.register(fleet.close)
    return fleet


def _sim_hostname(sim_dir: Path) -> str | None:
    """The simulated host's own name (not this machine's)."""
    from jailtui.sim.state import Store

    try:
        with Store(sim_dir).read() as st:
            return st.hostname or None
    except (OSError, JailtuiError, ValueError):
        return None


def make_target(args: argparse.Namespace) -> Target:
    """The host to talk to: simulated, the FreeBSD commands on PATH, or one over SSH."""
    specs = host_specs(args)
    if specs is not None and len(specs) > 1:
        raise JailtuiError(f"{args.command or 'the console'}: one --host at a time "
                           "(the console, list, ps and check take several)")
    if specs is not None and not specs[0].is_local:
        return Target(open_fleet(specs).host(specs[0].name), None, specs[0].start_method,
                       specs[0].owners)
    use_sim = args.sim is not None or (args.host is None and _system() != "FreeBSD")
    if use_sim and args.host is None:
        from jailtui.sim.runner import SimRunner
        from jailtui.sim.state import check_simdir

        if args.sim:
            # A named DIR must hold a host: only `sim init` creates one, so a
            # typo'd path is an error, not a new host (issue 13 item 6).
            sim_dir = check_simdir(args.sim)
        else:
            sim_dir = default_sim_dir()
            if not (sim_dir / "state.json").exists():
                # The default host is built on first use (README); init_host
                # refuses a non-empty directory that is not one of ours.
                # The builder only here: --sim DIR never builds (issue 18: start).
                from jailtui.sim.builder import init_host

                print(f"jailtui: building a simulated FreeBSD host in {sim_dir}",
                      file=sys.stderr)
                init_host(sim_dir)
        runner = SimRunner(sim_dir)
        return Target(_remembering(Host(runner, backend="SIMULATED", paths=runner.paths,
                                         hostname=_sim_hostname(sim_dir))), sim_dir)
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.core.transport.runner import LocalRunner

    paths = PathMap(root=os.path.abspath(args.root)) if args.root else PathMap()
    local = LocalRunner(max_output=_output_cap(args))
    owners = specs[0].owners if specs else ()
    return Target(_remembering(Host(local, backend="FreeBSD", paths=paths,
                                     owner_settings=dict(owners))),
                   None, specs[0].start_method if specs else None, owners)


def _remembering(host: Host) -> Host:
    """The local host leaves its jail names for shell completion after each
    poll (core/hosts/namecache.py), unless the session is delegated."""
    from jailtui.core.config.layers import is_delegated
    from jailtui.core.hosts.namecache import NameCache, cache_path

    if not is_delegated():
        host.on_poll = NameCache(cache_path()).remember
    return host


def _output_cap(args: argparse.Namespace) -> int:
    """``[limits] output_mib`` in bytes; a config file with errors is reported
    where it is read for everything else, here the default applies."""
    from jailtui.core.config.settings import DEFAULT_OUTPUT_MIB, load_settings

    try:
        mib = load_settings(getattr(args, "config", None)).output_mib
    except JailtuiError:
        mib = DEFAULT_OUTPUT_MIB
    return mib * 1024 * 1024


@dataclass
class Session:
    """Everything one invocation works with: the host as this user may see it."""

    target: Target
    #: The host, scoped to a delegate's jails when delegated.
    host: JailHost
    #: What this user may do (decided, and any refusal raised, by make_session).
    policy: Policy
    #: Builds the :attr:`controller` (it only stores what it is given).
    make_controller: Callable[[], Controller]
    delegated: bool = False
    editable_params: tuple[str, ...] = ()

    @cached_property
    def controller(self) -> Controller:
        """The actions layer, built on first use: ``list``, ``ps`` and
        ``check`` read the policy only, and never import core/actions/control
        (issue 18; tests/test_import_hygiene.py LIST_LAZY)."""
        return self.make_controller()


def make_session(args: argparse.Namespace) -> Session:
    """Target, identity, policy and controller; fails closed (PolicyError)."""
    from jailtui.core.actions import delegation
    from jailtui.core.actions.audit import FileSink, SyslogSink
    from jailtui.core.actions.policy import Role

    identity = delegation.identify(os.environ, os.geteuid(), os.getuid())
    delegated = identity.via != "direct"
    if delegated and _uses_sim(args):
        sim_dir = Path(args.sim) if args.sim else default_sim_dir()
        if not (sim_dir / "state.json").exists():
            # Never build a host as root for a delegate (issue 14 item 10).
            raise delegation.PolicyError(f"{sim_dir}: not a simulated host; a delegated "
                                         "session never creates one")
    target = make_target(args)
    audit = (FileSink(str(target.sim_dir / "audit.log")) if target.sim_dir else SyslogSink())
    if delegated:
        try:
            delegation.check_audit_uid(identity, delegation.audit_uid())
        except delegation.PolicyError as exc:
            _audit_denial(audit, identity, str(exc))
            raise
    policy_text = None
    policy_real = target.host.paths.real(delegation.POLICY_PATH)
    if delegated:
        try:
            delegation.check_root_owned(policy_real, "policy")
            delegation.check_code_safe(os.path.dirname(os.path.abspath(jailtui.__file__)))
            with open(policy_real, encoding="utf-8") as fh:
                policy_text = fh.read()
        except FileNotFoundError:
            policy_text = None
        except delegation.PolicyError as exc:
            _audit_denial(audit, identity, str(exc))
            raise
    sim_owner = target.sim_dir is not None and _owns(target.sim_dir, identity.uid)
    try:
        policy, entry = delegation.decide(identity, readonly=args.readonly,
                                          policy_text=policy_text,
                                          requested_jail=args.delegate, sim_owner=sim_owner)
    except delegation.PolicyError as exc:
        _audit_denial(audit, identity, str(exc))
        raise
    if delegated and target.sim_dir is not None:
        _require_confinement(audit, identity, policy_text)
    host: JailHost = target.host
    if policy.scope is not None:
        from jailtui.core.hosts.scoped import ScopedHost

        host = ScopedHost(target.host, policy.scope)
    editable = entry.params if entry is not None and policy.role is Role.DELEGATE else None

    def controller() -> Controller:
        from jailtui.core.actions.control import Controller, StartMethod

        return Controller(host, policy, audit=audit, editable_params=editable,
                          min_securelevel=entry.min_securelevel if entry else None,
                          method=target.start_method or StartMethod.AUTO,
                          owner_methods=dict(target.owners))
    return Session(target, host, policy, controller, delegated, editable or ())


def _uses_sim(args: argparse.Namespace) -> bool:
    """The simulated host is the target (as make_target decides it)."""
    if getattr(args, "host", None) is not None:
        return False
    return args.sim is not None or _system() != "FreeBSD"


def _system() -> str:
    """``platform.system()``, imported only when asked: ``--host`` and ``--sim``
    never need it (issue 18: list's imports)."""
    import platform

    return platform.system()


def _require_confinement(audit: Any, identity: Any, policy_text: str | None) -> None:
    """Refuse a delegate on a simulated host whose jexec is not confined
    (issue 14 item 8): there, exec and the shell are root on this machine."""
    from jailtui.core.actions import delegation
    from jailtui.sim.confine import UNCONFINED_REFUSAL, confinement_available

    if confinement_available():
        return
    try:
        allowed = policy_text is not None and \
            delegation.parse_policy(policy_text).simulated_unconfined
    except delegation.PolicyError:
        allowed = False  # decide() reports the policy's own error
    if not allowed:
        _audit_denial(audit, identity, UNCONFINED_REFUSAL)
        raise delegation.PolicyError(UNCONFINED_REFUSAL)


def _owns(path: Path, uid: int) -> bool:
    try:
        return path.stat().st_uid == uid or uid == 0
    except OSError:
        return False


def _audit_denial(audit: Any, identity: Any, reason: str) -> None:
    from jailtui.core.actions.audit import AuditRecord

    audit.write(AuditRecord(user=identity.user, uid=identity.uid, role="delegate",
                            action="session", jail=None, jid=None, result=f"denied: {reason}"))


@dataclass
class FleetSession:
    """A console of several hosts: the fleet and one controller per host."""

    fleet: Any
    #: Host name -> Controller (that host's start method; one policy for all).
    controllers: dict[str, Any]
    specs: list[Any]


def make_fleet_session(args: argparse.Namespace, specs: Sequence[Any]) -> FleetSession:
    """The fleet, and a controller per host, with identity and policy decided once.

    As make_session decides them for one host, with one difference: a
    delegated (sudo/doas) session is single-host only. A delegate's policy
    names jails of one host (/usr/local/etc/jailtui/delegates.conf on it), so
    several hosts are refused before any connection (fail closed).
    """
    from jailtui.core.actions import delegation
    from jailtui.core.actions.audit import SyslogSink
    from jailtui.core.actions.control import Controller, StartMethod

    identity = delegation.identify(os.environ, os.geteuid(), os.getuid())
    if identity.via != "direct":
        _audit_denial(SyslogSink(), identity, "several hosts in a delegated session")
        raise PolicyDenied("a delegated session is single-host only: one --host at a time")
    # A direct user: root is host admin (read-only with --readonly), anyone
    # else read-only; --delegate is refused (delegation.decide).
    policy, _entry = delegation.decide(identity, readonly=args.readonly, policy_text=None,
                                       requested_jail=args.delegate)
    audit = SyslogSink()
    fleet = open_fleet(specs)
    controllers = {s.name: Controller(fleet.host(s.name), policy, audit=audit,
                                      method=s.start_method or StartMethod.AUTO,
                                      owner_methods=dict(s.owners))
                   for s in specs}
    return FleetSession(fleet, controllers, list(specs))

