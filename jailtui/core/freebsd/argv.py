"""Every command line we run on a jail host, built in one place.

The controller, the host model, the configuration editor and the health
checks ask here for the argv of what they run; none of them builds one by
hand. Each builder returns a fresh list (never a shell string: the runners
pass it to execve, or quote it with ``shlex.join`` over SSH). The poll's own
builders stay beside their parsers (``jls.JLS_POLL_ARGV``,
``jls.jls_params_argv``, ``ps.ps_argv``, ``rctl.rctl_*_argv``) because their
keywords and their parsing must change together.

Arguments that come from a user or a jail (jail names, service names,
signal names) are checked by the caller (the controller's gate); the
builders put ``--`` or an option before them where the tool allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from jailtui.core.freebsd import ps as psmod

__all__ = [
    "Lifecycle",
    "df_argv",
    "ifconfig_argv",
    "ifconfig_group_argv",
    "jail_check_argv",
    "jail_lifecycle_argv",
    "jexec_argv",
    "kill_argv",
    "mount_p_argv",
    "pfctl_rdr_argv",
    "procstat_argv",
    "procstat_env_argv",
    "ps_pid_argv",
    "service_enabled_argv",
    "service_jail_argv",
    "service_argv",
    "sockstat_argv",
    "sysctl_argv",
    "sysctl_value_argv",
    "who_argv",
    "zfs_all_snapshots_argv",
    "zfs_clone_argv",
    "zfs_destroy_snapshot_argv",
    "zfs_destroy_tree_argv",
    "zfs_diff_argv",
    "zfs_list_argv",
    "zfs_promote_argv",
    "zfs_rename_argv",
    "zfs_rollback_argv",
    "zfs_set_argv",
    "zfs_snapshot_argv",
    "zfs_snapshots_argv",
]

#: What the lifecycle commands do to a jail.
Lifecycle = Literal["start", "stop", "restart"]

# jail(8) flags of each lifecycle verb (docs/freebsd.md 3.2): -c create,
# -r remove, -rc remove then create ("restart").
_JAIL_FLAG: dict[str, str] = {"start": "-c", "stop": "-r", "restart": "-rc"}


def jail_lifecycle_argv(verb: Lifecycle, name: str, conf_file: str | None = None) -> list[str]:
    """``jail [-f FILE] -c|-r|-rc NAME`` (docs/freebsd.md 3.2).

    ``conf_file`` None leaves ``-f`` out (jail(8)'s default ``/etc/jail.conf``;
    which file: ``core.hosts.confsource.jail_f_file``).
    """
    argv = ["jail"]
    if conf_file is not None:
        argv += ["-f", conf_file]
    return [*argv, _JAIL_FLAG[verb], name]


def service_jail_argv(verb: Lifecycle, name: str) -> list[str]:
    """``service jail start|stop|restart NAME``: rc.d/jail (docs/freebsd.md 8.3)."""
    return ["service", "jail", verb, name]


def jexec_argv(name: str, command: Sequence[str] = (), *, login: bool = True,
               user: str | None = None) -> list[str]:
    """``jexec [-l] [-U USER] NAME [COMMAND...]`` (jexec(8), docs/freebsd.md 6).

    ``-l`` gives the jail's login environment; with ``-U`` the user (and so
    the shell and home directory) is looked up in the jail's passwd, after
    jail_attach (jexec.c). Without a command jexec runs ``$SHELL -i``.
    """
    argv = ["jexec"]
    if login:
        argv.append("-l")
    if user:
        argv += ["-U", user]
    return [*argv, name, *command]


def who_argv(name: str) -> list[str]:
    """``jexec NAME who``: logins inside the jail (docs/freebsd.md 9.2)."""
    return jexec_argv(name, ["who"], login=False)


def service_argv(name: str, service: str, verb: str) -> list[str]:
    """``service -j NAME SERVICE VERB`` for a daemon inside the jail (service(8))."""
    return ["service", "-j", name, service, verb]


def service_enabled_argv(name: str) -> list[str]:
    """``service -j NAME -e``: the jail's enabled rc.d scripts (service(8))."""
    return ["service", "-j", name, "-e"]


def kill_argv(sig: str, pid: int, jid: int | None = 0) -> list[str]:
    """``kill -s SIG PID`` (kill(1); the name without the SIG prefix), from inside
    jail ``jid`` when it is one (``jexec JID kill``: kill(2) in a jail reaches only
    that jail's processes, p_cansignal -> prison_check in sys/kern/kern_prot.c)."""
    kill = ["kill", "-s", sig, str(pid)]
    return ["jexec", str(jid), *kill] if jid else kill


def ps_pid_argv(pid: int) -> list[str]:
    """The poll's ps, narrowed to one pid (``-p``, ps(1); docs/freebsd.md 2.2)."""
    return [*psmod.ps_argv(), "-p", str(pid)]


