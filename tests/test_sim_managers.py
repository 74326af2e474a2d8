"""The simulated jail managers, driven as a user would: shims on PATH (docs/managers.md).

The host is built by the real entry point (``jailtui sim init --managers ...`` and
``jailtui --sim DIR sim shims BINDIR``); every manager command runs as a subprocess of
its shim, and what it did is read back with the simulated ``jls``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ALL = "bastille,iocage,appjail,pot,ezjail"


def _jailtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], capture_output=True,
                          text=True, timeout=120, check=False)


class Host:
    def __init__(self, base: Path, managers: str = ALL) -> None:
        self.simdir = base / "sim"
        self.bindir = base / "bin"
        args = ["sim", "init", str(self.simdir)] + (["--managers", managers] if managers else [])
        res = _jailtui(*args)
        assert res.returncode == 0, res.stderr
        res = _jailtui("--sim", str(self.simdir), "sim", "shims", str(self.bindir))
        assert res.returncode == 0, res.stderr

    @property
    def root(self) -> Path:
        return self.simdir / "root"

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{self.bindir}:/usr/bin:/bin", "HOME": str(self.simdir),
               "LANG": "C.UTF-8", "TZ": "UTC"}
        return subprocess.run([str(self.bindir / argv[0]), *argv[1:]], capture_output=True,
                              text=True, env=env, timeout=60, check=False)

    def jails(self) -> dict[str, tuple[int, str]]:
        res = self.run("jls", "--libxo", "json", "-v")
        assert res.returncode == 0, res.stderr
        rows = json.loads(res.stdout)["jail-information"]["jail"]
        return {r["name"]: (int(r["jid"]), r["path"]) for r in rows}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Host:
    return Host(tmp_path_factory.mktemp("managers"))


@pytest.fixture
def host(template: Host, tmp_path: Path) -> Host:
    """A fresh copy of the five-manager host (building one takes a few seconds)."""
    import shutil

    h = Host.__new__(Host)
    h.simdir = tmp_path / "sim"
    h.bindir = tmp_path / "bin"
    shutil.copytree(template.simdir, h.simdir, symlinks=True)
    res = _jailtui("--sim", str(h.simdir), "sim", "shims", str(h.bindir))
    assert res.returncode == 0, res.stderr
    return h


def test_init_lays_out_each_manager_and_starts_one_jail_each(template: Host) -> None:
    jails = template.jails()
    assert jails["shop"][1] == "/usr/local/bastille/jails/shop/root"
    assert jails["ioc-media_lan"][1] == "/zroot/iocage/jails/media.lan/root"
    assert jails["radio"][1] == "/usr/local/appjail/jails/radio/jail"
    assert jails["proxy"][1] == "/opt/pot/jails/proxy/m"
    assert jails["forum_example_net"][1] == "/usr/jails/forum.example.net"
    for stopped in ("wiki", "ioc-backup", "builder", "batch", "old"):
        assert stopped not in jails
    # The managed jails are not in /etc/jail.conf nor in jail_list.
    conf = (template.root / "etc/jail.conf").read_text()
    assert "shop" not in conf and "media" not in conf
    assert (template.root / "usr/local/bastille/jails/wiki/jail.conf").is_file()
    assert (template.root / "usr/local/etc/ezjail/old.norun").is_file()


def test_bastille_start_stop_restart(host: Host) -> None:
    res = host.run("bastille", "start", "wiki")
    assert res.returncode == 0, res.stderr
    # Bastille 1.x (start.sh, common.sh `info`): "[NAME]:" on stderr after an empty
    # line, jail(8)'s line on stdout (docs/managers.md 1.1).
    assert res.stdout == "wiki: created\n" and res.stderr == "\n[wiki]:\n"
    assert host.jails()["wiki"][1] == "/usr/local/bastille/jails/wiki/root"
    jid = host.jails()["shop"][0]
    res = host.run("bastille", "restart", "shop")
    assert res.returncode == 0, res.stderr
    assert "shop: removed" in res.stdout and "shop: created" in res.stdout
    assert host.jails()["shop"][0] != jid
    res = host.run("bastille", "stop", "wiki")
    assert res.returncode == 0 and "wiki: removed" in res.stdout
    assert "wiki" not in host.jails()


def test_bastille_refusals_are_upstreams(host: Host) -> None:
    # Already running / already stopped: said on stderr, the loop goes on, exit 0.
    res = host.run("bastille", "start", "shop")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "\n[shop]:\nJail is already running.\n")
    res = host.run("bastille", "stop", "wiki")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "\n[wiki]:\nJail is already stopped.\n")
    # Not found (set_target): exit 1, nothing started.
    res = host.run("bastille", "start", "nosuch")
    assert (res.returncode, res.stderr) == (1, 'Jail not found "nosuch"\n')
    # An unknown option, and no TARGET: exit 1 with the usage.
    res = host.run("bastille", "start", "-q", "wiki")
    assert (res.returncode, res.stderr) == (1, '[ERROR]: Unknown Option: "-q"\n')
    res = host.run("bastille", "stop")
    assert res.returncode == 1 and res.stderr == "Usage: bastille stop [option(s)] TARGET\n"
    assert "Options:" in res.stdout
    assert "wiki" not in host.jails()


def test_bastille_completes_a_unique_prefix(host: Host) -> None:
    # jail_autocomplete (common.sh): a prefix of exactly one jail names it.
    res = host.run("bastille", "start", "wi")
    assert res.returncode == 0 and res.stderr == "\n[wiki]:\n", res.stderr
    assert "wiki" in host.jails()
    (host.root / "usr/local/bastille/jails/wild").mkdir()
    (host.root / "usr/local/bastille/jails/wild/jail.conf").write_text("wild {\n}\n")
    res = host.run("bastille", "stop", "wi")
    assert res.returncode == 1 and res.stderr == "Multiple jails found for wi:\nwiki\nwild\n"
    assert "wiki" in host.jails()


def test_bastille_applies_and_removes_its_rctl_conf(host: Host) -> None:
    (host.root / "usr/local/bastille/jails/wiki/rctl.conf").write_text(
        "jail:wiki:maxproc:deny=40\n")
    assert host.run("bastille", "start", "wiki").returncode == 0
    assert "jail:wiki:maxproc:deny=40" in host.run("rctl").stdout
    assert host.run("bastille", "stop", "wiki").returncode == 0
    assert "jail:wiki" not in host.run("rctl").stdout


def test_bastille_boot_option_skips_jails_not_started_at_boot(host: Host) -> None:
    # wiki's settings.conf says boot=off: `start --boot` leaves it (rc.d/bastille's way).
    res = host.run("bastille", "start", "-b", "wiki")
    assert (res.returncode, res.stderr) == (0, "")
    assert "wiki" not in host.jails()


def test_bastille_without_its_config_refuses(host: Host) -> None:
    (host.root / "usr/local/etc/bastille/bastille.conf").unlink()
    res = host.run("bastille", "start", "wiki")
    assert res.returncode == 1
    assert "No config file found!" in res.stderr
    assert "wiki" not in host.jails()


def test_iocage_start_uses_the_ioc_kernel_name_and_its_own_jail_conf(host: Host) -> None:
    res = host.run("iocage", "start", "backup")
    assert res.returncode == 0, res.stderr
    assert "* Starting backup" in res.stdout and "+ Started OK" in res.stdout
    assert host.jails()["ioc-backup"][1] == "/zroot/iocage/jails/backup/root"
    assert (host.root / "var/run/jail.ioc-backup.conf").is_file()
    res = host.run("iocage", "stop", "media.lan")
    assert res.returncode == 0, res.stderr
    assert "ioc-media_lan" not in host.jails()


def test_iocage_prints_its_own_progress_lines(host: Host) -> None:
    """The lines ioc_start.py/ioc_stop.py log (docs/managers.md 1.2): the name with
    ``.`` -> ``_``, iocage's generated devfs ruleset (1000 up: the demo's media.lan holds
    1000), the IP options of a non-VNET jail; jail(8)'s and rc's output go to
    ``<iocroot>/log/NAME-console.log``, and the runtime jail.conf goes with the jail."""
    res = host.run("iocage", "start", "backup")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "* Starting backup", "  + Started OK",
        "  + Using devfs_ruleset: 1001 (iocage generated default)",
        "  + Using IP options: ip4.addr=em0|10.0.2.12/24 ip4.saddrsel=1 ip4=new"
        " ip6.saddrsel=1 ip6=new",
        "  + Starting services OK", "  + Executing poststart OK"]
    assert "ioc-backup: created" in (host.root / "zroot/iocage/log/backup-console.log").read_text()
    res = host.run("iocage", "stop", "media.lan")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "* Stopping media_lan", "  + Executing prestop OK", "  + Stopping services OK",
        "  + Removing devfs_ruleset: 1000 OK", "  + Removing jail process OK",
        "  + Executing poststop OK"]
    assert not (host.root / "var/run/jail.ioc-media_lan.conf").exists()
    res = host.run("iocage", "stop", "media.lan")
    assert res.returncode == 1 and res.stderr == "media_lan is not running!\n"
    # The stop deleted ruleset 1000 (a dying jail holds none): the next start reuses it.
    res = host.run("iocage", "start", "media.lan")
    assert "  + Using devfs_ruleset: 1000 (iocage generated default)" in res.stdout


def test_iocage_set_says_old_and_new_value(host: Host) -> None:
    # json_set_value's `KEY: OLD -> NEW` line (ioc_json.py).
    res = host.run("iocage", "set", "boot=1", "notes=nightly", "backup")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "boot: 0 -> 1\nnotes: none -> nightly\n"


def test_iocage_get_and_set_change_config_json(host: Host) -> None:
    assert host.run("iocage", "get", "boot", "backup").stdout == "0\n"
    res = host.run("iocage", "set", "boot=1", "backup")
    assert res.returncode == 0 and "boot" in res.stdout
    data = json.loads((host.root / "zroot/iocage/jails/backup/config.json").read_text())
    assert data["boot"] == 1


def test_iocage_truncated_config_is_refused(host: Host) -> None:
    cfg = host.root / "zroot/iocage/jails/backup/config.json"
    cfg.write_text(cfg.read_text()[:40])
    res = host.run("iocage", "start", "backup")
    assert res.returncode == 1 and "CORRUPT" in res.stderr
    assert "ioc-backup" not in host.jails()


def test_appjail_start_compiles_its_template_and_stops_by_it(host: Host) -> None:
    res = host.run("appjail", "start", "builder")
    assert res.returncode == 0, res.stderr
    assert host.jails()["builder"][1] == "/usr/local/appjail/jails/builder/jail"
    compiled = (host.root / "usr/local/appjail/jails/builder/conf/jail.conf").read_text()
    assert 'path = "/usr/local/appjail/jails/builder/jail";' in compiled
    assert host.run("appjail", "status", "-q", "builder").returncode == 0
    assert host.run("appjail", "stop", "builder").returncode == 0
    assert host.run("appjail", "status", "-q", "builder").returncode == 1


def test_pot_start_stop_and_no_restart(host: Host) -> None:
    res = host.run("pot", "start", "batch")
    assert res.returncode == 0, res.stderr
    # start.sh: `_info` (stdout) before jail -c, whose exec.start output follows.
    assert res.stdout.startswith("===>  Starting the pot batch\n")
    assert "Starting cron." in res.stdout
    assert host.jails()["batch"][1] == "/opt/pot/jails/batch/m"
    assert host.run("pot", "ps", "-q").stdout.split() == ["batch", "proxy"]
    res = host.run("pot", "stop", "batch")
    # stop.sh: `jail -q -r NAME`, nothing printed.
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert "batch" not in host.jails()
    assert host.run("pot", "restart", "proxy").returncode == 1  # pot has no restart (1.3)


def test_pot_refusals_are_upstreams(host: Host) -> None:
    # A running pot is left alone and a stopped one cleaned up: silently, exit 0.
    jid = host.jails()["proxy"][0]
    assert host.run("pot", "start", "proxy").stdout == ""
    assert host.run("pot", "start", "proxy").returncode == 0
    assert host.jails()["proxy"][0] == jid
    res = host.run("pot", "stop", "batch")
    assert (res.returncode, res.stdout) == (0, "")
    # Unknown pots: common.sh's _is_pot and stop.sh's own words, on stdout, exit 1.
    res = host.run("pot", "start", "nosuch")
    assert (res.returncode, res.stdout) == (1, "###>   Pot nosuch not found\n")
    res = host.run("pot", "stop", "nosuch")
    assert res.returncode == 1
    assert res.stdout.startswith("###>  The pot nosuch is not a valid pot\npot stop [-hv]")


def test_ezjail_uses_the_safe_name(host: Host) -> None:
    res = host.run("ezjail-admin", "restart", "forum.example.net")
    assert res.returncode == 0, res.stderr
    assert "Starting jails: forum_example_net." in res.stdout
    res = host.run("ezjail-admin", "start", "old")
    assert res.returncode == 0 and host.jails()["old"][1] == "/usr/jails/old"


def test_ezjail_console_of_a_stopped_jail(host: Host) -> None:
    res = host.run("ezjail-admin", "console", "old")
    assert res.returncode == 1
    assert res.stderr.startswith("Error: Jail old appears not to be running\n")
    assert "old" not in host.jails()
    res = host.run("ezjail-admin", "console", "-f", "-e", "/bin/hostname", "nosuch")
    assert (res.returncode, res.stderr) == (1, "Error: Nothing known about jail nosuch.\n")


def test_a_manager_that_is_not_installed_is_not_found(tmp_path: Path) -> None:
    h = Host(tmp_path, managers="bastille")
    assert (h.bindir / "bastille").exists()
    assert not (h.bindir / "iocage").exists()
    from jailtui.sim.commands import dispatch

    rc, _out, err = dispatch(h.simdir, ["iocage", "start", "x"])
    assert rc == 127 and err == b"iocage: not found\n"


def test_unknown_manager_is_a_clear_error(tmp_path: Path) -> None:
    res = _jailtui("sim", "init", str(tmp_path / "s"), "--managers", "bastille,cbsd")
    assert res.returncode == 2
    assert "unknown manager 'cbsd'" in res.stderr
