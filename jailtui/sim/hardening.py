"""What the security posture reads on the simulated host, written by the builder.

Each jail root (and the host's own /) gets:

- ``bin/freebsd-version``: a shell script of freebsd-version(1)'s shape, with the
  ``USERLAND_VERSION="15.0-RELEASE-p2"`` assignment the real one carries
  (bin/freebsd-version/freebsd-version.sh.in); the body is the simulator's own
  short version of it;
- ``usr/local/sbin/pkg`` (a stand-in: pkg(8) is installed), ``var/db/pkg/local.sqlite``
  (table ``packages``, the real file format) and ``var/db/pkg/vuln.xml`` (the
  made-up VuXML database, :data:`DEMO_VULNXML`, its age set through the file's mtime);
- log files in ``var/log`` and the file flags a hardened jail carries: ``schg`` on the
  base system directories, ``sappnd`` on the logs (security(7)).

On the demo host one jail is deliberately loosened (:data:`LOOSENED`: raw sockets,
``enforce_statfs=0``, ``allow.chflags``, no flags) and one unpatched
(:data:`UNPATCHED`: an old userland, vulnerable packages, a stale database).
"""

from __future__ import annotations

import os
import sqlite3

from jailtui.sim.pkg import LOCAL_DB, PKG_BINARY, VULNXML
from jailtui.sim.state import State

#: Base system directories a hardened root carries ``schg`` on (docs/freebsd.md 13.2).
SCHG_DIRS = ("bin", "sbin", "lib", "libexec", "usr/bin", "usr/sbin", "usr/lib")
#: Log files every jail root gets (``sappnd`` on a hardened one).
LOGS = ("messages", "auth.log", "security", "maillog")

LOOSENED = "cache"
UNPATCHED = "mail"
#: The demo jail whose base system is installed from packages (pkgbase).
PKGBASE = "git"
#: Extra jail parameters of the loosened jail (jail.conf and the kernel).
LOOSENED_PARAMS: dict[str, object] = {"allow.raw_sockets": True, "allow.chflags": True,
                                      "enforce_statfs": 0}

#: The patch level the demo's up-to-date roots run; the unpatched one runs 14.1-p3.
CURRENT_PATCH = 2
OLD_USERLAND = "14.1-RELEASE-p3"

#: Packages per rc.d service a role runs (name, version, origin).
PACKAGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "nginx": (("nginx", "1.26.2_1,3", "www/nginx"),),
    "postgresql": (("postgresql16-server", "16.4", "databases/postgresql16-server"),
                   ("postgresql16-client", "16.4", "databases/postgresql16-client")),
    "postfix": (("postfix", "3.9.0_1,1", "mail/postfix"),),
    "dovecot": (("dovecot", "2.3.21.1_2", "mail/dovecot"),),
    "unbound": (("unbound", "1.21.1", "dns/unbound"),),
    "openvpn": (("openvpn", "2.6.12", "security/openvpn"),),
    "gitea": (("gitea", "1.22.3", "www/gitea"), ("git", "2.47.0", "devel/git")),
    "redis": (("redis", "7.4.1", "databases/redis"),),
    "memcached": (("memcached", "1.6.32", "databases/memcached"),),
    "gitlab_runner": (("gitlab-runner", "17.5.2", "devel/gitlab-runner"),),
}
#: What every root has besides its services' packages.
COMMON = (("pkg", "1.21.3", "ports-mgmt/pkg"), ("curl", "8.10.1", "ftp/curl"),
          ("ca_root_nss", "3.104", "security/ca_root_nss"))
#: The unpatched jail's older versions (the made-up database lists them).
OLD_VERSIONS = {"postfix": "3.8.4,1", "dovecot": "2.3.20_3", "curl": "8.7.1"}

