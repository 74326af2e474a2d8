"""The command line as a user runs it: real processes, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def test_list_json_on_simulated_host(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "list", "--json")
    assert out.returncode == 0, out.stderr
    jails = json.loads(out.stdout)
    by_name = {j["name"]: j for j in jails}
    for key in ("name", "jid", "state", "hostname", "path", "ip4", "ip6", "processes",
                "cpu_percent", "rss_kib"):
        assert key in by_name["web"]
    assert by_name["web"]["state"] == "running"
    assert isinstance(by_name["web"]["jid"], int)
    assert len(by_name["web"]["ip4"]) == 2 and len(by_name["web"]["ip6"]) == 1
    assert by_name["web"]["processes"] > 0
    assert by_name["staging"]["state"] == "stopped" and by_name["staging"]["jid"] is None
    assert all(j["backend"] == "simulated" for j in jails)


def test_list_human_output_is_labelled(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "list")
    assert out.returncode == 0, out.stderr
    assert "SIMULATED" in out.stdout
    assert "web" in out.stdout and "staging" in out.stdout


def test_host_local_with_shims_equals_sim(sim_dir: Path, shim_path: str) -> None:
    """Issue 2 done-when: the real subprocess path reports the same jails."""
    via_sim = json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
    out = jailtui("--host", "local", "--root", str(sim_dir / "root"), "list", "--json",
                  env={"PATH": shim_path})
    assert out.returncode == 0, out.stderr
    via_shims = json.loads(out.stdout)

    def key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        # Process counts are left out: the simulated host's short-lived
        # processes come and go between the two runs, as on a real host.
        return sorted((r["name"], r["jid"], r["state"], r["hostname"], tuple(r["ip4"]),  # type: ignore[arg-type]
                       tuple(r["ip6"]), r["path"]) for r in rows)  # type: ignore[arg-type]

    # jail.conf is read as a file: --root says where the fake host keeps it.
    assert key(via_sim) == key(via_shims)
    assert {r["backend"] for r in via_shims} == {"freebsd"}
    # Without --root only the kernel's view (running jails) is the same.
    out = jailtui("--host", "local", "list", "--json", env={"PATH": shim_path})
    running = [r for r in via_sim if r["state"] != "stopped"]
    assert key(running) == key(json.loads(out.stdout))


def test_ps_json_and_jail_filter(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "ps", "--json")
    assert out.returncode == 0, out.stderr
    procs = json.loads(out.stdout)
    for key in ("pid", "ppid", "jid", "jail", "user", "state", "cpu_percent", "mem_percent",
                "rss_kib", "command"):
        assert key in procs[0]
    host = [p for p in procs if p["jid"] == 0]
    jailed = [p for p in procs if p["jid"] != 0]
    assert host and jailed
    assert all(p["jail"] is None for p in host)
    assert all(p["state"].endswith("J") and p["jail"] for p in jailed)
    out = jailtui("--sim", str(sim_dir), "ps", "--jail", "web", "--json")
    web = json.loads(out.stdout)
    assert web and all(p["jail"] == "web" for p in web)


def test_ps_unknown_jail_is_an_error(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "ps", "--jail", "nosuch")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "nosuch" in out.stderr


def test_missing_commands_fail_clearly(tmp_path: Path) -> None:
    """--host local with nothing on PATH: one line naming the missing tool."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = jailtui("--host", "local", "list", env={"PATH": str(empty)})
    assert out.returncode == 1
    assert "command not found" in out.stderr
    assert "Traceback" not in out.stderr


def test_lifecycle_from_the_command_line(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "stop", "mail")
    assert out.returncode == 0, out.stderr
    state = {j["name"]: j for j in json.loads(
        jailtui("--sim", str(sim_dir), "list", "--json").stdout)}
    assert state["mail"]["state"] == "stopped"
    again = jailtui("--sim", str(sim_dir), "stop", "mail")
    assert again.returncode == 1
    # Stopped a moment ago: dying, holding its jid (docs/freebsd.md 5.4).
    assert "mail: not running (dying, jid " in again.stderr
    out = jailtui("--sim", str(sim_dir), "start", "mail")
    assert out.returncode == 0, out.stderr
    dup = jailtui("--sim", str(sim_dir), "start", "mail")
    # In our words, not jail(8)'s (issue 13 item 20).
    assert dup.returncode == 1 and "mail is already running (jid " in dup.stderr
    unknown = jailtui("--sim", str(sim_dir), "start", "nosuch")
    # What was tried, then the tool's own line.
    assert unknown.returncode == 1
    assert 'could not start nosuch: jail: "nosuch" not found' in unknown.stderr


