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
    """Every journal write of the flow, as (step, done, durable), in order."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seen: list[dict[str, Any]] = []
    real = userfiles.write_atomic

    def recording(path: Path, data: bytes, **kw: Any) -> None:
        doc = json.loads(data)
        seen.append({"step": doc["step"], "done": doc["done"],
                     "durable": kw.get("durable", False)})
        real(path, data, **kw)

    monkeypatch.setattr(journalmod, "write_atomic", recording)
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
    assert all(w["durable"] for w in seen)
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
