"""Jails that a manager owns, through the real entry points (issue 15).

The host has all five managers plus the plain jail.conf jails; every action goes through
``jailtui ...`` (the one gate: policy, identity, audit) and, with ``--host local``, through
LocalRunner and the shim executables on PATH, so the argv each manager documents really
runs (docs/managers.md 1.0).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALL = ("bastille", "iocage", "appjail", "pot", "ezjail")


def jailtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=full_env,
                          check=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jailtui.sim.builder import init_host

    return init_host(tmp_path_factory.mktemp("owners") / "sim", managers=ALL)


@pytest.fixture
def sim(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "sim", symlinks=True)
    return tmp_path / "sim"


@pytest.fixture
def local(sim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``--host local --root ...`` with the simulator's shims (written by the real
    ``jailtui --sim DIR sim shims BINDIR``) first on PATH."""
    out = jailtui("--sim", str(sim), "sim", "shims", str(tmp_path / "bin"))
    assert out.returncode == 0, out.stderr
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return ["--host", "local", "--root", str(sim / "root")]


def rows(*args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    out = jailtui(*args, "list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    by: dict[str, dict[str, object]] = {}
    for r in json.loads(out.stdout):
        # A stopped jail stays DYING a while beside its STOPPED row (docs/freebsd.md
        # 5.4): the live or configured row wins, as in HostSnapshot.jail().
        if r["state"] != "dying" or r["name"] not in by:
            by[r["name"]] = r
    return by


def test_every_jail_shows_its_owner_and_stopped_ones_are_listed(local: list[str]) -> None:
    by = rows(*local)
    want = {"web": "jail.conf", "staging": "jail.conf", "shop": "bastille",
            "wiki": "bastille", "ioc-media_lan": "iocage", "ioc-backup": "iocage",
            "radio": "appjail", "builder": "appjail", "proxy": "pot", "batch": "pot",
            "forum_example_net": "ezjail", "old": "ezjail"}
    assert {n: by[n]["owner"] for n in want} == want
    for stopped in ("wiki", "ioc-backup", "builder", "batch", "old"):
        assert by[stopped]["state"] == "stopped" and by[stopped]["configured"] is True
        assert by[stopped]["enabled"] is False  # the manager's own boot flag
    assert by["shop"]["enabled"] is True
    assert by["ioc-backup"]["owner_name"] == "backup"
    assert by["forum_example_net"]["owner_name"] == "forum.example.net"
    assert by["wiki"]["conf_file"] == "/usr/local/bastille/jails/wiki/jail.conf"


@pytest.mark.parametrize(("name", "argv"), [
    ("wiki", "bastille start wiki"),
    ("ioc-backup", "iocage start backup"),
    ("builder", "appjail start builder"),
    ("batch", "pot start batch"),
    ("old", "ezjail-admin start old"),
])
def test_start_runs_the_owners_command(local: list[str], name: str, argv: str) -> None:
    out = jailtui(*local, "start", name)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"$ {argv}" in out.stdout
    assert rows(*local)[name]["state"] == "running"


@pytest.mark.parametrize(("name", "argvs"), [
    ("shop", ["bastille restart shop"]),
    ("ioc-media_lan", ["iocage restart media.lan"]),
    ("radio", ["appjail restart radio"]),
    ("proxy", ["pot stop proxy", "pot start proxy"]),  # pot has no restart (1.3)
    ("forum_example_net", ["ezjail-admin restart forum.example.net"]),
])
def test_restart_and_stop_run_the_owners_commands(local: list[str], name: str,
                                                  argvs: list[str]) -> None:
    before = rows(*local)[name]["jid"]
    out = jailtui(*local, "restart", name)
    assert out.returncode == 0, out.stdout + out.stderr
    for argv in argvs:
        assert f"$ {argv}" in out.stdout
    after = rows(*local)[name]
    assert after["state"] == "running" and after["jid"] != before
    verb = argvs[0].split()[0]
    out = jailtui(*local, "stop", name)
    assert out.returncode == 0 and f"$ {verb} stop" in out.stdout
    assert rows(*local)[name]["state"] == "stopped"


def test_audit_records_the_owner_and_argv(sim: Path) -> None:
    out = jailtui("--sim", str(sim), "stop", "shop")
    assert out.returncode == 0, out.stderr
    last = (sim / "audit.log").read_text().splitlines()[-1]
    assert "action=stop" in last and "jail=shop" in last and "result=ok" in last
    assert "owner=bastille" in last and "bastille stop shop" in last


def test_a_missing_manager_is_a_refusal_naming_the_package(local: list[str]) -> None:
    os.remove(os.environ["PATH"].split(os.pathsep)[0] + "/bastille")
    out = jailtui(*local, "start", "wiki")
    assert out.returncode == 1
    assert "install sysutils/bastille" in out.stderr
    assert rows(*local)["wiki"]["state"] == "stopped"


def test_unknown_owner_is_refused_without_confirmation(sim: Path) -> None:
    cfg = sim / "root/zroot/iocage/jails/media.lan/config.json"
    cfg.write_text(cfg.read_text()[:30])  # half-written: iocage's own "CORRUPT"
    by = rows("--sim", str(sim))
    assert by["ioc-media_lan"]["owner"] == "unknown"
    assert "not valid JSON" in str(by["ioc-media_lan"]["owner_reason"])
    out = jailtui("--sim", str(sim), "stop", "ioc-media_lan")
    assert out.returncode == 1 and "owner unknown" in out.stderr
    assert rows("--sim", str(sim))["ioc-media_lan"]["state"] == "running"
    assert "denied: ioc-media_lan: owner unknown" in (sim / "audit.log").read_text()
    # Said so on the command line: jail(8) by name (no manager's command, no guess).
    out = jailtui("--sim", str(sim), "stop", "--jail8", "ioc-media_lan")
    assert out.returncode == 0, out.stderr
    assert "$ jail -r ioc-media_lan" in out.stdout
    assert rows("--sim", str(sim))["ioc-media_lan"]["state"] != "running"


def test_check_reads_enabled_from_the_owner(sim: Path) -> None:
    """Each running managed jail has its manager's boot flag on (layout.py); stopped,
    `check` reports it down from that flag, not from rc.conf's jail_list; the stopped
    ones with the flag off are not findings."""
    running = {"shop": "Bastille", "ioc-media_lan": "iocage", "radio": "AppJail",
               "proxy": "pot", "forum_example_net": "ezjail"}
    for name in running:
        out = jailtui("--sim", str(sim), "stop", name)
        assert out.returncode == 0, out.stderr
    out = jailtui("--sim", str(sim), "check", "--json")
    text = json.dumps(json.loads(out.stdout))
    for name, owner in running.items():
        assert f"{name}: not running ({owner} starts it at boot (" in text, name
    assert "boot=on in its settings.conf" in text and "pot.attr.start-at-boot=YES" in text
    for off in ("wiki", "ioc-backup", "builder", "batch", "old"):  # boot flag off
        assert f"{off}: not running" not in text


def test_editor_opens_bastilles_jail_conf_and_refers_others_to_their_command(sim: Path
                                                                            ) -> None:
    import asyncio

    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.errors import PolicyDenied
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    asyncio.run(host.poll())
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
    session = ctl.open_config("wiki")
    assert session.path == "/usr/local/bastille/jails/wiki/jail.conf"
    with pytest.raises(PolicyDenied, match="iocage set PROPERTY=VALUE media.lan"):
        ctl.open_config("ioc-media_lan")
    with pytest.raises(PolicyDenied, match="pot set-attr"):
        ctl.open_config("proxy")


def test_host_settings_can_drive_an_owner_with_jail8(local: list[str], tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text('[hosts.local]\nowners = { bastille = "jail" }\n')
    out = jailtui("--config", str(conf), *local, "start", "wiki")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "$ jail -f /usr/local/bastille/jails/wiki/jail.conf -c wiki" in out.stdout
    assert rows(*local)["wiki"]["state"] == "running"


def test_a_typo_in_the_owners_table_is_an_error(local: list[str], tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text('[hosts.local]\nowners = { bastile = "jail" }\n')
    out = jailtui("--config", str(conf), *local, "start", "wiki")
    assert out.returncode != 0
    assert "unknown key 'bastile'" in out.stderr
    conf.write_text('[hosts.local]\nowners = { bastille = "service" }\n')
    out = jailtui("--config", str(conf), *local, "start", "wiki")
    assert out.returncode != 0 and "bastille must be one of manager, jail" in out.stderr


def test_simulated_iocage_get_all_and_set_store_into_config_json(local: list[str],
                                                                 sim: Path) -> None:
    """The shim on PATH answers as iocage does: ``get -a`` prints ``prop:value`` lines
    (iocage_cli/get.py) and ``set`` stores into the jail's config.json."""
    env = dict(os.environ)
    got = subprocess.run(["iocage", "get", "-a", "media.lan"], capture_output=True,
                         text=True, timeout=60, env=env, check=False)
    assert got.returncode == 0, got.stderr
    assert "notes:none" in got.stdout.splitlines()
    assert "host_hostname:media.lan" in got.stdout.splitlines()
    out = subprocess.run(["iocage", "set", "notes=rack 4", "priority=10", "media.lan"],
                         capture_output=True, text=True, timeout=60, env=env, check=False)
    assert out.returncode == 0, out.stderr
    data = json.loads((sim / "root/zroot/iocage/jails/media.lan/config.json").read_text())
    assert data["notes"] == "rack 4" and data["priority"] == "10"
    bad = subprocess.run(["iocage", "get", "-a", "nosuch"], capture_output=True, text=True,
                         timeout=60, env=env, check=False)
    assert bad.returncode == 1 and "JAIL: nosuch not found!" in bad.stderr


def _delegate(sim: Path, jail: str, editable: tuple[str, ...] = ()) -> Any:
    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Action, Policy, Role
    from jailtui.core.hosts.host import Host
    from jailtui.core.hosts.scoped import ScopedHost
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim)
    host = ScopedHost(Host(runner, backend="SIMULATED", paths=runner.paths),
                      frozenset({jail}))
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=frozenset({jail}),
                    actions=frozenset({Action.START, Action.STOP, Action.RESTART,
                                       Action.EDIT}))
    return Controller(host, policy, editable_params=editable)


def test_a_delegate_of_a_bastille_jail_starts_it_through_bastille(sim: Path) -> None:
    import asyncio

    ctl = _delegate(sim, "wiki")
    asyncio.run(ctl.host.poll())
    result = asyncio.run(ctl.start("wiki"))
    assert result.ok, result.message
    assert "$ bastille start wiki" in result.output
    assert ctl.audit.records[-1].detail.startswith("owner=bastille argv=bastille start wiki")
    # Another jail stays out of reach, named or not.
    from jailtui.core.errors import PolicyDenied

    with pytest.raises(PolicyDenied):
        asyncio.run(ctl.start("shop"))


def test_a_delegate_sets_only_the_iocage_properties_its_policy_allows(sim: Path) -> None:
    import asyncio

    from jailtui.core.errors import PolicyDenied

    config = sim / "root/zroot/iocage/jails/media.lan/config.json"
    ctl = _delegate(sim, "ioc-media_lan", ("host.hostname",))
    asyncio.run(ctl.host.poll())
    props = asyncio.run(ctl.owner_properties("ioc-media_lan"))
    assert props.editable == ("host_hostname",)  # host.hostname in the policy
    before = config.read_bytes()
    with pytest.raises(PolicyDenied, match="notes is not yours to change"):
        asyncio.run(ctl.set_owner_properties("ioc-media_lan", {"notes": "x"}))
    assert config.read_bytes() == before
    assert ctl.audit.records[-1].result.startswith("denied:")
    result = asyncio.run(ctl.set_owner_properties("ioc-media_lan",
                                                  {"host_hostname": "media2.lan"}))
    assert result.ok, result.message
    assert json.loads(config.read_text())["host_hostname"] == "media2.lan"


def test_properties_of_a_jail_iocage_does_not_own_are_refused(sim: Path) -> None:
    import asyncio

    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.errors import PolicyDenied
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    asyncio.run(host.poll())
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
    for name in ("web", "shop", "proxy"):
        with pytest.raises(PolicyDenied, match="no properties"):
            asyncio.run(ctl.owner_properties(name))


def test_a_bastille_jail_gone_since_the_poll_is_not_completed_to_another(sim: Path) -> None:
    """Bastille completes a unique prefix (common.sh jail_autocomplete): with `wiki` gone
    and `wikijs` there, `bastille start wiki` would start wikijs. The controller reads the
    managers' files again before it acts, so it never hands Bastille a stale name."""
    import asyncio

    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    asyncio.run(host.poll())
    assert host.owner_of("wiki").owner.value == "bastille"
    jails = sim / "root/usr/local/bastille/jails"
    (jails / "wiki").rename(jails / "wikijs")
    conf = jails / "wikijs/jail.conf"
    conf.write_text(conf.read_text().replace("wiki {", "wikijs {").replace(
        "/jails/wiki/", "/jails/wikijs/"))
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
    result = asyncio.run(ctl.start("wiki"))
    assert not result.ok
    assert "bastille" not in result.output
    assert "wikijs" not in rows("--sim", str(sim)) or \
        rows("--sim", str(sim))["wikijs"]["state"] == "stopped"


def _pty_session(argv: list[str], env: dict[str, str], expect: bytes) -> tuple[int, bytes]:
    """Run ``argv`` on a fresh pty, type ``hostname``, read until ``expect``, exit."""
    import select
    import time

    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                            env=dict(env, TERM="dumb"), start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        os.write(master, b"hostname; echo marker-$((6*7))\n")
        deadline = time.monotonic() + 30
        while b"marker-42" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        os.write(master, b"exit\n")
        return proc.wait(timeout=30), seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.parametrize(("name", "argv", "hostname"), [
    ("shop", "bastille console shop", b"shop.example.org"),
    ("ioc-media_lan", "iocage console media.lan", b"media.lan"),
    ("radio", "appjail login radio", b"radio.example.org"),
    ("proxy", "pot term proxy", b"proxy.example.org"),
    ("forum_example_net", "ezjail-admin console forum.example.net", b"forum.example.net"),
])
def test_each_owners_shell_opens_a_working_session(sim: Path, name: str, argv: str,
                                                   hostname: bytes) -> None:
    """The shell key's path end to end: the gate prepares the owner's console command and
    it logs in as the JAIL's root (login(1) in the jail, docs/managers.md 1.0), on a pty.
    A jexec without -U would take the host root's shell (bash) and fail."""
    import asyncio

    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    snap = asyncio.run(host.poll())
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", 0))
    shell = asyncio.run(ctl.prepare_shell(name, snap.jail(name)))
    assert shell.detail.endswith(f"argv={argv}")
    code, seen = _pty_session(list(shell.argv), ctl.shell_env(), b"marker-42")
    assert b"marker-42" in seen, seen[-400:]
    assert b"No such file" not in seen
    lines = [ln.strip() for ln in seen.replace(b"\r", b"").split(b"\n")]
    assert lines[lines.index(b"marker-42") - 1].endswith(hostname)
    assert code == 0
