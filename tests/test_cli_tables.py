"""``list`` and ``ps`` tables through the real command line (issue 13 items 29, 33, 47).

Plain columns cut to the width like jls/ps (COLUMNS, or the terminal);
``--wide`` whole; a jail's %MEM from its RSS; no empty table when no host
answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90, env={**base, **(env or {})})


def test_list_and_ps_fit_80_columns_one_line_per_row(sim_dir: Path) -> None:
    jails = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
    out = jailtui("--sim", str(sim_dir), "list", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("# jails on ") and "SIMULATED" in lines[0]
    assert len(lines) == 2 + len(jails)  # title, header, one line per jail: no wrapping
    assert all(len(ln) <= 80 for ln in lines)
    assert not any(ch in out.stdout for ch in "┏━│└─")  # no boxes
    assert lines[1].split() == ["STATE", "JID", "NAME", "OWN", "HOSTNAME", "ADDRESSES",
                                "PROCS", "%CPU", "RSS", "PATH"]
    # Every row names its owner (issue 15): the demo host has Bastille and iocage jails.
    owners = {ln.split()[2]: ln.split()[3] for ln in lines[2:]}
    assert owners["web"] == "j" and owners["shop"] == "B"
    assert "i" in owners.values()  # ioc-media_lan, its name shortened to fit
    ps = jailtui("--sim", str(sim_dir), "ps", env={"COLUMNS": "80"})
    assert all(len(ln) <= 80 for ln in ps.stdout.splitlines())
    assert ps.stdout.splitlines()[1].split()[-1] == "COMMAND"


def test_wide_shows_every_cell_whole(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "list", "--wide", env={"COLUMNS": "80"})
    assert "/usr/local/jails/staging" in out.stdout
    assert "10.0.0.11, 10.0.0.12, fd00:10::11" in out.stdout
    ps = jailtui("--sim", str(sim_dir), "ps", "--jail", "web", "--wide", env={"COLUMNS": "40"})
    assert "nginx: master process /usr/local/sbin/nginx" in ps.stdout
    # a pipe without COLUMNS gets whole rows too (ps -ww style)
    assert "/usr/local/jails/staging" in jailtui("--sim", str(sim_dir), "list").stdout


def test_jail_mem_percent_is_its_rss_over_physical_memory(sim_dir: Path) -> None:
    """Not a sum of per-process values each rounded to 0.1 (web summed to 0.0)."""
    physmem = int(jailtui("--sim", str(sim_dir), "sim", "exec", "--", "sysctl", "-n",
                          "hw.physmem").stdout)
    jails = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
    for j in jails:
        if j["state"] == "running":
            expect = 100.0 * j["rss_kib"] * 1024 / physmem
            assert abs(j["mem_percent"] - expect) <= 0.06, (j["name"], j["mem_percent"], expect)
    web = next(j for j in jails if j["name"] == "web")
    assert web["mem_percent"] > 0


def test_no_host_reachable_prints_no_empty_table() -> None:
    out = jailtui("--host", "a=root@nosuch-a.invalid", "--host", "b=root@nosuch-b.invalid",
                  "list")
    assert out.returncode == 1 and out.stdout == ""
    assert "a: " in out.stderr and "b: " in out.stderr
    assert "none of the 2 hosts could be reached" in out.stderr


def test_a_bad_config_file_is_the_same_error_for_every_command(sim_dir: Path,
                                                               tmp_path: Path) -> None:
    """issue 13 item 15: a named file missing or malformed is an error with file and
    line for list, ps, actions and the console alike (check: UNKNOWN)."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[console]\ninterval = \n")
    missing = tmp_path / "missing.toml"
    for conf, why in ((missing, "no such config file"), (bad, "line 2")):
        for cmd in (["list"], ["ps"], ["stop", "web"], []):
            out = jailtui("--sim", str(sim_dir), "--config", str(conf), *cmd)
            assert out.returncode == 1, (conf, cmd, out.stderr)
            assert out.stderr.startswith(f"jailtui: config: {conf}") and why in out.stderr
        check = jailtui("--sim", str(sim_dir), "--config", str(conf), "check")
        assert check.returncode == 3 and why in check.stdout
    # nothing was stopped on the way
    jails = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
    assert next(j for j in jails if j["name"] == "web")["state"] == "running"


def test_a_cut_cell_says_so(sim_dir: Path) -> None:
    """A name cut to fit ends with "…": a silent cut (``ioc-backu``) reads as a real name."""
    jails = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
    out = jailtui("--sim", str(sim_dir), "list", env={"COLUMNS": "80"})
    names = {ln.split()[2] for ln in out.stdout.splitlines()[2:]}
    real = {j["name"] for j in jails}
    for name in names - real:
        assert name.endswith("…"), name
        assert any(r.startswith(name[:-1]) for r in real), name
    assert names - real, "the demo host has names too long for 80 columns"
    assert {n for n in names & real} >= {"web", "db"}  # what fits is whole, unmarked


def test_cut_mark_falls_back_to_ascii() -> None:
    from jailtui.cli.output import cut_mark, format_table

    assert cut_mark("utf-8") == "…" and cut_mark("ascii") == "~" and cut_mark("nosuch") == "~"
    lines = format_table(["NAME", "PATH"], [["a-very-long-name", "/x"]], width=12, mark="~")
    assert lines[1] == "a-ver~  /x" and all(len(ln) <= 12 for ln in lines)


def test_a_reader_that_goes_away_is_quiet(sim_dir: Path) -> None:
    """``jailtui ps | head -1``: exit 0, no "Exception ignored ... BrokenPipeError"."""
    proc = subprocess.Popen([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "ps"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader is gone before the rest is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "BrokenPipe" not in err and "Traceback" not in err
