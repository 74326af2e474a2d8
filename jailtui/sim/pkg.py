"""pkg(8) ``audit`` on the simulated host (and in its jails, through jexec).

``pkg audit [-Fqr] [-f file] [name-version ...]`` checks the installed
packages (or the names given) against the VuXML database
``PKG_DBDIR/vuln.xml`` (PKG_DBDIR is /var/db/pkg), as freebsd/pkg's
src/audit.c does: a missing database is ``pkg: vulnxml file
/var/db/pkg/vuln.xml does not exist. Try running 'pkg audit -F' first`` and
exit 1; one that does not parse is ``pkg: cannot process vulnxml``, exit 1;
each vulnerable package is printed (``-q``: its ``name-version`` alone);
without ``-q`` a ``N problem(s) in M installed package(s) found.`` line
ends the output; the exit code is 1 when anything is vulnerable. With no
package database (no local.sqlite) there is nothing to audit: exit 0.

The installed packages are in PKG_DBDIR/local.sqlite, table ``packages``
(name, version, origin), which the builder writes with the real sqlite
format. ``-F`` (fetch) is refused: the simulated host has no network. The
database the simulator ships is made up for the demo (``vuxml_demo``);
its vids and CVE numbers are fictitious (docs/freebsd.md 13.4).
"""

from __future__ import annotations

import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

PKG_DBDIR = "/var/db/pkg"
VULNXML = f"{PKG_DBDIR}/vuln.xml"
LOCAL_DB = f"{PKG_DBDIR}/local.sqlite"
#: Where pkg(8) itself lives; a root without it has no pkg (jexec: not found).
PKG_BINARY = "/usr/local/sbin/pkg"
NS = "{http://www.vuxml.org/apps/vuxml-1}"

AUDIT_USAGE = ("Usage: pkg audit [-Fqr] [-f file] <pattern>\n\n"
               "For more information see 'pkg help audit'.\n")


@dataclass(frozen=True, slots=True)
class Vuln:
    vid: str
    topic: str
    name: str
    #: Each range is a list of (op, version): all must hold.
    ranges: tuple[tuple[tuple[str, str], ...], ...]
    cves: tuple[str, ...]


# -- versions (pkg's pkg_version_cmp, simplified) --------------------------------

_PART = re.compile(r"\d+|[A-Za-z]+")


def _split(version: str) -> tuple[int, list[str], int]:
    epoch = 0
    if "," in version:
        version, _, e = version.rpartition(",")
        epoch = int(e) if e.isdigit() else 0
    revision = 0
    if "_" in version:
        version, _, r = version.rpartition("_")
        revision = int(r) if r.isdigit() else 0
    return epoch, _PART.findall(version), revision


def _key(part: str) -> tuple[int, int, str]:
    # A number sorts above letters ("1.0a" < "1.0.1"; pkg treats "alpha" etc. as pre-release).
    return (1, int(part), "") if part.isdigit() else (0, 0, part.lower())


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like pkg_version_cmp: epoch, then the version parts, then
    the port revision (``_N``)."""
    ea, pa, ra = _split(a)
    eb, pb, rb = _split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    for i in range(max(len(pa), len(pb))):
        ka = _key(pa[i]) if i < len(pa) else (1, 0, "")
        kb = _key(pb[i]) if i < len(pb) else (1, 0, "")
        if ka != kb:
            return -1 if ka < kb else 1
    if ra != rb:
        return -1 if ra < rb else 1
    return 0


_OPS = {"lt": lambda c: c < 0, "le": lambda c: c <= 0, "gt": lambda c: c > 0,
        "ge": lambda c: c >= 0, "eq": lambda c: c == 0}


def load_vulns(data: bytes) -> list[Vuln]:
    """The <vuln> entries of a VuXML document; raises ValueError if it does not parse."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(str(exc)) from None
    if root.tag != f"{NS}vuxml":
        raise ValueError("not a VuXML document")
    out: list[Vuln] = []
    for v in root.findall(f"{NS}vuln"):
        topic = (v.findtext(f"{NS}topic") or "").strip()
        cves = tuple((c.text or "").strip() for c in v.iter(f"{NS}cvename"))
        for pkg in v.iter(f"{NS}package"):
            ranges = tuple(tuple((child.tag.removeprefix(NS), (child.text or "").strip())
                                 for child in r)
                           for r in pkg.findall(f"{NS}range"))
            for name in pkg.findall(f"{NS}name"):
                out.append(Vuln(v.get("vid", ""), topic, (name.text or "").strip(), ranges,
                                cves))
    return out


def affected(v: Vuln, name: str, version: str) -> bool:
    if v.name != name:
        return False
    for r in v.ranges:
        if r and all(op in _OPS and _OPS[op](compare(version, bound)) for op, bound in r):
            return True
    return False


