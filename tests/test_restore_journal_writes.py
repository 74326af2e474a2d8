"""The restore journal's writes in a whole flow: each one durable, each one before the
host changes, and none that the next one replaces before anything runs (issue 16)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from jailtui.core import userfiles
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import JailtuiError
from jailtui.core.hosts.host import Host
from jailtui.core.storage import journal as journalmod
from jailtui.core.storage import restore as restoremod
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner


def written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """Every journal write of the flow, as (step, done, durable), in order: durable when
    the record reached the disk before the write returned (the first made as a new
    file, fsync'd with its directory, or through write_atomic's durable replace when
    a file was there; later ones appended then fdatasync'd), and what the file reads
    as after it (its newest whole record)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seen: list[dict[str, Any]] = []
    synced: list[str] = []
    real_atomic, real_create, real_sync, real_write = (
        userfiles.write_atomic, journalmod.create_new, journalmod.datasync,
        journalmod.Journal.write)

    def atomic(path: Path, data: bytes, **kw: Any) -> None:
        real_atomic(path, data, **kw)
        if kw.get("durable"):
            synced.append("replace")

    def create(path: Path, data: bytes) -> bool:
        made = real_create(path, data)
        if made:
            synced.append("create")
        return made

    def sync(fd: int) -> None:
        real_sync(fd)
        synced.append("append")

    def write(journal: journalmod.Journal, entry: journalmod.Entry) -> None:
        before = len(synced)
        real_write(journal, entry)
        now = journal.read()
        seen.append({"step": entry.step, "done": list(entry.done),
                     "local": entry.quarantine_local,
                     "durable": len(synced) == before + 1, "how": synced[-1],
                     "reads": now is not None and now.step == entry.step
                     and now.done == entry.done})

    monkeypatch.setattr(journalmod, "write_atomic", atomic)
    monkeypatch.setattr(journalmod, "create_new", create)
    monkeypatch.setattr(journalmod, "datasync", sync)
    monkeypatch.setattr(journalmod.Journal, "write", write)
    return seen


def controller(sim_dir: Path) -> Controller:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


CHECKS = ["stop", "verify stopped", "mounts"]


def test_a_restore_writes_the_journal_before_each_change(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@good"])
    assert rc == 0, err
    # Its mountpoint set locally (as inherited it reads False, the record's default).
    rc, _, err = dispatch(sim_dir, ["zfs", "set", "mountpoint=/usr/local/jails/db",
                                    "zroot/jails/db"])
    assert rc == 0, err
    rc, out, err = dispatch(sim_dir, ["zfs", "get", "-H", "-o", "source", "mountpoint",
                                      "zroot/jails/db"])
    assert rc == 0, err
    source = out.decode().strip()
    assert source == "local"
    seen = written(monkeypatch, tmp_path)
    result = asyncio.run(restoremod.Restore(controller(sim_dir)).run("db", "good"))
    assert result.ok, result.summary
    assert all(w["durable"] and w["reads"] for w in seen)
    # The flow's file made new (the last flow removed its own), then a line a record.
    assert [w["how"] for w in seen] == ["create"] + ["append"] * (len(seen) - 1)
    assert [(w["step"], w["done"]) for w in seen] == [
        ("", []),                                            # before the stop
        ("quarantine", CHECKS),                              # after the zfs get, before rename
        ("clone", [*CHECKS, "quarantine"]),                  # after the quarantine, begun
        ("start", [*CHECKS, "quarantine", "clone"]),         # after the clone, begun
    ]                                # none after the start: verify running changes nothing
    # The quarantine's one record carries what its zfs get said (the undo needs it).
    assert seen[1]["local"] is True
    assert not journalmod.Journal(restoremod.Restore(controller(sim_dir)).host_key,
                                  "db").path.exists()


class Watching(SimRunner):
    """The simulator's runner, noting at each command that changes the host what the
    journal's file reads then (its newest whole record) and how many of the flow's
    writes had returned: the record a change needs must be on disk before it runs,
    whichever thread wrote it."""

    CHANGES = (("service", "jail"), ("zfs", "rename"), ("zfs", "set"), ("zfs", "clone"),
               ("zfs", "rollback"), ("zfs", "destroy"))

    def __init__(self, sim_dir: Path, seen: list[dict[str, Any]]) -> None:
        super().__init__(sim_dir)
        self.seen = seen
        self.journal: journalmod.Journal | None = None
        self.at: list[tuple[str, int, str | None]] = []

    async def run(self, argv: Any, **kw: Any) -> Any:
        if tuple(argv[:2]) in self.CHANGES and self.journal is not None:
            got = self.journal.read()
            self.at.append((" ".join(argv[:3]), len(self.seen),
                            None if got is None else got.step))
        return await super().run(argv, **kw)


def test_each_change_runs_only_once_its_record_is_on_disk(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record is written in a worker thread while the snapshot checks run
    (benchmarks/README.md "restore", round 6): the stop still waits for it."""
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@good"])
    assert rc == 0, err
    seen = written(monkeypatch, tmp_path)
    made = journalmod.create_new

    def slow(path: Path, data: bytes) -> bool:
        # A disk slower than the checks' zfs list: the stop must wait, not overtake.
        time.sleep(0.3)
        return made(path, data)

    monkeypatch.setattr(journalmod, "create_new", slow)
    runner = Watching(sim_dir, seen)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())
    flow = restoremod.Restore(ctl)
    runner.journal = flow.journal("db")
    result = asyncio.run(flow.run("db", "good"))
    assert result.ok, result.summary
    assert all(w["durable"] for w in seen)
    # (command, writes returned, the step the file's newest record announces)
    assert runner.at[0] == ("service jail stop", 1, "")
    assert ("zfs rename --", 2, "quarantine") in runner.at
    assert ("zfs clone -o", 3, "clone") in runner.at
    assert ("service jail start", 4, "start") in runner.at
    assert all(n >= 1 and step is not None for _, n, step in runner.at)


def test_a_missing_snapshot_leaves_no_journal(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record, begun beside the snapshot checks, is removed when they refuse:
    nothing began, so nothing is left for the console's start to offer."""
    seen = written(monkeypatch, tmp_path)
    ctl = controller(sim_dir)
    with pytest.raises(JailtuiError, match="no such snapshot"):
        asyncio.run(restoremod.Restore(ctl).run("db", "nosuch"))
    assert [w["step"] for w in seen] == [""]
    assert not journalmod.Journal(restoremod.Restore(ctl).host_key, "db").path.exists()
    assert asyncio.run(ctl.restore_pending_all()) == []


def test_the_discard_flow_writes_the_same_way(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "zroot/jails/web@good"])
    assert rc == 0, err
    seen = written(monkeypatch, tmp_path)
    result = asyncio.run(restoremod.Restore(controller(sim_dir)).run("web", "good",
                                                                     discard=True))
    assert result.ok, result.summary
    assert [(w["step"], w["done"]) for w in seen] == [
        ("", []), ("rollback", CHECKS), ("start", [*CHECKS, "rollback"])]


def _cut_short_in_verify_running(sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console killed in the flow's last step (SystemExit is no step's failure),
    after the start: the journal's newest record is the start's write-ahead."""
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/web@good"])
    assert rc == 0, err

    async def killed(self: restoremod.Restore, name: str, root: str) -> str:
        raise SystemExit("killed")

    real_verify = restoremod.Restore._verify_up
    monkeypatch.setattr(restoremod.Restore, "_verify_up", killed)
    ctl = controller(sim_dir)
    with pytest.raises(SystemExit):
        asyncio.run(restoremod.Restore(ctl).run("web", "good"))
    monkeypatch.setattr(restoremod.Restore, "_verify_up", real_verify)
    got = journalmod.Journal(restoremod.Restore(ctl).host_key, "web").read()
    assert got is not None and got.step == "start" and got.done[-1] == "clone"


def test_cut_short_after_the_start_with_the_jail_running_is_a_flow_that_ended(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    _cut_short_in_verify_running(sim_dir, monkeypatch)
    ctl = controller(sim_dir)
    assert asyncio.run(restoremod.Restore(ctl).pending("web")) is None
    assert not journalmod.Journal(restoremod.Restore(ctl).host_key, "web").path.exists()


def test_cut_short_after_the_start_with_the_jail_gone_offers_the_same_ways_out(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No note between the start and verify running: the start's write-ahead is the
    journal's state, and what is offered is read from zfs list and jls, as it was
    when a note said the start was done."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    _cut_short_in_verify_running(sim_dir, monkeypatch)
    ctl = controller(sim_dir)
    assert asyncio.run(ctl.stop("web")).ok
    got = asyncio.run(restoremod.Restore(ctl).pending("web"))
    assert got is not None
    assert "was cut short in step 'start': the known-good copy is in place" in got[1]
    assert "to finish (start it): jailtui restore web --resume; to put the old root " \
           "back: jailtui restore web --swap-back" in got[1]
    result = asyncio.run(restoremod.Restore(ctl).resume("web"))
    assert result.ok, result.summary
    assert asyncio.run(restoremod.Restore(ctl).pending("web")) is None


# -- the file itself: records appended, the newest whole one read -------------------------

def entry(step: str, done: list[str]) -> journalmod.Entry:
    return journalmod.Entry("local", "db", "zroot/jails/db", "/usr/local/jails/db",
                            "zroot/jails/db@good", "clone", step=step, done=done)


def test_records_are_appended_and_the_newest_is_read(tmp_path: Path) -> None:
    j = journalmod.Journal("local", "db", tmp_path)
    j.write(entry("", []))
    j.write(entry("quarantine", ["stop"]))
    j.write(entry("clone", ["stop", "quarantine"]))
    assert len(j.path.read_bytes().splitlines()) == 3
    got = journalmod.Journal("local", "db", tmp_path).read()
    assert got is not None and (got.step, got.done) == ("clone", ["stop", "quarantine"])
    # A new flow's first record replaces the file.
    j2 = journalmod.Journal("local", "db", tmp_path)
    j2.write(entry("", []))
    assert len(j2.path.read_bytes().splitlines()) == 1


@pytest.mark.parametrize("tail", [b'{"version":1,"host":"lo', b"\0" * 40, b"\n\n"],
                         ids=["cut short", "zeros", "blank"])
def test_a_record_torn_by_a_power_loss_is_skipped(tmp_path: Path, tail: bytes) -> None:
    """The step it announced had not begun: the record before it is the state."""
    j = journalmod.Journal("local", "db", tmp_path)
    j.write(entry("", []))
    j.write(entry("quarantine", ["stop"]))
    with open(j.path, "ab") as f:
        f.write(tail)
    got = j.read()
    assert got is not None and (got.step, got.done) == ("quarantine", ["stop"])


def test_a_journal_of_one_indented_document_still_reads(tmp_path: Path) -> None:
    """The layout written before records were appended: one document over many lines."""
    j = journalmod.Journal("local", "db", tmp_path)
    j.directory.mkdir(parents=True)
    j.path.write_text(json.dumps(entry("clone", ["stop"]).to_json(), indent=1,
                                 sort_keys=True) + "\n")
    got = j.read()
    assert got is not None and (got.step, got.done) == ("clone", ["stop"])


def test_a_failed_append_is_raised_and_the_next_write_starts_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = journalmod.Journal("local", "db", tmp_path)
    j.write(entry("", []))

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journalmod, "datasync", full)
    with pytest.raises(OSError):
        j.write(entry("quarantine", ["stop"]))
    monkeypatch.undo()
    j.write(entry("clone", ["stop", "quarantine"]))
    assert len(j.path.read_bytes().splitlines()) == 1   # replaced whole, not appended
    got = j.read()
    assert got is not None and got.step == "clone"


# -- what a crash can leave of each write: read as the record before it ------------------

def whole_first_record(tmp_path: Path) -> bytes:
    j = journalmod.Journal("local", "db", tmp_path)
    j.write(entry("", []))
    return j.path.read_bytes()


def crashed_states(line: bytes) -> list[bytes]:
    """What a power loss can leave of ``line`` written at the end of a file: any part of
    it (the data cut short), zeros where the size reached the disk before the data
    (the line's length, or a block of them), and the data cut short then zeros."""
    cut = [line[:n] for n in range(len(line) - 1)]       # without its newline it is whole
    return [*cut, b"\0" * len(line), b"\0" * 4096,
            *(line[:n] + b"\0" * (len(line) - n) for n in (1, len(line) // 2, len(line) - 2))]


def test_every_state_a_crash_leaves_of_the_first_record_reads_as_no_journal(
        tmp_path: Path) -> None:
    """The first record is made under the file's own name (no rename): cut short there
    the file may be empty, part of the record or zeros. Each reads as no record (it
    was written before the stop: nothing had begun), and the next flow's first record
    replaces it whole."""
    line = whole_first_record(tmp_path / "whole")
    j = journalmod.Journal("local", "db", tmp_path / "torn")
    for data in crashed_states(line):
        j.directory.mkdir(parents=True, exist_ok=True)
        j.path.write_bytes(data)
        assert journalmod.Journal("local", "db", tmp_path / "torn").read() is None, data
        again = journalmod.Journal("local", "db", tmp_path / "torn")
        again.write(entry("", []))
        assert again.path.read_bytes() == line, data
        again.write(entry("quarantine", ["stop"]))
        got = again.read()
        assert got is not None and got.step == "quarantine", data
        again.remove()


def test_every_state_a_crash_leaves_of_an_append_reads_as_the_record_before(
        tmp_path: Path) -> None:
    j = journalmod.Journal("local", "db", tmp_path)
    j.write(entry("", []))
    j.write(entry("quarantine", ["stop"]))
    whole = j.path.read_bytes()
    first, second = whole.splitlines(keepends=True)
    for data in crashed_states(second):
        j.path.write_bytes(first + data)
        got = journalmod.Journal("local", "db", tmp_path).read()
        assert got is not None and (got.step, got.done) == ("", []), data


def test_a_first_record_that_cannot_be_made_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a failed write_atomic leaves none: raised (the flow says the journal cannot
    be written), nothing read as a record, and the next write makes the file anew."""
    j = journalmod.Journal("local", "db", tmp_path)

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError):
        j.write(entry("", []))
    monkeypatch.undo()
    assert not j.path.exists()
    j.write(entry("", []))
    j.write(entry("clone", ["stop"]))
    assert len(j.path.read_bytes().splitlines()) == 2


def test_the_first_record_never_writes_through_a_symlink(tmp_path: Path) -> None:
    """O_EXCL refuses a name that is a symlink (open(2)); the replace then puts a file
    in its place, and the file it named is untouched."""
    j = journalmod.Journal("local", "db", tmp_path / "state")
    j.directory.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not yours\n")
    j.path.symlink_to(elsewhere)
    j.write(entry("", []))
    assert elsewhere.read_bytes() == b"not yours\n"
    assert not j.path.is_symlink()
    got = j.read()
    assert got is not None and got.step == ""


def test_a_restore_over_a_torn_first_record_runs_and_replaces_it(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flow cut short in its first record leaves nothing to finish: the console's
    start says nothing of it, and the next restore replaces the file whole (old or new
    on a crash in that write too), then appends as ever."""
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@good"])
    assert rc == 0, err
    line = whole_first_record(tmp_path / "whole")
    seen = written(monkeypatch, tmp_path)
    ctl = controller(sim_dir)
    torn = journalmod.Journal(restoremod.Restore(ctl).host_key, "db")
    torn.directory.mkdir(parents=True)
    torn.path.write_bytes(line[:40])
    assert journalmod.journal_jails(torn.path.parent.name) == ["db"]
    assert asyncio.run(ctl.restore_pending_all()) == []
    result = asyncio.run(restoremod.Restore(ctl).run("db", "good"))
    assert result.ok, result.summary
    assert [w["how"] for w in seen] == ["replace"] + ["append"] * (len(seen) - 1)
    assert all(w["durable"] and w["reads"] for w in seen)
    assert not torn.path.exists()
