"""Signal names and numbers as FreeBSD's kill(1) takes them.

kill(1) accepts ``-s NAME``, ``-NAME``, ``-s NUMBER`` and ``-NUMBER``; the
numbers are FreeBSD's (sys/sys/signal.h), not Linux's: SIGUSR1 is 30 there,
10 here, so a number is translated to its FreeBSD name before anything is
sent (the simulated host and a real one agree on names).
"""

from __future__ import annotations

__all__ = ["FREEBSD_SIGNALS", "parse_signal"]

#: sys/sys/signal.h, number -> name (without SIG).
FREEBSD_SIGNALS: dict[int, str] = {
    1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "EMT", 8: "FPE",
    9: "KILL", 10: "BUS", 11: "SEGV", 12: "SYS", 13: "PIPE", 14: "ALRM", 15: "TERM",
    16: "URG", 17: "STOP", 18: "TSTP", 19: "CONT", 20: "CHLD", 21: "TTIN", 22: "TTOU",
    23: "IO", 24: "XCPU", 25: "XFSZ", 26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "INFO",
    30: "USR1", 31: "USR2",
}


def parse_signal(text: str) -> str | None:
    """``9``, ``KILL``, ``kill``, ``SIGKILL``, ``-9`` -> ``KILL``; None if unknown."""
    word = text.strip().removeprefix("-").upper().removeprefix("SIG")
    if word.isdigit():
        return FREEBSD_SIGNALS.get(int(word))
    return word if word in FREEBSD_SIGNALS.values() else None
