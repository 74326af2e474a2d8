"""``jailtui posture`` and ``check --posture`` on the simulated host (issue 17).

Every item and every bad input through the real entry point: the demo host's
loosened jail (cache) and unpatched one (mail), then a jail root made hostile
in each way the issue names. Facts: docs/freebsd.md 13.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: How ``jt`` reaches the simulated host: "sim" (``--sim DIR``, the SimRunner) or
#: "shims" (``--host local --root DIR/root`` with the simulator's shims first on
#: PATH: the product's own path, LocalRunner and real subprocesses).
VIA = ["sim"]


@pytest.fixture(autouse=True, params=["sim", "shims"])
def via(request: pytest.FixtureRequest) -> Iterator[str]:
    VIA[0] = request.param
    yield request.param
    VIA[0] = "sim"


def target(sim: Path) -> tuple[list[str], dict[str, str]]:
    """The global options and environment that reach ``sim`` the way VIA says."""
    if VIA[0] == "sim":
        return ["--sim", str(sim)], dict(os.environ)
    from jailtui.sim.shims import write_shims

    bindir = sim.parent / "shims-bin"
    if not bindir.is_dir():
        write_shims(sim, bindir)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return ["--host", "local", "--root", str(sim / "root")], env


def jt(sim: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    where, env = target(sim)
    env["JAILTUI_CONFIG"] = str(config or sim / "no-config.toml")
    if config is None:
        env.pop("JAILTUI_CONFIG")
        env["XDG_CONFIG_HOME"] = str(sim / "xdg")
    return subprocess.run([sys.executable, "-m", "jailtui", *where, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)


def rows(sim: Path, *args: str) -> dict[str, dict[str, Any]]:
    out = jt(sim, "posture", "--json", *args)
    assert out.returncode == 0, out.stderr
    return {r["name"]: r for r in json.loads(out.stdout)}


def item(row: dict[str, Any], title: str) -> dict[str, str]:
    return next(i for i in row["items"] if i["title"] == title)


def jail_root(sim: Path, name: str) -> Path:
    return sim / "root/usr/local/jails" / name


def test_demo_host_shows_the_loosened_and_the_unpatched_jail(sim_dir: Path) -> None:
    got = rows(sim_dir)
    cache, mail, db = got["cache"], got["mail"], got["db"]
    assert cache["mark"] == "deviates"
    assert cache["loosened"] == ["allow.chflags", "allow.raw_sockets", "enforce_statfs=0"]
    assert cache["missing_flags"] == 11  # seven schg directories, four sappnd logs
    assert item(cache, "allow.raw_sockets")["verdict"] == "deviates"
    assert item(cache, "enforce_statfs")["value"] == "0"
    assert mail["mark"] == "deviates"
    assert (mail["userland"], mail["versus_kernel"]) == ("14.1-RELEASE-p3", "behind")
    assert (mail["base_vulnerable"], mail["package_vulnerable"]) == (1, 3)
    assert item(mail, "packages")["value"] == (
        "3 vulnerable: curl-8.7.1, dovecot-2.3.20_3, postfix-3.8.4,1")
    assert item(mail, "database (jail)")["verdict"] == "deviates"
    assert db["mark"] == "ok" and db["loosened"] == [] and db["missing_flags"] == 0
    assert item(db, "securelevel")["value"].startswith("-1 (jail -1, host -1")
    assert got["ci"]["securelevel"] == 3
    assert (got["git"]["pkgbase"], got["db"]["pkgbase"]) == (True, False)
    assert item(got["git"], "pkgbase")["value"] == "yes"
    # A stopped jail: what needs the kernel is unknown, never OK.
    assert got["staging"]["mark"] == "unknown"
    assert item(got["staging"], "securelevel")["verdict"] == "unknown"


def test_table_and_one_jail(sim_dir: Path) -> None:
    out = jt(sim_dir, "posture", "--wide")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].split() == ["NAME", "OWN", "USERLAND", "KERNEL", "BASE", "PKGS", "SECLVL",
                                "LOOSENED", "NOFLAGS", "MARK"]
    cache = next(ln for ln in lines if ln.startswith("cache "))
    assert "allow.chflags, allow.raw_sockets, enforce_statfs=0" in cache
    assert cache.endswith("DEVIATES")
    one = jt(sim_dir, "posture", "mail")
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("posture of jail mail: DEVIATES\n")
    assert "DEVIATES packages: 3 vulnerable" in one.stdout
    assert "DEVIATES base system: FreeBSD-14.1_3: vulnerable" in one.stdout
    missing = jt(sim_dir, "posture", "nosuch")
    assert missing.returncode == 1 and 'jail "nosuch" not found' in missing.stderr


def test_securelevel_effective_is_the_higher(sim_dir: Path) -> None:
    from jailtui.sim.commands import dispatch

    assert dispatch(sim_dir, ["sysctl", "kern.securelevel=1"])[0] == 0
    got = rows(sim_dir, "web")["web"]
    sl = item(got, "securelevel")
    assert sl["value"] == "1 (jail 1, host 1: equal)"
    assert "schg/sappnd cannot be cleared" in sl["meaning"]


def test_check_reports_deviations_only_when_asked(sim_dir: Path) -> None:
    plain = jt(sim_dir, "check")
    assert plain.returncode == 0, plain.stdout
    out = jt(sim_dir, "check", "--posture")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "WARNING: cache: allow.raw_sockets on: the baseline says it must be off" in out.stdout
    assert "WARNING: cache: flags /bin -: lacks schg" in out.stdout
    assert "WARNING: mail: packages 3 vulnerable" in out.stdout
    assert "db:" not in out.stdout


def test_baseline_from_config_and_critical(sim_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[posture]\nin_check = true\ncritical = ["packages"]\nforbid = []\n'
                   'min_enforce_statfs = 0\nflags = { "/etc/rc.conf" = "schg" }\n')
    out = jt(sim_dir, "check", config=cfg)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "CRITICAL: mail: packages 3 vulnerable" in out.stdout
    assert "allow.raw_sockets" not in out.stdout
    assert "WARNING: web: flags /etc/rc.conf -: lacks schg" in out.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[posture]\nflags = { "/bin" = "sticky" }\n')
    res = jt(sim_dir, "posture", config=bad)
    assert res.returncode == 1
    assert "[posture] flags: /bin: unknown flag 'sticky'" in res.stderr


def test_baseline_per_host(sim_dir: Path, tmp_path: Path) -> None:
    """``[posture.hosts.NAME]`` replaces keys of ``[posture]`` for that host only:
    ``local`` here (this machine, and the simulated host standing in for it)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[posture]\nin_check = true\nforbid = ["allow.chflags"]\n'
                   '[posture.hosts.local]\nforbid = ["allow.raw_sockets"]\n'
                   'critical = ["restrictions"]\n'
                   '[posture.hosts.elsewhere]\nmin_securelevel = 3\n')
    out = jt(sim_dir, "posture", "--json", config=cfg)
    assert out.returncode == 0, out.stderr
    got = {r["name"]: r for r in json.loads(out.stdout)}
    assert got["cache"]["loosened"] == ["allow.raw_sockets", "enforce_statfs=0"]
    assert got["vpn"]["loosened"] == ["allow.raw_sockets"]
    assert got["db"]["mark"] == "ok"  # elsewhere's securelevel 3 is not this host's
    check = jt(sim_dir, "check", config=cfg)
    assert "CRITICAL: cache: allow.raw_sockets on" in check.stdout, check.stdout
    assert "allow.chflags" not in check.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[posture.hosts.local]\nmin_securelevel = 7\n')
    res = jt(sim_dir, "posture", config=bad)
    assert res.returncode == 1
    assert "bad.toml:2: [posture] min_securelevel must be -1..3" in res.stderr


