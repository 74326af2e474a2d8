"""jail(8) conformance of the simulated host, through its shim (reference sections 3, 4, 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def _conf_dir(sim: SimHost, name: str) -> tuple[Path, str]:
    """A directory under the simulated host's "/", and its host path."""
    real = sim.root / "tmp" / name
    real.mkdir(parents=True)
    return real, f"/tmp/{name}"


def test_remove_and_create_notes(sim: SimHost) -> None:
    res = sim.run("jail", "-r", "web")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"web: removed\n", b"")
    assert "web" not in sim.out("jls", "name").split()
    res = sim.run("jail", "-c", "web")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"web: created\n", b"")
    assert "web" in sim.out("jls", "name").split()


def test_already_exists_and_not_found(sim: SimHost) -> None:
    res = sim.run("jail", "-c", "web")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b'jail: "web" already exists\n')
    res = sim.run("jail", "-r", "staging")
    assert (res.returncode, res.stderr) == (1, b'jail: "staging" not found\n')
    res = sim.run("jail", "-c", "nosuch")
    assert (res.returncode, res.stderr) == (1, b'jail: "nosuch" not found\n')
    # -q hides the "not found" warning on -r, not the exit code.
    res = sim.run("jail", "-q", "-r", "staging")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b"")


def test_quiet_and_jid_output(sim: SimHost) -> None:
    assert sim.run("jail", "-q", "-r", "cache").stdout == b""
    res = sim.run("jail", "-i", "-c", "cache")
    assert res.returncode == 0
    jid = res.stdout.decode().strip()
    assert jid.isdigit() and sim.out("jls", "-j", "cache", "jid").strip() == jid


def test_restart(sim: SimHost) -> None:
    old = sim.out("jls", "-j", "dns", "jid").strip()
    res = sim.run("jail", "-rc", "dns")
    assert res.returncode == 0 and res.stderr == b""
    # note_remove is off for -rc (no -r alone): only the creation is noted.
    assert res.stdout == b"dns: created\n"
    assert sim.out("jls", "-j", "dns", "jid").strip() != old
    res = sim.run("jail", "-rc", "staging")
    assert (res.returncode, res.stderr) == (1, b'jail: "staging" not found\n')
    assert sim.run("jls", "-j", "staging").returncode == 1  # not started either


def test_remove_by_jid_and_wildcard(sim: SimHost) -> None:
    jid = sim.out("jls", "-j", "mail", "jid").strip()
    assert sim.out("jail", "-r", jid) == "mail: removed\n"
    # '*' without -R matches the config file's jails; ci, in a file that
    # /etc/jail.conf does not include, is left to -R.
    conf = sim.root / "etc/jail.conf"
    conf.write_text(conf.read_text().replace(
        '.include "/etc/jail.conf.d/*.conf";',
        '.include "/etc/jail.conf.d/git.conf", "/etc/jail.conf.d/cache.conf";'))
    out = sim.out("jail", "-r", "*")
    assert out.count("removed") == 6
    assert out.index("git: removed") < out.index("db: removed")
    # Left: ci, and the managers' jails (no block in /etc/jail.conf either).
    assert sim.out("jls", "name") == "ci\nshop\nioc-media_lan\n"
    assert sim.out("jail", "-R", "*") == "ci: removed\nshop: removed\nioc-media_lan: removed\n"


def test_verbose_notes(sim: SimHost) -> None:
    out = sim.out("jail", "-v", "-c", "staging")
    lines = out.splitlines()
    assert "staging: run command: /sbin/ifconfig em0 inet 10.0.0.91/24 alias" in lines
    assert ("staging: run command: /sbin/mount -t devfs -oruleset=4 . "
            "/usr/local/jails/staging/dev") in lines
    create = next(ln for ln in lines if "jail_set(JAIL_CREATE)" in ln)
    assert create.startswith("staging: jail_set(JAIL_CREATE) persist name=staging ")
    assert "host.hostname=staging.example.org" in create
    assert "staging: created" in lines
    assert "staging: run command in jail: /bin/sh /etc/rc" in lines
    assert lines[-1].startswith("staging: jail_set(JAIL_UPDATE) jid=") and \
        lines[-1].endswith(" nopersist")


