"""The jail.conf.d layout, both jail.conf grammars, CRLF and rc.conf's sources (issue 11
items 2-4 and 6, issue 13 items 17-18), through the command line and the shims on PATH.

Where each expectation comes from:

- libexec/rc/rc.d/jail ``parse_options``: with ``/etc/jail.conf`` holding
  ``.include "/etc/jail.conf.d/*.conf"``, ``jail -f /etc/jail.conf`` for every
  jail (docs/freebsd.md 8.2);
- usr.sbin/jail/jailparse.y: 14.0+ (``global_jail`` made once) against
  0e5ec9dc, 13.x (a new ``*`` pseudo-jail after each block); config.c
  ``load_config`` merges by position (docs/freebsd.md 4.2);
- usr.sbin/jail/jaillex.l: 086e0149 (14.0+) ``<_>[ \\t\\r\\n]+`` against
  caa41f64 (13.x and older) ``<_>[ \\t]+`` and ``<_>\\n``, so a CR is a stray
  character there, passed to the parser as itself (docs/freebsd.md 4.1);
- libexec/rc/rc.subr ``load_rc_config``: rc.conf, rc.conf.local, then
  ``/etc/rc.conf.d/NAME`` and ``/usr/local/etc/rc.conf.d/NAME``, a file or
  a directory of files (docs/freebsd.md 8.1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from jailtui.core.freebsd import jailconf
from jailtui.core.hosts.confsource import ConfSource
from jailtui.sim.state import Store

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=full_env)


def shim(shim_path: str, *argv: str) -> subprocess.CompletedProcess[bytes]:
    """A FreeBSD tool as the product runs it: the shim executable on PATH."""
    return subprocess.run(list(argv), capture_output=True, timeout=60, check=False,
                          env={**os.environ, "PATH": shim_path})


def set_release(sim_dir: Path, osrelease: str) -> None:
    with Store(sim_dir).write() as st:
        st.osrelease = osrelease


def local(sim_dir: Path) -> list[str]:
    return ["--host", "local", "--root", str(sim_dir / "root")]


INCLUDE = '.include "/etc/jail.conf.d/*.conf";'


def standard_layout(sim_dir: Path) -> None:
    """Make sure of the layouts under test, whatever the demo host holds:
    staging's block alone in /etc/jail.conf.d/staging.conf, included by
    /etc/jail.conf; jail_list only in /etc/rc.conf.d/jail."""
    etc = sim_dir / "root/etc"
    conf = (etc / "jail.conf").read_text()
    start = conf.find("staging {")
    if start >= 0:
        end = conf.index("}\n", start) + 2
        (etc / "jail.conf.d").mkdir(exist_ok=True)
        (etc / "jail.conf.d/staging.conf").write_text(conf[start:end])
        conf = conf[:start] + conf[end:]
    if INCLUDE not in conf:
        conf += INCLUDE + "\n"
    (etc / "jail.conf").write_text(conf)
    rc = (etc / "rc.conf").read_text().splitlines(keepends=True)
    listed = [ln for ln in rc if ln.startswith("jail_list=")]
    if listed:
        (etc / "rc.conf").write_text("".join(ln for ln in rc if ln not in listed))
        (etc / "rc.conf.d").mkdir(exist_ok=True)
        (etc / "rc.conf.d/jail").write_text("".join(listed))


# -- item 2: -f names the root file ---------------------------------------------------------


def test_start_of_an_included_jail_keeps_the_globals(sim_dir: Path, shim_path: str) -> None:
    """jail(8) start method (jail_enable NO) for staging, whose block is in
    /etc/jail.conf.d/staging.conf: ``jail -c staging`` reads /etc/jail.conf
    and its include, so the globals (path, hostname, exec.start) apply."""
    standard_layout(sim_dir)
    rc = sim_dir / "root/etc/rc.conf"
    rc.write_text(rc.read_text().replace('jail_enable="YES"', 'jail_enable="NO"'))
    out = jailtui(*local(sim_dir), "start", "staging", env={"PATH": shim_path})
    assert out.returncode == 0, out.stderr
    assert "staging: created" in out.stdout
    got = shim(shim_path, "jls", "-j", "staging", "path", "host.hostname")
    assert got.stdout.decode().split() == ["/usr/local/jails/staging", "staging.example.org"]
    # exec.start (a global) ran /etc/rc in the jail: its services are up.
    procs = json.loads(jailtui(*local(sim_dir), "ps", "--jail", "staging", "--json",
                               env={"PATH": shim_path}).stdout)
    assert any("nginx" in p["command"] for p in procs)


# -- item 3: globals after a block ------------------------------------------------------------

GLOBAL_AFTER = "path = /g1;\nt1 { path = /a; }\nt2 { }\npath = /g2;\n"


def test_global_after_a_block_per_release_through_the_shims(sim_dir: Path,
                                                            shim_path: str) -> None:
    conf = sim_dir / "root/etc/order.conf"
    conf.write_text(GLOBAL_AFTER)
    out = shim(shim_path, "jail", "-f", "/etc/order.conf", "-e", "|").stdout.decode()
    assert out.splitlines() == ["name=t1|path=/a", "name=t2|path=/g2"]
    set_release(sim_dir, "13.4-RELEASE")
    out = shim(shim_path, "jail", "-f", "/etc/order.conf", "-e", "|").stdout.decode()
    assert out.splitlines() == ["name=t1|path=/g2", "name=t2|path=/g2"]


def test_global_after_a_block_per_release_in_conf_show(tmp_path: Path) -> None:
    conf = tmp_path / "order.conf"
    conf.write_text(GLOBAL_AFTER)
    new = json.loads(jailtui("conf", "show", "--json", "-f", str(conf)).stdout)
    old = json.loads(jailtui("conf", "show", "--json", "--freebsd", "13", "-f", str(conf)).stdout)
    assert new["jails"]["t1"]["path"] == "/a"
    assert old["jails"]["t1"]["path"] == "/g2"


# -- item 4: CR ------------------------------------------------------------------------------

CRLF = "# made on Windows\r\nexec.clean;\r\nweb {\r\n    path = /j/web;\r\n}\r\n"


def test_crlf_is_refused_by_13_with_jails_words_and_a_hint(tmp_path: Path) -> None:
    conf = tmp_path / "crlf.conf"
    conf.write_bytes(CRLF.encode())
    out = jailtui("conf", "check", "--freebsd", "13", "-f", str(conf))
    assert out.returncode == 1
    first, hint = out.stderr.splitlines()
    # yyerror's "%s line %d: %s: %s" with yytext = the CR (shown escaped).
    assert first.startswith(f"jail: {conf} line 2: ") and first.endswith(": syntax error")
    assert "\r" not in out.stderr
    assert hint.startswith("jailtui: hint: CRLF line endings")
    # The scanner of 14.0+ takes the CR for a blank: the file is fine there.
    out = jailtui("conf", "check", "-f", str(conf))
    assert out.returncode == 0 and "OK, 1 jail(s)" in out.stdout


def test_crlf_through_the_jail_shim_per_release(sim_dir: Path, shim_path: str) -> None:
    (sim_dir / "root/etc/crlf.conf").write_bytes(CRLF.encode())
    ok = shim(shim_path, "jail", "-f", "/etc/crlf.conf", "-e", "|")
    assert ok.returncode == 0 and ok.stdout == b"name=web|exec.clean|path=/j/web\n"
    set_release(sim_dir, "13.4-RELEASE")
    bad = shim(shim_path, "jail", "-f", "/etc/crlf.conf", "-e", "|")
    assert bad.returncode == 1
    assert bad.stderr == b"jail: /etc/crlf.conf line 2: \r: syntax error\n"


def test_crlf_hint_reaches_the_configured_jails() -> None:
    files = {"/etc/jail.conf": CRLF}
    src = ConfSource(files.__getitem__, lambda p: [], files.__contains__, freebsd=13)
    got = src.load()
    assert got.errors == ["/etc/jail.conf line 2: \r: syntax error"]
    assert got.hints == [jailconf.CRLF_HINT]
    assert ConfSource(files.__getitem__, lambda p: [], files.__contains__).load().errors == []


# -- item 6: rc.conf sources -------------------------------------------------------------------


def test_jail_list_in_rc_conf_d_decides_enabled(sim_dir: Path, shim_path: str) -> None:
    """The demo host keeps jail_list in /etc/rc.conf.d/jail: staging is not
    in it, so stopped is normal (exit 0); read from rc.conf alone, jail_list
    would be empty, every jail "enabled" and staging down (critical)."""
    standard_layout(sim_dir)
    for args in (["--sim", str(sim_dir)], local(sim_dir)):
        out = jailtui(*args, "check", env={"PATH": shim_path})
        assert out.returncode == 0, out.stdout + out.stderr
    rows = {r["name"]: r for r in json.loads(jailtui("--sim", str(sim_dir), "list",
                                                     "--json").stdout)}
    assert rows["web"]["enabled"] and not rows["staging"]["enabled"]


def test_rc_conf_d_directory_and_local_startup_order(sim_dir: Path) -> None:
    standard_layout(sim_dir)
    etc = sim_dir / "root/etc"
    (etc / "rc.conf.d/jail").unlink()
    (etc / "rc.conf.d/jail").mkdir()
    (etc / "rc.conf.d/jail/10-list").write_text('jail_list="web db"\n')
    (etc / "rc.conf.d/jail/.hidden").write_text('jail_list="mail"\n')   # sh's * skips it
    local_d = sim_dir / "root/usr/local/etc/rc.conf.d"
    local_d.mkdir(parents=True)
    (local_d / "jail").write_text('jail_list="$jail_list dns"\n')          # read last
    out = jailtui("--sim", str(sim_dir), "list", "--json")
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    # (The Bastille and iocage jails are enabled by their own boot flags.)
    assert [n for n, r in rows.items()
            if r["enabled"] and r["owner"] == "jail.conf"] == ["web", "db", "dns"]


def test_boot_source_names_the_files(sim_dir: Path) -> None:
    from jailtui.core.hosts.host import Host, HostPaths, LocalFiles
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.sim.runner import SimRunner

    paths = PathMap(root=str(sim_dir / "root"))
    host = Host(SimRunner(sim_dir), backend="SIMULATED", paths=paths, conf=HostPaths(),
                files=LocalFiles(paths))
    conf = host.configured()
    assert conf.rc_files == ["/etc/rc.conf", "/etc/rc.conf.local", "/etc/rc.conf.d/jail"]
    assert conf.rc_origin["jail_list"] == "/etc/rc.conf.d/jail"
    assert conf.rc_origin["jail_parallel_start"] == "/etc/rc.conf.local"
    web = conf.jails["web"].boot_source
    assert web == 'jail_enable="YES" (/etc/rc.conf); in jail_list (/etc/rc.conf.d/jail)'
    assert "not in jail_list (/etc/rc.conf.d/jail)" in conf.jails["staging"].boot_source


@pytest.mark.parametrize("size", [(160, 40), (80, 24)])
async def test_detail_shows_where_the_boot_setting_comes_from(size: tuple[int, int]) -> None:
    """At 80 columns the boot line wraps under its value, not to column 0."""
    from dataclasses import replace

    from tui_fakes import FakeHost, make_app, make_snapshot, sample_jails, settle

    from jailtui.screens.detail import DetailScreen
    from jailtui.screens.main import MainScreen

    src = 'jail_enable="YES" (/etc/rc.conf); in jail_list (/etc/rc.conf.d/jail)'
    jails = [replace(j, boot_source=src) if j.name == "web" else j for j in sample_jails()]
    app = make_app(FakeHost(make_snapshot(jails)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = pilot.app.screen
        assert isinstance(main, MainScreen)
        assert main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DetailScreen)
        overview = str(screen.section("overview").render())
        assert "/etc/rc.conf.d/jail" in overview and "boot" in overview
        lines = overview.splitlines()
        labels = {"state", "hostname", "path", "addresses", "processes", "owner", "config",
                  "boot"}
        room = screen.section("overview").content_size.width
        for ln in lines:  # every line is a row or a continuation under the values, and fits
            assert not ln.strip() or ln[:11].isspace() or ln.split()[0] in labels, ln
            assert len(ln) <= room, (ln, room)
        first = next(i for i, ln in enumerate(lines) if ln.startswith("boot "))
        assert "(/etc/rc.conf.d/jail)" in "".join(lines[first:first + 3])


# -- issue 13 items 17 and 18: conf show / check ---------------------------------------------


def test_conf_check_and_show_read_what_the_console_reads(sim_dir: Path) -> None:
    """A jail.conf.d file that /etc/jail.conf does not include is still a
    configured jail (rc.d/jail passes it with -f): conf check counts it,
    conf show finds it, as the console does."""
    conf = sim_dir / "root/etc/jail.conf"
    conf.write_text(conf.read_text().replace('.include "/etc/jail.conf.d/*.conf";', ""))
    listed = [r for r in json.loads(jailtui("--sim", str(sim_dir), "list", "--json").stdout)
              if r["owner"] == "jail.conf"]  # not Bastille's and iocage's
    out = jailtui("--sim", str(sim_dir), "conf", "check")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(f"OK, {len(listed)} jail(s)") and len(listed) == 9
    show = jailtui("--sim", str(sim_dir), "conf", "show", "ci")
    assert show.returncode == 0 and "securelevel = 3;" in show.stdout


def test_conf_check_fails_on_a_broken_included_file(sim_dir: Path) -> None:
    (sim_dir / "root/etc/jail.conf.d/cache.conf").write_text("cache {\n  persist\n}\n")
    out = jailtui("--sim", str(sim_dir), "conf", "check")
    assert out.returncode == 1
    assert out.stderr.strip() == "jail: /etc/jail.conf.d/cache.conf line 3: }: syntax error"


def test_conf_show_json_lists_are_lists(sim_dir: Path) -> None:
    data = json.loads(jailtui("--sim", str(sim_dir), "conf", "show", "--json").stdout)["jails"]
    assert data["db"]["ip4.addr"] == ["em0|10.0.0.21/24"]              # one value: still a list
    assert data["web"]["ip4.addr"] == ["em0|10.0.0.11/24", "em0|10.0.0.12/24"]
    assert all(isinstance(j["exec.start"], list) for j in data.values())
    assert data["git"]["depend"] == ["db"]
    assert data["web"]["path"] == "/usr/local/jails/web" and data["web"]["mount.devfs"] is True


# -- item 5: an included file is checked inside its configuration -----------------------------


from jailtui.core.transport.runner import CommandResult, LinklessRunner  # noqa: E402


class RecordingRunner(LinklessRunner):
    """The simulator's runner, remembering what ran and what it said."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seen: list[tuple[list[str], bytes, bytes, int]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def run(self, argv: Sequence[str], *, timeout: float = 10.0,  # noqa: ASYNC109
                  input: bytes | None = None) -> CommandResult:
        res: CommandResult = await self.inner.run(  # type: ignore[attr-defined]
            argv, timeout=timeout, input=input)
        self.seen.append((list(argv), res.stdout, res.stderr, res.returncode))
        return res


