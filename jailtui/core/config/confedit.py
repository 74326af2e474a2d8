"""Editing a jail's configuration safely: load, change, check, diff, save.

The steps follow docs/security.md section 5 (and visudo/sudoedit):

1. load the file with its hash and identity (never the live file in an
   editor: the console edits a copy, in memory or in a temporary file);
2. check the candidate with our own parser, then ``jail -f TMP -e`` where
   jail(8) exists (parse only: it creates nothing), an error pointing at its
   line so the edit stays for another try;
3. show the diff;
4. save atomically (lock, re-check unchanged, temp file in the same
   directory, fsync, owner and mode kept, backup, rename); a file changed
   meanwhile is a conflict that loses neither edit.

A delegate never edits text: only the parameters the policy allows, with
values checked, in the jail's own file (/etc/jail.conf.d/NAME.conf) that
holds nothing but that jail's block (security.md 2.6, 2.7).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from jailtui.core.actions.delegation import is_never_editable
from jailtui.core.config import remotefile, safefile
from jailtui.core.errors import CommandNotFound, JailtuiError, PolicyDenied
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import jailconf
from jailtui.core.model import ParamValue
from jailtui.core.transport.runner import BlockingRunner

#: Where previous versions are kept (host path; root-only 0700).
BACKUP_DIR = "/var/backups/jailtui"

#: Largest config file we accept (security.md 2.7: "oversized files").
MAX_BYTES = 1 << 20

_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_INT_RE = re.compile(r"^-?[0-9]{1,9}$")


class ConfigCheckError(JailtuiError):
    """The candidate does not parse or jail(8) rejects it; ``line`` points at it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ConfContext:
    """The whole configuration an edited file belongs to, as jail(8) reads it.

    An included file (``/etc/jail.conf.d/web.conf``) may use variables and
    globals of the root file (``$domain`` set in ``/etc/jail.conf``): it is
    checked inside the root, never alone (issue 11 item 5).
    """

    #: Host path of the root file rc.d/jail passes to jail(8) (confsource).
    root: str
    #: Host path -> text, and glob(3) over host paths, for the other files.
    read: Callable[[str], str]
    glob: Callable[[str], list[str]]
    #: The host's FreeBSD major release (jailconf/dialect.py).
    freebsd: int | None = None


@dataclass
class EditSession:
    """One edit of one jail's configuration, from load to save."""

    jail: str
    #: Host path of the file that holds the jail's block.
    path: str
    #: The file's real path: on this machine, or on the remote host when
    #: ``remote`` is set.
    real_path: str
    loaded: safefile.Loaded
    #: Parameters a delegate may change; None for a host admin (free text).
    editable: tuple[str, ...] | None = None
    #: Lowest securelevel a delegate may set.
    min_securelevel: int | None = None
    #: The file is on a remote host, read, checked and saved there through
    #: this runner (core/remotefile.py); None: a file of this machine.
    remote: BlockingRunner | None = None
    #: The configuration the file belongs to; None: the file stands alone.
    context: ConfContext | None = None

    @property
    def included(self) -> bool:
        """The file is read through another one's ``.include``."""
        return self.context is not None and self.context.root != self.path

    @property
    def text(self) -> str:
        return self.loaded.text

    @property
    def block_text(self) -> str:
        return jailconf.parse(self.text, self.path).block_text(self.jail)

    @property
    def block_line(self) -> int:
        block = jailconf.parse(self.text, self.path).block(self.jail)
        return block.start_line if block is not None else 1


def open_session(real_path: str, host_path: str, jail: str,
                 editable: Sequence[str] | None = None,
                 min_securelevel: int | None = None) -> EditSession:
    """Load the file holding ``jail`` (refusing symlinks and hard links)."""
    try:
        loaded = safefile.load(real_path)
    except safefile.SafeFileError as exc:
        raise JailtuiError(_host_msg(str(exc), real_path, host_path)) from None
    return _session(loaded, real_path, host_path, jail, editable, min_securelevel, None)


def open_remote_session(runner: BlockingRunner, real_path: str, host_path: str,
                        jail: str, editable: Sequence[str] | None = None,
                        min_securelevel: int | None = None) -> EditSession:
    """:func:`open_session` for a file on a remote host (``real_path``: its
    path on that machine); one blocking round trip over ``runner``."""
    try:
        loaded = remotefile.load(runner, real_path, host_path)
    except safefile.SafeFileError as exc:
        raise JailtuiError(str(exc)) from None
    return _session(loaded, real_path, host_path, jail, editable, min_securelevel, runner)


