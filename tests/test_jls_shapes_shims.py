"""Issue 11 item 10: what works today keeps working, through the shims on PATH.

Jail names that are numbers (kern_jail.c kern_jail_set: "name cannot be
numeric (unless it is the jid)"), jls JSON version 2 (14.x: ``ipv4_addrs``)
and 3 (newest: ``ipv4-addrs``; jls.c JLS_XO_VERSION, docs/freebsd.md 1.5),
and control characters raw inside jls JSON strings (libxo escapes only
``\\`` and ``"``, docs/freebsd.md 1.5 and core/freebsd/errors.load_json):
each through ``jailtui --host local`` with the simulator's shims first on
PATH, the production path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jailtui.sim.builder import init_host
from jailtui.sim.shims import write_shims

ROOT = Path(__file__).resolve().parent.parent


def _setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    sim = init_host(tmp_path / "sim", dying_seconds=3600)
    bindir = tmp_path / "bin"
    write_shims(sim, bindir)
    return sim, bindir, {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}


def _jailtui(sim: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                           str(sim / "root"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


def _tool(bindir: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(bindir / argv[0]), *argv[1:]], capture_output=True, timeout=60,
                          env={**os.environ, **env}, check=False)


def test_numeric_jail_name(tmp_path: Path) -> None:
    sim, bindir, env = _setup(tmp_path)
    res = _tool(bindir, env, "jail", "-c", "jid=20", "name=20", "path=/",
                "host.hostname=twenty.example.org", "persist")
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(_jailtui(sim, env, "list", "--json").stdout)}
    assert rows["20"]["jid"] == 20 and rows["20"]["state"] == "running"
    # Made by hand with jail(8): owner unknown, jail(8) only when told (issue 15).
    out = _jailtui(sim, env, "stop", "--jail8", "20")
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert "20: stopped (dying, jid 20, kernel resources still held)" in out.stdout


def test_jls_json_version_3(tmp_path: Path) -> None:
    sim, bindir, env = _setup(tmp_path)
    # A jls that answers as the newest tree does (JAILTUI_SIM_JLS_VERSION=3),
    # put before the shims: the runner passes no such variable on.
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "jls").write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "os.environ['JAILTUI_SIM_JLS_VERSION'] = '3'\n"
        f"os.execv({str(bindir / 'jls')!r}, [{str(bindir / 'jls')!r}, *sys.argv[1:]])\n")
    (newer / "jls").chmod(0o755)
    raw = _tool(newer, env, "jls", "--libxo", "json", "-v")
    doc = json.loads(raw.stdout)
    assert doc["__version"] == "3" and "ipv4-addrs" in doc["jail-information"]["jail"][0]
    v3 = {**env, "PATH": f"{newer}{os.pathsep}{env['PATH']}"}
    for e in (env, v3):
        rows = {r["name"]: r for r in json.loads(_jailtui(sim, e, "list", "--json").stdout)}
        assert rows["web"]["ip4"] == ["10.0.0.11", "10.0.0.12"]
        assert rows["web"]["ip6"] == ["fd00:10::11"]


def test_raw_control_characters_in_jls_json(tmp_path: Path) -> None:
    sim, bindir, env = _setup(tmp_path)
    res = _tool(bindir, env, "jail", "-m", "name=web", "host.hostname=we\x1b[31mb\tx")
    assert res.returncode == 0, res.stderr
    raw = _tool(bindir, env, "jls", "--libxo", "json", "-v").stdout
    assert b"\x1b[31m" in raw  # raw ESC inside a JSON string, as libxo writes it
    out = _jailtui(sim, env, "list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["web"]["hostname"] == "we\x1b[31mb\tx"  # kept exactly in JSON
    human = _jailtui(sim, env, "list")
    assert human.returncode == 0 and "\x1b[31m" not in human.stdout
