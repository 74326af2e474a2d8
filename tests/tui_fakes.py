"""Fixed data for the console's tests, snapshots and demo.

``FakeHost`` answers ``poll()`` with a snapshot the test controls (or
raises what the test sets), and the detail screen's slow facts from dicts;
``FakeController`` applies the real policy rules (``core.policy``) and
records the calls. Nothing here runs a command.

``python -c "from tests.tui_fakes import run_demo; run_demo()"`` opens the
console on this data (CPU and memory move a little on every poll) for a look
in a real terminal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from jailtui.core.actions.control import ActionResult, OwnerEdit, OwnerProperties, PreparedShell
from jailtui.core.actions.exec_stream import Stream
from jailtui.core.actions.limits import RACCT_OFF, LimitChange
from jailtui.core.actions.policy import (
    Action,
    Policy,
    Role,
    policy_refusal,
    refusal,
    refused,
)
from jailtui.core.checks.rcstatus import ServiceState, ServiceStatus
from jailtui.core.config.confedit import EditSession
from jailtui.core.consolelog import LogChunk, LogMark
from jailtui.core.drift import Drift, DriftReport
from jailtui.core.errors import JailtuiError, PolicyDenied, RacctUnavailable
from jailtui.core.freebsd import rctl as rctlmod
from jailtui.core.freebsd.net import Socket
from jailtui.core.freebsd.procstat import OpenFile
from jailtui.core.model import (
    HostInfo,
    HostSnapshot,
    Jail,
    JailState,
    ParamValue,
    Process,
    aggregate,
)
from jailtui.core.network import NetworkInfo, Part, VnetInterface
from jailtui.core.posture.baseline import Baseline
from jailtui.core.posture.model import FlagChange, JailPosture
from jailtui.core.procdetail import ProcessDetail, What, vanished_text
from jailtui.core.storage.backup import BackupResult, PrunePlan
from jailtui.core.storage.changes import Change, ChangeReport, flags_of
from jailtui.core.storage.locate import JailStorage
from jailtui.core.storage.pipe import Progress
from jailtui.core.storage.quarantine import Quarantined, QuarantinedDir, not_a_quarantine
from jailtui.core.storage.restore import STEPS, RestoreResult, StepResult
from jailtui.core.storage.snapshots import SnapshotList, StorageError
from jailtui.core.storage.zfs import ZfsDataset, ZfsSnapshot
from jailtui.core.transport.ssh import LinkState

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

#: The frozen "now" of tests and snapshots; snapshots are taken 1 s before.
NOW = 1_750_000_000.0

#: Strings that must show literally and do nothing (docs/security.md 4).
EVIL_MARKUP = "[@click=app.quit]x[/]"
EVIL_ESCAPE = "\x1b]0;pwned\x07"
EVIL = f"{EVIL_MARKUP} {EVIL_ESCAPE} [b]bold?[/b] [link=http://x]y"


def make_process(pid: int, ppid: int, jid: int, jail: str | None, user: str, state: str, cpu: float,
          mem: float, rss: int, etime: str, secs: int, command: str) -> Process:
    return Process(pid=pid, ppid=ppid, jid=jid, jail=jail, user=user, state=state,
                   cpu_percent=cpu, mem_percent=mem, vsz_kib=rss * 3, rss_kib=rss, etime=etime,
                   elapsed_seconds=secs, started="Mon Jun  2 08:00:01 2025", command=command)


def sample_jails() -> list[Jail]:
    return [
        Jail("web", 3, JailState.RUNNING, hostname="web.example.org",
             path="/usr/local/jails/web", ip4=("10.0.0.3", "10.0.0.13"), ip6=("2001:db8::3",),
             configured=True, enabled=True, conf_file="/etc/jail.conf"),
        Jail("db", 4, JailState.RUNNING, hostname="db.example.org", path="/usr/local/jails/db",
             ip4=("10.0.0.4",), configured=True, enabled=True, conf_file="/etc/jail.conf"),
        Jail("mail", 5, JailState.RUNNING, hostname="mail.example.org",
             path="/usr/local/jails/mail", ip4=("10.0.0.5",), configured=True, enabled=True,
             conf_file="/etc/jail.conf.d/mail.conf"),
        Jail("build", None, JailState.STOPPED, hostname="build.example.org",
             path="/usr/local/jails/build", ip4=("10.0.0.6",), configured=True,
             conf_file="/etc/jail.conf"),
        Jail("legacy", 2, JailState.DYING, hostname="legacy.example.org",
             path="/usr/local/jails/legacy", configured=False),
        Jail("handmade", 7, JailState.RUNNING, hostname="handmade", path="/tmp/handmade"),
    ]


def sample_processes() -> list[Process]:
    p = make_process
    return [
        p(0, 0, 0, None, "root", "DLs", 0.0, 0.0, 0, "3-02:11:09", 266000, "[kernel]"),
        p(1, 0, 0, None, "root", "ILs", 0.0, 0.1, 1136, "3-02:11:07", 266000,
          "/sbin/init"),
        p(512, 1, 0, None, "root", "Ss", 0.0, 0.1, 2812, "3-02:10:51", 265990,
          "/usr/sbin/syslogd -s"),
        p(601, 1, 0, None, "root", "Is", 0.0, 0.2, 9820, "3-02:10:40", 265980,
          "sshd: /usr/sbin/sshd [listener] 0 of 10-100 startups"),
        p(650, 1, 0, None, "root", "Is", 0.0, 0.1, 2600, "3-02:10:39", 265979,
          "/usr/sbin/cron -s"),
        p(1201, 1, 3, "web", "root", "SsJ", 0.0, 0.1, 2790, "2-23:59:01", 259141,
          "/usr/sbin/syslogd -ss"),
        p(1240, 1, 3, "web", "root", "IsJ", 0.0, 0.3, 12400, "2-23:58:55", 259135,
          "nginx: master process /usr/local/sbin/nginx"),
        p(1241, 1240, 3, "web", "www", "SJ", 12.5, 1.2, 48200, "2-23:58:55", 259135,
          "nginx: worker process"),
        p(1242, 1240, 3, "web", "www", "SJ", 7.5, 1.1, 46100, "2-23:58:55", 259135,
          "nginx: worker process"),
        p(1260, 1, 3, "web", "www", "SsJ", 3.1, 2.4, 96500, "2-23:58:50", 259130,
          "php-fpm: master process (/usr/local/etc/php-fpm.conf)"),
        p(1261, 1260, 3, "web", "www", "SJ", 55.2, 3.9, 160300, "01:02:03", 3723,
          "php-fpm: pool www"),
        p(1401, 1, 4, "db", "postgres", "SsJ", 1.0, 5.0, 204800, "2-23:57:00", 259020,
          "/usr/local/bin/postgres -D /var/db/postgres/data16"),
        p(1402, 1401, 4, "db", "postgres", "SsJ", 0.2, 0.8, 33100, "2-23:57:00", 259020,
          "postgres: checkpointer"),
        p(1403, 1401, 4, "db", "postgres", "SsJ", 22.0, 1.5, 61000, "00:12", 12,
          "postgres: app appdb 10.0.0.3(51512) SELECT"),
        p(1501, 1, 5, "mail", "root", "IsJ", 0.0, 0.2, 8100, "2-23:56:10", 258970,
          "/usr/local/libexec/postfix/master -w"),
        p(1502, 1501, 5, "mail", "postfix", "IJ", 0.0, 0.1, 7900, "12:01", 721,
          "pickup -l -t unix -u"),
        p(1601, 1, 2, "legacy", "root", "EJ", 0.0, 0.0, 0, "00:03", 3, "sh /etc/rc.shutdown"),
        p(1701, 1, 7, "handmade", "root", "SsJ", 0.0, 0.0, 1500, "05:00", 300, "/bin/sh"),
        p(2001, 601, 0, None, "admin", "Ss", 0.0, 0.1, 5200, "10:00", 600, "-sh (sh)"),
        p(2050, 2001, 0, None, "admin", "R+", 1.2, 0.2, 9000, "00:01", 1,
          "ps --libxo json -ax -ww -o pid,ppid,jid,jail,user,state,%cpu,%mem,vsz,rss,etime,"
          "lstart,command"),
    ]


def make_snapshot(jails: Sequence[Jail] | None = None,
                  processes: Sequence[Process] | None = None, *, taken_at: float = NOW - 1,
                  hostname: str = "jailhost.example.org", backend: str = "SIMULATED",
                  warnings: Sequence[str] = ()) -> HostSnapshot:
    js = list(sample_jails() if jails is None else jails)
    ps = tuple(sample_processes() if processes is None else processes)
    info = HostInfo(hostname=hostname, backend=backend, os_release="14.3-RELEASE",
                    load=(0.52, 0.40, 0.31), mem_total_kib=16 * 1024 * 1024, ncpu=8)
    return HostSnapshot(info=info, taken_at=taken_at, jails=aggregate(js, ps), processes=ps,
                        warnings=tuple(warnings), jls_version="2")


def evil_snapshot() -> HostSnapshot:
    """Hostile strings in every field a jail's root controls."""
    jails = [*sample_jails(),
             Jail(f"evil{EVIL_MARKUP}", 9, JailState.RUNNING, hostname=EVIL,
                  path=f"/jails/{EVIL}", ip4=("10.0.0.9",), configured=True,
                  conf_file=f"/etc/jail.conf.d/{EVIL}.conf")]
    procs = [*sample_processes(),
             make_process(6666, 1, 9, f"evil{EVIL_MARKUP}", EVIL_MARKUP, "SJ", 99.0, 9.0, 66600,
                   "00:01", 1, EVIL)]
    return make_snapshot(jails, procs, warnings=(f"jail.conf: {EVIL}",))