def df_argv(path: str) -> list[str]:
    """``df -k PATH``: POSIX output in 1024-byte blocks (df(1); see misc.parse_df)."""
    return ["df", "-k", path]


def jail_check_argv(conf_file: str) -> list[str]:
    """``jail -f FILE -e SEP``: jail(8) parses FILE and prints every jail's
    parameters, or the parse error with its line (docs/freebsd.md 3.6). A
    tab separator cannot appear unquoted in a parameter."""
    return ["jail", "-f", conf_file, "-e", "\t"]


def sysctl_argv(names: Sequence[str]) -> list[str]:
    """``sysctl NAME...`` (sysctl(8)); unknown names make it exit 1."""
    return ["sysctl", *names]


def sysctl_value_argv(name: str, *more: str) -> list[str]:
    """``sysctl -n NAME...``: the values alone, one line each, in order (sysctl(8) -n)."""
    return ["sysctl", "-n", name, *more]


#: What kind of system a host is, asked once (docs/freebsd.md 5.5): FreeBSD's
#: sysctl prints ``FreeBSD`` and its release; another system's sysctl fails
#: on these names or is absent, and ``uname -sr`` names it.
OSTYPE_ARGV = sysctl_value_argv("kern.ostype", "kern.osrelease")
UNAME_ARGV = ["uname", "-sr"]


# -- ZFS and the mount table (docs/freebsd.md 12) ---------------------------------------

#: Columns of the file system list, in the order core/storage/zfs.py parses them.
ZFS_LIST_COLUMNS = ("name", "used", "avail", "refer", "quota", "mountpoint", "origin")
#: Columns of a snapshot list (core/storage/zfs.py parse_snapshots).
ZFS_SNAPSHOT_COLUMNS = ("name", "creation", "used", "refer")


def zfs_list_argv() -> list[str]:
    """``zfs list -H -p -o name,used,avail,refer,quota,mountpoint,origin -t filesystem``:
    every file system, one tab-separated line each, exact bytes (zfs-list(8))."""
    return ["zfs", "list", "-H", "-p", "-o", ",".join(ZFS_LIST_COLUMNS), "-t", "filesystem"]


def zfs_snapshots_argv(dataset: str) -> list[str]:
    """``zfs list -H -p -o name,creation,used,refer -t snapshot -d 1 -s creation DS``:
    DS's own snapshots, oldest first (zfs-list(8))."""
    return ["zfs", "list", "-H", "-p", "-o", ",".join(ZFS_SNAPSHOT_COLUMNS), "-t", "snapshot",
            "-d", "1", "-s", "creation", "--", dataset]


def zfs_all_snapshots_argv() -> list[str]:
    """Every snapshot of every pool, oldest first (the health check's one command)."""
    return ["zfs", "list", "-H", "-p", "-o", ",".join(ZFS_SNAPSHOT_COLUMNS), "-t", "snapshot",
            "-s", "creation"]


def zfs_snapshot_argv(dataset: str, name: str) -> list[str]:
    """``zfs snapshot -r DS@NAME``: DS and its children at once (zfs-snapshot(8))."""
    return ["zfs", "snapshot", "-r", "--", f"{dataset}@{name}"]


def zfs_destroy_snapshot_argv(dataset: str, name: str) -> list[str]:
    """``zfs destroy -r DS@NAME``: the snapshot of DS and of its children (zfs-destroy(8));
    never ``-R``: a snapshot with clones is refused, not destroyed with them."""
    return ["zfs", "destroy", "-r", "--", f"{dataset}@{name}"]


def zfs_rollback_argv(snapshot: str) -> list[str]:
    """``zfs rollback -r DS@SNAP`` (zfs-rollback(8)): the newer snapshots are destroyed
    with the changes; never ``-R`` (clones of them are refused, not destroyed)."""
    return ["zfs", "rollback", "-r", "--", snapshot]


def zfs_promote_argv(dataset: str) -> list[str]:
    """``zfs promote CLONE`` (zfs-promote(8)): the clone takes over its origin's
    snapshots, so the dataset it was cloned from can be destroyed."""
    return ["zfs", "promote", "--", dataset]


def zfs_destroy_tree_argv(dataset: str) -> list[str]:
    """``zfs destroy -r DS``: a file system, its children and their snapshots (a
    quarantine, a half-made backup); never ``-R`` (a clone elsewhere is refused, not
    destroyed with it: zfs-destroy(8))."""
    return ["zfs", "destroy", "-r", "--", dataset]


def zfs_rename_argv(old: str, new: str) -> list[str]:
    """``zfs rename OLD NEW`` (zfs-rename(8))."""
    return ["zfs", "rename", "--", old, new]