#: The made-up VuXML database the simulator ships (vids and CVEs are fictitious).
DEMO_VULNXML = """\
<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE vuxml PUBLIC "-//vuxml.org//DTD VuXML 1.2//EN"
  "http://www.vuxml.org/dtd/vuxml-1/vuxml-12.dtd">
<!-- A made-up database for jailtui's simulated host: not real advisories. -->
<vuxml xmlns="http://www.vuxml.org/apps/vuxml-1">
  <vuln vid="0badc0de-0001-11ef-9e7a-00163e000001">
    <topic>FreeBSD -- made-up libc overflow (simulated advisory)</topic>
    <affects>
      <package>
        <name>FreeBSD</name>
        <range><ge>14.1</ge><lt>14.1_6</lt></range>
        <range><ge>14.3</ge><lt>14.3_2</lt></range>
        <range><ge>15.0</ge><lt>15.0_2</lt></range>
      </package>
    </affects>
    <description><body xmlns="http://www.w3.org/1999/xhtml"><p>Simulated.</p></body></description>
    <references><cvename>CVE-2026-90001</cvename></references>
    <dates><discovery>2026-09-01</discovery><entry>2026-09-10</entry></dates>
  </vuln>
  <vuln vid="0badc0de-0002-11ef-9e7a-00163e000002">
    <topic>FreeBSD -- made-up kernel race in jail_attach (simulated advisory)</topic>
    <affects>
      <package>
        <name>FreeBSD-kernel</name>
        <range><ge>14.1</ge><lt>14.1_6</lt></range>
      </package>
    </affects>
    <description><body xmlns="http://www.w3.org/1999/xhtml"><p>Simulated.</p></body></description>
    <references><cvename>CVE-2026-90002</cvename></references>
    <dates><discovery>2026-09-01</discovery><entry>2026-09-10</entry></dates>
  </vuln>
  <vuln vid="0badc0de-0003-11ef-9e7a-00163e000003">
    <topic>postfix -- made-up SMTP smuggling variant (simulated advisory)</topic>
    <affects>
      <package>
        <name>postfix</name>
        <range><lt>3.8.6,1</lt></range>
      </package>
    </affects>
    <description><body xmlns="http://www.w3.org/1999/xhtml"><p>Simulated.</p></body></description>
    <references><cvename>CVE-2026-90003</cvename></references>
    <dates><discovery>2026-08-01</discovery><entry>2026-08-02</entry></dates>
  </vuln>
  <vuln vid="0badc0de-0004-11ef-9e7a-00163e000004">
    <topic>dovecot -- made-up IMAP parser crash (simulated advisory)</topic>
    <affects>
      <package>
        <name>dovecot</name>
        <range><lt>2.3.21.1</lt></range>
      </package>
    </affects>
    <description><body xmlns="http://www.w3.org/1999/xhtml"><p>Simulated.</p></body></description>
    <references><cvename>CVE-2026-90004</cvename></references>
    <dates><discovery>2026-08-01</discovery><entry>2026-08-02</entry></dates>
  </vuln>
  <vuln vid="0badc0de-0005-11ef-9e7a-00163e000005">
    <topic>curl -- made-up SOCKS5 overflow (simulated advisory)</topic>
    <affects>
      <package>
        <name>curl</name>
        <range><lt>8.9.0</lt></range>
      </package>
    </affects>
    <description><body xmlns="http://www.w3.org/1999/xhtml"><p>Simulated.</p></body></description>
    <references><cvename>CVE-2026-90005</cvename><cvename>CVE-2026-90006</cvename></references>
    <dates><discovery>2026-07-01</discovery><entry>2026-07-03</entry></dates>
  </vuln>
</vuxml>
"""


