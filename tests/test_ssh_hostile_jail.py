"""A jail's root is hostile on a remote host too (issue 14 item 1, over SSH).

On a host reached over SSH the jail's files are read by the remote half of
the one reader (core/transport/jailfs.py ``REMOTE_SCRIPT``): no symlink is
followed below the jail's root, only a regular file is read, ``head -c``
bounds the bytes and the command's timeout bounds the time. Each case plants
one hostile file in a jail tree of a simulated host behind a real sshd
(tests/ssh_servers.py) and runs ``jailtui --host NAME check`` through the
real entry point: UNKNOWN with the reason, never a hang, never the content of
a file outside the jail, never a raw control character.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ssh_servers import Client, Server, ServerError, start_servers

ROOT = Path(__file__).resolve().parent.parent
JAILS = "root/usr/local/jails"
SECRET = "hostsecretd"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("sshd-hostile")
    client = Client.create(base / "client")
    try:
        (srv,) = start_servers(base, ["hostile"], client)
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield srv
    finally:
        srv.stop()
        client.close()


@pytest.fixture()
def web(server: Server) -> Iterator[Path]:
    """The remote web jail's etc/, put back as it was after each case."""
    etc = server.simdir / JAILS / "web/etc"
    saved = etc.parent / "etc.saved"
    shutil.copytree(etc, saved, symlinks=True)
    try:
        yield etc
    finally:
        if etc.is_symlink() or etc.is_file():
            etc.unlink()
        elif etc.exists():
            shutil.rmtree(etc)
        saved.rename(etc)