def test_stopping_a_stopped_jail_says_it_is_not_running(sim_dir: Path) -> None:
    """jail(8) says ``jail: "staging" not found``, which reads as "no such
    jail" (issue 13 item 20); the audit log keeps what was decided."""
    out = jailtui("--sim", str(sim_dir), "stop", "staging")
    assert (out.returncode, out.stderr.strip()) == (1, "staging is not running")
    again = jailtui("--sim", str(sim_dir), "restart", "staging")
    assert (again.returncode, again.stderr.strip()) == (1, "staging is not running")
    audit = (sim_dir / "audit.log").read_text()
    assert "failed: staging is not running" in audit


def test_exec_in_jail(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "exec", "web", "--", "hostname")
    assert out.returncode == 0, out.stderr
    assert "web" in out.stdout


def test_readonly_refuses_actions(sim_dir: Path) -> None:
    out = jailtui("--sim", str(sim_dir), "--readonly", "stop", "web")
    assert out.returncode == 1
    assert "read-only" in out.stderr
    assert "denied" in (sim_dir / "audit.log").read_text()


def test_readonly_may_ask_a_daemon_its_state_but_not_stop_it(sim_dir: Path,
                                                              shim_path: str) -> None:
    """Issue 13 item 24: ``service NAME SVC status`` only reads, so a read-only
    session may; stop stays refused. Through the shims, as on FreeBSD."""
    base = ["--host", "local", "--root", str(sim_dir / "root"), "--readonly"]
    env = {"PATH": shim_path}
    out = jailtui(*base, "service", "db", "postgresql", "status", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("postgresql is running as pid ")
    out = jailtui(*base, "service", "db", "nosuchd", "status", env=env)
    assert out.returncode == 1 and "nosuchd does not exist" in out.stdout + out.stderr
    out = jailtui(*base, "service", "db", "postgresql", "stop", env=env)
    assert out.returncode == 1
    assert out.stderr.strip() == "jailtui: services: refused — read-only session"
    out = jailtui(*base, "service", "db", "postgresql", "status", env=env)
    assert out.stdout.startswith("postgresql is running as pid ")  # still running


def test_audit_record_per_action(sim_dir: Path) -> None:
    jailtui("--sim", str(sim_dir), "restart", "dns")
    lines = (sim_dir / "audit.log").read_text().splitlines()
    assert len([ln for ln in lines if "action=restart" in ln]) == 1
    assert "jail=dns" in lines[-1] and "result=ok" in lines[-1]


def test_every_action_through_the_shims(sim_dir: Path, shim_path: str) -> None:
    """Issue 4: each action through the real subprocess path (LocalRunner ->
    shim executables -> simulator), as on FreeBSD."""
    base = ["--host", "local", "--root", str(sim_dir / "root")]
    env = {"PATH": shim_path}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return jailtui(*base, *args, env=env)

    out = run("stop", "dns")
    assert out.returncode == 0, out.stderr
    assert "Stopping jails: dns." in out.stdout  # rc.d/jail's own line (docs/freebsd.md 8.3)
    # Stopped a moment ago: dying, holding its jid (docs/freebsd.md 5.4).
    assert "dns: not running (dying, jid " in run("stop", "dns").stderr
    out = run("start", "dns")
    assert out.returncode == 0 and "Starting jails: dns." in out.stdout
    out = run("restart", "dns")
    assert out.returncode == 0, out.stderr
    out = run("exec", "web", "--", "hostname")
    assert out.returncode == 0 and out.stdout.strip() == "web.example.org"
    out = run("service", "web", "nginx", "restart")
    assert out.returncode == 0 and "Starting nginx." in out.stdout
    procs = json.loads(run("ps", "--jail", "web", "--json").stdout)
    worker = next(p for p in procs if "worker process" in p["command"])
    out = run("kill", "-s", "HUP", str(worker["pid"]))
    assert out.returncode == 0 and f"sent SIGHUP to {worker['pid']}" in out.stdout
    out = run("kill", "999999")
    assert out.returncode == 1 and "No such process" in out.stderr