def _session(loaded: safefile.Loaded, real_path: str, host_path: str, jail: str,
             editable: Sequence[str] | None, min_securelevel: int | None,
             remote: BlockingRunner | None) -> EditSession:
    if len(loaded.data) > MAX_BYTES:
        raise JailtuiError(f"{host_path}: larger than {MAX_BYTES} bytes; not edited")
    conf = _parse(loaded.text, host_path)
    if conf.block(jail) is None:
        raise JailtuiError(f'{host_path}: no block for jail "{jail}"')
    session = EditSession(jail, host_path, real_path, loaded,
                          tuple(editable) if editable is not None else None, min_securelevel,
                          remote)
    if session.editable is not None:
        check_own_file(conf, jail)
    return session


def _parse(text: str, path: str) -> jailconf.ConfFile:
    try:
        return jailconf.parse(text, path)
    except jailconf.JailConfError as exc:
        raise ConfigCheckError(f"jail: {exc}", exc.line) from None


def check_own_file(conf: jailconf.ConfFile, jail: str) -> None:
    """A delegate's file holds exactly its jail's block and nothing else.

    No globals, ``.include``, variables, wildcard or nested blocks and no
    other jail (security.md 2.7): anything else in the file would apply to
    other jails or run on the host.
    """
    blocks = conf.blocks()
    if [b.name for b in blocks] != [jail]:
        raise PolicyDenied("this jail's configuration is not in a file of its own "
                           f"(/etc/jail.conf.d/{jail}.conf); ask the host admin")
    if conf.globals() or conf.includes():
        raise PolicyDenied("the jail's file has global statements; ask the host admin")
    for p in blocks[0].params():
        if p.is_var or p.is_include:
            raise PolicyDenied("the jail's file defines variables; ask the host admin")


def candidate_from_block(session: EditSession, new_block: str) -> str:
    """The whole file with the jail's block replaced (host admin only)."""
    if session.editable is not None:
        raise PolicyDenied("delegated users edit parameters, not text")
    conf = _parse(session.text, session.path)
    try:
        conf.replace_block(session.jail, new_block)
    except jailconf.JailConfError as exc:
        raise ConfigCheckError(f"jail: {exc}", exc.line) from None
    return conf.render()


def check_value(name: str, value: ParamValue | None, *, current: ParamValue | None,
                min_securelevel: int | None) -> None:
    """Values a delegate may write: no control characters, no variables,
    bounded length, the right type; securelevel never lowered."""
    if value is None:
        return
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if isinstance(v, bool | int):
            continue
        if len(v) > 256:
            raise PolicyDenied(f"{name}: value too long")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in v) or "$" in v or "\\" in v:
            raise PolicyDenied(f"{name}: control characters, '$' and '\\' are not allowed")
    if name.startswith("allow.") or name in ("persist",):
        if not isinstance(value, bool):
            raise PolicyDenied(f"{name}: on or off only")
    if name in ("host.hostname", "host.domainname") and isinstance(value, str):
        if value and not _HOSTNAME_RE.match(value):
            raise PolicyDenied(f"{name}: not a valid host name")
    if name in ("securelevel", "exec.timeout", "stop.timeout", "osreldate"):
        if not isinstance(value, int) and not (isinstance(value, str) and _INT_RE.match(value)):
            raise PolicyDenied(f"{name}: must be a number")
        n = int(value) if not isinstance(value, bool) else 0
        if name == "securelevel":
            floor = [x for x in (min_securelevel, _as_int(current)) if x is not None]
            if floor and n < max(floor):
                raise PolicyDenied(f"securelevel: may not be lowered below {max(floor)}")
        if name in ("exec.timeout", "stop.timeout") and not 0 <= n <= 300:
            raise PolicyDenied(f"{name}: between 0 and 300 seconds")


def _as_int(value: ParamValue | None) -> int | None:
    if isinstance(value, bool) or value is None or isinstance(value, tuple):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def candidate_from_params(session: EditSession,
                          changes: Mapping[str, ParamValue | None]) -> str:
    """The file with ``changes`` applied to the jail's own block.

    For a delegate every name must be in the policy's list and never one of
    the host-side or cross-jail parameters, whatever its spelling.
    """
    conf = _parse(session.text, session.path)
    if session.editable is not None:
        check_own_file(conf, session.jail)
        current = effective_params(session)
        allowed = {p.lower() for p in session.editable}
        for name, value in changes.items():
            key = name.strip()
            if key != name or key.lower() not in allowed or is_never_editable(key):
                raise PolicyDenied(f"{name}: not a parameter you may change")
            check_value(key, value, current=current.get(key),
                        min_securelevel=session.min_securelevel)
    for name, value in changes.items():
        try:
            conf.set_param(session.jail, name, value)
        except (jailconf.JailConfError, ValueError) as exc:
            raise ConfigCheckError(f"{name}: {exc}") from None
    return conf.render()


