"""A jail's security posture: items with a value, a meaning and a verdict.

Every item says what it is (``title``), what was found (``value``, raw text:
shown through core.text.visible() only), what that means in one sentence and
whether it meets the host's baseline (core/posture/baseline.py). An item that
could not be established is UNKNOWN with the reason, never OK.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Verdict(enum.StrEnum):
    OK = "ok"
    DEVIATES = "deviates"
    UNKNOWN = "unknown"
    #: Shown for context, not measured against the baseline.
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Item:
    #: Item group: securelevel, restrictions, flags, userland, packages, base, database.
    group: str
    #: Short name: "securelevel", "allow.raw_sockets", "flags /bin", ...
    title: str
    value: str
    meaning: str
    verdict: Verdict
    #: Why UNKNOWN or DEVIATES (one sentence); empty when OK.
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        return {"group": self.group, "title": self.title, "value": self.value,
                "meaning": self.meaning, "verdict": str(self.verdict), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class FlagChange:
    """One file whose flags the baseline wants changed (``jailtui flags --apply``)."""

    #: Host path of the file.
    path: str
    current: tuple[str, ...]
    add: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JailPosture:
    host: str | None
    name: str
    jid: int | None
    path: str
    owner: str = ""
    items: tuple[Item, ...] = ()
    userland: str | None = None
    kernel: str | None = None
    #: "behind", "same", "newer" or "" (not known): the userland against the running kernel.
    versus_kernel: str = ""
    base_vulnerable: int | None = None
    package_vulnerable: int | None = None
    securelevel: int | None = None
    loosened: tuple[str, ...] = ()
    missing_flags: int | None = None
    #: Files the baseline's flags would change (host paths).
    flag_changes: tuple[FlagChange, ...] = field(default=())
    #: The base system installed from packages (pkgbase); None: not known.
    pkgbase: bool | None = None

    @property
    def mark(self) -> Verdict:
        """The jail's overall mark: DEVIATES if any item does, else UNKNOWN if any is, else OK."""
        verdicts = {i.verdict for i in self.items}
        if Verdict.DEVIATES in verdicts:
            return Verdict.DEVIATES
        if Verdict.UNKNOWN in verdicts:
            return Verdict.UNKNOWN
        return Verdict.OK

    def deviations(self) -> list[Item]:
        return [i for i in self.items if i.verdict is Verdict.DEVIATES]

    def unknowns(self) -> list[Item]:
        return [i for i in self.items if i.verdict is Verdict.UNKNOWN]

    def to_json(self) -> dict[str, object]:
        return {"host": self.host, "name": self.name, "jid": self.jid, "path": self.path,
                "owner": self.owner, "mark": str(self.mark), "userland": self.userland,
                "kernel": self.kernel, "versus_kernel": self.versus_kernel or None,
                "base_vulnerable": self.base_vulnerable,
                "package_vulnerable": self.package_vulnerable,
                "securelevel": self.securelevel, "loosened": list(self.loosened),
                "missing_flags": self.missing_flags, "pkgbase": self.pkgbase,
                "items": [i.to_json() for i in self.items]}