def test_services_run_as_processes_and_console_log(sim: SimHost) -> None:
    sim.out("jail", "-c", "staging")
    cmds = [p["command"] for p in json.loads(sim.out(
        "ps", "--libxo", "json", "-ax", "-J", "staging", "-o", "command"))[
        "process-information"]["process"]]
    assert "nginx: master process /usr/local/sbin/nginx" in cmds
    log = (sim.root / "var/log/jail_console_staging.log").read_text()
    assert "Starting nginx." in log and "Starting syslogd." in log
    sim.out("jail", "-r", "staging")
    assert "Stopping nginx." in (sim.root / "var/log/jail_console_staging.log").read_text()


def test_print_config_e(sim: SimHost) -> None:
    out = sim.out("jail", "-e", "|")
    lines = out.splitlines()
    assert len(lines) == 9  # the jails of /etc/jail.conf.d/*.conf are included
    web = lines[0].split("|")
    assert web[0] == "name=web"
    assert 'exec.start="/bin/sh /etc/rc"' in web and "mount.devfs" in web
    assert "path=/usr/local/jails/web" in web
    res = sim.run("jail", "-e", "|", "-c")
    assert res.returncode == 1 and res.stderr.startswith(b"usage: jail ")


def test_config_file_errors(sim: SimHost) -> None:
    real, host = _conf_dir(sim, "bad")
    (real / "jail.conf").write_text("web {\n  path = /x;\n}\n}\n")
    res = sim.run("jail", "-f", f"{host}/jail.conf", "-c", "web")
    assert res.returncode == 1
    assert res.stderr == f"jail: {host}/jail.conf line 4: }}: syntax error\n".encode()
    res = sim.run("jail", "-f", "/nonexistent.conf", "-c", "web")
    assert (res.returncode, res.stderr) == (
        1, b"jail: /nonexistent.conf: No such file or directory\n")
    (sim.root / "etc/jail.conf").unlink()
    res = sim.run("jail", "-c", "web")
    assert (res.returncode, res.stderr) == (1, b"jail: /etc/jail.conf: No such file or directory\n")


def test_path_and_parameter_errors(sim: SimHost) -> None:
    real, host = _conf_dir(sim, "paths")
    (real / "file").write_text("x")
    (real / "jail.conf").write_text(
        "a { path = relative/dir; persist; }\n"
        f"b {{ path = {host}/missing; persist; }}\n"
        f"c {{ path = {host}/file; persist; }}\n"
        f"d {{ path = {host}; persist; foo = 1; }}\n"
        f"e {{ path = {host}; persist; allow.mount = maybe; }}\n")
    conf = f"{host}/jail.conf"
    assert sim.run("jail", "-f", conf, "-c", "a").stderr == \
        b"jail: a: path relative/dir: not an absolute pathname\n"
    assert sim.run("jail", "-f", conf, "-c", "b").stderr == \
        f"jail: b: path {host}/missing: No such file or directory\n".encode()
    assert sim.run("jail", "-f", conf, "-c", "c").stderr == \
        f"jail: c: path {host}/file: Not a directory\n".encode()
    assert sim.run("jail", "-f", conf, "-c", "d").stderr == b"jail: d: unknown parameter: foo\n"
    assert sim.run("jail", "-f", conf, "-c", "e").stderr == \
        b'jail: e: allow.mount: unknown boolean value "maybe"\n'
    for n in "abcde":
        assert sim.run("jail", "-f", conf, "-c", n).returncode == 1


def test_command_line_style_prints_nothing(sim: SimHost) -> None:
    res = sim.run("jail", "-c", "name=basejail", "path=/tmp", "persist", "ip4.addr=192.0.1.1")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"", b"")
    assert sim.out("jls", "-j", "basejail", "ip4.addr") == "192.0.1.1\n"
    res = sim.run("jail", "-c", "name=basejail", "path=/tmp", "persist")
    assert res.stderr == b'jail: "basejail" already exists\n'
    # -cm creates or modifies
    assert sim.run("jail", "-cm", "name=basejail", "path=/tmp", "persist",
                   "ip4.addr=192.0.1.1").returncode == 0
    # removal without a config block: by jid, "removed" (a config file exists).
    jid = sim.out("jls", "-j", "basejail", "jid").strip()
    assert sim.out("jail", "-r", jid) == "basejail: removed\n"
    assert sim.run("jail", "-c", "name=x", "path=/tmp", "bogus=1").stderr == \
        b"jail: unknown parameter: bogus\n"