def effective_params(session: EditSession, text: str | None = None) -> dict[str, ParamValue]:
    """The jail's effective parameters with ``text`` (default: the file as
    loaded) as the edited file: in its configuration when the session has
    one (globals of the root apply), else, or when the rest of it cannot be
    read, the file alone.  Raises JailConfError for the file's own errors."""
    text = session.text if text is None else text
    ctx = session.context
    if ctx is not None:
        def read(p: str) -> str:
            return text if p == session.path else ctx.read(p)
        try:
            return jailconf.load(ctx.root, read=read, glob=ctx.glob,
                                 freebsd=ctx.freebsd).effective(session.jail)
        except (OSError, JailtuiError):
            pass
    return jailconf.load_string(text, session.path, read=lambda p: "").effective(session.jail)


def diff(session: EditSession, candidate: str) -> str:
    """Unified diff of the file, loaded -> candidate (empty when unchanged)."""
    return "".join(difflib.unified_diff(
        session.text.splitlines(keepends=True), candidate.splitlines(keepends=True),
        fromfile=f"{session.path} (current)", tofile=f"{session.path} (new)"))


def changed_keys(session: EditSession, candidate: str) -> list[str]:
    """What the edit changes, for the summary and the audit: the jail's own
    parameters whose effective value changes, then any other jail of the
    file added, removed or changed (``+ci``, ``-ci``, ``ci.ip4.addr``), so an
    edit that adds a whole jail is never "formatting or comments only"
    (issue 14 item 10). A candidate that does not parse changes "?"."""
    try:
        mine_b = effective_params(session)
        mine_a = effective_params(session, candidate)
    except JailtuiError:
        return ["?"] if session.text != candidate else []
    keys = sorted(set(mine_b) | set(mine_a))
    return [k for k in keys if mine_b.get(k) != mine_a.get(k)] + _others_changed(session,
                                                                                candidate)


def _others_changed(session: EditSession, candidate: str) -> list[str]:
    """The file's other jails that the edit adds (``+ci``), removes (``-ci``) or
    changes (``ci.ip4.addr``). Read from the file alone: a jail whose values need
    variables of the root file counts as changed by name when its text differs."""
    try:
        before = jailconf.load_string(session.text, session.path, read=lambda p: "")
        after = jailconf.load_string(candidate, session.path, read=lambda p: "")
    except JailtuiError:
        return []
    names_b, names_a = set(before.jail_names()), set(after.jail_names())
    others: list[str] = []
    for name in sorted((names_b | names_a) - {session.jail}):
        if name not in names_b:
            others.append(f"+{name}")
        elif name not in names_a:
            others.append(f"-{name}")
        else:
            try:
                eb, ea = before.effective(name), after.effective(name)
            except JailtuiError:
                if (jailconf.parse(session.text, session.path).block_text(name)
                        != jailconf.parse(candidate, session.path).block_text(name)):
                    others.append(name)
                continue
            others += [f"{name}.{k}" for k in sorted(set(eb) | set(ea))
                       if eb.get(k) != ea.get(k)]
    return others


