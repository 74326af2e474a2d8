"""The restore journal's writes in a whole flow: each one durable, each one before the
host changes, and none that the next one replaces before anything runs (issue 16)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from jailtui.core import userfiles
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.storage import journal as journalmod
from jailtui.core.storage import restore as restoremod
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner


def written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """Every journal write of the flow, as (step, done, durable), in order: durable when
    the record reached the disk before the write returned (the first through
    write_atomic's durable replace, later ones appended then fdatasync'd), and what
    the file reads as after it (its newest whole record)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seen: list[dict[str, Any]] = []
    synced: list[str] = []
    real_atomic, real_sync, real_write = (userfiles.write_atomic, journalmod.datasync,
                                          journalmod.Journal.write)

    def atomic(path: Path, data: bytes, **kw: Any) -> None:
        real_atomic(path, data, **kw)
        if kw.get("durable"):
            synced.append("replace")

    def sync(fd: int) -> None:
        real_sync(fd)
        synced.append("append")

    def write(journal: journalmod.Journal, entry: journalmod.Entry) -> None:
        before = len(synced)
        real_write(journal, entry)
        now = journal.read()
        seen.append({"step": entry.step, "done": list(entry.done),
                     "durable": len(synced) == before + 1, "how": synced[-1],
                     "reads": now is not None and now.step == entry.step
                     and now.done == entry.done})

    monkeypatch.setattr(journalmod, "write_atomic", atomic)
    monkeypatch.setattr(journalmod, "datasync", sync)
    monkeypatch.setattr(journalmod.Journal, "write", write)
    return seen


def controller(sim_dir: Path) -> Controller:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


CHECKS = ["stop", "verify stopped", "mounts"]


def test_a_restore_writes_the_journal_before_each_change_and_once_after_the_start(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@good"])
    assert rc == 0, err
    seen = written(monkeypatch, tmp_path)
    result = asyncio.run(restoremod.Restore(controller(sim_dir)).run("db", "good"))
    assert result.ok, result.summary
    assert all(w["durable"] and w["reads"] for w in seen)
    # One replace to start the flow's file, then a line appended a record.
    assert [w["how"] for w in seen] == ["replace"] + ["append"] * (len(seen) - 1)
    assert [(w["step"], w["done"]) for w in seen] == [
        ("", []),                                            # before the stop
        ("quarantine", CHECKS),                              # before the zfs get
        ("quarantine", CHECKS),                              # its mountpoint source, then rename
        ("clone", [*CHECKS, "quarantine"]),                  # after the quarantine, begun
        ("start", [*CHECKS, "quarantine", "clone"]),         # after the clone, begun
        ("", [*CHECKS, "quarantine", "clone", "start"]),     # after the start
    ]
    assert not journalmod.Journal(restoremod.Restore(controller(sim_dir)).host_key,
                                  "db").path.exists()


def test_the_discard_flow_writes_the_same_way(
        sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "zroot/jails/web@good"])
    assert rc == 0, err
    seen = written(monkeypatch, tmp_path)
    result = asyncio.run(restoremod.Restore(controller(sim_dir)).run("web", "good",
                                                                     discard=True))
    assert result.ok, result.summary
    assert [(w["step"], w["done"]) for w in seen] == [
        ("", []), ("rollback", CHECKS), ("start", [*CHECKS, "rollback"]),
        ("", [*CHECKS, "rollback", "start"])]


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