def test_modify(sim: SimHost) -> None:
    assert sim.out("jail", "-m", "name=web", "securelevel=2") == ""
    assert sim.out("jls", "-j", "web", "securelevel") == "2\n"
    res = sim.run("jail", "-m", "name=web", "path=/tmp")
    assert (res.returncode, res.stderr) == (1, b"jail: path cannot be changed after creation\n")
    res = sim.run("jail", "-m", "name=staging", "securelevel=1")
    assert res.stderr == b'jail: "staging" not found\n'
    assert sim.out("jail", "-m", "web") == "web: updated\n"


def test_depend_starts_and_stops_in_order(sim: SimHost) -> None:
    out = sim.out("jail", "-r", "db")
    assert out == "git: removed\ndb: removed\n"  # dependents stop first
    out = sim.out("jail", "-c", "git")
    assert out == "db: created\ngit: created\n"  # dependencies start first
    real, host = _conf_dir(sim, "dep")
    (real / "jail.conf").write_text(f"path = {host}; persist;\n"
                                    "a { depend = nosuch; }\n"
                                    "b { depend = c; }\nc { depend = b; }\n")
    res = sim.run("jail", "-f", f"{host}/jail.conf", "-c", "a")
    assert res.returncode == 1
    assert b'jail: a: depends on undefined jail "nosuch"\n' in res.stderr
    assert b"jail: b: dependency loop\n" in res.stderr


def test_persist_semantics(sim: SimHost) -> None:
    real, host = _conf_dir(sim, "persist")
    (real / "jail.conf").write_text(
        f'path = "{host}";\n'
        'gone { exec.start = "/bin/true"; }\n'
        "kept { persist; }\n")
    conf = f"{host}/jail.conf"
    assert sim.out("jail", "-f", conf, "-c", "gone") == "gone: created\n"
    # no processes after exec.start and no persist: the jail disappears
    assert sim.run("jls", "-j", "gone").returncode == 1
    assert sim.out("jail", "-f", conf, "-c", "kept") == "kept: created\n"
    assert sim.run("jls", "-j", "kept").returncode == 0


def test_hooks_run_for_real_with_environment(sim: SimHost, tmp_path: Path) -> None:
    real, host = _conf_dir(sim, "hooks")
    marker = tmp_path / "marker"
    (real / "jail.conf").write_text(
        f'path = "{host}"; persist;\n'
        "h {\n"
        f'  exec.prestart = "touch {marker}";\n'
        "  exec.poststart = 'echo up $JNAME $JPATH; echo err >&2';\n"
        "  exec.prestop = 'echo JID=$JID';\n"
        "  exec.poststop = 'echo gone $JID';\n"
        "}\n")
    conf = f"{host}/jail.conf"
    res = sim.run("jail", "-f", conf, "-c", "h")
    assert res.returncode == 0 and marker.exists(), res.stderr
    assert res.stdout == f"h: created\nup h {host}\n".encode()
    assert res.stderr == b"err\n"
    jid = sim.out("jls", "-j", "h", "jid").strip()
    res = sim.run("jail", "-f", conf, "-r", "h")
    assert res.stdout == f"JID={jid}\nh: removed\ngone {jid}\n".encode()


def test_double_quoted_dollar_is_a_config_variable(sim: SimHost) -> None:
    real, host = _conf_dir(sim, "vars")
    (real / "jail.conf").write_text(f'path = "{host}"; persist;\n'
                                    'v { exec.poststart = "echo $JNAME"; }\n')
    res = sim.run("jail", "-f", f"{host}/jail.conf", "-c", "v")
    assert (res.returncode, res.stderr) == (
        1, b'jail: v: exec.poststart: variable "JNAME" not found\n')


def test_failing_hook_and_timeout(sim: SimHost) -> None:
    real, host = _conf_dir(sim, "fail")
    (real / "jail.conf").write_text(
        f'path = "{host}"; persist;\n'
        'pre { exec.prestart = "/bin/false"; }\n'
        'post { exec.poststart = "/bin/false"; }\n'
        'slow { exec.timeout = 1; exec.prestart = "sleep 5"; }\n'
        'nohere { exec.prestart = "/no/such/cmd"; }\n')
    conf = f"{host}/jail.conf"
    res = sim.run("jail", "-f", conf, "-c", "pre")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b"jail: pre: /bin/false: failed\n")
    assert sim.run("jls", "-j", "pre").returncode == 1
    res = sim.run("jail", "-f", conf, "-c", "post")
    assert res.returncode == 1
    assert res.stdout == b"post: created\npost: removed\n"
    assert res.stderr == b"jail: post: /bin/false: failed\n"
    res = sim.run("jail", "-f", conf, "-c", "slow")
    assert res.returncode == 1 and res.stderr == b"jail: slow: sleep 5: timed out\n"
    res = sim.run("jail", "-f", conf, "-c", "nohere")
    assert res.stderr == (b"jail: nohere: exec /no/such/cmd: No such file or directory\n"
                          b"jail: nohere: /no/such/cmd: failed\n")