async def check_candidate(session: EditSession, candidate: str, runner: object,
                          host_path_of: object) -> None:
    """Our parser first, then ``jail -f TMP -e`` where jail(8) exists.

    The temporary copy is made next to the target (same directory, 0600)
    and removed afterwards; messages name the real file, not the copy.
    """
    conf = _parse(candidate, session.path)
    if conf.block(session.jail) is None:
        raise ConfigCheckError(f'jail: {session.path}: the block of "{session.jail}" is gone')
    context = check_in_context(session, candidate)
    if session.included and context is not None:
        # jail(8) reads this file only through the root's .include; a copy
        # of the root that includes the candidate instead is what it checks.
        if session.remote is None:
            await _jail_check_in_root(session, candidate, context, runner, host_path_of)
        # On a remote host our parser's word stands (core/remotefile.py
        # checks one file at a time, and alone this file would fail).
        return
    if session.remote is not None:
        # On the remote host, next to the file (core/remotefile.py).
        err = await remotefile.jail_check(session.remote, session.real_path, session.path,
                                          candidate.encode("utf-8", "surrogateescape"))
        if err is not None:
            m = re.search(r" line (\d+):", err)
            raise ConfigCheckError(err, int(m.group(1)) if m else None)
        return
    directory = os.path.dirname(session.real_path)
    # A full or read-only file system fails here, before anything is saved:
    # one message with the remedy, the descriptor closed, the copy removed.
    tmp = _check_copy(session, directory, candidate)
    try:
        tmp_host = host_path_of(tmp)  # type: ignore[operator]
        try:
            res = await runner.run(argvmod.jail_check_argv(tmp_host),  # type: ignore[attr-defined]
                                   timeout=20)
        except CommandNotFound:
            return  # no jail(8) here: our parser's word is the check
        if res.returncode != 0:
            text = res.stderr.decode("utf-8", "replace").strip().splitlines()
            msg = (text[0] if text else f"jail -e exited with status {res.returncode}")
            msg = msg.replace(tmp_host, session.path)
            m = re.search(r" line (\d+):", msg)
            raise ConfigCheckError(msg, int(m.group(1)) if m else None)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def check_in_context(session: EditSession, candidate: str) -> jailconf.Config | None:
    """Our parser on the configuration as jail(8) would read it with the
    candidate saved: the root file and its includes, the candidate in place
    of the edited file.  Per-jail errors (a variable not found...) count for
    the jails whose blocks are in the edited file.

    Returns that configuration, or None when there is no context or another
    file of it does not load (then the candidate is checked alone: an error
    elsewhere must not block this edit).  Raises ConfigCheckError.
    """
    ctx = session.context

    def alone() -> None:
        try:
            jailconf.load_string(candidate, session.path, read=lambda p: "",
                                 freebsd=ctx.freebsd if ctx else None).effective_all()
        except jailconf.JailConfError as exc:
            raise ConfigCheckError(f"jail: {exc}", exc.line) from None

    if ctx is None:
        alone()
        return None

    def read(p: str) -> str:
        return candidate if p == session.path else ctx.read(p)
    try:
        config = jailconf.load(ctx.root, read=read, glob=ctx.glob, freebsd=ctx.freebsd)
    except jailconf.JailConfError as exc:
        if exc.file == session.path or exc.jail is not None:
            raise ConfigCheckError(f"jail: {exc}", exc.line) from None
        alone()
        return None
    if config.file(session.path) is None:
        alone()             # not reached from the root after all: stands alone
        return None
    for name in config.jail_names():
        if config.file_of(name) != session.path:
            continue
        try:
            config.effective(name)
        except jailconf.JailConfError as exc:
            raise ConfigCheckError(f"jail: {exc}", exc.line) from None
    return config


def root_with_candidate(root: jailconf.ConfFile, glob: Callable[[str], list[str]],
                        target: str, replacement: str) -> str | None:
    """The root file's text with each top-level ``.include`` that reads
    ``target`` rewritten to name its files one by one, ``replacement`` in
    place of ``target`` (glob results are fixed at this moment).  Line
    numbers are kept.  None when no top-level include of the root reads it.
    """
    text = root.render()
    edits: list[tuple[int, int, str]] = []
    base = root.filename[:root.filename.rfind("/") + 1]
    for p in root.globals():
        if not p.is_include:
            continue
        names: list[str] = []
        for v in p.values:
            pat = v.literal if v.literal.startswith("/") else base + v.literal
            names += glob(pat) if any(c in pat for c in "*?[") else [pat]
        if target not in names:
            continue
        listed = ", ".join(jailconf.quote_value(replacement if n == target else n)
                           for n in names)
        newlines = text.count("\n", p.start, p.end)
        edits.append((p.start, p.end, f".include {listed};" + "\n" * newlines))
    if not edits:
        return None
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


