"""Where configured jails come from (docs/freebsd.md 8): lookup, boot status, cache."""

from __future__ import annotations

import errno
import fnmatch
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jailtui.core.hosts.confsource import ConfSource, configured_jails


class Host:
    """A fake host file system with counters, for read/glob/exists/stat."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = dict(files)
        self.mtime: dict[str, int] = dict.fromkeys(files, 1)
        self.reads: list[str] = []

    def write(self, path: str, text: str) -> None:
        self.files[path] = text
        self.mtime[path] = self.mtime.get(path, 0) + 1

    def read(self, path: str) -> str:
        self.reads.append(path)
        if path not in self.files:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return self.files[path]

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern)
                      and p.count("/") == pattern.count("/"))

    def exists(self, path: str) -> bool:
        return path in self.files

    def stat(self, path: str) -> SimpleNamespace:
        if path not in self.files:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return SimpleNamespace(st_mtime_ns=self.mtime[path], st_size=len(self.files[path]))

    def source(self, rc_conf: str = "/etc/rc.conf") -> ConfSource:
        return ConfSource(self.read, self.glob, self.exists, self.stat, rc_conf=rc_conf)


JAIL_CONF = """\
path = "/usr/local/jails/$name";
exec.start = "/bin/sh /etc/rc";
web { ip4.addr = 10.0.0.11; }
db { ip4.addr = 10.0.0.12; }
"""


def test_all_jails_enabled_with_empty_jail_list() -> None:
    h = Host({"/etc/rc.conf": "jail_enable=YES\n", "/etc/jail.conf": JAIL_CONF})
    r = h.source().load()
    assert list(r.jails) == ["web", "db"]
    web = r.jails["web"]
    assert web.params["path"] == "/usr/local/jails/web"
    assert (web.file, web.conf, web.enabled) == ("/etc/jail.conf", "/etc/jail.conf", True)
    assert r.jail_enable is True and r.enabled_list == [] and r.errors == []
    assert r.files == ["/etc/jail.conf"]


def test_jail_list_selects() -> None:
    h = Host({"/etc/rc.conf": 'jail_enable="YES"\njail_list="db"\n', "/etc/jail.conf": JAIL_CONF})
    r = h.source().load()
    assert (r.jails["web"].enabled, r.jails["db"].enabled) == (False, True)
    assert r.enabled_list == ["db"]


def test_jail_enable_off() -> None:
    h = Host({"/etc/rc.conf": 'jail_list="db"\n', "/etc/jail.conf": JAIL_CONF})
    r = h.source().load()
    assert not any(j.enabled for j in r.jails.values()) and r.jail_enable is False


def test_nothing_configured() -> None:
    r = configured_jails(Host({}).read, Host({}).glob, Host({}).exists)
    assert (r.jails, r.errors, r.enabled_list, r.jail_enable) == ({}, [], [], False)


def test_jail_conf_d_files_are_read() -> None:
    h = Host({"/etc/rc.conf": "jail_enable=YES\njail_list='web mail'\n",
              "/etc/jail.conf": JAIL_CONF,
              "/etc/jail.conf.d/mail.conf": "mail { path = /j/mail; persist; }\n"})
    r = h.source().load()
    assert list(r.jails) == ["web", "db", "mail"]
    mail = r.jails["mail"]
    # Loaded on its own (jail -f /etc/jail.conf.d/mail.conf): no globals.
    assert mail.params == {"name": "mail", "path": "/j/mail", "persist": True}
    assert (mail.file, mail.conf, mail.enabled) == (
        "/etc/jail.conf.d/mail.conf", "/etc/jail.conf.d/mail.conf", True)


def test_jail_conf_d_not_used_when_included() -> None:
    main = JAIL_CONF + '.include "/etc/jail.conf.d/*.conf";\n'
    h = Host({"/etc/rc.conf": "jail_enable=YES\n", "/etc/jail.conf": main,
              "/etc/jail.conf.d/mail.conf": "mail { persist; }\n"})
    r = h.source().load()
    mail = r.jails["mail"]
    assert mail.params["path"] == "/usr/local/jails/mail"      # globals of jail.conf apply
    assert (mail.file, mail.conf, mail.enabled) == (
        "/etc/jail.conf.d/mail.conf", "/etc/jail.conf", True)
    assert r.files == ["/etc/jail.conf", "/etc/jail.conf.d/mail.conf"]
    # The file is not read a second time on its own.
    assert h.reads.count("/etc/jail.conf.d/mail.conf") == 1


def test_empty_jail_list_boots_only_jail_conf_jails() -> None:
    h = Host({"/etc/rc.conf": "jail_enable=YES\n", "/etc/jail.conf": JAIL_CONF,
              "/etc/jail.conf.d/mail.conf": "mail { persist; }\n"})
    r = h.source().load()
    assert r.jails["web"].enabled and not r.jails["mail"].enabled


def test_per_jail_file_wins_over_jail_conf() -> None:
    h = Host({"/etc/rc.conf": "jail_enable=YES\njail_list=web\n", "/etc/jail.conf": JAIL_CONF,
              "/etc/jail.web.conf": "web { path = /elsewhere; }\n"})
    r = h.source().load()
    assert r.jails["web"].params == {"name": "web", "path": "/elsewhere"}
    assert r.jails["web"].conf == "/etc/jail.web.conf"
    assert r.jails["db"].conf == "/etc/jail.conf"


def test_rc_conf_jail_conf_and_per_jail_conf_variables() -> None:
    h = Host({"/etc/rc.conf": 'jail_conf="/usr/local/etc/jail.conf"\n'
                              'jail_list="web"\njail_web_conf="/srv/web.conf"\n',
              "/usr/local/etc/jail.conf": "db { }\n",
              "/srv/web.conf": "web { persist; }\n",
              "/etc/jail.conf": "ignored { }\n"})
    r = h.source().load()
    assert sorted(r.jails) == ["db", "web"]
    assert r.jails["web"].conf == "/srv/web.conf"
    assert r.jails["db"].conf == "/usr/local/etc/jail.conf"


def test_a_broken_file_is_an_error_and_others_load() -> None:
    h = Host({"/etc/jail.conf": "web {\n persist;\n}\n}\n",
              "/etc/jail.conf.d/mail.conf": "mail { }\n",
              "/etc/jail.db.conf": "db { path = \"$nope\"; }\n"})
    r = h.source().load()
    assert r.errors == ["/etc/jail.conf line 4: }: syntax error",
                        'db: path: variable "nope" not found']
    assert sorted(r.jails) == ["db", "mail"]


def test_unreadable_rc_conf_is_an_error() -> None:
    h = Host({"/etc/rc.conf": "x=1\n", "/etc/jail.conf": JAIL_CONF})

    def read(path: str) -> str:
        if path == "/etc/rc.conf":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return h.read(path)
    r = ConfSource(read, h.glob, h.exists).load()
    assert r.errors == ["/etc/rc.conf: Permission denied"] and list(r.jails) == ["web", "db"]


def test_cache_reads_nothing_when_unchanged() -> None:
    h = Host({"/etc/rc.conf": "jail_enable=YES\n",
              "/etc/jail.conf": JAIL_CONF + '.include "/etc/jail.conf.d/*.conf";\n',
              "/etc/jail.conf.d/a.conf": "a { }\n"})
    src = h.source()
    first = src.load()
    n = len(h.reads)
    assert src.load() is first
    assert len(h.reads) == n
    # A changed file is re-read; the others are not.
    h.write("/etc/jail.conf.d/a.conf", "a { persist; }\n")
    second = src.load()
    assert second is not first and second.jails["a"].params["persist"] is True
    # A new file matching an include glob is noticed.
    h.write("/etc/jail.conf.d/b.conf", "b { }\n")
    assert "b" in src.load().jails
    # rc.conf changes are noticed.
    h.write("/etc/rc.conf", "jail_enable=NO\n")
    assert src.load().jail_enable is False


def test_no_stat_means_no_cache() -> None:
    h = Host({"/etc/jail.conf": JAIL_CONF})
    src = ConfSource(h.read, h.glob, h.exists)
    src.load()
    n = len(h.reads)
    src.load()
    assert len(h.reads) > n


def test_real_files_with_os_functions(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    (etc / "jail.conf.d").mkdir(parents=True)
    (etc / "jail.conf").write_text(JAIL_CONF)
    (etc / "rc.conf").write_text("jail_enable=YES\n")

    def host(p: str) -> str:
        return str(tmp_path) + p

    src = ConfSource(lambda p: Path(host(p)).read_text(),
                     lambda pat: sorted(str(x)[len(str(tmp_path)):] for x in tmp_path.glob(pat[1:])),
                     lambda p: os.path.exists(host(p)),
                     lambda p: os.stat(host(p)))
    r = src.load()
    assert list(r.jails) == ["web", "db"] and src.load() is r


def test_a_cached_load_works_out_no_jail_names(monkeypatch: Any) -> None:
    """The jail_NAME_conf files of the jail_list are worked out once per reading
    of rc.conf (issue 18: 200 names through _jv every poll), and still follow a
    file that appears later, and a changed rc.conf."""
    from jailtui.core.hosts import confsource

    h = Host({"/etc/rc.conf": 'jail_enable=YES\njail_list="web db"\n'
                              'jail_web_conf="/srv/web.conf"\n',
              "/etc/jail.conf": JAIL_CONF})
    src = h.source()
    assert src.load().jails["web"].conf == "/etc/jail.conf"
    calls: list[str] = []
    real = confsource._jv

    def counting(name: str) -> str:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(confsource, "_jv", counting)
    src.load()
    assert calls == []
    h.write("/srv/web.conf", "web { persist; }\n")  # named before, exists now
    assert src.load().jails["web"].conf == "/srv/web.conf"
    h.write("/etc/rc.conf", 'jail_enable=YES\njail_list="web db"\njail_db_conf="/srv/db.conf"\n')
    h.write("/srv/db.conf", "db { persist; }\n")
    r = src.load()
    assert r.jails["db"].conf == "/srv/db.conf" and r.jails["web"].conf == "/etc/jail.conf"


def _lookup_host(tmp_path: Path) -> Path:
    """A host whose lookup meets a dangling symlink, a directory, a symlinked
    file and files in jail.conf.d (docs/freebsd.md 8.2)."""
    root = tmp_path / "root"
    etc = root / "etc"
    (etc / "jail.conf.d").mkdir(parents=True)
    (etc / "jail.conf").write_text(
        'path = "/j/$name";\nweb { }\ndb { }\napp { }\nbox { }\nsrv { }\nmx { }\n')
    (etc / "rc.conf").write_text('jail_enable=YES\njail_list="mx app"\njail_mx_conf="/srv/mx.conf"\n')
    (etc / "jail.web.conf").symlink_to(root / "nowhere.conf")  # listed, does not exist
    (etc / "jail.db.conf").mkdir()                               # exists, a directory
    (etc / "jail.conf.d" / "app.conf").write_text("app { persist; }\n")
    (root / "box.conf").write_text("box { persist; }\n")
    (etc / "jail.conf.d" / "box.conf").symlink_to(root / "box.conf")
    (root / "srv").mkdir()
    (root / "srv" / "mx.conf").write_text("mx { persist; }\n")
    return root


def _local_host(root: Path) -> Any:
    from jailtui.core.hosts.host import Host
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.core.transport.runner import LocalRunner

    return Host(LocalRunner(), backend="FreeBSD", paths=PathMap(root=str(root)))


def _by_name(host: Any, counted: list[str], *, names: bool) -> Any:
    def exists(p: str) -> bool:
        counted.append(p)
        return bool(host.files.stat(p) is not None)

    return ConfSource(host.files.read_text, host.files.glob, exists, host._stat_obj,
                      names=host._names_in if names else None).load()


def test_the_lookup_lists_etc_once_instead_of_a_stat_per_name(tmp_path: Path) -> None:
    """One listing of /etc and /etc/jail.conf.d a load (issue 18) finds the
    file rc.d/jail would pass for each name as the stat per name did: a
    dangling symlink is listed but does not exist, a directory exists, a
    symlink to a file exists, a jail_NAME_conf file is still asked."""
    host = _local_host(_lookup_host(tmp_path))
    each: list[str] = []
    listed: list[str] = []
    before = _by_name(host, each, names=False)
    after = _by_name(host, listed, names=True)
    assert after == before
    assert {n: j.conf for n, j in after.jails.items()} == {
        "web": "/etc/jail.conf", "db": "/etc/jail.conf", "app": "/etc/jail.conf.d/app.conf",
        "box": "/etc/jail.conf.d/box.conf", "srv": "/etc/jail.conf", "mx": "/srv/mx.conf"}
    # Only what is there is asked: web's dangling link, db's directory, the
    # two jail.conf.d files, mx's named file (and /etc/jail.conf).
    assert "/etc/jail.srv.conf" in each and "/etc/jail.srv.conf" not in listed
    assert "/etc/jail.web.conf" in listed and "/etc/jail.db.conf" in listed
    assert len(listed) < len(each) - 6
    assert host.configured() == before


def test_an_unlistable_directory_is_asked_name_by_name(tmp_path: Path, monkeypatch: Any) -> None:
    host = _local_host(_lookup_host(tmp_path))
    assert host._names_in("/etc/none") == frozenset()
    assert host._names_in("/etc/jail.conf") == frozenset()  # a file: nothing in it
    real = os.scandir

    def refused(path: Any) -> Any:
        # /etc searchable but not readable (a non-root reader): no listing,
        # glob's included; a stat of a file in it still answers.
        if str(path).endswith("/etc"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real(path)

    monkeypatch.setattr(os, "scandir", refused)
    assert host._names_in("/etc") is None
    each: list[str] = []
    listed: list[str] = []
    assert _by_name(host, listed, names=True) == _by_name(host, each, names=False)
    in_etc = {p for p in each if p.count("/") == 2}
    assert "/etc/jail.srv.conf" in in_etc and in_etc <= set(listed)  # every /etc name asked
