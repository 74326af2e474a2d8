"""A manager's configuration that is missing, half-written or malformed, through the CLI.

Issue 15 "Bad input": such a jail's owner is ``unknown`` with the reason, never a crash
and never a wrong action. Each manager, each way its files break, through ``jailtui``
with ``--host local`` and the simulator's shims on PATH (the real entry point, the one
gate): a running jail is refused until the user says ``--jail8``; a stopped one does not
vanish from the list and is not started by a guess (neither the manager's command,
which would read the broken file, nor jail(8) by name).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALL = ("bastille", "iocage", "appjail", "pot", "ezjail")


def jailtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jailtui.sim.builder import init_host

    return init_host(tmp_path_factory.mktemp("badconf") / "sim", managers=ALL)


@pytest.fixture
def sim(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "sim", symlinks=True)
    return tmp_path / "sim"


@pytest.fixture
def local(sim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    out = jailtui("--sim", str(sim), "sim", "shims", str(tmp_path / "bin"))
    assert out.returncode == 0, out.stderr
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return ["--host", "local", "--root", str(sim / "root")]


def rows(local: list[str]) -> dict[str, dict[str, object]]:
    out = jailtui(*local, "list", "--json")
    assert out.returncode == 0, out.stderr
    # The configured or live row wins over a dying one of the same name.
    by: dict[str, dict[str, object]] = {}
    for r in json.loads(out.stdout):
        if r["state"] != "dying" or r["name"] not in by:
            by[r["name"]] = r
    return by


def truncate(rel: str, keep: int) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        f = root / rel
        f.write_bytes(f.read_bytes()[:keep])
    return breaks


def append(rel: str, text: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        f = root / rel
        f.write_text(f.read_text() + text)
    return breaks


def remove(rel: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        (root / rel).unlink()
    return breaks


#: (running jail, how its manager's file breaks, words of the reason)
RUNNING_BROKEN = [
    ("shop", append("usr/local/etc/bastille/bastille.conf", 'bastille_prefix="$(hostname)"\n'),
     "command substitution is not supported"),
    ("shop", remove("usr/local/etc/bastille/bastille.conf"), "No config file found!"),
    ("shop", truncate("usr/local/bastille/jails/shop/jail.conf", 60), "shop/jail.conf"),
    ("ioc-media_lan", truncate("zroot/iocage/jails/media.lan/config.json", 50),
     "not valid JSON"),
    ("ioc-media_lan", remove("zroot/iocage/jails/media.lan/config.json"),
     "config.json: missing"),
    ("radio", append("usr/local/etc/appjail/appjail.conf", 'JAILDIR="/usr/local/app\n'),
     "unterminated double quote"),
    ("proxy", truncate("opt/pot/jails/proxy/conf/pot.conf", 0), "half-written"),
    ("forum_example_net", append("usr/local/etc/ezjail/forum_example_net", "if true; then :; fi\n"),
     "not a plain assignment"),
]


@pytest.mark.parametrize(("name", "breaks", "why"), RUNNING_BROKEN,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(RUNNING_BROKEN)])
def test_a_running_jail_with_a_broken_manager_file_is_unknown_and_refused(
        local: list[str], sim: Path, name: str, breaks: Callable[[Path], None],
        why: str) -> None:
    breaks(sim / "root")
    row = rows(local)[name]
    assert row["owner"] == "unknown" and why in str(row["owner_reason"]), row
    out = jailtui(*local, "stop", name)
    assert out.returncode == 1 and "owner unknown" in out.stderr and why in out.stderr
    assert "$ " not in out.stdout  # nothing ran
    assert rows(local)[name]["state"] == "running"
    # Said so: jail(8) by its kernel name, no manager's command.
    out = jailtui(*local, "stop", "--jail8", name)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"$ jail -r {name}" in out.stdout


#: (stopped jail, how its manager's file breaks, words of the reason)
STOPPED_BROKEN = [
    ("wiki", truncate("usr/local/bastille/jails/wiki/jail.conf", 60), "unexpected EOF"),
    ("wiki", append("usr/local/etc/bastille/bastille.conf", 'bastille_prefix="`hostname`"\n'),
     "command substitution is not supported"),
    ("ioc-backup", truncate("zroot/iocage/jails/backup/config.json", 50), "not valid JSON"),
    ("builder", append("usr/local/etc/appjail/appjail.conf", "DATADIR=$(pwd)\n"),
     "command substitution is not supported"),
    ("batch", truncate("opt/pot/jails/batch/conf/pot.conf", 0), "half-written"),
    ("old", append("usr/local/etc/ezjail/old.norun", "for x in a; do :; done\n"),
     "not a plain assignment"),
]


@pytest.mark.parametrize(("name", "breaks", "why"), STOPPED_BROKEN,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(STOPPED_BROKEN)])
def test_a_stopped_jail_with_a_broken_manager_file_stays_listed_and_is_not_started(
        local: list[str], sim: Path, name: str, breaks: Callable[[Path], None],
        why: str) -> None:
    breaks(sim / "root")
    row = rows(local)[name]
    assert row["state"] == "stopped" and row["owner"] == "unknown", row
    assert why in str(row["owner_reason"])
    out = jailtui(*local, "start", name)
    assert out.returncode == 1 and "owner unknown" in out.stderr and why in out.stderr
    assert "$ " not in out.stdout  # neither the manager nor jail(8) ran
    assert rows(local)[name]["state"] == "stopped"
    # The refusal is audited (the simulated host's syslog stand-in, SIMDIR/audit.log).
    out = jailtui("--sim", str(sim), "start", name)
    assert out.returncode == 1 and "owner unknown" in out.stderr
    audit = (sim / "audit.log").read_text().splitlines()[-1]
    assert f"action=start jail={name}" in audit and "denied:" in audit
