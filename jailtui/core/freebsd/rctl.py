"""rctl(8): resource usage (``-u``) and rules (``-l``) of a jail.

rctl needs RACCT in the kernel and ``kern.racct.enable=1``; without them it
fails with a message that :func:`jailtui.core.freebsd.errors.tool_error`
turns into ``RacctUnavailable`` (docs/freebsd.md 7). These parsers only ever see
successful output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jailtui.core.errors import ParseError
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