@dataclass
class FakeLogin:
    user: str
    line: str
    time: str
    host: str = ""


FAKE_STATES: dict[str, tuple[ServiceState, int | None]] = {
    "cron": (ServiceState.RUNNING, 1290), "nginx": (ServiceState.RUNNING, 1240),
    "php_fpm": (ServiceState.STOPPED, None), "sshd": (ServiceState.NO_STATUS, None),
    "syslogd": (ServiceState.RUNNING, 1201),
}


class FakeHost:
    """A host whose poll returns ``snapshot`` (or raises ``fail_with``)."""

    def __init__(self, snapshot: HostSnapshot | None = None, *, label: str = "SIMULATED",
                 racct: bool = True, delay: float = 0.0, name: str | None = None,
                 posture: Callable[[str | None, Sequence[Jail]],
                                   Awaitable[list[JailPosture]]] | None = None) -> None:
        self.label = label
        #: Fixed posture data (tests/posture_fakes.py collector); None: this
        #: host of fixed data has nothing to collect a posture from.
        self.posture_data = posture
        self.name = name
        #: The SSH link the host reports (None: a host without one).
        self.link_state: LinkState | None = None
        self.retries = 0
        self.snapshot = snapshot or make_snapshot(backend=label)
        self.fail_with: Exception | None = None
        self.polls = 0
        self.racct = racct
        self.delay = delay
        self.detail_error: dict[str, Exception] = {}
        self.detail_calls: list[tuple[str, str]] = []
        self.jitter = False
        #: When set, polls wait for it: a test can hold a poll "in flight".
        self.gate: asyncio.Event | None = None
        self.in_flight = 0
        self.most_in_flight = 0

    def checkable(self) -> None:
        """Fixed data: nothing for health checks to run (the health view says so)."""
        return None

    async def posture(self, jails: Sequence[Jail], baseline: Baseline, *,
                      host_name: str | None = None) -> list[JailPosture]:
        from jailtui.screens.posture import NO_POSTURE, Unavailable

        if self.posture_data is None:
            raise Unavailable(NO_POSTURE)
        return await self.posture_data(host_name, jails)

    def link(self) -> LinkState | None:
        return self.link_state

    def retry_now(self) -> None:
        self.retries += 1

    async def poll(self) -> HostSnapshot:
        self.polls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._poll()
        finally:
            self.in_flight -= 1

    async def _poll(self) -> HostSnapshot:
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        if self.jitter:
            self.snapshot = replace(_jitter(self.snapshot, self.polls), taken_at=time.time())
        return self.snapshot

    def _check(self, what: str, name: str) -> None:
        self.detail_calls.append((what, name))
        err = self.detail_error.get(what)
        if err is not None:
            raise err

    async def jail_params(self, name: str) -> dict[str, ParamValue]:
        self._check("params", name)
        jail = self.snapshot.jail(name)
        assert jail is not None
        return {
            "devfs_ruleset": "4", "dying": False, "enforce_statfs": "2", "host": "new",
            "ip4": "disable", "ip6": "disable", "jid": str(jail.jid), "name": name,
            "osreldate": "1403000", "osrelease": "14.3-RELEASE", "path": jail.path,
            "persist": True, "securelevel": "2", "sysvmsg": "disable", "sysvsem": "disable",
            "sysvshm": "disable", "vnet": "inherit", "allow.chflags": False,
            "allow.mlock": False, "allow.mount": False, "allow.mount.devfs": False,
            "allow.mount.nullfs": False, "allow.raw_sockets": name == "web",
            "allow.reserved_ports": True, "allow.set_hostname": False, "allow.socket_af": False,
            "allow.suser": True, "allow.sysvipc": False, "children.cur": "0",
            "children.max": "0", "cpuset.id": "3", "host.domainname": "",
            "host.hostname": jail.hostname, "host.hostuuid": "00000000-0000-0000-0000-000000000000",
            "ip4.addr": jail.ip4, "ip6.addr": jail.ip6,
        }

    async def rctl_usage(self, name: str) -> dict[str, int]:
        self._check("rctl", name)
        if not self.racct:
            raise RacctUnavailable(["rctl", "-u", f"jail:{name}"],
                                   "rctl: RACCT/RCTL present, but disabled; enable using "
                                   "kern.racct.enable=1 tunable", returncode=1)
        return {"cputime": 12, "datasize": 4829184, "stacksize": 0, "coredumpsize": 0,
                "memoryuse": 52789248, "memorylocked": 0, "maxproc": 9, "openfiles": 171,
                "vmemoryuse": 1184108544, "pseudoterminals": 0, "swapuse": 0, "nthr": 11,
                "pcpu": 3, "wallclock": 7931}

    async def rctl_rules(self, name: str) -> list[rctlmod.RctlRule]:
        self._check("rctl_rules", name)
        if not self.racct:
            raise RacctUnavailable(["rctl", f"jail:{name}"],
                                   "rctl: RACCT/RCTL present, but disabled; enable using "
                                   "kern.racct.enable=1 tunable", returncode=1)
        return [rctlmod.jail_rule(name, t) for t in FAKE_RULES.get(name, ())]

    async def drift(self, name: str) -> DriftReport:
        """db's jail.conf was edited after it started (a second address); the rest agree."""
        self._check("drift", name)
        if name == "db":
            return DriftReport(name, (Drift("ip4.addr", "10.0.0.21,10.0.0.22", "10.0.0.21",
                                            "/etc/jail.conf"),))
        return DriftReport(name, ())

    async def who(self, name: str) -> list[FakeLogin]:
        self._check("who", name)
        jail = self.snapshot.jail(name)
        if jail is not None and EVIL_MARKUP in jail.name:
            return [FakeLogin(EVIL_MARKUP, "pts/0", "Jun  2 10:11", EVIL)]
        return [FakeLogin("admin", "pts/1", "Jun  2 10:11", "192.0.2.7")]

    async def services(self, name: str) -> list[str]:
        self._check("services", name)
        jail = self.snapshot.jail(name)
        if jail is not None and EVIL_MARKUP in jail.name:
            return [EVIL]
        return ["cron", "nginx", "php_fpm", "sshd", "syslogd"]

    async def service_status(self, name: str, service: str) -> ServiceStatus:
        self._check("status", name)
        state, pid = FAKE_STATES.get(service, (ServiceState.UNKNOWN, None))
        message = {ServiceState.RUNNING: f"{service} is running as pid {pid}.",
                   ServiceState.STOPPED: f"{service} is not running.",
                   ServiceState.NO_STATUS: "no status command (a one-shot boot script)",
                   }.get(state, "")
        return ServiceStatus(service, state, pid, message)

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None:
        self._check("disk", path)
        return (20 * 1024**3, 5 * 1024**3, 15 * 1024**3)

    async def network(self, jail: Jail) -> NetworkInfo:
        """Fixed network facts: web listens (sshd, nginx) behind two rdr rules,
        db is a VNET jail on bridge0 whose host has no sockstat; a hostile
        jail's socket holder carries markup and escapes."""
        self._check("network", jail.name)
        if jail.name == "db":
            return NetworkInfo(
                True, interfaces=Part([VnetInterface("epair0b", "epair0a", True, "bridge0",
                                                     ("10.99.0.1",))]),
                sockets=Part(note="sockstat is not installed on this host"))
        if EVIL_MARKUP in jail.name:
            return NetworkInfo(False, jail.ip4, jail.ip6, sockets=Part([
                Socket(EVIL_MARKUP, EVIL, 4242, 3, "tcp4", "10.0.0.9:22", "*:*")]))
        socks = [Socket("root", "sshd", 1202, 3, "tcp4", "*:22", "*:*"),
                 Socket("root", "sshd", 1202, 4, "tcp6", "2001:db8::3:22", "*:*"),
                 Socket("root", "nginx", 1210, 5, "tcp4", "*:80", "*:*"),
                 Socket("root", "nginx", 1210, 6, "tcp4", "*:443", "*:*")]
        rdr = Part(["rdr on em0 inet proto tcp from any to any port = 8080 -> 10.0.0.3 port 80"])
        return NetworkInfo(False, jail.ip4, jail.ip6, sockets=Part(socks),
                           rdr=rdr if jail.name == "web" else None)

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        jail = self.snapshot.jail(name)
        if jail is None or not jail.configured:
            return None
        return (jail.conf_file or "/etc/jail.conf", 12,
                f'{name} {{\n\thost.hostname = "{jail.hostname}";\n\tpath = "{jail.path}";\n'
                f'\tip4.addr = {",".join(jail.ip4) or "inherit"};\n\tmount.devfs;\n'
                '\texec.start = "/bin/sh /etc/rc";\n}')