async def _jail_check_in_root(session: EditSession, candidate: str, config: jailconf.Config,
                              runner: object, host_path_of: object) -> None:
    """``jail -f ROOTCOPY -e`` with the candidate in place of the edited file
    (both copies 0600, dot-named so no ``*.conf`` include picks them up,
    next to their originals, removed afterwards); messages name the real
    files."""
    ctx = session.context
    assert ctx is not None
    root = config.file(ctx.root)
    real_root = _real_of(session, ctx.root)
    if root is None or real_root is None:
        return
    made: list[str] = []
    try:
        tmp = _check_copy(session, os.path.dirname(session.real_path), candidate)
        made.append(tmp)
        tmp_host = host_path_of(tmp)  # type: ignore[operator]
        text = root_with_candidate(root, ctx.glob, session.path, tmp_host)
        if text is None:
            return          # included from deeper down: our parser's check stands
        rtmp = _check_copy(session, os.path.dirname(real_root), text)
        made.append(rtmp)
        rtmp_host = host_path_of(rtmp)  # type: ignore[operator]
        try:
            res = await runner.run(argvmod.jail_check_argv(rtmp_host),  # type: ignore[attr-defined]
                                   timeout=20)
        except CommandNotFound:
            return
        if res.returncode != 0:
            lines = res.stderr.decode("utf-8", "replace").strip().splitlines()
            msg = lines[0] if lines else f"jail -e exited with status {res.returncode}"
            msg = msg.replace(tmp_host, session.path).replace(rtmp_host, ctx.root)
            m = re.search(r" line (\d+):", msg)
            raise ConfigCheckError(msg, int(m.group(1)) if m else None)
    finally:
        for path in made:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def _check_copy(session: EditSession, directory: str, text: str) -> str:
    """A 0600 copy of ``text`` in ``directory`` for ``jail -f COPY -e``
    (safefile.write_temp: nothing leaks when it fails); errors name the
    edited file as the user knows it."""
    try:
        return safefile.write_temp(session.real_path, directory, safefile.CHECK_PREFIX,
                                   ".conf", text.encode("utf-8", "surrogateescape"))
    except safefile.SafeFileError as exc:
        raise _on_host(exc, session) from None


def _on_host(exc: safefile.SafeFileError, session: EditSession) -> safefile.SafeFileError:
    """``exc`` with this machine's paths replaced by the host's (a simulated
    host's root is a directory here), in its text and in its message."""
    exc.args = (_host_msg(str(exc), session.real_path, session.path),)
    exc.message = _host_msg(exc.message, session.real_path, session.path)
    exc.path = _host_msg(exc.path, session.real_path, session.path)
    return exc


def _real_of(session: EditSession, host_path: str) -> str | None:
    """This machine's path of another host file, beside the session's own."""
    if session.real_path.endswith(session.path):
        prefix = session.real_path[:len(session.real_path) - len(session.path)]
        return prefix + host_path
    return None


@dataclass(frozen=True, slots=True)
class SaveResult:
    path: str
    old_sha256: str
    new_sha256: str
    backup: str | None
    changed: tuple[str, ...]


async def save(session: EditSession, candidate: str, backup_real_dir: str | None,
               host_path_of: object) -> SaveResult:
    """Atomic save (safefile), in a thread; errors name host paths.

    A remote session is saved on its host in one command (remotefile.save);
    ``backup_real_dir`` is then the backup directory's path THERE.
    """
    changed = tuple(changed_keys(session, candidate))
    if session.remote is not None:
        backup_host = host_path_of(backup_real_dir) if backup_real_dir else None  # type: ignore[operator]
        saved = await remotefile.save(session.remote, session.loaded,
                                      candidate.encode("utf-8", "surrogateescape"),
                                      host_path=session.path, backup_dir=backup_real_dir,
                                      backup_host_dir=backup_host)
        return SaveResult(session.path, session.loaded.sha256, saved.sha256, saved.backup,
                          changed)
    try:
        if backup_real_dir is not None:
            try:
                os.makedirs(backup_real_dir, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise safefile.write_failure(backup_real_dir, exc,
                                             f"cannot back up {session.real_path}") from exc
        saved = await asyncio.to_thread(safefile.save, session.loaded,
                                        candidate.encode("utf-8", "surrogateescape"),
                                        backup_dir=backup_real_dir)
    except safefile.SafeFileError as exc:
        raise _on_host(exc, session) from exc.__cause__
    backup = host_path_of(saved.backup) if saved.backup else None  # type: ignore[operator]
    return SaveResult(session.path, session.loaded.sha256, saved.sha256, backup, changed)


def _host_msg(message: str, real: str, host: str) -> str:
    """``message`` with this machine's paths as host paths: the file's own,
    and any other under the same root (a simulated host's root is a
    directory here; the backup directory is under it too)."""
    if real == host:
        return message
    message = message.replace(real, host)
    if host.startswith("/") and real.endswith(host):
        message = message.replace(real[:len(real) - len(host)] + "/", "/")
    return message


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
