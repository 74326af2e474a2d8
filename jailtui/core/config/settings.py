"""The user's config file: ``~/.config/jailtui/config.toml``.

Where it is (first match wins):

1. the path given with ``--config FILE`` (it must exist);
2. ``$JAILTUI_CONFIG``;
3. ``$XDG_CONFIG_HOME/jailtui/config.toml``, ``$XDG_CONFIG_HOME`` defaulting
   to ``~/.config``.

A missing default file is not an error: every setting has a default.
Precedence for each value: command line > config file > default (the command
line is applied by ``cli.py``, e.g. ``--interval``).

The whole file, with every key and its default::

    [console]
    interval = 2.0          # seconds between polls (0.2 .. 3600)
    theme = "textual-dark"  # any Textual theme; "ansi-dark" uses the terminal's palette
    health_interval = 30.0  # seconds between health checks (5 .. 86400; 0: only on demand)

    [keys]                  # binding id = "key[,key...]"  (see ? in the console)
    stop = "ctrl+d"
    signal = "k,f9"

    [check]                 # thresholds of `jailtui check`
    disk_warn = 80.0
    disk_crit = 90.0
    rctl_warn = 80.0
    rctl_crit = 95.0
    min_securelevel = 3
    flag_params = ["allow.raw_sockets", "allow.mount"]
    check_daemons = true
    dying_after = 600       # seconds a jail may be dying before "stuck dying"

Unknown sections and keys are reported as warnings (the console shows them),
never silently ignored; a value of the wrong type or a file that is not valid
TOML is an error naming the file and the key, because guessing what the user
meant could, for example, leave a dangerous key binding in place.

This module is Textual-free (docs/architecture.md): it only knows *that* keys are
binding ids; the console checks the ids exist.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from jailtui.core.errors import JailtuiError

if TYPE_CHECKING:
    from jailtui.core.checks.health import Thresholds

#: Default poll interval of the console, in seconds (k9s and btop use 2 s;
#: prior-art.md B1, B5).
DEFAULT_INTERVAL = 2.0

#: Bounds of the poll interval; the same as ``--interval`` accepts.
MIN_INTERVAL = 0.2
MAX_INTERVAL = 3600.0

_CHECK_FLOATS = ("disk_warn", "disk_crit", "rctl_warn", "rctl_crit")

#: Default seconds between two health evaluations in the console. Slower
#: than the poll: an evaluation runs ``jls -n all`` and rctl besides the
#: poll's snapshot it reuses (core/health.py).
DEFAULT_HEALTH_INTERVAL = 30.0

#: Bounds of ``[console] health_interval``; 0 turns the periodic check off.
MIN_HEALTH_INTERVAL = 5.0
MAX_HEALTH_INTERVAL = 86400.0


class SettingsError(JailtuiError):
    """The config file exists but cannot be used; the message names file and key."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the config file can set, with the defaults."""

    #: Seconds between two polls of the host (``[console] interval``).
    interval: float = DEFAULT_INTERVAL
    #: Seconds between two health evaluations (``[console] health_interval``);
    #: 0: only when asked (``r`` in the health view).
    health_interval: float = DEFAULT_HEALTH_INTERVAL
    #: Textual theme name (``[console] theme``); None keeps Textual's default.
    #: Use "ansi-dark" or "ansi-light" on terminals without 256 colours.
    theme: str | None = None
    #: Key remapping: binding id -> Textual key string (``[keys]``), handed
    #: to ``App.set_keymap``. Several keys are separated by commas.
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Raw ``[check]`` table, applied by :meth:`thresholds`.
    check: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: The file these settings came from; None when only defaults apply.
    source: Path | None = None
    #: Things in the file that were ignored (unknown keys), for the user.
    warnings: tuple[str, ...] = ()

    def thresholds(self, base: Thresholds) -> Thresholds:
        """``base`` with the ``[check]`` values of the file applied."""
        changes: dict[str, Any] = {}
        for key in _CHECK_FLOATS:
            if key in self.check:
                changes[key] = float(self.check[key])
        if "min_securelevel" in self.check:
            changes["min_securelevel"] = int(self.check["min_securelevel"])
        if "flag_params" in self.check:
            changes["flag_params"] = tuple(self.check["flag_params"])
        if "check_daemons" in self.check:
            changes["check_daemons"] = bool(self.check["check_daemons"])
        if "dying_after" in self.check:
            changes["dying_after"] = float(self.check["dying_after"])
        return replace(base, **changes)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for when no ``--config`` is given."""
    env = os.environ if env is None else env
    explicit = env.get("JAILTUI_CONFIG")
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "jailtui" / "config.toml"


def load_settings(path: str | Path | None = None, *,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file; defaults when the (default) file does not exist.

    Raises SettingsError for an explicit path that does not exist, a file
    that is not TOML, or a value of the wrong type.
    """
    found = read_config_document(path, env=env)
    if found is None:
        return Settings()
    file, doc = found
    return parse_settings(doc, source=file)