def freebsd_version_script(userland: str) -> str:
    """A freebsd-version(1) of the real one's shape: ``USERLAND_VERSION="..."``."""
    return (
        "#!/bin/sh\n"
        "#\n"
        "# freebsd-version: print the version of the installed userland\n"
        "# (the simulated host's stand-in for bin/freebsd-version/freebsd-version.sh.in).\n"
        "#\n\n"
        "set -ef\n\n"
        f'USERLAND_VERSION="{userland}"\n\n'
        ": ${ROOT:=}\n"
        "progname=${0##*/}\n\n"
        "userland_version() {\n\techo $USERLAND_VERSION\n}\n\n"
        "running_version() {\n\tsysctl -n kern.osrelease\n}\n\n"
        "usage() {\n\techo \"usage: $progname [-kru] [-j jail]\" >&2\n\texit 1\n}\n\n"
        "main() {\n"
        "\tlocal OPTIND=1 option\n"
        "\twhile getopts \"kruj:\" option ; do\n"
        "\t\tcase $option in\n"
        "\t\tr) running_version ;;\n"
        "\t\tu|k) userland_version ;;\n"
        "\t\t*) usage ;;\n"
        "\t\tesac\n"
        "\tdone\n"
        "\t[ $OPTIND -gt 1 ] || userland_version\n"
        "}\n\n"
        "main \"$@\"\n"
    )


def current_userland(osrelease: str) -> str:
    """``15.0-RELEASE`` -> ``15.0-RELEASE-p2``: the demo's patched userland."""
    return f"{osrelease}-p{CURRENT_PATCH}"


def _write(path: str, data: bytes, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def write_pkgdb(real_root: str, packages: list[tuple[str, str, str]]) -> None:
    """PKG_DBDIR/local.sqlite with the ``packages`` table pkg(8) keeps."""
    path = os.path.join(real_root, LOCAL_DB.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE packages (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, "
                    "name TEXT NOT NULL, version TEXT NOT NULL, comment TEXT, "
                    "automatic INTEGER NOT NULL DEFAULT 0)")
        con.executemany("INSERT INTO packages (origin, name, version, comment) "
                        "VALUES (?, ?, ?, '')", [(o, n, v) for n, v, o in packages])
        con.commit()
    finally:
        con.close()


def write_root(state: State, real_root: str, host_root: str, *, userland: str,
               services: tuple[str, ...], now: float, hardened: bool,
               old_packages: bool = False, db_age_days: float = 0.25,
               pkgbase: bool = False) -> None:
    """Everything the posture reads in one root (see the module docstring)."""
    _write(os.path.join(real_root, "bin/freebsd-version"),
           freebsd_version_script(userland).encode(), 0o555)
    _write(os.path.join(real_root, PKG_BINARY.lstrip("/")),
           b"#!/bin/sh\n# pkg(8) stand-in: the simulator answers pkg.\nexit 1\n", 0o555)
    pkgs = list(COMMON) + [p for s in services for p in PACKAGES.get(s, ())]
    if old_packages:
        pkgs = [(n, OLD_VERSIONS.get(n, v), o) for n, v, o in pkgs]
    if pkgbase:
        # pkgbase names the base system's packages FreeBSD-* with the release and
        # patch level as version (15.0p2).
        base_version = userland.replace("-RELEASE-p", "p").removesuffix("-RELEASE")
        pkgs += [(f"FreeBSD-{n}", base_version, f"base/FreeBSD-{n}")
                 for n in ("runtime", "utilities", "rc", "libexecinfo")]
    write_pkgdb(real_root, pkgs)
    vuln = os.path.join(real_root, VULNXML.lstrip("/"))
    _write(vuln, DEMO_VULNXML.encode())
    when = now - db_age_days * 86_400
    os.utime(vuln, (when, when))
    base = host_root.rstrip("/")
    for log in LOGS:
        path = os.path.join(real_root, "var/log", log)
        if not os.path.exists(path):
            _write(path, b"")
        if hardened:
            state.flags[f"{base}/var/log/{log}"] = ["sappnd"]
    for d in SCHG_DIRS:
        os.makedirs(os.path.join(real_root, d), exist_ok=True)
        if hardened:
            state.flags[f"{base}/{d}"] = ["schg"]
