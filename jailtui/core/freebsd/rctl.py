"""rctl(8): resource usage (``-u``) and rules (``-l``) of a jail.

rctl needs RACCT in the kernel and ``kern.racct.enable=1``; without them it
fails with a message that :func:`jailtui.core.freebsd.errors.tool_error`
turns into ``RacctUnavailable`` (docs/freebsd.md 7). These parsers only ever see
successful output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jailtui.core.errors import JailtuiError, ParseError
from jailtui.core.freebsd.errors import decode

_CMD_USAGE = "rctl -u"
_CMD_RULES = "rctl -l"

# rctl -h humanizes with humanize_number(buf[6], HN_AUTOSCALE,
# HN_DECIMAL | HN_NOSPACE) (usr.bin/rctl/rctl.c): "512", "50M", "1.5G",
# powers of 1024. The plain form is a decimal int64.
_AMOUNT = re.compile(r"(?P<num>-?[0-9]{1,19}(?:\.[0-9]{1,3})?)(?P<unit>[KMGTPE]?)B?")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50,
          "E": 1 << 60}
_WORD = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class RctlRule:
    """One rule, ``subject:subject-id:resource:action=amount[/per]`` (docs/freebsd.md 7).

    ``per`` is None when the kernel left it out, which it does when it equals
    the subject type (``jail:web:memoryuse:deny=536870912`` is per jail).
    """

    subject: str
    subject_id: str
    resource: str
    action: str
    amount: int
    per: str | None = None

    @property
    def text(self) -> str:
        """The rule in rctl's syntax, as ``rctl -a`` / ``rctl -r`` take it."""
        per = f"/{self.per}" if self.per is not None else ""
        return f"{self.subject}:{self.subject_id}:{self.resource}:{self.action}={self.amount}{per}"


def rctl_usage_argv(jail: str) -> list[str]:
    """argv of ``rctl -u jail:NAME``: the subject id of a jail is its name (docs/freebsd.md 7)."""
    return ["rctl", "-u", f"jail:{jail}"]


def rctl_rules_argv(jail: str | None = None) -> list[str]:
    """argv of ``rctl jail:NAME`` (the rules of one jail), or plain ``rctl``.

    Not ``rctl -l jail:NAME``: ``-l`` takes only a ``process:PID`` filter and
    fails with "Operation not supported" for anything else (kern_rctl.c,
    sys_rctl_get_limits); a bare filter shows the matching rules (rctl(8)).
    """
    if jail is None:
        return ["rctl"]
    return ["rctl", f"jail:{jail}"]


def parse_rctl_usage(data: bytes) -> dict[str, int]:
    """Parse ``rctl -u``: one ``resource=value`` a line, in kernel order (docs/freebsd.md 7).

    The dict keeps that order. Values are integers; ``-h`` humanized ones
    (``50M``) are expanded, approximately. The kernel's own comma-joined
    string is accepted too (rctl splits it into lines).
    """
    usage: dict[str, int] = {}
    for item in _items(data):
        resource, sep, value = item.partition("=")
        if not sep or not _WORD.fullmatch(resource):
            raise ParseError(_CMD_USAGE, f"not resource=value: {item!r:.80}")
        usage[resource] = _amount(value, _CMD_USAGE)
    if not usage:
        raise ParseError(_CMD_USAGE, "empty output")  # -u always prints every resource
    return usage


def parse_rctl_rules(data: bytes) -> list[RctlRule]:
    """Parse ``rctl`` / ``rctl -l FILTER`` output: one rule a line; none is empty output."""
    return [_rule(item) for item in _items(data)]