def read_config_document(path: str | Path | None = None, *,
                         env: Mapping[str, str] | None = None,
                         error: type[JailtuiError] = SettingsError
                         ) -> tuple[Path, dict[str, Any]] | None:
    """The config file decoded as TOML, or None when the default file is absent.

    One reader for every section (the console's, ``[check]``, and fleet.py's
    ``[hosts.*]``), so all of them fail the same way: an explicit path that
    does not exist, a file that is not UTF-8 or not TOML is an ``error``
    naming the file.
    """
    file = Path(path) if path is not None else config_path(env)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        if path is not None:
            raise error(f"{file}: no such config file") from None
        return None
    except OSError as exc:
        raise error(f"{file}: {exc.strerror or exc}") from None
    try:
        return file, tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{file}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{file}: {exc}") from None


def parse_settings(doc: Mapping[str, Any], *, source: Path | None = None) -> Settings:
    """Validate a decoded TOML document (split out so tests need no files)."""
    where = str(source) if source is not None else "config"
    warnings: list[str] = []
    interval = DEFAULT_INTERVAL
    health_interval = DEFAULT_HEALTH_INTERVAL
    theme: str | None = None
    keys: dict[str, str] = {}
    check: dict[str, Any] = {}

    for section, value in doc.items():
        if section == "hosts":
            # [hosts.NAME] tables: core/fleet.py reads and validates them
            # (load_hosts_config), with its own warnings.
            continue
        if section not in ("console", "keys", "check"):
            warnings.append(f"{where}: unknown section [{section}] ignored")
            continue
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: {section} must be a table ([{section}])")

    console = doc.get("console", {})
    if isinstance(console, dict):
        for key, value in console.items():
            if key == "interval":
                interval = _interval(where, value)
            elif key == "health_interval":
                health_interval = _health_interval(where, value)
            elif key == "theme":
                if not isinstance(value, str) or not value:
                    raise SettingsError(f"{where}: [console] theme must be a theme name")
                theme = value
            else:
                warnings.append(f"{where}: unknown key [console] {key} ignored")

    for binding_id, value in doc.get("keys", {}).items():
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(
                f"{where}: [keys] {binding_id} must be a key string such as \"ctrl+r\"")
        keys[str(binding_id)] = value.strip()

    for key, value in doc.get("check", {}).items():
        if key in _CHECK_FLOATS:
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not 0 <= value <= 100:
                raise SettingsError(f"{where}: [check] {key} must be a percentage (0-100)")
        elif key == "min_securelevel":
            if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 3:
                raise SettingsError(f"{where}: [check] min_securelevel must be -1..3")
        elif key == "flag_params":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{where}: [check] flag_params must be a list of names")
        elif key == "check_daemons":
            if not isinstance(value, bool):
                raise SettingsError(f"{where}: [check] check_daemons must be true or false")
        elif key == "dying_after":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SettingsError(f"{where}: [check] dying_after must be seconds (>= 0)")
        else:
            warnings.append(f"{where}: unknown key [check] {key} ignored")
            continue
        check[key] = value

    return Settings(interval=interval, health_interval=health_interval, theme=theme,
                    keys=MappingProxyType(keys),
                    check=MappingProxyType(check), source=source, warnings=tuple(warnings))


def _interval(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{where}: [console] interval must be a number of seconds")
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise SettingsError(
            f"{where}: [console] interval must be between {MIN_INTERVAL:g} and "
            f"{MAX_INTERVAL:g} seconds")
    return float(value)


def _health_interval(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{where}: [console] health_interval must be a number of seconds")
    if value != 0 and not MIN_HEALTH_INTERVAL <= value <= MAX_HEALTH_INTERVAL:
        raise SettingsError(
            f"{where}: [console] health_interval must be 0 (only on demand) or between "
            f"{MIN_HEALTH_INTERVAL:g} and {MAX_HEALTH_INTERVAL:g} seconds")
    return float(value)