def installed(real_db: str) -> list[tuple[str, str]] | None:
    """(name, version) of every package in local.sqlite, or None without one."""
    if not os.path.isfile(real_db):
        return None
    con = sqlite3.connect(f"file:{real_db}?mode=ro", uri=True)
    try:
        return [(str(n), str(v)) for n, v in
                con.execute("SELECT name, version FROM packages ORDER BY name")]
    finally:
        con.close()


def run(ctx: Ctx, args: list[str]) -> int:
    if not os.path.isfile(ctx.paths.real(_root(ctx) + PKG_BINARY)):
        ctx.write_err("pkg: not found\n")  # sh(1)'s words: no pkg in this root
        return 127
    if args[:1] == ["-N"]:
        return _bootstrapped(ctx)
    if not args:
        ctx.write_err("Usage: pkg [-v] [-d] [-l] [-N] [-j <jail name or id>|-c <chroot path>|"
                      "-r <rootdir>] [-C <configuration file>] [-R <repo config dir>] "
                      "[-o var=value] [-4|-6] <command> [<args>]\n")
        return 1
    if args[0] == "info":
        return _info(ctx, args[1:])
    if args[0] != "audit":
        ctx.write_err(f"pkg: unknown command: {args[0]}\n")
        return 1
    return _audit(ctx, args[1:])


def _info(ctx: Ctx, args: list[str]) -> int:
    """``pkg info [-q] -e NAME``: exit 0 if NAME is installed, 1 if not, nothing printed
    (pkg-info(8)); ``pkg info``: every package, ``name-version`` and its comment."""
    try:
        opts, names = getopt(args, "eq")
    except GetoptError:
        ctx.write_err("Usage: pkg info <pkg-name>\n")
        return 1
    pkgs = installed(ctx.paths.real(_root(ctx) + LOCAL_DB)) or []
    if any(ch == "e" for ch, _ in opts):
        have = {n for n, _ in pkgs}
        return 0 if names and all(n in have for n in names) else 1
    for name, version in pkgs:
        ctx.write(f"{name}-{version}\n")
    return 0


def _root(ctx: Ctx) -> str:
    if ctx.jail is None:
        return ""
    with Store(ctx.simdir).read() as st:
        me = st.jail_by_name(ctx.jail)
        return me.path.rstrip("/") if me is not None else ""


def _bootstrapped(ctx: Ctx) -> int:
    pkgs = installed(ctx.paths.real(_root(ctx) + LOCAL_DB))
    if not pkgs:
        ctx.write_err("pkg: pkg is not installed\n")
        return 1
    ctx.write(f"pkg: {len(pkgs)} packages installed\n")
    return 0


def _audit(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, names = getopt(args, "Ff:qr")
    except GetoptError:
        ctx.write_err(AUDIT_USAGE)
        return 1
    quiet = any(ch == "q" for ch, _ in opts)
    if any(ch == "F" for ch, _ in opts):
        ctx.write_err("pkg: cannot fetch vuln.xml: the simulated host has no network\n")
        return 1
    root = _root(ctx)
    vulnxml = next((v for ch, v in opts if ch == "f"), VULNXML)
    real = ctx.paths.real(root + vulnxml if vulnxml.startswith("/") else
                          root + "/" + vulnxml)
    try:
        with open(real, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        ctx.write_err(f"pkg: vulnxml file {vulnxml} does not exist. "
                      "Try running 'pkg audit -F' first\n")
        return 1
    except OSError as exc:
        ctx.write_err(f"pkg: unable to open vulnxml file {vulnxml}: "
                      f"{os.strerror(exc.errno or 5)}\n")
        return 1
    try:
        vulns = load_vulns(data)
    except ValueError:
        ctx.write_err("pkg: cannot process vulnxml\n")
        return 1
    if names:
        todo = [(n.rpartition("-")[0], n.rpartition("-")[2]) if "-" in n else (n, "")
                for n in names]
    else:
        got = installed(ctx.paths.real(root + LOCAL_DB))
        if got is None:
            return 0
        todo = got
    problems = packages = 0
    for name, version in todo:
        hits = [v for v in vulns if affected(v, name, version)]
        if not hits:
            continue
        packages += 1
        problems += len(hits)
        if quiet:
            ctx.write(f"{name}-{version}\n")
            continue
        ctx.write(f"{name}-{version} is vulnerable:\n")
        for v in hits:
            ctx.write(f"  {v.topic}\n")
            for cve in v.cves:
                ctx.write(f"  CVE: {cve}\n")
            ctx.write(f"  WWW: https://vuxml.FreeBSD.org/freebsd/{v.vid}.html\n\n")
    if not quiet:
        ctx.write(f"{problems} problem(s) in {packages} installed package(s) found.\n")
    return 1 if packages else 0