def zfs_set_argv(prop: str, value: str, dataset: str) -> list[str]:
    """``zfs set PROP=VALUE DS`` (zfs-set(8))."""
    return ["zfs", "set", "--", f"{prop}={value}", dataset]


def zfs_clone_argv(snapshot: str, dataset: str, mountpoint: str | None = None) -> list[str]:
    """``zfs clone [-o mountpoint=PATH] SNAP DS`` (zfs-clone(8))."""
    argv = ["zfs", "clone"]
    if mountpoint is not None:
        argv += ["-o", f"mountpoint={mountpoint}"]
    return [*argv, "--", snapshot, dataset]


def zfs_diff_argv(snapshot: str, target: str) -> list[str]:
    """``zfs diff -FH SNAP TARGET``: tab-separated, with file types (zfs-diff(8))."""
    return ["zfs", "diff", "-FH", "--", snapshot, target]


def zfs_send_argv(snapshot: str, since: str | None = None) -> list[str]:
    """``zfs send -R [-I @SINCE] DS@SNAP``: DS, its children and their snapshots (up
    to SNAP, or those after SINCE), with their properties (zfs-send(8);
    docs/freebsd.md 12.7)."""
    argv = ["zfs", "send", "-R"]
    if since is not None:
        argv += ["-I", f"@{since}"]
    return [*argv, "--", snapshot]


def zfs_receive_argv(dataset: str) -> list[str]:
    """``zfs receive -u -x mountpoint DS``: received unmounted, the stream's mountpoint
    ignored so the copy inherits its parent's (none), never mounted over the jail
    it came from (zfs-receive(8)); no ``-F``: an incremental receive never destroys
    a backup's snapshots that the jail no longer has."""
    return ["zfs", "receive", "-u", "-x", "mountpoint", "--", dataset]


def zfs_create_unmounted_argv(dataset: str) -> list[str]:
    """``zfs create -o mountpoint=none -o readonly=on DS``: a container that is never
    mounted and whose children are read-only (zfs-create(8))."""
    return ["zfs", "create", "-o", "mountpoint=none", "-o", "readonly=on", "--", dataset]


def bsdtar_create_argv(root: str) -> list[str]:
    """``bsdtar -c --one-file-system --numeric-owner -f - -C ROOT .``: a jail root as a
    pax stream on stdout, not crossing into what is mounted below it, owners by
    number (the jail's passwd is not the host's), file flags kept (bsdtar(1): the
    default in c mode)."""
    return ["bsdtar", "-c", "--one-file-system", "--numeric-owner", "-f", "-", "-C", root,
            "."]


def bsdtar_write_argv(archive: str) -> list[str]:
    """``bsdtar -c -f ARCHIVE @-``: the entries of the archive on stdin written to
    ARCHIVE on the host (bsdtar(1) ``@archive``)."""
    return ["bsdtar", "-c", "-f", archive, "@-"]


def bsdtar_extract_argv(archive: str, directory: str) -> list[str]:
    """``bsdtar -x --fflags -p --numeric-owner -f ARCHIVE -C DIR``: an archive (``-``:
    stdin) extracted into DIR (it must exist), file flags, modes and owners by number
    restored (bsdtar(1); docs/freebsd.md 12.8)."""
    return ["bsdtar", "-x", "--fflags", "-p", "--numeric-owner", "-f", archive, "-C",
            directory]


def mount_p_argv() -> list[str]:
    """``mount -p``: the mount table in fstab(5) form (mount(8); docs/freebsd.md 12.4)."""
    return ["mount", "-p"]


# -- security posture (docs/freebsd.md 13) -------------------------------------


def devfs_rules_argv(ruleset: int) -> list[str]:
    """``devfs rule -s N show``: the rules of one devfs ruleset (devfs(8))."""
    return ["devfs", "rule", "-s", str(int(ruleset)), "show"]


def pkg_audit_argv(packages: Sequence[str] = ()) -> list[str]:
    """``pkg audit -q [NAME-VERSION...]`` (pkg-audit(8)): the vulnerable ones, one a line."""
    return ["pkg", "audit", "-q", *packages]


def stat_flags_argv(paths: Sequence[str]) -> list[str]:
    """``stat -f %Sf -- PATH...``: each file's flags (``-`` for none), one a line;
    without -L a symlink is described itself (stat(1))."""
    return ["stat", "-f", "%Sf", "--", *paths]


def stat_mtime_argv(path: str) -> list[str]:
    """``stat -f %m -- PATH``: the modification time in seconds (stat(1); the
    periodic base audit dates vuln.xml so)."""
    return ["stat", "-f", "%m", "--", path]