@pytest.mark.parametrize(("content", "reason"), [
    (b"#!/bin/sh\necho 15.0-RELEASE\n", "no USERLAND_VERSION line"),
    (b"USERLAND_VERSION=\"15.0-RELEASE\"\n", "not the expected shell script"),
    (b"\x7fELF\x02\x01\x01\0\0\0" * 10, "a binary file"),
    (b"#!/bin/sh\n" + b"#" * 70_000 + b'\nUSERLAND_VERSION="15.0-RELEASE"\n', "too large"),
    (b'#!/bin/sh\nUSERLAND_VERSION="$(reboot)"\n', "is not a FreeBSD version"),
    (b'#!/bin/sh\nUSERLAND_VERSION="15.0-RELEASE"\nUSERLAND_VERSION="13.0-RELEASE"\n',
     "several different"),
])
def test_bad_freebsd_version_is_unknown(sim_dir: Path, content: bytes, reason: str) -> None:
    (jail_root(sim_dir, "web") / "bin/freebsd-version").write_bytes(content)
    web = rows(sim_dir, "web")["web"]
    u = item(web, "userland")
    assert (u["verdict"], u["value"]) == ("unknown", "unknown")
    assert reason in u["reason"]
    assert item(web, "base system")["verdict"] == "unknown"
    assert web["mark"] != "ok"


def test_freebsd_version_symlink_is_never_followed_out_of_the_root(sim_dir: Path) -> None:
    # On the host this points at the host's own freebsd-version; inside the
    # jail (and so for jailtui) it is the jail's /etc/passwd.
    target = jail_root(sim_dir, "web") / "bin/freebsd-version"
    target.unlink()
    target.symlink_to("/../../../../etc/passwd")
    u = item(rows(sim_dir, "web")["web"], "userland")
    assert u["verdict"] == "unknown" and "not the expected shell script" in u["reason"]


