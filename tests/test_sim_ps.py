"""ps(1) conformance of the simulated host, through its shim (reference section 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_fixtures import PINNED_NOW, SimHost, make_host

from jailtui.sim.state import Store

POLL = "pid,ppid,jid,jail,user,state,%cpu,%mem,vsz,rss,etime,lstart,command"
KEYS = ["pid", "ppid", "jail-id", "jail-name", "user", "state", "percent-cpu",
        "percent-memory", "virtual-size", "rss", "elapsed-time", "start-time", "command"]


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def _json(sim: SimHost, *args: str, **kw: object) -> list[dict[str, str]]:
    res = sim.run("ps", "--libxo", "json", *args, **kw)  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == ["process-information"]
    return doc["process-information"]["process"]  # type: ignore[no-any-return]


def test_json_values_are_strings_with_libxo_keys(sim: SimHost) -> None:
    procs = _json(sim, "-ax", "-ww", "-o", POLL)
    assert len(procs) > 60
    for p in procs:
        assert list(p) == KEYS
        assert all(isinstance(v, str) for v in p.values())
    host = [p for p in procs if p["jail-id"] == "0"]
    assert host and all(p["jail-name"] == "-" for p in host)
    assert all(not p["state"].endswith("J") for p in host)
    jailed = [p for p in procs if p["jail-id"] != "0"]
    assert jailed and all(p["state"].endswith("J") for p in jailed)


def test_json_byte_layout(sim: SimHost) -> None:
    raw = sim.out("ps", "--libxo", "json", "-p", "1", "-o", "pid,command")
    assert raw == ('{"process-information": {"process": [{"pid":"1","command":"/sbin/init"}]}\n'
                   "}\n")


def test_jail_services_are_realistic(sim: SimHost) -> None:
    procs = _json(sim, "-ax", "-J", "web", "-o", POLL)
    cmds = [p["command"] for p in procs]
    assert "/usr/sbin/syslogd -ss" in cmds and "/usr/sbin/cron -s" in cmds
    assert "/usr/sbin/sshd" in cmds
    assert "nginx: master process /usr/local/sbin/nginx" in cmds
    assert cmds.count("nginx: worker process (nginx)") == 2
    workers = [p for p in procs if p["command"] == "nginx: worker process (nginx)"]
    master = next(p for p in procs if p["command"].startswith("nginx: master"))
    assert all(w["ppid"] == master["pid"] and w["user"] == "www" for w in workers)
    assert master["ppid"] == "1"
    db = [p["command"] for p in _json(sim, "-ax", "-J", "db", "-o", "command")]
    assert "/usr/local/bin/postgres -D /var/db/postgres/data16" in db
    assert "postgres: checkpointer " in db
    dns = [p["command"] for p in _json(sim, "-ax", "-J", "dns", "-o", "command")]
    assert "/usr/local/sbin/unbound -c /usr/local/etc/unbound/unbound.conf" in dns
    mail = [p["command"] for p in _json(sim, "-ax", "-J", "mail", "-o", "command")]
    assert "qmgr -l -t unix -u" in mail


def test_user_names_from_host_passwd(sim: SimHost) -> None:
    users = {p["command"]: p["user"] for p in _json(sim, "-ax", "-J", "git", "-o",
                                                     "user,command")}
    # gitea's "git" user exists only in the jail: ps on the host shows the uid.
    assert users["/usr/local/sbin/gitea web"] == "211"
    db = {p["user"] for p in _json(sim, "-ax", "-J", "db", "-o", "user")}
    assert "postgres" in db


def test_J_by_name_jid_lists_and_repeats(sim: SimHost) -> None:
    a = {p["jail-name"] for p in _json(sim, "-J", "web,db", "-o", "jail")}
    assert a == {"web", "db"}
    b = {p["jail-name"] for p in _json(sim, "-J", "1", "-J", "dns", "-o", "jail")}
    assert b == {"web", "dns"}
    host = _json(sim, "-J", "0", "-o", "jid")
    assert host and {p["jid"] if "jid" in p else p["jail-id"] for p in host} == {"0"}


def test_invalid_jail_id(sim: SimHost) -> None:
    res = sim.run("ps", "-J", "nosuch")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b"ps: Invalid jail id: nosuch\n")
    assert sim.run("ps", "-J", "99").stderr == b"ps: Invalid jail id: 99\n"
    assert sim.run("ps", "-J", "").stderr == b"ps: Invalid (zero-length) jail id\n"


def test_nothing_selected_header_only_exit_1(sim: SimHost) -> None:
    res = sim.run("ps", "-p", "99998", "-o", "pid,command")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"PID COMMAND\n", b"")


def test_header_rename_and_suppression(sim: SimHost) -> None:
    out = sim.out("ps", "-p", "1", "-o", "pid=Process", "-o", "command=What is it")
    assert out.splitlines()[0] == "Process What is it"
    # keyword.c: text after "=" is the header, commas included; it ends the list.
    out = sim.out("ps", "-p", "1", "-o", "pid=Process,command=What")
    assert out.splitlines()[0] == "Process,command=What"
    out = sim.out("ps", "-p", "1", "-o", "pid=", "-o", "command=")
    assert out == "1 /sbin/init\n"


def test_text_columns_sized_per_run(sim: SimHost) -> None:
    out = sim.out("ps", "-ax", "-J", "web", "-o", "pid,jid,jail,user,stat,command")
    lines = out.splitlines()
    head = lines[0]
    assert head.startswith("PID JID JAIL USER STAT") or head.split()[:5] == \
        ["PID", "JID", "JAIL", "USER", "STAT"]
    rows = [ln for ln in lines[1:]]
    width_pid = max(len(r.split()[0]) for r in rows)
    assert head.index("PID") + 3 == max(width_pid, 3)  # right-aligned numeric column
    # left-aligned jail column padded to its width; last column not padded
    assert all(not r.endswith(" ") for r in rows)
    assert all(r.split()[2] == "web" for r in rows)


def test_last_column_cut_at_COLUMNS_unless_ww(sim: SimHost) -> None:
    long = sim.out("ps", "-ax", "-J", "vpn", "-o", "pid,command", "-ww")
    assert any(len(ln) > 60 for ln in long.splitlines())
    cut = sim.out("ps", "-ax", "-J", "vpn", "-o", "pid,command", env={"COLUMNS": "40"})
    assert all(len(ln) <= 40 for ln in cut.splitlines())
    ww = sim.out("ps", "-ww", "-ax", "-J", "vpn", "-o", "pid,command", env={"COLUMNS": "40"})
    assert ww == long


def test_command_cut_when_not_last(sim: SimHost) -> None:
    out = sim.out("ps", "-p", "1", "-o", "command,pid")
    assert out.splitlines()[1].startswith("/sbin/init")
    rows = _json(sim, "-ax", "-J", "vpn", "-o", "command,pid")
    assert all(len(r["command"]) <= 16 for r in rows)


def test_tt_and_default_format(sim: SimHost) -> None:
    rows = _json(sim, "-ax", "-o", "pid,tt,command")
    ttys = {r["terminal-name"] for r in rows}
    assert "- " in ttys and "0 " in ttys and "v0 " in ttys
    out = sim.out("ps", "-ax")
    assert out.splitlines()[0].split() == ["PID", "TT", "STAT", "TIME", "COMMAND"]


def test_default_selection_is_own_processes_with_tty(sim: SimHost) -> None:
    rows = _json(sim, "-o", "pid,user,tt")
    assert rows and all(r["user"] == "root" and r["terminal-name"] != "- " for r in rows)


def test_unknown_keyword(sim: SimHost) -> None:
    res = sim.run("ps", "-p", "1", "-o", "pid,bogus")
    assert res.returncode == 1
    assert res.stderr == b"ps: bogus: keyword not found\n"
    assert res.stdout == b"PID\n  1\n"


def test_inside_a_jail_only_its_processes(sim: SimHost) -> None:
    rows = _json(sim, "-ax", "-o", "jid,jail", env={"JAILTUI_SIM_JAIL": "web"})
    assert {r["jail-id"] for r in rows} == {"1"}
    out = sim.out("jexec", "web", "ps", "-ax", "-o", "jid")
    assert set(out.split()[1:]) == {"1"}


def test_cpu_and_memory_move_between_buckets(sim: SimHost) -> None:
    def sample(t: float) -> dict[str, tuple[str, str]]:
        rows = _json(sim, "-ax", "-o", "pid,%cpu,rss", env={"JAILTUI_SIM_NOW": str(t)})
        return {r["pid"]: (r["percent-cpu"], r["rss"]) for r in rows}

    a = sample(PINNED_NOW)
    assert sample(PINNED_NOW) == a  # same moment: same numbers (readers never write)
    b = sample(PINNED_NOW + 7)
    common = set(a) & set(b)
    assert sum(a[p] != b[p] for p in common) > len(common) // 3


def test_short_lived_cron_jobs_come_and_go(sim: SimHost) -> None:
    seen: set[str] = set()
    counts = []
    for k in range(0, 120, 3):
        rows = _json(sim, "-ax", "-o", "pid,ppid,command",
                     env={"JAILTUI_SIM_NOW": str(PINNED_NOW + k)})
        jobs = [r for r in rows if r["command"] == "cron: running job (cron)"]
        counts.append(len(jobs))
        seen.update(r["pid"] for r in jobs)
    assert max(counts) > 0 and min(counts) < max(counts)
    assert len(seen) > 1


def test_start_stop_changes_jailed_processes(sim: SimHost) -> None:
    assert _json(sim, "-ax", "-J", "cache", "-o", "pid")
    assert sim.run("jail", "-r", "cache").returncode == 0
    assert sim.run("ps", "-ax", "-J", "cache").stderr == b"ps: Invalid jail id: cache\n"
    assert sim.run("jail", "-c", "cache").returncode == 0
    cmds = [r["command"] for r in _json(sim, "-ax", "-J", "cache", "-o", "state,command")]
    assert any(c.startswith("/usr/local/bin/redis-server") for c in cmds)
    states = {r["state"] for r in _json(sim, "-ax", "-J", "cache", "-o", "state")}
    assert all(s.endswith("J") for s in states)


def test_sort_by_cpu_and_elapsed_format(sim: SimHost) -> None:
    rows = _json(sim, "-axr", "-o", "pid,%cpu,etime")
    cpus = [float(r["percent-cpu"]) for r in rows]
    assert cpus == sorted(cpus, reverse=True)
    kernel = next(r for r in _json(sim, "-p", "0", "-o", "pid,etime"))
    # 12 days and more: "%3d-hh:mm:ss" keeps its leading space in JSON.
    assert kernel["elapsed-time"][3] == "-" and kernel["elapsed-time"].startswith(" 1")


def test_lstart_c_locale(sim: SimHost) -> None:
    with Store(sim.simdir).write() as st:
        p = next(p for p in st.procs if p.pid == 1)
        p.start = 1748858400.0 - 86400 * 30  # Sat May  3 10:00:00 2025 UTC
    row = _json(sim, "-p", "1", "-o", "lstart")[0]
    assert row["start-time"] == "Sat May  3 10:00:00 2025"
