"""The owner drivers, and the index that decides who owns each jail (docs/managers.md 1.7).

:class:`OwnerIndex` reads every manager's files at most once per ``interval`` (the slow
cadence; the poll tick only looks names up), so ownership never costs a manager's
``list`` or a file read per tick. Attribution uses the ``jls`` name and path alone plus
one file check per manager, most specific rule first.

Before an action the files are checked again (:meth:`OwnerIndex.recheck`, docs/managers.md
1.7, its last paragraphs): every answer the last load was given (each stat, glob and read,
in order) is asked again; the same answers give the same inventories (the drivers are
pure functions of them), so only a changed file costs the parse again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import cast

from jailtui.core.errors import describe
from jailtui.core.owners.appjail import AppJailDriver
from jailtui.core.owners.base import Broken, Driver, Files, Inventory, ManagedJail, Owner, Ownership
from jailtui.core.owners.bastille import BastilleDriver
from jailtui.core.owners.ezjail import EzjailDriver
from jailtui.core.owners.iocage import IocageDriver
from jailtui.core.owners.jailconf import JailConfDriver
from jailtui.core.owners.pot import PotDriver

#: Managers in the order their rules are tried (1.7: iocage before Bastille, both end
#: in ``/root``); plain jail.conf comes after all of them.
MANAGERS: tuple[Driver, ...] = (IocageDriver(), BastilleDriver(), AppJailDriver(), PotDriver(),
                                EzjailDriver())
DRIVERS: Mapping[Owner, Driver] = {d.owner: d for d in (*MANAGERS, JailConfDriver())}

#: Seconds between two readings of the managers' files.
DEFAULT_INTERVAL = 30.0

#: Why a jail nobody claims is unknown (podman/ocijail, a hand-made jail ...).
NO_OWNER = "no jail manager's files describe it and no jail.conf block names it"


def driver(owner: Owner | str) -> Driver | None:
    """The driver of ``owner``; None for ``unknown``."""
    try:
        return DRIVERS.get(Owner(owner))
    except ValueError:
        return None


#: One answer a load was given: ("stat" | "glob" | "read", host path or pattern, answer).
Answer = tuple[str, str, object]


class _Noted:
    """The files a load reads through, noting every answer in order (what the drivers
    saw; they are pure functions of it: core/owners/base.py). ``complete`` is False once
    a question raised: such a load is never rechecked, only read again."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.answers: list[Answer] = []
        self.complete = True

    def _ask(self, kind: str, path: str, question: Callable[[], object]) -> object:
        try:
            answer = question()
        except BaseException:
            self.complete = False       # an answer not noted: no recheck of this load
            raise
        self.answers.append((kind, path, answer))
        return answer

    def read_text(self, host_path: str) -> str:
        return cast(str, self._ask("read", host_path, lambda: self.files.read_text(host_path)))

    def stat(self, host_path: str) -> tuple[int, int] | None:
        return cast("tuple[int, int] | None",
                    self._ask("stat", host_path, lambda: self.files.stat(host_path)))

    def glob(self, pattern: str) -> list[str]:
        return list(cast("tuple[str, ...]",
                         self._ask("glob", pattern, lambda: tuple(self.files.glob(pattern)))))


def _answers_hold(files: Files, answers: list[Answer]) -> bool:
    """Does every answer of a load still hold? A read by its text, not its stat: a file
    rewritten in the same clock tick with the same size is not taken for unchanged."""
    for kind, path, answer in answers:
        try:
            now: object = (files.read_text(path) if kind == "read" else
                           files.stat(path) if kind == "stat" else tuple(files.glob(path)))
        except (OSError, UnicodeError):
            return False
        if now != answer:
            return False
    return True


