"""Which config files are read, in which order, and where each value came from.

Layers, lowest first; a later one overrides an earlier one key by key (a
table is merged, any other value replaced):

1. the defaults (in the code);
2. the system-wide file ``/usr/local/etc/jailtui/config.toml``: hier(7) puts
   the configuration of software installed from ports and packages under
   ``/usr/local/etc`` (docs/packaging.md 4); ``$JAILTUI_SYSTEM_CONFIG``
   names another file (tests, other systems);
3. the user's file: ``--config FILE`` (it must exist), else
   ``$JAILTUI_CONFIG``, else ``$XDG_CONFIG_HOME/jailtui/config.toml``
   (``~/.config`` by default); a missing default file is no error;
4. the command line (``--interval``), applied by the caller.

A delegated session (root through sudo or doas, core/actions/harden.py)
reads the system file only, and only when it is root's alone like the policy
beside it (delegation.check_root_owned): the invoking user's file, a
``--config`` (refused before, cli/main.py DELEGATE_FORBIDDEN) and the
environment variables (removed by the hardening) never steer a root
process. docs/security.md 2.9 says what the settings can affect.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jailtui.core.config.tomlines import KeyPath, key_lines, line_of
from jailtui.core.errors import JailtuiError
from jailtui.core.userfiles import config_home

#: jailtui's directory of system-wide files (hier(7): ``/usr/local/etc`` for
#: ports), shared with the policy (core/actions/delegation.py POLICY_PATH).
SYSTEM_DIR = "/usr/local/etc/jailtui"
SYSTEM_CONFIG = f"{SYSTEM_DIR}/config.toml"


class Source(enum.StrEnum):
    """Where a value came from, as ``jailtui config`` names it."""

    DEFAULT = "default"
    SYSTEM = "system"
    USER = "user"
    OPTION = "--config"
    ENV = "$JAILTUI_CONFIG"
    COMMAND_LINE = "command line"


@dataclass(frozen=True, slots=True)
class Layer:
    """One config file that was read."""

    source: Source
    path: Path
    doc: Mapping[str, Any]
    lines: Mapping[KeyPath, int]

    def line(self, *key: str) -> int | None:
        return line_of(self.lines, key)

    def at(self, *key: str) -> str:
        """``FILE:LINE`` of ``key`` (of its table, if the key has no line), else ``FILE``."""
        line = self.line(*key)
        return f"{self.path}:{line}" if line is not None else str(self.path)


@dataclass(frozen=True, slots=True)
class Place:
    """A file looked for, and whether it was there."""

    source: Source
    path: Path
    found: bool
    #: Why a file that is there was not read (the system file only).
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """Every layer merged, and the layer each table and value came from."""

    merged: dict[str, Any] = field(default_factory=dict)
    layers: tuple[Layer, ...] = ()
    places: tuple[Place, ...] = ()
    origin: Mapping[KeyPath, Layer] = field(default_factory=dict)
    delegated: bool = False

    @property
    def warnings(self) -> tuple[str, ...]:
        """Files that are there but could not be read (skipped, see read_config)."""
        return tuple(f"{p.path}: {p.skipped}; its settings are not applied"
                     for p in self.places if p.skipped)

    def layer_of(self, *key: str) -> Layer | None:
        """The layer that set ``key`` (or, for a key it did not set, its table)."""
        for end in range(len(key), 0, -1):
            layer = self.origin.get(key[:end])
            if layer is not None:
                return layer
        return None

    def at(self, *key: str) -> str:
        """``FILE:LINE`` for a message about ``key``; "config" with no file."""
        layer = self.layer_of(*key)
        return layer.at(*key) if layer is not None else "config"

    @property
    def source(self) -> Path | None:
        """The last file read (the user's, when there is one)."""
        return self.layers[-1].path if self.layers else None


def user_config_path(env: Mapping[str, str] | None = None) -> tuple[Source, Path]:
    """The user's file when no ``--config`` is given, and which rule found it."""
    env = os.environ if env is None else env
    explicit = env.get("JAILTUI_CONFIG")
    if explicit:
        return Source.ENV, Path(explicit)
    return Source.USER, config_home(env) / "jailtui" / "config.toml"


def system_config_path(env: Mapping[str, str] | None = None, *,
                       delegated: bool = False) -> Path:
    """The system-wide file; the environment cannot move it for a delegate."""
    env = os.environ if env is None else env
    if not delegated and env.get("JAILTUI_SYSTEM_CONFIG"):
        return Path(env["JAILTUI_SYSTEM_CONFIG"])
    return Path(SYSTEM_CONFIG)


def is_delegated(env: Mapping[str, str] | None = None) -> bool:
    """Root on behalf of another user (sudo/doas), as the hardening decides it."""
    from jailtui.core.actions.harden import privileged_delegation

    return privileged_delegation(os.environ if env is None else env, os.geteuid())


def read_config(path: str | Path | None = None, *, env: Mapping[str, str] | None = None,
                delegated: bool | None = None,
                error: type[JailtuiError] = JailtuiError) -> ConfigDocument:
    """Read every layer that exists and merge them.

    ``error`` is raised, naming the file, for an explicit ``path`` that does
    not exist, a file that cannot be read, is not UTF-8 or not TOML (with
    tomllib's line and column), and, in a delegated session, a system file
    that someone other than root could have written. A system file this
    (non-root) user may not read is skipped, with a warning (``warnings``).
    """
    if delegated is None:
        delegated = is_delegated(env)
    places: list[Place] = []
    layers: list[Layer] = []
    system = system_config_path(env, delegated=delegated)
    if delegated and system.exists():
        from jailtui.core.actions.delegation import PolicyError, check_root_owned

        try:
            check_root_owned(str(system), "system config")
        except PolicyError as exc:
            raise error(str(exc)) from None
    wanted: list[tuple[Source, Path, bool]] = [(Source.SYSTEM, system, False)]
    if not delegated:
        if path is not None:
            wanted.append((Source.OPTION, Path(path), True))
        else:
            source, user = user_config_path(env)
            wanted.append((source, user, False))
    for source, file, required in wanted:
        try:
            layer = _read_layer(source, file, required=required, error=error)
        except PermissionError as exc:
            if source is not Source.SYSTEM or delegated:
                raise error(f"{file}: {exc.strerror or exc}") from None
            # The system file may be root's alone (mode 0600 beside the
            # policy): a user who cannot read it gets the defaults, and a warning.
            places.append(Place(source, file, False, f"not readable ({exc.strerror})"))
            continue
        places.append(Place(source, file, layer is not None))
        if layer is not None:
            layers.append(layer)
    merged: dict[str, Any] = {}
    origin: dict[KeyPath, Layer] = {}
    for layer in layers:
        _merge(merged, layer.doc, (), layer, origin)
    return ConfigDocument(merged, tuple(layers), tuple(places), origin, delegated)


def _read_layer(source: Source, file: Path, *, required: bool,
                error: type[JailtuiError]) -> Layer | None:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        if required:
            raise error(f"{file}: no such config file") from None
        return None
    except PermissionError:
        raise
    except OSError as exc:
        raise error(f"{file}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{file}: not UTF-8 text") from None
    import tomllib  # only when a config file exists (issue 18: list's imports)

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{file}: {exc}") from None
    return Layer(source, file, doc, key_lines(text))


def _merge(into: dict[str, Any], doc: Mapping[str, Any], prefix: KeyPath, layer: Layer,
           origin: dict[KeyPath, Layer]) -> None:
    """Merge ``doc`` into ``into`` key by key, recording ``layer`` as each key's origin."""
    for key, value in doc.items():
        path = (*prefix, key)
        old = into.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            origin[path] = layer
            _merge(old, value, path, layer, origin)
            continue
        for stale in [p for p in origin if p[:len(path)] == path]:
            del origin[stale]
        into[key] = _copy(value)
        _mark(value, path, layer, origin)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _mark(value: Any, path: KeyPath, layer: Layer, origin: dict[KeyPath, Layer]) -> None:
    origin[path] = layer
    if isinstance(value, dict):
        for key, sub in value.items():
            _mark(sub, (*path, key), layer, origin)