def _items(data: bytes) -> list[str]:
    """Non-empty entries, split like rctl's print_rules/print_usage do (on commas)."""
    text = decode(data).replace(",", "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _rule(item: str) -> RctlRule:
    """``subject:subject-id:resource:action=amount[/per]``.

    The subject id is whatever lies between the first and the last two
    colons, so a jail name holding a colon still parses.
    """
    subject, _, rest = item.partition(":")
    parts = rest.rsplit(":", 2)
    if len(parts) != 3 or not _WORD.fullmatch(subject):
        raise ParseError(_CMD_RULES, f"not a rule: {item!r:.80}")
    subject_id, resource, action_amount = parts
    action, sep, amount_per = action_amount.partition("=")
    amount, _, per = amount_per.partition("/")
    if not sep or not _WORD.fullmatch(resource) or not _WORD.fullmatch(action):
        raise ParseError(_CMD_RULES, f"not a rule: {item!r:.80}")
    if per and not _WORD.fullmatch(per):
        raise ParseError(_CMD_RULES, f"bad per in rule: {item!r:.80}")
    return RctlRule(subject, subject_id, resource, action, _amount(amount, _CMD_RULES),
                    per or None)


def _amount(value: str, command: str) -> int:
    m = _AMOUNT.fullmatch(value.strip())
    if m is None:
        raise ParseError(command, f"not an amount: {value!r:.40}")
    num, unit = m["num"], m["unit"]
    if "." not in num:
        return int(num) * _UNITS[unit]
    return round(float(num) * _UNITS[unit])


# -- rules typed by a person (rctl -a / rctl -r) -------------------------------------------

#: rctl(8) RESOURCES, in the kernel's order (sys/sys/racct.h RACCT_*).
RESOURCES: tuple[str, ...] = (
    "cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
    "maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr", "msgqqueued",
    "msgqsize", "nmsgq", "nsem", "nsemop", "nshm", "shmsize", "wallclock", "pcpu", "readbps",
    "writebps", "readiops", "writeiops")
#: rctl(8) ACTIONS: deny, log, devctl, throttle and ``sig*`` (the signal names of
#: signal(3) in lower case, as sys/kern/kern_rctl.c's str2value table spells them).
SIGNAL_ACTIONS: tuple[str, ...] = (
    "sighup", "sigint", "sigquit", "sigill", "sigtrap", "sigabrt", "sigemt", "sigfpe",
    "sigkill", "sigbus", "sigsegv", "sigsys", "sigpipe", "sigalrm", "sigterm", "sigurg",
    "sigstop", "sigtstp", "sigcont", "sigchld", "sigttin", "sigttou", "sigio", "sigxcpu",
    "sigxfsz", "sigvtalrm", "sigprof", "sigwinch", "siginfo", "sigusr1", "sigusr2", "sigthr")
ACTIONS: tuple[str, ...] = ("deny", "log", "devctl", "throttle", *SIGNAL_ACTIONS)
#: rctl(8) subjects, which are also what ``/per`` may name.
SUBJECTS: tuple[str, ...] = ("process", "user", "loginclass", "jail")
#: sys/kern/kern_racct.c racct_types[]: resources without RACCT_DENIABLE, where
#: kern_rctl.c rctl_rule_add() refuses a deny rule with EOPNOTSUPP (memoryuse and
#: pcpu are its exceptions; rctl(8): "not all actions are supported for all resources").
NOT_DENIABLE = frozenset({"cputime", "wallclock", "readbps", "writebps", "readiops",
                          "writeiops"})
#: kern_rctl.c rctl_rule_add(): throttle only for the I/O rates (RACCT_DECAYING, not pcpu).
THROTTLEABLE = frozenset({"readbps", "writebps", "readiops", "writeiops"})
#: kern_racct.c RACCT_SLOPPY: no rule counted ``/process`` on these (EOPNOTSUPP).
SLOPPY = frozenset({"pseudoterminals", "swapuse", "msgqqueued", "msgqsize", "nmsgq", "nsem",
                    "nshm", "shmsize"})
#: rctl(8): amounts in bytes (the others are counts, seconds or percent).
BYTE_RESOURCES = frozenset({"datasize", "stacksize", "coredumpsize", "memoryuse",
                            "memorylocked", "vmemoryuse", "swapuse", "msgqsize", "shmsize",
                            "readbps", "writebps"})
_INPUT_AMOUNT = re.compile(r"(?P<num>[0-9]{1,19})(?P<unit>[kKmMgGtTpPeE]?)[bB]?")
#: The largest amount rctl takes (an int64 in the kernel's rule).
MAX_AMOUNT = (1 << 63) - 1


class RuleError(JailtuiError):
    """A rule a person typed that rctl(8) would refuse; the message says why."""


def _input_amount(text: str) -> int:
    """expand_number(3) as rctl.c's expand_rule() applies it: 512, 64M, 2G (powers of 1024)."""
    m = _INPUT_AMOUNT.fullmatch(text.strip())
    if m is None:
        raise RuleError(f"amount {text!r:.40}: a whole number, optionally with K, M, G, T, "
                        "P or E (powers of 1024)")
    amount = int(m["num"]) * _UNITS[m["unit"].upper()]
    if amount > MAX_AMOUNT:
        raise RuleError(f"amount {text!r:.40} is too large")
    return amount


def _known(word: str, allowed: tuple[str, ...], what: str) -> str:
    if word not in allowed:
        raise RuleError(f"unknown {what} {word!r:.40} (rctl(8): {', '.join(allowed[:6])}, …)"
                        if len(allowed) > 8 else
                        f"unknown {what} {word!r:.40} (rctl(8): {', '.join(allowed)})")
    return word


def jail_rule(jail: str, text: str, *, amount_required: bool = True) -> RctlRule:
    """A rule for jail ``jail`` from what a person typed, checked against rctl(8).

    Takes ``RESOURCE:ACTION=AMOUNT[/PER]`` or the whole
    ``jail:NAME:RESOURCE:ACTION=AMOUNT[/PER]`` (NAME must be ``jail``).
    ``amount_required=False`` is for a removal filter, where
    ``RESOURCE:ACTION`` names every amount (rctl -r matches any). Raises
    :class:`RuleError` before anything is run: the resource and action names of
    rctl(8), the action a resource supports (kern_racct.c / kern_rctl.c), the
    amount (expand_number(3)) and ``/per`` (a subject).
    """
    t = text.strip()
    if not t:
        raise RuleError("empty rule: RESOURCE:ACTION=AMOUNT, e.g. memoryuse:deny=2G")
    prefix = f"jail:{jail}:"
    if t.startswith(prefix):
        t = t[len(prefix):]
    elif t.count(":") >= 2 or t.startswith(("jail:", "j:")):
        raise RuleError(f"rule {text!r:.80} is not for jail {jail!r:.40}: write "
                        "RESOURCE:ACTION=AMOUNT (this jail's rules only)")
    resource, colon, rest = t.partition(":")
    if not colon:
        raise RuleError(f"rule {text!r:.80}: RESOURCE:ACTION=AMOUNT, e.g. maxproc:deny=100")
    action, eq, amount_per = rest.partition("=")
    if not resource:
        raise RuleError("no resource: one of rctl(8)'s, e.g. memoryuse, maxproc, pcpu, "
                        "openfiles")
    if not action:
        raise RuleError("no action: deny, log, devctl, throttle or a signal (sigterm)")
    _known(resource.lower(), RESOURCES, "resource")
    _known(action.lower(), ACTIONS, "action")
    resource, action = resource.lower(), action.lower()
    if action == "deny" and resource in NOT_DENIABLE:
        raise RuleError(f"{resource} cannot be denied (rctl(8)); use log, devctl or a signal")
    if action == "throttle" and resource not in THROTTLEABLE:
        raise RuleError(f"throttle applies only to {', '.join(sorted(THROTTLEABLE))}")
    if not eq:
        if amount_required:
            raise RuleError(f"rule {text!r:.80} has no amount: {resource}:{action}=AMOUNT")
        return RctlRule("jail", jail, resource, action, -1)
    amount_text, slash, per = amount_per.partition("/")
    if not amount_text.strip():
        raise RuleError(f"no amount: {resource}:{action}=AMOUNT (2G, 512M, 100)")
    amount = _input_amount(amount_text)
    if slash:
        _known(per, SUBJECTS, "per")
        if per == "process" and resource in SLOPPY:
            raise RuleError(f"{resource} cannot be counted per process (kern_rctl.c)")
    # The kernel prints /per only where it differs from the subject: keep the same shape.
    return RctlRule("jail", jail, resource, action, amount,
                    per if slash and per != "jail" else None)


def filter_text(rule: RctlRule) -> str:
    """The filter ``rctl -r`` takes for ``rule``; an amount of -1 matches every amount."""
    if rule.amount < 0:
        return f"{rule.subject}:{rule.subject_id}:{rule.resource}:{rule.action}"
    return rule.text


def rctl_add_argv(rule: RctlRule) -> list[str]:
    """``rctl -a RULE`` (rctl(8)): adds it, replacing a deny rule of the same resource."""
    return ["rctl", "-a", rule.text]


def rctl_remove_argv(rule: RctlRule) -> list[str]:
    """``rctl -r FILTER`` (rctl(8)): removes every rule the filter matches."""
    return ["rctl", "-r", filter_text(rule)]


def same_slot(a: RctlRule, b: RctlRule) -> bool:
    """Do ``a`` and ``b`` limit the same thing (subject, resource, action, per)?"""
    return (a.subject, a.subject_id, a.resource, a.action, a.per or a.subject) == \
        (b.subject, b.subject_id, b.resource, b.action, b.per or b.subject)


def matches(flt: RctlRule, rule: RctlRule) -> bool:
    """Does the removal filter ``flt`` match ``rule`` (kern_rctl.c rctl_rule_matches)?"""
    return same_slot(flt, rule) and (flt.amount < 0 or flt.amount == rule.amount)


def amount_text(rule: RctlRule) -> str:
    """The amount as a person reads it: bytes 1024-based (2.0G), pcpu in %, seconds in s."""
    if rule.resource in BYTE_RESOURCES:
        text = _human(rule.amount)
    elif rule.resource == "pcpu":
        text = f"{rule.amount}%"
    elif rule.resource in ("cputime", "wallclock"):
        text = f"{rule.amount}s"
    else:
        text = str(rule.amount)
    return text + (f"/{rule.per}" if rule.per else "")


def _human(n: int) -> str:
    """1073741824 -> 1G, 1610612736 -> 1.5G: what a person would type back (K/M/G...)."""
    for unit in "EPTGMK":
        size = _UNITS[unit]
        if n >= size:
            value = n / size
            return f"{value:.0f}{unit}" if n % size == 0 else f"{value:.1f}{unit}"
    return f"{n}B"