def stat_dev_ino_argv(path: str) -> list[str]:
    """``stat -f '%d %i' -- PATH``: the file system (st_dev) and inode of PATH, itself
    (no -L); a rename keeps both, a copy does not (stat(1); docs/freebsd.md 12.9)."""
    return ["stat", "-f", "%d %i", "--", path]


def mv_argv(source: str, target: str) -> list[str]:
    """``mv -n -- SOURCE TARGET``: rename(2) when both are on one file system; -n never
    replaces an existing TARGET. mv(1) copies across file systems (bin/mv/mv.c), so
    the caller checks ``stat -f %d`` first and the inode after (docs/freebsd.md 12.9)."""
    return ["mv", "-n", "--", source, target]


def mkdir_private_argv(path: str) -> list[str]:
    """``mkdir -m 0700 -- PATH``: one new directory only its owner (root) may enter
    (mkdir(1)); an existing PATH is an error."""
    return ["mkdir", "-m", "0700", "--", path]


def ls_names_argv(directory: str) -> list[str]:
    """``ls -1 -- DIR``: the names in a directory, one a line (ls(1))."""
    return ["ls", "-1", "--", directory]


def rm_argv(path: str) -> list[str]:
    """``rm -- FILE``: unlink one file, no ``-f`` so a failure is said (rm(1))."""
    return ["rm", "--", path]


def rm_tree_argv(path: str) -> list[str]:
    """``rm -rfx -- DIR``: remove a directory tree (bin/rm/rm.c ``rm_tree``: an fts(3)
    walk with FTS_PHYSICAL, so no symlink is followed, the operand's neither; -x adds
    FTS_XDEV: nothing mounted below is entered; as root it clears uchg/uappnd itself,
    never schg/sappnd; a failure is still said with -f: ``rm: PATH: STRERROR``;
    docs/freebsd.md 12.9)."""
    return ["rm", "-rfx", "--", path]


#: The flags that stop unlink(2)/rmdir(2) (sys/stat.h IMMUTABLE, APPEND, NOUNLINK),
#: cleared before a tree is removed (docs/freebsd.md 12.9).
NO_UNLINK_CLEAR = ("noschg", "nouchg", "nosappnd", "nouappnd", "nosunlnk", "nouunlnk")


def chflags_tree_argv(flags: Sequence[str], path: str) -> list[str]:
    """``chflags -R -x -- FLAGS DIR``: the flags of a whole tree (bin/chflags/chflags.c:
    -R is an fts(3) walk with FTS_PHYSICAL, symlinks met on the way are skipped, the
    operand is not followed; -x: FTS_XDEV, no other file system; docs/freebsd.md 12.9)."""
    return ["chflags", "-R", "-x", "--", ",".join(flags), path]


def chflags_argv(flags: Sequence[str], paths: Sequence[str]) -> list[str]:
    """``chflags -h -- FLAGS PATH...`` (chflags(1)); -h: a symlink itself, never its
    target. ``--`` before the flags: getopt(3) stops at the first operand, so a
    ``--`` after it would be a file name."""
    return ["chflags", "-h", "--", ",".join(flags), *paths]


# -- network and process detail (docs/freebsd.md 15): the host's own tools, never the jail's --


def sockstat_argv(jail: str, *, libxo: bool) -> list[str]:
    """The jail's listening IPv4/IPv6 sockets: ``sockstat [--libxo json] -j JAIL -l -4 -6``.

    ``-j`` takes a name or jid (jail_getid); for a VNET jail sockstat attaches to it
    and lists its own stack (usr.bin/sockstat/main.c). ``--libxo`` only from FreeBSD 15.
    """
    return ["sockstat", *(["--libxo", "json"] if libxo else []), "-j", jail, "-l", "-4", "-6"]


def ifconfig_group_argv(group: str) -> list[str]:
    """``ifconfig -g GROUP``: the interfaces of a group (``epair``, ``bridge``)."""
    return ["ifconfig", "-g", group]


def ifconfig_argv(interface: str) -> list[str]:
    """``ifconfig IF``: one interface's status (a bridge lists its members)."""
    return ["ifconfig", interface]


def pfctl_rdr_argv(jail: str) -> list[str]:
    """The rules of Bastille's rdr anchor of a jail: ``pfctl -a rdr/NAME -sn``
    (Bastille's usr/local/share/bastille/rdr.sh loads them there)."""
    return ["pfctl", "-a", f"rdr/{jail}", "-sn"]


def procstat_argv(flag: Literal["-f", "-v"], pid: int) -> list[str]:
    """``procstat -f PID`` (open files) or ``procstat -v PID`` (memory map)."""
    return ["procstat", flag, str(pid)]


def procstat_env_argv(pid: int) -> list[str]:
    """``procstat --libxo json -e PID``: the environment, each string whole."""
    return ["procstat", "--libxo", "json", "-e", str(pid)]