def check(srv: Server, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "config.toml"
    conf.write_text("\n".join([
        f"[hosts.{srv.name}]", f'destination = "{srv.destination}"',
        f"ssh_options = {json.dumps(list(srv.ssh_options()))}",
        f'root = "{srv.simdir / "root"}"', ""]))
    return subprocess.run([sys.executable, "-m", "jailtui", "--config", str(conf),
                           "--host", srv.name, "check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _replace(p: Path) -> None:
    p.unlink()


def plant_dev_zero(srv: Server, etc: Path) -> str:
    _replace(etc / "rc.conf")
    (etc / "rc.conf").symlink_to("/dev/zero")
    return "a symlink, not followed"


def plant_host_file(srv: Server, etc: Path) -> str:
    secret = srv.workdir / "host-rc.conf"
    secret.write_text(f'{SECRET}_enable="YES"\n')
    _replace(etc / "rc.conf")
    (etc / "rc.conf").symlink_to(secret)
    return "a symlink, not followed"


def plant_other_jail(srv: Server, etc: Path) -> str:
    other = srv.simdir / JAILS / "db/etc/rc.conf"
    _replace(etc / "rc.conf")
    (etc / "rc.conf").symlink_to(os.path.relpath(other, etc))
    return "a symlink, not followed"


def plant_directory_link(srv: Server, etc: Path) -> str:
    """etc itself a link to a directory outside the jail holding an rc.conf."""
    outside = srv.workdir / "outside-etc"
    outside.mkdir(exist_ok=True)
    (outside / "rc.conf").write_text(f'{SECRET}_enable="YES"\n')
    shutil.rmtree(etc)
    etc.symlink_to(outside)
    return "a symlink, not followed"


def plant_fifo(srv: Server, etc: Path) -> str:
    _replace(etc / "rc.conf")
    os.mkfifo(etc / "rc.conf")
    return "not a regular file, not read"


def plant_sparse(srv: Server, etc: Path) -> str:
    with open(etc / "rc.conf", "r+b") as f:
        f.truncate(2 * 1024 ** 3)
    return "too large"


def plant_directory(srv: Server, etc: Path) -> str:
    _replace(etc / "rc.conf")
    (etc / "rc.conf").mkdir()
    return "not a regular file, not read"


def plant_escapes(srv: Server, etc: Path) -> str:
    _replace(etc / "rc.conf")
    (etc / "rc.conf").symlink_to("/etc/\x1b]0;pwned\x07\x1b[2J")
    return "a symlink, not followed"


PLANTS: dict[str, Callable[[Server, Path], str]] = {
    "dev-zero": plant_dev_zero, "host-file": plant_host_file, "other-jail": plant_other_jail,
    "directory-link": plant_directory_link, "fifo": plant_fifo, "sparse-2g": plant_sparse,
    "directory": plant_directory, "escapes": plant_escapes,
}


@pytest.mark.parametrize("case", list(PLANTS))
def test_remote_check_reports_unknown_and_never_reads_outside(
        server: Server, web: Path, tmp_path: Path, case: str) -> None:
    reason = PLANTS[case](server, web)
    out = check(server, tmp_path)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    line = next((x for x in out.stdout.splitlines()
                 if x.startswith("UNKNOWN: web: daemons not checked: ")), "")
    assert "/usr/local/jails/web/etc/rc.conf: " in line and reason in line, out.stdout
    assert SECRET not in out.stdout
    assert not any(x.startswith("CRITICAL: web: ") for x in out.stdout.splitlines())
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout


def test_remote_plain_rc_conf_is_read(server: Server, web: Path, tmp_path: Path) -> None:
    """The reader is not simply refusing: a regular rc.conf is read and checked."""
    with open(web / "rc.conf", "a", encoding="utf-8") as f:
        f.write('foobard_enable="YES"\n')
    out = check(server, tmp_path)
    assert "CRITICAL: web: foobard is enabled in rc.conf but not running" in out.stdout, \
        out.stdout + out.stderr


# -- the race: the jail's root swaps a link in between the check and the read ---------

#: Stands in for a tool the remote reader runs and lets "the jail's root" win
#: the race at the worst moment, once, when it runs for web's rc.conf in the
#: jail's tree (the reader's own call): ``head`` swaps just before it reads
#: (after every check of the path); ``stat`` just after it answered (between
#: the look at the name and the open). Everything else is the real tool.
RACER = """#!/bin/sh
case "$(pwd -P)/$*" in */jails/web/*rc.conf*|*/jails/web*rc.conf*) ;; *) exec {real} "$@" ;; esac
swap() {{
  [ -e {marker} ] && return
  : > {marker}
  mv -- {target} {target}.orig && ln -s -- {to} {target}
}}
if [ "${{0##*/}}" = head ]; then swap; exec {real} "$@"; fi
{real} "$@"; rc=$?
[ $rc -eq 0 ] && swap
exit $rc
"""


@pytest.fixture()
def racers(server: Server) -> Iterator[Callable[[Path, Path], Path]]:
    """Install ``head`` and ``stat`` racers that replace TARGET by a link to TO."""
    made: list[Path] = []

    def install(target: Path, to: Path) -> Path:
        marker = server.workdir / "raced"
        marker.unlink(missing_ok=True)
        for tool in ("head", "stat"):
            real = shutil.which(tool, path="/usr/bin:/bin")
            assert real, tool
            path = server.bindir / tool
            path.write_text(RACER.format(real=real, marker=marker, target=target, to=to))
            path.chmod(0o755)
            made.append(path)
        return marker

    yield install
    for path in made:
        path.unlink(missing_ok=True)


def _orig_back(p: Path) -> None:
    orig = p.with_name(p.name + ".orig")
    if orig.exists() or orig.is_symlink():
        if p.is_symlink():
            p.unlink()
        orig.rename(p)


def test_a_file_swapped_for_a_link_while_read_is_not_followed(
        server: Server, web: Path, racers: Callable[[Path, Path], Path], tmp_path: Path) -> None:
    secret = server.workdir / "host-rc.conf"
    secret.write_text(f'{SECRET}_enable="YES"\n')
    marker = racers(web / "rc.conf", secret)
    try:
        out = check(server, tmp_path)
    finally:
        _orig_back(web / "rc.conf")
    assert marker.exists(), "the race was never run"
    assert SECRET not in out.stdout, out.stdout
    assert "Traceback" not in out.stderr


def test_a_directory_swapped_for_a_link_while_read_is_not_followed(
        server: Server, web: Path, racers: Callable[[Path, Path], Path], tmp_path: Path) -> None:
    outside = server.workdir / "outside-etc"
    outside.mkdir(exist_ok=True)
    (outside / "rc.conf").write_text(f'{SECRET}_enable="YES"\n')
    marker = racers(web, outside)
    try:
        out = check(server, tmp_path)
    finally:
        _orig_back(web)
    assert marker.exists(), "the race was never run"
    assert SECRET not in out.stdout, out.stdout
    assert "Traceback" not in out.stderr


# -- the same script with FreeBSD's stat(1) -------------------------------------------

#: FreeBSD's stat(1) as far as the reader uses it (usr.bin/stat/stat.c): ``-f
#: FORMAT`` with %d, %i and %HT ("Regular File", "Symbolic Link", ...), lstat(2)
#: of the operand unless ``-L``, and without an operand fstat(2) of standard
#: input; ``-c`` is not an option there. With RACE=TARGET:TO it swaps TARGET for a
#: link to TO once, right after it has described TARGET (the jail's root winning
#: the race between the look at the name and the open).
FREEBSD_STAT = '''#!{python}
import os, stat, sys
args = sys.argv[1:]
fmt, follow = None, False
while args and args[0].startswith("-") and args[0] != "--":
    opt = args.pop(0)
    if opt == "-L":
        follow = True
    elif opt == "-f":
        fmt = args.pop(0)
    else:
        sys.exit("stat: illegal option -- " + opt[1:2])
if args[:1] == ["--"]:
    args.pop(0)
st = (os.stat if follow else os.lstat)(args[0]) if args else os.fstat(0)
kinds = {{stat.S_IFREG: "Regular File", stat.S_IFLNK: "Symbolic Link",
          stat.S_IFDIR: "Directory", stat.S_IFIFO: "Fifo File"}}
out = (fmt or "%d %i").replace("%HT", kinds.get(stat.S_IFMT(st.st_mode), "???"))
print(out.replace("%d", str(st.st_dev)).replace("%i", str(st.st_ino)))
race = os.environ.get("RACE", "")
if args and race and os.path.abspath(args[0]) == race.split(":")[0]:
    target, to = race.split(":")
    os.environ.pop("RACE")
    os.rename(target, target + ".orig")
    os.symlink(to, target)
'''


def run_reader(tmp_path: Path, root: Path, rel: str,
               race: str = "") -> subprocess.CompletedProcess[bytes]:
    from jailtui.core.transport.jailfs import remote_argv

    bindir = tmp_path / "freebsd-bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "stat").write_text(FREEBSD_STAT.format(python=sys.executable))
    (bindir / "stat").chmod(0o755)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "RACE": race}
    return subprocess.run(remote_argv(str(root), rel, 1024), env=env, capture_output=True,
                          timeout=30, check=False)


def test_the_remote_reader_with_freebsds_stat(tmp_path: Path) -> None:
    root = tmp_path / "jail"
    (root / "etc").mkdir(parents=True)
    (root / "etc/rc.conf").write_text('sshd_enable="YES"\n')
    secret = tmp_path / "secret"
    secret.write_text(f'{SECRET}_enable="YES"\n')
    read = run_reader(tmp_path, root, "etc/rc.conf")
    assert (read.returncode, read.stdout) == (0, b'sshd_enable="YES"\n'), read
    raced = run_reader(tmp_path, root, "etc/rc.conf",
                       race=f"{root / 'etc/rc.conf'}:{secret}")
    assert (root / "etc/rc.conf").is_symlink(), "the race was never run"
    assert raced.returncode == 4, raced
    assert raced.stdout == b"replaced while read, not read\n"
    (root / "etc/rc.conf").unlink()
    (root / "etc/rc.conf").symlink_to(secret)
    linked = run_reader(tmp_path, root, "etc/rc.conf")
    assert (linked.returncode, linked.stdout) == (4, b"a symlink, not followed on this host\n")
    big = run_reader(tmp_path, root, "etc/rc.conf.big")
    assert big.returncode == 3  # missing
    (root / "etc/rc.conf.big").write_bytes(b"x" * 5000)
    big = run_reader(tmp_path, root, "etc/rc.conf.big")
    assert big.returncode == 0 and len(big.stdout) == 1025  # one over the cap: "too large"