def edit_controller(sim_dir: Path) -> tuple[object, RecordingRunner]:
    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    inner = SimRunner(sim_dir)
    runner = RecordingRunner(inner)
    host = Host(runner, backend="SIMULATED", paths=inner.paths)  # type: ignore[arg-type]
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0)), runner


def test_included_file_edit_sees_the_root_files_variables(sim_dir: Path) -> None:
    """``$domain`` is set in /etc/jail.conf and used in cache.conf: jail(8)
    reads cache.conf only through the root's .include, so that is how the
    edit is checked (our parser, then ``jail -f COPY-OF-ROOT -e``)."""
    import asyncio

    from jailtui.core.config import confedit

    standard_layout(sim_dir)
    conf = sim_dir / "root/etc/jail.conf"
    conf.write_text('$domain = "corp.example";\n' + conf.read_text())
    ctl, runner = edit_controller(sim_dir)
    session = ctl.open_config("cache")  # type: ignore[attr-defined]
    assert session.path == "/etc/jail.conf.d/cache.conf"
    block = session.block_text.replace("{\n", '{\n    host.hostname = "$name.$domain";\n', 1)
    candidate = confedit.candidate_from_block(session, block)
    result = asyncio.run(ctl.save_config(session, candidate))  # type: ignore[attr-defined]
    assert result.ok, result.message
    checks = [s for s in runner.seen if s[0][:2] == ["jail", "-f"] and "-e" in s[0]]
    assert checks, runner.seen
    argv, out, _err, code = checks[-1]
    assert code == 0 and os.path.basename(argv[2]).startswith(".jailtui-check.")
    assert "host.hostname=cache.corp.example" in out.decode()
    assert not list((sim_dir / "root/etc").glob(".jailtui-check.*"))     # copies removed
    assert not list((sim_dir / "root/etc/jail.conf.d").glob(".jailtui-check.*"))
    assert 'host.hostname = "$name.$domain";' in (
        sim_dir / "root/etc/jail.conf.d/cache.conf").read_text()
    # A variable that is nowhere: refused in jail(8)'s words, nothing saved.
    session = ctl.open_config("cache")  # type: ignore[attr-defined]
    bad = confedit.candidate_from_block(session, session.block_text.replace("$domain",
                                                                            "$nosuch"))
    with pytest.raises(confedit.ConfigCheckError) as err:
        asyncio.run(ctl.save_config(session, bad))  # type: ignore[attr-defined]
    assert err.value.message == 'jail: cache: host.hostname: variable "nosuch" not found'
    assert "$nosuch" not in (sim_dir / "root/etc/jail.conf.d/cache.conf").read_text()


def test_root_with_candidate_keeps_lines_and_names_each_file() -> None:
    from jailtui.core.config.confedit import root_with_candidate

    root = jailconf.parse('exec.clean;\n.include\n  "/etc/jail.conf.d/*.conf";\nweb { }\n')
    files = ["/etc/jail.conf.d/a.conf", "/etc/jail.conf.d/b.conf"]
    text = root_with_candidate(root, lambda pat: files, files[1], "/etc/jail.conf.d/.tmp.conf")
    assert text == ("exec.clean;\n.include /etc/jail.conf.d/a.conf, "
                    "/etc/jail.conf.d/.tmp.conf;\n\nweb { }\n")
    assert root_with_candidate(root, lambda pat: files, "/etc/other.conf", "x") is None
