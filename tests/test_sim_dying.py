"""The simulated kernel keeps a removed jail DYING, as FreeBSD does, on both generations.

Every expectation here comes from FreeBSD's source, run through the shims
on PATH (the production path) and, where noted, in-process:

- kern_jail.c (kern_jail_remove / prison_deref): a removed prison stays
  in the kernel, dying, holding its jid, while references remain;
  ``jls -d`` lists it with ``"state":"DYING"`` (jls.c, docs/freebsd.md 1.3,
  1.6, 5.4).
- kern_jail.c kern_jail_get / libjail jail_getid: without JAIL_DYING a
  jail that exists only dying is ``jail "web" is dying`` (jls.c and
  jexec.c print jail_errmsg, exit 1).
- kern_jail.c kern_jail_set: a new jail may take a dying jail's name
  ("name must not exist in an active sibling jail"): on 14 it gets a new
  jid beside the dying one; 15 replaces the dying one (allow.dying and
  ``-d`` deprecated, ``jail -C`` added; docs/freebsd.md 3.1, 3.2).
- ps keyword.c findvar: an unknown ``-o`` keyword is ``ps: jail: keyword
  not found`` on stderr, the rest printed, exit 1.
- rc.d/jail: ``tr /. _`` of each name (``ci.build`` -> ``ci_build``, not
  running, skipped silently); rc.subr warn()/err() prefixes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_fixtures import PINNED_NOW, SimHost, make_host

from jailtui.sim.commands import dispatch


def _jls_d(sim: SimHost, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    doc = json.loads(sim.out("jls", "--libxo", "json", "-v", "-d", env=env))
    rows: list[dict[str, object]] = doc["jail-information"]["jail"]
    return rows


def _rows(sim: SimHost, name: str, env: dict[str, str] | None = None
          ) -> list[tuple[int, str]]:
    return [(int(str(j["jid"])), str(j["state"])) for j in _jls_d(sim, env)
            if j["name"] == name]


@pytest.mark.parametrize("gen", [14, 15])
def test_removed_jail_lingers_dying_with_its_jid(tmp_path: Path, gen: int) -> None:
    sim = make_host(tmp_path, freebsd=gen, dying_seconds=60)
    (jid, _), = _rows(sim, "web")
    assert sim.run("jail", "-r", "web").returncode == 0
    assert _rows(sim, "web") == [(jid, "DYING")]
    # Without -d the jail is not listed, and -j names it as dying.
    assert b'"web"' not in sim.run("jls", "--libxo", "json", "-v").stdout
    for argv in (("jls", "-j", "web"), ("jexec", "web", "true")):
        res = sim.run(*argv)
        assert res.returncode == 1
        assert res.stderr.decode().endswith(f'{argv[0]}: jail "web" is dying\n'), res.stderr
    assert sim.run("jls", "-j", str(jid)).stderr == f"jls: jail {jid} is dying\n".encode()
    # ps -J: jail_getid fails as for any unknown jail.
    assert b"Invalid jail id: web" in sim.run("ps", "-J", "web").stderr
    # jail -r of the dying jail: running_jid does not see it.
    assert sim.run("jail", "-r", "web").stderr == b'jail: "web" not found\n'
    # Its time is up: gone.
    later = {"JAILTUI_SIM_NOW": str(PINNED_NOW + 61)}
    assert _rows(sim, "web", later) == []
    assert sim.run("jls", "-j", "web", env=later).stderr == b'jls: jail "web" not found\n'


def test_fourteen_creates_beside_the_dying_jail(tmp_path: Path) -> None:
    sim = make_host(tmp_path, freebsd=14, dying_seconds=60)
    (old, _), = _rows(sim, "web")
    res = sim.run("jail", "-rc", "web")
    assert res.returncode == 0, res.stderr
    rows = _rows(sim, "web")
    assert (old, "DYING") in rows and len(rows) == 2
    (new, state), = [r for r in rows if r[0] != old]
    assert state == "ACTIVE" and new > old
    # By name, -d finds the live one (prison_find_name prefers it).
    doc = json.loads(sim.out("jls", "--libxo", "json", "-v", "-d", "-j", "web"))
    assert doc["jail-information"]["jail"][0]["jid"] == new
    # A create with the dying jail's jid: "jid must not exist" on 14.
    sim.out("jail", "-r", "db")
    (dbjid, _), = _rows(sim, "db")
    res = sim.run("jail", "-c", f"jid={dbjid}", "name=x", "path=/", "persist")
    assert res.stderr == f"jail: jail {dbjid} already exists\n".encode()
    # -d is deprecated with the 14.x text, and -C does not exist.
    assert b"flagare deprecated" in sim.run("jail", "-d", "-r", "mail").stderr
    assert b"illegal option -- C" in sim.run("jail", "-C", "mail").stderr


def test_fifteen_replaces_the_dying_jail(tmp_path: Path) -> None:
    sim = make_host(tmp_path, freebsd=15, dying_seconds=60)
    (old, _), = _rows(sim, "web")
    assert sim.run("jail", "-rc", "web").returncode == 0
    rows = _rows(sim, "web")
    assert len(rows) == 1 and rows[0][1] == "ACTIVE" and rows[0][0] != old
    sim.out("jail", "-r", "db")
    (dbjid, _), = _rows(sim, "db")
    res = sim.run("jail", "-c", f"jid={dbjid}", "name=x", "path=/", "persist")
    assert res.returncode == 0, res.stderr
    assert _rows(sim, "db") == [] and _rows(sim, "x") == [(dbjid, "ACTIVE")]
    assert b"'-d' flag are deprecated" in sim.run("jail", "-d", "-r", "mail").stderr
    # -C (clean up after a removed jail) runs without touching the kernel.
    assert sim.run("jail", "-C", "mail").returncode == 0


def test_in_process_dispatch_agrees(tmp_path: Path) -> None:
    sim = make_host(tmp_path, dying_seconds=60)
    env = {"JAILTUI_SIM_NOW": str(PINNED_NOW)}
    assert dispatch(sim.simdir, ["jail", "-r", "web"], env=env)[0] == 0
    rc, out, err = dispatch(sim.simdir, ["jexec", "web", "true"], env=env)
    assert (rc, err) == (1, b'jexec: jail "web" is dying\n')


def test_generation_recorded_and_kept_by_reset(tmp_path: Path) -> None:
    import subprocess
    import sys
    d = tmp_path / "h"
    res = subprocess.run([sys.executable, "-m", "jailtui", "sim", "init", str(d), "--freebsd",
                          "14", "--dying-seconds", "5", "--ps-without-jail-keyword"],
                         capture_output=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    for _ in range(2):
        st = json.loads((d / "state.json").read_text())
        assert (st["freebsd"], st["dying_seconds"], st["ps_jail_keyword"]) == (14, 5.0, False)
        assert st["osrelease"].startswith("14.")
        res = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(d), "sim", "reset"],
                             capture_output=True, timeout=120, check=False)
        assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "jailtui", "sim", "init", str(tmp_path / "g")],
                         capture_output=True, timeout=120, check=False)
    st = json.loads((tmp_path / "g" / "state.json").read_text())
    assert st["freebsd"] == 15 and st["osrelease"].startswith("15.")


def test_ps_without_the_jail_keyword(tmp_path: Path) -> None:
    sim = make_host(tmp_path, ps_jail_keyword=False)
    res = sim.run("ps", "--libxo", "json", "-ax", "-o", "pid,jid,jail,command")
    assert res.returncode == 1
    assert res.stderr == b"ps: jail: keyword not found\n"
    procs = json.loads(res.stdout)["process-information"]["process"]
    assert procs and all("jail-name" not in p and "jail-id" in p for p in procs)
    assert sim.run("ps", "-ax", "-o", "pid,jid").returncode == 0


def test_rc_d_jail_mangles_hierarchical_names(tmp_path: Path) -> None:
    sim = make_host(tmp_path, dying_seconds=0)
    res = sim.run("jexec", "ci", "jail", "-c", "name=build", "path=/", "persist")
    assert res.returncode == 0, res.stderr
    assert _rows(sim, "ci.build")
    # rc.d/jail: _j=$(echo ci.build | tr /. _); jls -j ci_build fails; skipped.
    res = sim.run("service", "jail", "stop", "ci.build")
    assert (res.returncode, res.stdout) == (0, b"Stopping jails:.\n")
    assert _rows(sim, "ci.build"), "rc.d/jail must not have stopped it"
    # jail(8) takes the hierarchical name as it is.
    assert sim.run("jail", "-r", "ci.build").returncode == 0
    assert _rows(sim, "ci.build") == []
    (sim.root / "etc/jail.conf").unlink()
    res = sim.run("service", "jail", "onestart", "nosuch")
    assert b"/etc/rc.d/jail: WARNING: Invalid configuration for nosuch" in res.stderr