def _jitter(snap: HostSnapshot, n: int) -> HostSnapshot:
    """CPU and memory move a little, deterministically (for the demo)."""
    procs = tuple(replace(p, cpu_percent=round(abs(p.cpu_percent + (p.pid * 7 + n * 13) % 9
                                                     - 4), 1),
                          rss_kib=p.rss_kib + (n * p.pid) % 97)
                  for p in snap.processes)
    jails = [replace(j, processes=0, cpu_percent=0.0, mem_percent=0.0, rss_kib=0)
             for j in snap.jails]
    return replace(snap, jails=aggregate(jails, procs), processes=procs)


#: What /etc/rc of a jail printed at boot (the simulated host's words, sim/rc.py).
BOOT_LOG = (b"ELF ldconfig path: /lib /usr/lib /usr/local/lib\n"
            b"32-bit compatibility ldconfig path: /usr/lib32\n"
            b"Updating motd:.\nStarting syslogd.\nStarting cron.\nStarting sshd.\n\n"
            b"Tue Dec  1 09:14:02 UTC 2026\n")


#: The fakes' rctl rules per jail (rctl(8) syntax without the subject).
FAKE_RULES: dict[str, tuple[str, ...]] = {
    "web": ("memoryuse:deny=512M", "maxproc:deny=128"),
    "db": ("memoryuse:deny=2G", "pcpu:deny=80", "openfiles:log=4000"),
}