def test_symlinked_directory_is_not_walked(sim_dir: Path) -> None:
    usr = jail_root(sim_dir, "web") / "usr"
    usr.rename(usr.with_name("usr.real"))
    usr.symlink_to("/")  # followed, /usr/bin would be the host's /bin
    got = rows(sim_dir, "web")["web"]
    fl = item(got, "flags /usr/bin")
    assert fl["verdict"] == "unknown" and "not followed" in fl["reason"]
    assert item(got, "flags /bin")["verdict"] == "ok"


def test_pkg_missing_and_database_bad(sim_dir: Path) -> None:
    dns = jail_root(sim_dir, "dns")
    (dns / "var/db/pkg/vuln.xml").write_text("<vuxml><vuln")
    (jail_root(sim_dir, "git") / "var/db/pkg/vuln.xml").unlink()
    (jail_root(sim_dir, "db") / "usr/local/sbin/pkg").unlink()
    got = rows(sim_dir)
    assert item(got["dns"], "packages")["reason"] == "the vulnerability database does not parse"
    assert item(got["git"], "packages")["reason"] == (
        "no vulnerability database (pkg audit -F never ran)")
    assert item(got["git"], "database (jail)")["verdict"] == "unknown"
    assert item(got["db"], "packages")["reason"] == "pkg is not installed in the jail"
    assert got["db"]["package_vulnerable"] is None


def test_host_database_missing(sim_dir: Path) -> None:
    (sim_dir / "root/var/db/pkg/vuln.xml").unlink()
    web = rows(sim_dir, "web")["web"]
    assert item(web, "database (host)")["verdict"] == "unknown"
    assert item(web, "base system")["reason"] == (
        "no vulnerability database (pkg audit -F never ran)")


def test_unreadable_root_is_unknown(sim_dir: Path) -> None:
    root = jail_root(sim_dir, "git")
    root.rename(root.with_name("git.moved"))
    git = rows(sim_dir, "git")["git"]
    assert git["mark"] != "ok"
    flags = item(git, "file flags")
    assert flags["verdict"] == "unknown" and "not readable" in flags["reason"]
    assert item(git, "userland")["verdict"] == "unknown"


#: Names a jail's root may give a log: a newline, an escape sequence, bytes
#: that are no UTF-8 (any byte but "/" and NUL is allowed in a name).
ODD_NAMES = [b"evil\nname", b"\x1b[31mred", b"\xff\xfe\x01bad"]


def test_odd_log_names_hide_no_flags(sim_dir: Path) -> None:
    """A name with a newline, control characters or invalid UTF-8 in the jail's
    /var/log: the other files keep their real flags, the odd one is shown literally."""
    logs = jail_root(sim_dir, "db") / "var/log"
    for name in ODD_NAMES:
        (Path(os.fsdecode(bytes(logs))) / os.fsdecode(name)).write_bytes(b"x\n")
    db = rows(sim_dir, "db")["db"]
    for log in ("auth.log", "maillog", "messages", "security"):
        got = item(db, f"flags /var/log/{log}")
        assert (got["verdict"], got["value"]) == ("ok", "sappnd"), got
    for name in ODD_NAMES:
        got = item(db, f"flags /var/log/{os.fsdecode(name)}")
        assert (got["verdict"], got["value"], got["reason"]) == ("deviates", "-",
                                                                 "lacks sappnd")
    assert db["missing_flags"] == 3 and not [i for i in db["items"]
                                             if i["verdict"] == "unknown"]
    text = jt(sim_dir, "posture", "db")
    assert text.returncode == 0, text.stderr
    for shown in ("flags /var/log/evil\\x0aname: -", "flags /var/log/\\x1b[31mred: -",
                  "flags /var/log/\\xff\\xfe\\x01bad: -"):
        assert shown in text.stdout
    assert "\x1b" not in text.stdout
    plan = jt(sim_dir, "flags", "db")
    assert plan.stdout.splitlines() == [
        "+sappnd /usr/local/jails/db/var/log/\\x1b[31mred (now -)",
        "+sappnd /usr/local/jails/db/var/log/evil\\x0aname (now -)",
        "+sappnd /usr/local/jails/db/var/log/\\xff\\xfe\\x01bad (now -)",
        "3 files would change; --apply sets the flags"]
    done = jt(sim_dir, "flags", "db", "--apply", "--yes")
    assert done.returncode == 0, done.stderr
    from jailtui.sim.state import Store

    with Store(sim_dir).read() as st:
        for name in ODD_NAMES:
            assert st.flags[f"/usr/local/jails/db/var/log/{os.fsdecode(name)}"] == ["sappnd"]


