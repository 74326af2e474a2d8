"""The invoking user's own files: where they live (XDG) and how they are written.

``$XDG_CONFIG_HOME`` (default ``~/.config``) holds the user's config file,
``$XDG_CACHE_HOME`` (default ``~/.cache``) what jailtui remembers between runs
(the default simulated host, dying jails' first-seen times, the jail names for
shell completion), ``$XDG_STATE_HOME`` (default ``~/.local/state``) the journal
of a restore in progress; XDG Base Directory Specification,
https://specifications.freedesktop.org/basedir-spec/latest/.

Files are written whole or not at all (a temporary file in the same directory,
then rename(2)), so a reader never sees half a file. With ``own_dir`` the
directory must belong to the effective user: a root process whose ``HOME``
still names a user's home (``su`` without ``-``) must not create root-owned
files there (docs/security.md 2.9).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from jailtui.core.errors import JailtuiError


class NotYourDirectory(JailtuiError):
    """The directory to write in belongs to another user."""


def config_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME``, else ``~/.config``."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"))


def cache_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))


def state_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME``, else ``~/.local/state``: what must survive the console being
    killed (a restore's journal)."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                          "state"))


def make_directory(parent: Path, *, own_dir: bool = False) -> None:
    """``parent`` and its missing parents made 0700; with ``own_dir`` it must belong
    to the effective user (NotYourDirectory: the module's docstring)."""
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if own_dir:
        st = os.stat(parent)
        if st.st_uid != os.geteuid():
            raise NotYourDirectory(f"{parent}: belongs to uid {st.st_uid}, not to this "
                                   f"user (uid {os.geteuid()}); not written")


def sync_directory(parent: Path) -> None:
    """fsync(2) of a directory: the names made, renamed or removed in it are on disk
    when this returns (a file's own fsync need not write its directory entry)."""
    dfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, overwrite: bool = True,
                 own_dir: bool = False, durable: bool = False) -> None:
    """Write ``data`` to ``path`` in one step, making missing directories 0700.

    ``durable``: the data and the rename are on disk when this returns (fsync of
    the file before the rename, of the directory after it; fsync(2)), so a power
    loss leaves the old file or the new one, never an empty one: a restore's
    journal (core/storage/journal.py), what finishes or undoes a flow cut short.

    ``overwrite`` False refuses an existing file (FileExistsError), checked
    by link(2) itself, so two writers cannot both think they created it.
    Raises OSError, or NotYourDirectory under ``own_dir``.
    """
    parent = path.parent
    make_directory(parent, own_dir=own_dir)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if durable:
                os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
            renamed = True
        else:
            os.link(tmp, path)
        if durable:
            sync_directory(parent)
    finally:
        if not renamed:             # after a rename the temporary name is gone already
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