@dataclass
class FakeController:
    """The real policy rules (core.policy), recorded calls, canned results."""

    role: Role = Role.HOST_ADMIN
    user: str = "root"
    scope_names: frozenset[str] | None = None
    actions: frozenset[Action] = frozenset()
    calls: list[tuple[str, object]] = field(default_factory=list)
    fail: dict[str, ActionResult] = field(default_factory=dict)
    shell: list[str] = field(default_factory=lambda: ["jexec", "-l"])
    #: argv given to :meth:`run_interactive` (the shell), and its exit status.
    interactive: list[list[str]] = field(default_factory=list)
    interactive_status: int = 0
    #: The fake has no configuration files: ``e`` is not offered (a fake's
    #: choice, not the console's; the real Controller edits over the simulator).
    editable: bool = False
    #: Each jail's snapshots (filled on first listing: core/storage shapes).
    snaps: dict[str, list[ZfsSnapshot]] = field(default_factory=dict)
    #: The quarantine each restore left, by jail.
    quarantines: dict[str, str] = field(default_factory=dict)
    #: Each jail's console log "file" (bytes a test may append to; missing: a
    #: jail without exec.consolelog).
    console_logs: dict[str, bytearray] = field(default_factory=lambda: {
        name: bytearray(BOOT_LOG) for name in ("web", "db", "mail", "build")})
    #: Set: :meth:`backup` copies until it is set (or cancelled); None: at once.
    backup_hold: asyncio.Event | None = None
    #: Restores half done, as restore_pending_all answers: (jail, text, undoable).
    half_done: list[tuple[str, str, bool]] = field(default_factory=list)
    #: Processes that have exited by the time their detail is asked for.
    gone_pids: set[int] = field(default_factory=set)
    #: kern.racct.enable of the fake host.
    racct: bool = True
    #: Each jail's rctl rules (kernel) and its /etc/rctl.conf block.
    rules: dict[str, list[rctlmod.RctlRule]] = field(default_factory=lambda: {
        n: [rctlmod.jail_rule(n, t) for t in ts] for n, ts in FAKE_RULES.items()})
    kept: dict[str, list[rctlmod.RctlRule]] = field(default_factory=lambda: {
        "db": [rctlmod.jail_rule("db", "memoryuse:deny=2G")]})

    def jail_user(self) -> str:
        return "root"

    @property
    def policy(self) -> Policy:
        return Policy(self.role, self.user, 0, self.scope_names, self.actions)

    @property
    def scope(self) -> str | None:
        return ",".join(sorted(self.scope_names)) if self.scope_names else None

    def allowed(self, action: Action, jail: Jail | None = None) -> bool:
        return self.refusal(action, jail) is None

    def may(self, action: Action) -> bool:
        return self.policy.may(action)

    def refusal(self, action: Action, jail: Jail | None = None) -> str | None:
        if action is Action.EDIT and not self.editable:
            return "this fake host has no configuration files"
        return refusal(self.policy, action, jail)

    def _gate(self, action: Action, name: str | None) -> None:
        reason = policy_refusal(self.policy, action, name)
        if reason is not None:
            raise PolicyDenied(refused(action.value, reason))

    async def _lifecycle(self, verb: str, name: str, expect: Jail | None) -> ActionResult:
        self._gate(Action(verb), name)
        self.calls.append((verb, name))
        if verb in self.fail:
            return self.fail[verb]
        return ActionResult(True, f"{name}: {verb}ed" if verb != "stop" else f"{name}: stopped",
                            f"{name}: removed\n{name}: created\n" if verb == "restart" else "",
                            ("jail", "-c", name))

    async def start(self, name: str, expect: Jail | None = None, *,
                    unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle("start", name, expect)

    async def stop(self, name: str, expect: Jail | None = None, *,
                   unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle("stop", name, expect)

    async def restart(self, name: str, expect: Jail | None = None, *,
                      unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle("restart", name, expect)

    async def signal(self, pid: int, sig: str, expect: Process) -> ActionResult:
        self._gate(Action.SIGNAL, expect.jail)
        self.calls.append(("signal", (pid, sig)))
        if "signal" in self.fail:
            return self.fail["signal"]
        return ActionResult(True, f"sent SIG{sig} to {pid}")

    async def service(self, name: str, service: str, verb: str,
                      expect: Jail | None = None) -> ActionResult:
        self._gate(Action.SERVICES, name)
        self.calls.append(("service", (name, service, verb)))
        return ActionResult(True, f"Starting {service}.", f"Starting {service}.\n")

    async def process_detail(self, expect: Process, what: What) -> ProcessDetail:
        """Fixed procstat answers; a pid in ``gone_pids`` has exited. The
        environment is gated as the real controller gates it (host admins only)."""
        action = Action.PROCESS_ENV if what == "env" else Action.PROCESS
        self._gate(action, expect.jail)
        self.calls.append(("process_detail", (expect.pid, what)))
        pid = expect.pid
        if pid in self.gone_pids:
            return ProcessDetail(pid, what, note=vanished_text(pid), gone=True)
        root = "/usr/local/jails/web" if expect.jail == "web" else ""
        if what == "files":
            return ProcessDetail(pid, what, files=[
                OpenFile("text", "v", "r", "r-------", "-", f"{root}/usr/sbin/sshd"),
                OpenFile("cwd", "v", "d", "r-------", "-", root or "/"),
                OpenFile("0", "v", "c", "rw------", "-", f"{root}/dev/null"),
                OpenFile("3", "s", "-", "rw---n--", "TCP", "0.0.0.0:22 0.0.0.0:0"),
                OpenFile("4", "v", "r", "-wa-----", "-", f"{root}/var/log/{EVIL_MARKUP}")])
        if what == "vm":
            return ProcessDetail(pid, what, vm=[("anonymous", 3, 1536, 920),
                                                (f"{root}/lib/libc.so.7", 3, 1888, 412),
                                                (f"{root}/usr/sbin/sshd", 3, 592, 160)])
        return ProcessDetail(pid, what, env=["PATH=/sbin:/bin:/usr/sbin:/usr/bin", "HOME=/root",
                                             "API_TOKEN=s3cr3t\x1b[31m", "USER=root"])

    async def console_log(self, name: str,
                          since: LogMark | None = None) -> LogChunk:
        """An in-memory log: everything after the mark's offset (the whole buffer
        when there is none); the tail window and rotation are core/consolelog.py's,
        tested on real files in tests/test_console_log.py."""
        self._gate(Action.CONSOLE_LOG, name)
        self.calls.append(("console_log", name))
        data = self.console_logs.get(name)
        path = f"/var/log/jail_console_{name}.log"
        if data is None:
            return LogChunk("", reason=f"no exec.consolelog in /etc/jail.conf for {name}")
        start = since.offset if since is not None and since.offset <= len(data) else 0
        return LogChunk(path, bytes(data[start:]), LogMark("fake", len(data)),
                        source="exec.consolelog in /etc/jail.conf")

    async def apply_flags(self, name: str, changes: Sequence[FlagChange],
                          expect: Jail | None = None) -> ActionResult:
        self._gate(Action.FLAGS, name)
        self.calls.append(("flags", (name, tuple(c.path for c in changes))))
        return ActionResult(True, f"{name}: flags set on {len(changes)} files")

    async def exec(self, name: str, command: Sequence[str],
                   timeout: float = 60.0) -> ActionResult:  # noqa: ASYNC109
        self._gate(Action.EXEC, name)
        self.calls.append(("exec", (name, tuple(command))))
        if list(command) == ["hostname"]:
            return ActionResult(True, f"{name}.example.org", f"{name}.example.org\n")
        out = "".join(f"line {i} of {' '.join(command)}\n" for i in range(1, 4))
        return ActionResult(True, "line 3", out)

    async def exec_stream(self, name: str, command: Sequence[str],
                          sink: Callable[[Stream, bytes], None], *, cancel: asyncio.Event,
                          timeout: float | None = 600.0,  # noqa: ASYNC109
                          ) -> ActionResult:
        """:meth:`exec`'s canned answer, handed to ``sink`` as the real one streams it."""
        result = await self.exec(name, command)
        sink("stdout", result.output.encode())
        return ActionResult(result.ok, result.message)

    async def prepare_shell(self, name: str, expect: Jail | None = None) -> PreparedShell:
        self._gate(Action.SHELL, name)
        if expect is not None and expect.state is not JailState.RUNNING:
            raise PolicyDenied(f'shell: jail "{name}" is not running')
        self.calls.append(("shell", name))
        return PreparedShell(name, expect.jid if expect else None, (*self.shell, name))

    def run_shell(self, shell: PreparedShell) -> int:
        """Runs the prepared argv as the real controller does (run_interactive)."""
        return self.run_interactive(shell.argv)

    async def resolve(self, name: str) -> Jail | None:
        return None  # the console then assumes the jail runs as it was started

    async def storage(self, name: str, expect: Jail | None = None) -> JailStorage | None:
        """A dataset per jail, db with a /var child (the demo host's layout)."""
        self._gate(Action.VIEW, name)
        root = f"/usr/local/jails/{name}"
        ds = ZfsDataset(f"zroot/jails/{name}", 146_800_640 + 8192 * len(self.snaps.get(name, [])),
                        271_769_078_444, 146_800_640, 0, root, "")
        children = (ZfsDataset(f"zroot/jails/{name}/var", 44_040_192, 271_769_078_444,
                               44_040_192, 0, f"{root}/var", ""),) if name == "db" else ()
        return JailStorage(root, "zfs", ds.name, root, ds, children)

    async def racct_problem(self) -> str | None:
        return None if self.racct else RACCT_OFF

    async def rctl_rules(self, name: str) -> list[rctlmod.RctlRule]:
        self._gate(Action.VIEW, name)
        if not self.racct:
            raise RacctUnavailable(["rctl", f"jail:{name}"],
                                   "rctl: RACCT/RCTL present, but disabled; enable using "
                                   "kern.racct.enable=1 tunable", returncode=1)
        return list(self.rules.get(name, []))

    async def rctl_persisted(self, name: str) -> list[rctlmod.RctlRule] | None:
        self._gate(Action.VIEW, name)
        return list(self.kept.get(name, []))

    async def rctl_change(self, name: str, change: LimitChange,
                          expect: Jail | None = None) -> ActionResult:
        """As core/actions/limits.py: refused with racct off; remove, then add, then keep."""
        self._gate(Action.RCTL, name)
        self.calls.append(("rctl_change", (name, change.describe())))
        if not self.racct:
            raise PolicyDenied(refused("rctl", RACCT_OFF))
        rules = self.rules.setdefault(name, [])
        for target in (rules, self.kept.setdefault(name, [])) if change.persist else (rules,):
            if change.remove is not None:
                target[:] = [r for r in target if not rctlmod.matches(change.remove, r)]
            if change.add is not None:
                a = change.add
                target[:] = [r for r in target if not (rctlmod.same_slot(a, r) and (
                    a.action == "deny" or r.amount == a.amount))] + [a]
        return ActionResult(True, change.describe())

    async def snapshot_list(self, name: str, expect: Jail | None = None) -> SnapshotList:
        where = await self.storage(name, expect)
        assert where is not None
        snaps = self.snaps.setdefault(name, [
            ZfsSnapshot(f"zroot/jails/{name}@before-upgrade", int(NOW) - 3 * 86_400 - 3_700,
                        1_228_800, 146_800_640),
            ZfsSnapshot(f"zroot/jails/{name}@jailtui-20250615T134000Z", int(NOW) - 3_020, 8192,
                        146_800_640)])
        return SnapshotList(where, tuple(sorted(snaps, key=lambda s: -s.creation)))

    async def snapshot_create(self, name: str, snap: str, expect: Jail | None = None, *,
                              keep: int = 0) -> ActionResult:
        self._gate(Action.SNAPSHOT, name)
        self.calls.append(("snapshot_create", (name, snap)))
        full = f"zroot/jails/{name}@{snap}"
        if any(s.name == full for s in self.snaps.get(name, [])):
            return ActionResult(False, f"cannot create snapshot '{full}': dataset already exists")
        self.snaps.setdefault(name, []).append(ZfsSnapshot(full, int(NOW), 0, 146_800_640))
        return ActionResult(True, f"created snapshot {full}")

    async def snapshot_destroy(self, name: str, snap: str,
                               expect: Jail | None = None) -> ActionResult:
        self._gate(Action.SNAPSHOT, name)
        self.calls.append(("snapshot_destroy", (name, snap)))
        full = f"zroot/jails/{name}@{snap}"
        self.snaps[name] = [s for s in self.snaps.get(name, []) if s.name != full]
        return ActionResult(True, f"destroyed snapshot {full}")

    async def prune_plan(self, name: str, keep: int,
                         expect: Jail | None = None,
                         target_dir: str | None = None) -> PrunePlan:
        """The console's own (``jailtui-*``) of :attr:`snaps` beyond ``keep``."""
        self._gate(Action.SNAPSHOT, name)
        own = sorted((s for s in self.snaps.get(name, []) if s.short.startswith("jailtui-")),
                     key=lambda s: -s.creation)
        ds = f"zroot/jails/{name}"
        return PrunePlan(name, keep, ds, f"zroot/jailtui-backups/{name}",
                         [(ds, s.short) for s in reversed(own[keep:])])

    async def prune(self, plan: PrunePlan, expect: Jail | None = None) -> ActionResult:
        self._gate(Action.SNAPSHOT, plan.jail)
        self.calls.append(("prune", plan.names))
        gone = set(plan.names)
        self.snaps[plan.jail] = [s for s in self.snaps.get(plan.jail, []) if s.name not in gone]
        return ActionResult(True, f"{plan.jail}: pruned {len(gone)} (keep = {plan.keep}): "
                                  + ", ".join(plan.names))

    async def backup(self, name: str, expect: Jail | None = None,
                     on_progress: Callable[[Progress], None] | None = None,
                     cancel: asyncio.Event | None = None,
                     target_dir: str | None = None, *,
                     where: JailStorage | None = None) -> BackupResult:
        """Progress of 1 MiB, then (held) until released or cancelled, as the real
        flow reports it (core/storage/backup.py)."""
        self._gate(Action.BACKUP, name)
        self.calls.append(("backup", name))
        src, dst = f"zroot/jails/{name}", f"zroot/jailtui-backups/{name}"
        snap = "jailtui-20250615T142000Z"
        if on_progress is not None:
            on_progress(Progress(1_048_576, 2.0))
        if self.backup_hold is not None:
            waits = [asyncio.ensure_future(self.backup_hold.wait())]
            if cancel is not None:
                waits.append(asyncio.ensure_future(cancel.wait()))
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
        if cancel is not None and cancel.is_set():
            return BackupResult(False, name, src, dst, snap, bytes=1_048_576, seconds=2.0,
                                cancelled=True, message=(
                                    f"{name}: backup cancelled after 1M; the partial {dst} "
                                    f"was destroyed; {src}@{snap} was destroyed again"))
        return BackupResult(True, name, src, dst, snap, bytes=2_097_152, seconds=4.0,
                            message=f"{name}: backed up {src}@{snap} to {dst} (full): "
                                    "2M in 4.0s (512K/s)", snapshots=[f"{dst}@{snap}"])

    async def what_changed(self, name: str, quarantine: str,
                           expect: Jail | None = None) -> ChangeReport:
        """What sim compromise plants, as core/storage/changes.py reports it."""
        self._gate(Action.VIEW, name)
        mp = f"/usr/local/jails/{quarantine.rsplit('/', 1)[-1]}"
        lines = [("+", "F", "/root/.ssh/authorized_keys", 0o100600),
                 ("+", "F", "/usr/local/bin/.sysupd", 0o104755),
                 ("+", "F", "/var/cron/tabs/root", 0o100600),
                 ("M", "F", "/etc/rc.conf", 0o100644), ("M", "/", "/root", 0o40755),
                 ("+", "/", "/root/.ssh", 0o40700), ("M", "/", "/usr/local/bin", 0o40755)]
        changes = [Change(k, t, mp + rel, "", rel, "", mode) for k, t, rel, mode in lines]
        report = ChangeReport(name, quarantine, f"{quarantine}@known-good", mp)
        report.changes = sorted((Change(c.kind, c.ftype, c.path, "", c.rel, "", c.mode,
                                        flags_of(c)) for c in changes),
                                key=lambda c: (not c.flags, c.shown_rel))
        return report

    async def ufs_standby(self, name: str, expect: Jail | None = None
                          ) -> tuple[str, bool] | None:
        """Every fake jail lives on a ZFS dataset: no standby copy."""
        self._gate(Action.VIEW, name)
        return None

    async def restore_standby(self, name: str, expect: Jail | None = None,
                              on_step: Callable[[StepResult], None] | None = None
                              ) -> RestoreResult:
        self._gate(Action.RESTORE, name)
        raise StorageError(f"{name}: its root is on ZFS: no standby copy")

    async def standby_make(self, name: str, expect: Jail | None = None,
                           on_progress: Callable[[Progress], None] | None = None,
                           cancel: asyncio.Event | None = None,
                           target_dir: str | None = None) -> BackupResult:
        self._gate(Action.BACKUP, name)
        return BackupResult(False, name, message=f"{name}: its root is on ZFS: no standby copy")

    async def ufs_quarantines(self, name: str, expect: Jail | None = None) -> list[str]:
        """Every fake jail lives on a ZFS dataset: no UFS quarantines."""
        self._gate(Action.VIEW, name)
        return []

    async def quarantine_list(self, name: str, expect: Jail | None = None
                              ) -> list[Quarantined | QuarantinedDir]:
        """The quarantine each restore left (:attr:`quarantines`), as a dataset beside
        the jail's, the restored root cloned from it (core/storage/quarantine.py)."""
        self._gate(Action.VIEW, name)
        q = self.quarantines.get(name)
        if q is None:
            return []
        kids = (f"{q}/var",) if name == "db" else ()
        return [Quarantined(ZfsDataset(q, 146_808_832, 271_769_078_444, 146_800_640, 0,
                                       f"/usr/local/jails/{q.rsplit('/', 1)[1]}", ""),
                            kids, (f"zroot/jails/{name}",))]

    async def quarantine_destroy(self, name: str, quarantine: str,
                                 expect: Jail | None = None) -> ActionResult:
        self._gate(Action.RESTORE, name)
        self.calls.append(("quarantine_destroy", (name, quarantine)))
        if self.quarantines.get(name) != quarantine:
            raise StorageError(not_a_quarantine(name, quarantine,
                                                [q for n, q in self.quarantines.items()
                                                 if n == name]))
        del self.quarantines[name]
        return ActionResult(True, f"destroyed {quarantine} and its snapshots "
                                  f"(promoted zroot/jails/{name} first)")

    async def restore_swap_back(self, name: str, expect: Jail | None = None,
                                on_step: Callable[[StepResult], None] | None = None
                                ) -> RestoreResult:
        self._gate(Action.RESTORE, name)
        self.calls.append(("restore_swap_back", (name,)))
        return RestoreResult(True, name, "", summary=f"swapped back: {name} runs again")

    async def restore_resume(self, name: str, expect: Jail | None = None,
                             on_step: Callable[[StepResult], None] | None = None
                             ) -> RestoreResult:
        self._gate(Action.RESTORE, name)
        self.calls.append(("restore_resume", (name,)))
        return RestoreResult(True, name, "", summary=f"finished: {name} runs")

    async def restore_pending(self, name: str) -> str | None:
        return next((text for n, text, _ in self.half_done if n == name), None)

    async def restore_pending_all(self) -> list[tuple[str, str, bool]]:
        return [h for h in self.half_done if self.policy.may(Action.RESTORE)
                and (self.scope_names is None or h[0] in self.scope_names)]

    async def restore(self, name: str, snap: str, expect: Jail | None = None,
                      on_step: Callable[[StepResult], None] | None = None, *,
                      discard: bool = False) -> RestoreResult:
        """The real flow's steps with canned outcomes (0.1 s each, from NOW)."""
        self._gate(Action.RESTORE, name)
        self.calls.append(("restore", (name, snap)))
        q = f"zroot/jails/{name}.quarantine-20250615T142000Z"
        messages = [f"{name}: stopped", "gone", f"nothing mounted under /usr/local/jails/{name} "
                    "but its own datasets", f"zroot/jails/{name} -> {q} (read-only)",
                    f"{q}@{snap} -> zroot/jails/{name}", f"{name}: started", "running, jid 12"]
        result = RestoreResult(True, name, f"zroot/jails/{name}@{snap}", quarantine=q,
                               quarantine_path=f"/usr/local/jails/{q.rsplit('/', 1)[1]}")
        for i, (step, message) in enumerate(zip(STEPS, messages, strict=True)):
            r = StepResult(step, True, NOW + i * 0.1, 0.1, message)
            result.steps.append(r)
            if on_step is not None:
                on_step(r)
        result.total = 0.7
        self.quarantines[name] = q
        result.summary = (f"done in 0.70s: {name} runs again from {result.snapshot}; the "
                          f"compromised root is kept read-only as {q}")
        return result

    def run_interactive(self, argv: Sequence[str]) -> int:
        self.interactive.append(list(argv))
        return self.interactive_status

    @property
    def editable_params(self) -> tuple[str, ...] | None:
        return None

    @property
    def external_editor_allowed(self) -> bool:
        return False

    def open_config(self, name: str) -> EditSession:
        self._gate(Action.EDIT, name)
        raise JailtuiError(f"{name}: this fake host has no configuration files")

    async def check_config(self, session: EditSession, candidate: str) -> None:
        raise JailtuiError("this fake host has no configuration files")

    async def save_config(self, session: EditSession, candidate: str) -> ActionResult:
        raise JailtuiError("this fake host has no configuration files")

    def owner_edit(self, name: str) -> OwnerEdit | None:
        return None  # the fake host's jails have no manager

    async def owner_properties(self, name: str, expect: Jail | None = None
                               ) -> OwnerProperties:
        raise JailtuiError(f"{name}: this fake host has no jail managers")

    async def set_owner_properties(self, name: str, changes: Mapping[str, str],
                                   expect: Jail | None = None) -> ActionResult:
        raise JailtuiError(f"{name}: this fake host has no jail managers")


def make_app(host: FakeHost | None = None, controller: FakeController | None = None, *,
             read_only: bool = False, interval: float | None = 1000.0,
             **kwargs: Any) -> JailtuiApp:
    """The app on fake data with a frozen clock; the interval is long so that
    only the test's own refreshes poll."""
    from jailtui.app import JailtuiApp

    ctl = None if read_only else (controller or FakeController())
    return JailtuiApp(host or FakeHost(), ctl, interval=interval, clock=lambda: NOW, **kwargs)


def run_demo() -> None:
    """Open the console on the fixed data, with values moving on each poll."""
    from jailtui.app import JailtuiApp

    host = FakeHost()
    host.jitter = True
    JailtuiApp(host, FakeController(), interval=2.0).run()




# -- reading what the user sees ---------------------------------------------------------


def table_lines(table: object) -> list[str]:
    """The lines a KeyedTable shows now (header first), as plain text."""
    from jailtui.widgets.keyed_table import KeyedTable

    assert isinstance(table, KeyedTable)
    return ["".join(seg.text for seg in table.render_line(y)) for y in range(table.size.height)]


def widget_text(widget: object) -> str:
    """Plain text of a Static (its Content)."""
    from textual.widgets import Static

    assert isinstance(widget, Static)
    return str(widget.render())


def record_notifications(app: object) -> list[tuple[str, str, bool]]:
    """Capture (message, severity, markup) of every notify() call on ``app``."""
    seen: list[tuple[str, str, bool]] = []
    original = app.notify  # type: ignore[attr-defined]

    def notify(message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        seen.append((message, severity, markup))
        original(message, title=title, severity=severity, timeout=timeout, markup=markup)

    app.notify = notify  # type: ignore[attr-defined]
    return seen


def shows(app: Any, screen: object) -> bool:
    """``app.screen is screen``, as a call: an ``is`` in an assert would
    narrow ``screen`` to ``Screen[Any]`` for mypy and lose its own attributes."""
    return app.screen is screen


async def settle(pilot: object) -> None:
    """Wait for running workers (polls, detail loads) and the repaint after them."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


#: How long a test waits for a condition before it fails: a bound on
#: waiting on a loaded machine, never a timing assertion.
WAIT_LIMIT = 60.0


async def wait_until(pilot: object, predicate: Callable[[], bool], what: str = "", *,
                     settling: bool = True) -> None:
    """Re-check ``predicate`` until it holds (or WAIT_LIMIT passes), settling
    first each time; ``settling=False`` while a worker is meant to stay
    blocked (settle would wait for it)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        if settling:
            await settle(pilot)
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached: {what or predicate}")
        await pilot.pause(0.02)  # type: ignore[attr-defined]


async def let_intervals_pass(pilot: object, interval: float, count: int) -> None:
    """Wait until a timer of ``interval`` seconds has fired ``count`` times on
    the app's own event loop: proof that a timer of the same interval would
    have fired meanwhile, without sleeping a fixed time."""
    app = pilot.app  # type: ignore[attr-defined]
    fired = [0]

    def tick() -> None:
        fired[0] += 1

    timer = app.set_interval(interval, tick)
    try:
        await wait_until(pilot, lambda: fired[0] >= count, f"{count} ticks of {interval} s")
    finally:
        timer.stop()


__all__ = ["EVIL", "EVIL_ESCAPE", "EVIL_MARKUP", "NOW", "FakeController", "FakeHost", "JailtuiError",
           "evil_snapshot", "make_app", "make_process", "make_snapshot", "record_notifications",
           "let_intervals_pass", "run_demo", "sample_jails", "sample_processes", "settle",
           "shows", "table_lines", "wait_until", "widget_text"]
