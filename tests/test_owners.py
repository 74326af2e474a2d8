"""Who owns a jail: the drivers read each manager's files the way the managers lay them out.

The host is the simulator's five-manager host (``init_host(managers=...)`` writes the
files the real managers write, docs/managers.md); the drivers read it through the same
LocalFiles the console's Host uses, and attribute each running jail from its ``jls``
name and path (docs/managers.md 1.7). Malformed and missing configs give ``unknown``
with the reason, never an exception.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jailtui.core.hosts.host import LocalFiles
from jailtui.core.owners import DRIVERS, Owner, OwnerIndex, letter, shvars, title
from jailtui.core.owners.ezjail import safename
from jailtui.core.owners.iocage import kernel_name
from jailtui.core.transport.hostfs import PathMap

ALL = ("bastille", "iocage", "appjail", "pot", "ezjail")

RUNNING = {  # kernel name -> (jls path, owner, the manager's name)
    "shop": ("/usr/local/bastille/jails/shop/root", Owner.BASTILLE, "shop"),
    "ioc-media_lan": ("/zroot/iocage/jails/media.lan/root", Owner.IOCAGE, "media.lan"),
    "radio": ("/usr/local/appjail/jails/radio/jail", Owner.APPJAIL, "radio"),
    "proxy": ("/opt/pot/jails/proxy/m", Owner.POT, "proxy"),
    "forum_example_net": ("/usr/jails/forum.example.net", Owner.EZJAIL, "forum.example.net"),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jailtui.sim.builder import init_host

    return init_host(tmp_path_factory.mktemp("own") / "sim", managers=ALL)


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(template / "root", tmp_path / "root", symlinks=True)
    return tmp_path / "root"


def index(root: Path) -> OwnerIndex:
    return OwnerIndex(LocalFiles(PathMap(root=str(root))))


def test_every_running_jail_gets_its_owner_and_manager_name(root: Path) -> None:
    idx = index(root)
    for kname, (path, owner, mname) in RUNNING.items():
        got = idx.attribute(kname, path, {})
        assert (got.owner, got.name) == (owner, mname), (kname, got)
        assert got.enabled
    plain = idx.attribute("web", "/usr/local/jails/web", {"web": "/etc/jail.conf"})
    assert plain.owner is Owner.JAILCONF and plain.conf_file == "/etc/jail.conf"
    assert idx.problems() == []


def test_stopped_jails_of_every_manager_are_listed_with_boot_flags(root: Path) -> None:
    jails = {j.kernel_name: j for j in index(root).configured_jails()}
    assert set(jails) == {*RUNNING, "wiki", "ioc-backup", "builder", "batch", "old"}
    for stopped in ("wiki", "ioc-backup", "builder", "batch", "old"):
        assert jails[stopped].enabled is False, stopped
    assert jails["ioc-backup"].name == "backup"
    assert jails["wiki"].conf_file == "/usr/local/bastille/jails/wiki/jail.conf"
    assert jails["wiki"].ip4 == ("10.0.1.12",)
    assert jails["old"].conf_file == "/usr/local/etc/ezjail/old.norun"


def test_a_hand_made_jail_reusing_a_layout_is_not_claimed(root: Path) -> None:
    idx = index(root)
    # No jail.conf in <jailsdir>/evil: the path rule alone does not make it Bastille's.
    got = idx.attribute("evil", "/usr/local/bastille/jails/evil/root", {})
    assert got.owner is Owner.UNKNOWN
    # A podman/ocijail jail named by container id.
    assert idx.attribute("3f2a9c", "/var/db/containers/storage/x", {}).owner is Owner.UNKNOWN


def _unknown(root: Path, kname: str) -> str:
    got = index(root).attribute(kname, RUNNING[kname][0], {})
    assert got.owner is Owner.UNKNOWN, got
    assert got.reason
    return got.reason


def test_bastille_conf_with_a_command_substitution(root: Path) -> None:
    conf = root / "usr/local/etc/bastille/bastille.conf"
    conf.write_text(conf.read_text() + 'bastille_prefix="$(hostname)/b"\n')
    assert "bastille.conf: line" in _unknown(root, "shop")


def test_bastille_conf_missing(root: Path) -> None:
    (root / "usr/local/etc/bastille/bastille.conf").unlink()
    assert "No config file found!" in _unknown(root, "shop")


def test_bastille_jail_conf_half_written(root: Path) -> None:
    conf = root / "usr/local/bastille/jails/shop/jail.conf"
    conf.write_text(conf.read_text()[:60])
    assert "shop/jail.conf" in _unknown(root, "shop")


def test_iocage_config_json_truncated(root: Path) -> None:
    cfg = root / "zroot/iocage/jails/media.lan/config.json"
    cfg.write_text(cfg.read_text()[:50])
    assert "not valid JSON" in _unknown(root, "ioc-media_lan")


def test_iocage_config_json_deleted_while_running(root: Path) -> None:
    (root / "zroot/iocage/jails/media.lan/config.json").unlink()
    assert "config.json: missing" in _unknown(root, "ioc-media_lan")


def test_appjail_conf_malformed(root: Path) -> None:
    (root / "usr/local/etc/appjail/appjail.conf").write_text('JAILDIR="/usr/local/app\n')
    assert "unterminated double quote" in _unknown(root, "radio")


def test_pot_conf_half_written(root: Path) -> None:
    (root / "opt/pot/jails/proxy/conf/pot.conf").write_text("")
    assert "half-written" in _unknown(root, "proxy")


def test_ezjail_file_malformed(root: Path) -> None:
    f = root / "usr/local/etc/ezjail/forum_example_net"
    f.write_text(f.read_text() + "if true; then echo; fi\n")
    assert "not a plain assignment" in _unknown(root, "forum_example_net")


def test_a_binary_or_huge_file_is_not_read_whole(root: Path) -> None:
    cfg = root / "zroot/iocage/jails/media.lan/config.json"
    cfg.write_bytes(b"{" + b" " * (300 * 1024) + b"}")
    assert "larger than" in _unknown(root, "ioc-media_lan")


def test_files_are_read_on_the_slow_cadence_only(root: Path) -> None:
    now = [0.0]
    idx = OwnerIndex(LocalFiles(PathMap(root=str(root))), interval=30.0, clock=lambda: now[0])
    for _ in range(5):
        idx.attribute("shop", RUNNING["shop"][0], {})
    assert idx.loads == 1
    now[0] = 31.0
    idx.attribute("shop", RUNNING["shop"][0], {})
    assert idx.loads == 2


def test_argv_of_each_owner() -> None:
    assert DRIVERS[Owner.BASTILLE].argvs("start", "shop") == [["bastille", "start", "shop"]]
    assert DRIVERS[Owner.BASTILLE].argvs("shell", "shop") == [["bastille", "console", "shop"]]
    assert DRIVERS[Owner.IOCAGE].argvs("shell", "media.lan") == [["iocage", "console",
                                                                  "media.lan"]]
    assert DRIVERS[Owner.APPJAIL].argvs("shell", "radio") == [["appjail", "login", "radio"]]
    assert DRIVERS[Owner.POT].argvs("shell", "proxy") == [["pot", "term", "proxy"]]
    assert DRIVERS[Owner.POT].argvs("restart", "proxy") == [["pot", "stop", "proxy"],
                                                            ["pot", "start", "proxy"]]
    assert DRIVERS[Owner.EZJAIL].argvs("stop", "forum.example.net") == [
        ["ezjail-admin", "stop", "forum.example.net"]]


def test_names_letters_and_edit_modes(root: Path) -> None:
    assert kernel_name("a.b.c") == "ioc-a_b_c"
    assert safename("www.example-1.com") == "www_example_1_com"
    assert [letter(o) for o in Owner] == ["j", "B", "A", "i", "p", "e", "?"]
    assert title("bastille") == "Bastille" and letter("nonsense") == "?"
    jails = {j.kernel_name: j for j in index(root).configured_jails()}
    assert DRIVERS[Owner.BASTILLE].edit("shop", jails["shop"].conf_file).kind == "jail.conf"
    assert DRIVERS[Owner.IOCAGE].edit("media.lan", jails["ioc-media_lan"].conf_file).command == (
        "iocage set PROPERTY=VALUE media.lan")
    assert DRIVERS[Owner.POT].edit("proxy", jails["proxy"].conf_file).kind == "read-only"


def test_shell_vars_expand_like_sh() -> None:
    got = shvars.parse('a="/x"  ## c\nexport b=${a}/y\nc="${z:-$a}/w"\nd=\'$a\'\n', "f")
    assert got == {"a": "/x", "b": "/x/y", "c": "/x/w", "d": "$a"}
    for bad in ('a="x', "a=`id`", "a=$(id)", "a=${b", "rm -rf /", "a=x; b=y"):
        with pytest.raises(shvars.ShellVarsError):
            shvars.parse(bad, "f")


def test_iocage_boot_as_string_or_int(root: Path) -> None:
    cfg = root / "zroot/iocage/jails/backup/config.json"
    data = json.loads(cfg.read_text())
    data["boot"] = "on"
    cfg.write_text(json.dumps(data))
    jails = {j.kernel_name: j for j in index(root).configured_jails()}
    assert jails["ioc-backup"].enabled


def test_appjail_boot_flag_is_the_file_appjail_jail_boot_on_makes(root: Path) -> None:
    """`appjail jail boot on NAME` touches ``conf/boot/startup/boot`` (AppJail's
    share/appjail/cmd/jail, jail_boot_on; docs/managers.md 1.4); off removes it."""
    conf = root / "usr/local/appjail/jails/builder/conf"
    (conf / "boot/startup").mkdir(parents=True, exist_ok=True)
    (conf / "boot/startup/boot").write_text("")
    (root / "usr/local/appjail/jails/radio/conf/boot/startup/boot").unlink()
    (root / "usr/local/appjail/jails/radio/conf/boot").mkdir(exist_ok=True)
    (root / "usr/local/appjail/jails/radio/conf/boot/boot").write_text("")  # not AppJail's
    jails = {j.kernel_name: j for j in index(root).configured_jails()}
    assert jails["builder"].enabled is True
    assert jails["radio"].enabled is False