def test_freebsd_commands_jail_conf(sim: SimHost) -> None:
    """usr.sbin/jail/tests/jail_basic_test.sh, case "commands" (docs/freebsd.md 10.1)."""
    real, host = _conf_dir(sim, "commands")
    shutil.copy(SAMPLES / "commands.jail.conf", real / "jail.conf")
    with open(real / "jail.conf", "a") as f:
        f.write(f'path = "{host}";\n')
    res = sim.run("jail", "-f", "jail.conf", "-qc", "basejail", cwd=real)
    assert res.returncode == 0 and res.stderr == b""
    lines = res.stdout.decode().splitlines()
    assert "START" in lines
    assert any(ln.startswith("JID=") and ln[4:].isdigit() for ln in lines)
    assert "JNAME=basejail" in lines and f"JPATH={host}" in lines
    res = sim.run("jail", "-f", "jail.conf", "-qr", "basejail", cwd=real)
    assert (res.returncode, res.stdout, res.stderr) == (0, b"STOP\n", b"")
    assert sim.run("jail", "-f", "jail.conf", "-qc", "basejail", cwd=real).returncode == 0
    jid = sim.out("jls", "-j", "basejail", "jid").strip()
    res = sim.run("jail", "-f", "jail.conf", "-qr", jid, cwd=real)
    assert (res.returncode, res.stdout, res.stderr) == (0, b"STOP\n", b"")


def test_nested_jails_children_max(sim: SimHost) -> None:
    """jail_basic_test.sh, case "nested"."""
    assert sim.out("jail", "-c", "name=parentjail", "path=/", "persist", "children.max=1") == ""
    res = sim.run("jexec", "parentjail", "jail", "-c", "name=nestedjail", "persist")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"", b"")
    res = sim.run("jexec", "parentjail", "jail", "-c", "name=secondjail", "persist")
    assert (res.returncode, res.stderr) == (1, b"jail: prison limit exceeded\n")
    assert sim.out("jexec", "parentjail", "jls", "name") == "nestedjail\n"
    assert "parentjail.nestedjail" in sim.out("jls", "name").split()
    assert sim.out("jail", "-c", "name=nochildren", "path=/", "persist") == ""
    res = sim.run("jexec", "nochildren", "jail", "-c", "name=x", "persist")
    assert (res.returncode, res.stderr) == (1, b"jail: jail_set: Operation not permitted\n")


def test_numeric_block_name(sim: SimHost) -> None:
    """jail_basic_test.sh, case "jid_name_set"."""
    real, host = _conf_dir(sim, "jidname")
    (real / "jail.conf").write_text(f"path = {host};\n4711 {{ name = basejail; persist; }}\n")
    conf = f"{host}/jail.conf"
    assert sim.out("jail", "-f", conf, "-c", "4711") == "4711: created\n"
    assert sim.out("jls", "-j", "4711", "name") == "basejail\n"
    assert sim.out("jail", "-f", conf, "-r", "4711") == "4711: removed\n"


def test_usage_and_style_errors(sim: SimHost) -> None:
    res = sim.run("jail", "-r")
    assert res.returncode == 1 and res.stderr.startswith(b"usage: jail [-dhilqv]")
    res = sim.run("jail", "-x")
    assert res.stderr.startswith(b"jail: illegal option -- x\nusage: jail ")
    assert sim.run("jail", "-R", "name=x").returncode == 1


def test_dash_R_removes_without_hooks(sim: SimHost) -> None:
    res = sim.run("jail", "-R", "cache")
    assert (res.returncode, res.stdout, res.stderr) == (0, b"", b"")
    assert sim.run("jls", "-j", "cache").returncode == 1
    log = sim.root / "var/log/jail_console_cache.log"
    assert not log.exists() or "Stopping" not in log.read_text()


def test_jid_file(sim: SimHost) -> None:
    sim.out("jail", "-J", "/tmp/staging.jid", "-c", "staging")
    text = (sim.root / "tmp/staging.jid").read_text()
    assert text.startswith("jid=") and "\tname=staging\t" in text