class OwnerIndex:
    """Inventories of every manager on one host, refreshed on a slow cadence."""

    def __init__(self, files: Files, settings: Mapping[str, str] | None = None, *,
                 interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.files = files
        self.settings: Mapping[str, str] = dict(settings or {})
        self.interval = interval
        self._clock = clock
        self._inv: dict[Owner, Inventory] | None = None
        self._at = 0.0
        #: How many times the files were read (tests: the cadence holds).
        self.loads = 0
        #: The last load's answers (None: not rechecked, read again; a remote host's).
        self._answers: list[Answer] | None = None
        #: recheck() was asked: the next use asks the answers again first.
        self._recheck = False

    def invalidate(self) -> None:
        """Read again on the next use (after an action or a save)."""
        self._inv = None

    def recheck(self) -> None:
        """Just before an action (docs/managers.md 1.1: a jail whose manager's file went is
        not driven by its name): on the next use, every answer of the last load is asked
        again. All the same: the inventories are what a load then would give, and stay;
        else they are read again, as after :meth:`invalidate`. A remote host's files
        (``prefetch``: a cached round trip, core/transport/ssh/files.py) are always read
        again."""
        self._recheck = True

    def inventories(self) -> Mapping[Owner, Inventory]:
        now = self._clock()
        if self._inv is not None and self._recheck:
            self._recheck = False
            if self._answers is not None and _answers_hold(self.files, self._answers):
                self._at = now      # what a load now would give
            else:
                self._inv = None
        if self._inv is None or now - self._at >= self.interval:
            prefetch = getattr(self.files, "prefetch", None)
            if callable(prefetch):
                # A remote host (core/transport/ssh.py RemoteFiles): one round trip
                # for every manager's files, not one per stat.
                paths: list[str] = []
                globs: list[str] = []
                for d in MANAGERS:
                    p, g = d.warm(self.settings)
                    paths += p
                    globs += g
                prefetch(paths, globs)
            inv: dict[Owner, Inventory] = {}
            noted = _Noted(self.files)
            for d in MANAGERS:
                try:
                    inv[d.owner] = d.load(noted, self.settings)
                except Exception as exc:  # noqa: BLE001 - one bad manager never breaks the poll
                    # describe(): never a bare type name (issue 13 item 37).
                    inv[d.owner] = Inventory(d.owner, True, problems=(
                        f"{d.command}: its configuration could not be read: {describe(exc)}",))
            self._inv, self._at = inv, now
            self._answers = noted.answers if noted.complete and not callable(prefetch) else None
            self.loads += 1
        return self._inv

    def problems(self) -> list[str]:
        """Problems with the managers' own configuration files (raw text)."""
        return [p for inv in self.inventories().values() for p in inv.problems]

    def attribute(self, name: str, path: str, configured: Mapping[str, str]) -> Ownership:
        """Who owns the running jail ``jls`` shows as (``name``, ``path``).

        ``configured`` maps jail.conf jail names to their file (rule 6).
        """
        reasons: list[str] = []
        # One look at the inventories for all the managers (not one each: 5,000
        # clock reads and checks for 1,000 jails; issue 18), so a reload on the
        # cadence never falls between two managers of one answer either.
        invs = self.inventories()
        for d in MANAGERS:
            got = d.claims(invs[d.owner], name, path)
            if isinstance(got, ManagedJail):
                return Ownership(d.owner, got.name, f"{got.conf_file} and jls path {path}",
                                 got.conf_file, got.enabled)
            if isinstance(got, str):
                reasons.append(f"looks like {d.command}'s, but {got}")
        if name in configured and not reasons:
            return Ownership(Owner.JAILCONF, name, f"block in {configured[name]}",
                             configured[name])
        return Ownership(Owner.UNKNOWN, "", "; ".join(reasons) or NO_OWNER)

    def configured_jails(self) -> Iterable[ManagedJail]:
        """Every jail a manager configures, running or not (stopped rows come from here).

        Not those of a manager whose own configuration is broken (a malformed
        bastille.conf): they are :meth:`unusable_jails`, as its running jails are
        ``unknown`` (docs/managers.md 1.7)."""
        for inv in self.inventories().values():
            if not inv.problems:
                yield from inv.jails.values()

    def unusable_jails(self) -> Iterable[tuple[str, Broken]]:
        """(the manager's name, why) of every jail a manager's files describe but that
        cannot be driven: its own file is half-written or malformed, or its manager's
        configuration is. They are stopped rows of owner ``unknown`` with the reason,
        in the same words as a running one (:meth:`attribute`)."""
        for d in MANAGERS:
            inv = self.inventories()[d.owner]
            for name, b in inv.broken.items():
                yield name, replace(b, reason=f"looks like {d.command}'s, but {b.reason}")
            if inv.problems:
                why = f"looks like {d.command}'s, but {'; '.join(inv.problems)}"
                for mj in inv.jails.values():
                    yield mj.name, Broken(why, mj.kernel_name, mj.path, mj.conf_file)