def test_a_log_gone_before_stat_hides_no_other_flag(sim_dir: Path) -> None:
    """The jail's newsyslog removes a log between the listing and the stat: that
    file is unknown with stat's reason, every other keeps its real flags."""
    from jailtui.sim import faults

    faults.add(sim_dir, "rotated", "/usr/local/jails/db/var/log/messages")
    db = rows(sim_dir, "db")["db"]
    gone = item(db, "flags /var/log/messages")
    assert gone["verdict"] == "unknown"
    assert "No such file or directory" in gone["reason"]
    for title in ("flags /bin", "flags /usr/lib", "flags /var/log/auth.log",
                  "flags /var/log/security"):
        assert item(db, title)["verdict"] == "ok", title
    assert not faults.load(sim_dir)  # one-shot, consumed by the stat shim
    assert db["mark"] != "ok"  # an unknown is never a false OK


# -- jailtui flags NAME [--apply] ---------------------------------------------------------


def audit_log(sim: Path) -> str | None:
    """The audit records of ``sim``'s actions; None through the shims, where the
    local host audits to syslog (core/actions/audit.py SyslogSink), not a file."""
    return (sim / "audit.log").read_text() if VIA[0] == "sim" else None


def test_flags_shows_applies_and_audits(sim_dir: Path) -> None:
    plan = jt(sim_dir, "flags", "cache")
    assert plan.returncode == 0, plan.stderr
    assert "+schg /usr/local/jails/cache/bin (now -)" in plan.stdout
    assert plan.stdout.endswith("11 files would change; --apply sets the flags\n")
    shown = [ln.split()[1] for ln in plan.stdout.splitlines() if ln.startswith("+")]
    unconfirmed = subprocess.run(
        [sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "flags", "cache", "--apply"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert unconfirmed.returncode == 1 and "confirm with --yes" in unconfirmed.stderr
    done = jt(sim_dir, "flags", "cache", "--apply", "--yes")
    assert done.returncode == 0, done.stderr
    assert "cache: flags set on 11 files" in done.stdout
    # Exactly what was shown changed: each of those files has its flag now.
    from jailtui.sim.state import Store

    with Store(sim_dir).read() as st:
        changed = {p for p, names in st.flags.items() if p.startswith("/usr/local/jails/cache/")}
        assert changed == set(shown)
    assert jt(sim_dir, "flags", "cache").stdout == "cache: the flags meet the baseline\n"
    audit = audit_log(sim_dir)
    assert audit is None or ("action=flags jail=cache" in audit and "result=ok" in audit)
    assert item(rows(sim_dir, "cache")["cache"], "flags /bin")["verdict"] == "ok"


def test_flags_refused_when_the_securelevel_forbids(sim_dir: Path, tmp_path: Path) -> None:
    from jailtui.sim.commands import dispatch

    cfg = tmp_path / "config.toml"
    cfg.write_text('[posture]\nflags = { "/bin" = "schg,sunlnk" }\n')
    assert dispatch(sim_dir, ["sysctl", "kern.securelevel=1"])[0] == 0
    res = jt(sim_dir, "flags", "web", "--apply", "--yes", config=cfg)
    assert res.returncode == 1
    assert "flags: refused — the host runs at securelevel 1: /usr/local/jails/web/bin carry " \
           "schg/sappnd/sunlnk" in res.stderr
    audit = audit_log(sim_dir)
    assert audit is None or "denied: the host runs at securelevel 1" in audit
    from jailtui.sim.state import Store

    with Store(sim_dir).read() as st:
        assert st.flags["/usr/local/jails/web/bin"] == ["schg"]


def test_flags_refused_when_the_root_changed(sim_dir: Path) -> None:
    """A path that became a symlink between reading and applying is never chflagged."""
    from jailtui.core.posture.apply import recheck
    from jailtui.core.posture.model import FlagChange

    root = jail_root(sim_dir, "cache")
    (root / "usr").rename(root / "usr.real")
    (root / "usr").symlink_to("/")
    problems = recheck(str(root), "/usr/local/jails/cache",
                       [FlagChange("/usr/local/jails/cache/usr/bin", (), ("schg",)),
                        FlagChange("/usr/local/jails/cache/bin", (), ("schg",))])
    assert len(problems) == 1 and "usr/bin" in problems[0] and "not followed" in problems[0]


def test_flags_never_for_a_delegate() -> None:
    from jailtui.core.actions.policy import Action, Policy, Role, policy_refusal

    delegate = Policy(Role.DELEGATE, "bob", 1001, scope=frozenset({"web"}),
                      actions=frozenset(Action))
    assert not delegate.permits(Action.FLAGS, "web") and not delegate.may(Action.FLAGS)
    assert policy_refusal(delegate, Action.FLAGS, "web") == (
        "flags is not permitted for bob (delegate of web)")
    assert Policy(Role.HOST_ADMIN, "root", 0).permits(Action.FLAGS, "web")
