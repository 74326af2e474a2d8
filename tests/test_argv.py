"""Command builders live in core/freebsd/argv.py; parsers in core/freebsd/ (issue 12)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jailtui.core.freebsd import argv, misc

PKG = Path(__file__).resolve().parent.parent / "jailtui"

#: The tools whose command lines the review found built by hand.
TOOLS = {"jail", "jexec", "jls", "ps", "service", "kill", "df", "rctl", "sysctl", "who",
         "sockstat", "ifconfig", "pfctl", "procstat"}

#: Modules that must ask core/freebsd/argv.py (or the per-tool builders) instead.
CALLERS = ["core/hosts/host.py", "core/config/confedit.py", "core/actions/control.py",
           "core/checks/rcstatus.py", "core/checks/doctor.py", "core/checks/health.py",
           "core/network.py", "core/procdetail.py"]


def _hand_built(path: Path) -> list[str]:
    """List or tuple literals whose first element is a FreeBSD tool's name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value in TOOLS:
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


@pytest.mark.parametrize("module", CALLERS + [str(p.relative_to(PKG)) for p in
                                              sorted((PKG / "core/transport").rglob("*.py"))])
def test_no_argv_built_by_hand(module: str) -> None:
    assert _hand_built(PKG / module) == []


def test_lifecycle_and_jexec_builders() -> None:
    assert argv.jail_lifecycle_argv("restart", "web") == ["jail", "-rc", "web"]
    assert argv.jail_lifecycle_argv("start", "ci", "/etc/jail.conf.d/ci.conf") == [
        "jail", "-f", "/etc/jail.conf.d/ci.conf", "-c", "ci"]
    assert argv.service_jail_argv("stop", "web") == ["service", "jail", "stop", "web"]
    assert argv.jexec_argv("web", ["id"], user="www") == ["jexec", "-l", "-U", "www", "web", "id"]
    assert argv.who_argv("web") == ["jexec", "web", "who"]
    assert argv.kill_argv("TERM", 42) == ["kill", "-s", "TERM", "42"]
    assert argv.ps_pid_argv(42)[-2:] == ["-p", "42"]


def test_network_and_procstat_builders() -> None:
    """The host's own tools, never a jail's (docs/freebsd.md 15)."""
    assert argv.sockstat_argv("web", libxo=True) == ["sockstat", "--libxo", "json", "-j", "web",
                                                     "-l", "-4", "-6"]
    assert argv.sockstat_argv("web", libxo=False) == ["sockstat", "-j", "web", "-l", "-4", "-6"]
    assert argv.ifconfig_group_argv("epair") == ["ifconfig", "-g", "epair"]
    assert argv.ifconfig_argv("bridge0") == ["ifconfig", "bridge0"]
    assert argv.pfctl_rdr_argv("shop") == ["pfctl", "-a", "rdr/shop", "-sn"]
    assert argv.procstat_argv("-f", 42) == ["procstat", "-f", "42"]
    assert argv.procstat_env_argv(42) == ["procstat", "--libxo", "json", "-e", "42"]


def test_df_parser() -> None:
    """df(1) POSIX output, the row on one line or wrapped after a long device name."""
    one = b"Filesystem 1024-blocks Used Avail Capacity Mounted on\n" \
          b"zroot/jails/web 1000 250 750 25% /usr/local/jails/web\n"
    assert misc.parse_df(one) == (1000 * 1024, 250 * 1024, 750 * 1024)
    wrapped = b"Filesystem 1024-blocks Used Avail Capacity Mounted on\n" \
              b"zroot/a/very/long/dataset/name/for/the/web/jail\n" \
              b"   1000 250 750 25% /usr/local/jails/web\n"
    assert misc.parse_df(wrapped) == (1000 * 1024, 250 * 1024, 750 * 1024)
    assert misc.parse_df(b"df: /nope: No such file or directory\n") is None
    assert misc.parse_df(b"Filesystem 1024-blocks\nx y z\n") is None
