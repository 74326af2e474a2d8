"""jailtui's own settings: the ``config.toml`` files, validated.

Which files are read and in which order (the system-wide
``/usr/local/etc/jailtui/config.toml``, then the user's, ``--config FILE``
or ``$XDG_CONFIG_HOME/jailtui/config.toml``; the command line last) is
core/config/layers.py's; every key, its default and what it does is in
the commented sample ``jailtui/config.toml.sample`` (what ``jailtui config
--init`` writes; core/config/explain.py lists the effective values).

A missing default file is not an error: every setting has a default.
Unknown sections and keys are reported as warnings (the console shows them),
never silently ignored; a value of the wrong type or a file that is not valid
TOML is an error naming the file, line and key, because guessing what the
user meant could, for example, leave a dangerous key binding in place.

This module is Textual-free (docs/architecture.md): it only knows *that* keys are
binding ids; the console checks the ids exist.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from jailtui.core.columns import PANES, choice_problem
from jailtui.core.config.layers import ConfigDocument, read_config, user_config_path
from jailtui.core.errors import JailtuiError
from jailtui.core.history import DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW
from jailtui.core.posture.baseline import Baseline, parse_baseline
from jailtui.core.transport.capture import MAX_OUTPUT

if TYPE_CHECKING:
    from jailtui.core.checks.health import Thresholds

#: Default poll interval of the console, in seconds (k9s refreshes every 2 s
#: by default, k9s's ``refreshRate``; btop's default update is 2000 ms).
DEFAULT_INTERVAL = 2.0

#: Bounds of the poll interval: ``--interval``, ``[console] interval`` and the
#: console's ``+``/``-`` all use these (one range, issue 13 item 14).
MIN_INTERVAL = 0.2
MAX_INTERVAL = 3600.0

#: Steps of ``+``/``-`` (seconds), from MIN_INTERVAL to MAX_INTERVAL. A value
#: set with --interval between two steps moves to the next step in the
#: chosen direction.
INTERVAL_STEPS = (MIN_INTERVAL, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0,
                  600.0, 1800.0, MAX_INTERVAL)

#: The one refusal of an interval out of range.
INTERVAL_RANGE_MESSAGE = (f"--interval must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:g} "
                          "seconds")


def step_interval(current: float, direction: int) -> float:
    """The next step of :data:`INTERVAL_STEPS` up (``direction > 0``) or down."""
    if direction > 0:
        return next((s for s in INTERVAL_STEPS if s > current + 1e-9), INTERVAL_STEPS[-1])
    return next((s for s in reversed(INTERVAL_STEPS) if s < current - 1e-9), INTERVAL_STEPS[0])

_CHECK_FLOATS = ("disk_warn", "disk_crit", "rctl_warn", "rctl_crit")

#: Default seconds between two health evaluations in the console. Slower
#: than the poll: an evaluation runs ``jls -n all`` and rctl besides the
#: poll's snapshot it reuses (core/health.py).
DEFAULT_HEALTH_INTERVAL = 30.0

#: Bounds of ``[console] health_interval``; 0 turns the periodic check off.
MIN_HEALTH_INTERVAL = 5.0
MAX_HEALTH_INTERVAL = 86400.0


#: Bounds of ``[limits] output_mib`` (core/transport/capture.py MAX_OUTPUT).
MIN_OUTPUT_MIB = 1
MAX_OUTPUT_MIB = 4096
DEFAULT_OUTPUT_MIB = MAX_OUTPUT // (1024 * 1024)


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
    #: Seconds of history the console keeps per jail (``[console] history``,
    #: core/history.py): the sparklines' and graphs' window.
    history: float = DEFAULT_WINDOW
    #: Textual theme name (``[console] theme``); None keeps Textual's default.
    #: Use "ansi-dark" or "ansi-light" on terminals without 256 colours.
    theme: str | None = None
    #: Key remapping: binding id -> Textual key string (``[keys]``), handed
    #: to ``App.set_keymap``. Several keys are separated by commas.
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Raw ``[check]`` table, applied by :meth:`thresholds`.
    check: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Cap of each output stream of one command, in MiB (``[limits] output_mib``).
    output_mib: int = DEFAULT_OUTPUT_MIB
    #: ``[backup] keep``: the console's own snapshots (``jailtui-...``) kept per jail and
    #: per backup after a snapshot or a backup; older ones are destroyed (the console
    #: asks first: screens/prune.py). 0: keep all (the default).
    backup_keep: int = 0
    #: ``[backup] target``: the host directory a jail not on a ZFS dataset of its own is
    #: archived to (bsdtar, core/storage/backup.py); outside every jail's root.
    backup_target: str = "/var/backups"
    #: ``[console] remember_view``: restore the last view (pane, sort, filter,
    #: host, tree, theme) on start and save it on quit (core/userstate.py);
    #: ``--no-state`` turns it off for one run.
    remember_view: bool = True
    #: ``[columns]``: pane ("jails", "processes") -> the columns shown, in
    #: order (core/columns.py). A pane named here is pinned: the console's
    #: column picker changes it for the session only.
    columns: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    #: Where each ``[columns]`` entry is written ("FILE:LINE").
    column_places: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The file these settings came from; None when only defaults apply.
    source: Path | None = None
    #: Where each ``[keys]`` entry is written ("FILE:LINE"), for the key
    #: table's checks (console/keys.py checked_keymap).
    key_places: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Things in the file that were ignored (unknown keys), for the user.
    warnings: tuple[str, ...] = ()
    #: The security baseline (``[posture]``; defaults in core/posture/baseline.py).
    posture: Baseline = field(default_factory=Baseline)

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
        if self.posture.in_check:
            changes["posture"] = self.posture
        if "snapshot_max_age" in self.check:
            changes["snapshot_max_age"] = float(self.check["snapshot_max_age"])
        return replace(base, **changes)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the user's config file is looked for when no ``--config`` is given."""
    return user_config_path(env)[1]


def load_settings(path: str | Path | None = None, *,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the config files (core/config/layers.py); defaults where they say nothing.

    Raises SettingsError for an explicit path that does not exist, a file
    that is not TOML, or a value of the wrong type (naming file and line).
    """
    return settings_of(read_config_document(path, env=env))


def settings_of(document: ConfigDocument) -> Settings:
    """The validated settings of an already read document."""
    settings = parse_settings(document.merged, source=document.source, at=document.at)
    if document.warnings:
        settings = replace(settings, warnings=(*document.warnings, *settings.warnings))
    return settings


def read_config_document(path: str | Path | None = None, *,
                         env: Mapping[str, str] | None = None,
                         error: type[JailtuiError] = SettingsError) -> ConfigDocument:
    """Every config file merged, with the file and line of each key.

    One reader for every section (the console's, ``[check]``, and fleet.py's
    ``[hosts.*]``), so all of them fail the same way: an explicit path that
    does not exist, a file that is not UTF-8 or not TOML is an ``error``
    naming the file.
    """
    return read_config(path, env=env, error=error)


#: ``at(*key) -> "FILE:LINE"``: where a message about a key points.
Locate = Callable[..., str]


def parse_settings(doc: Mapping[str, Any], *, source: Path | None = None,
                   at: Locate | None = None) -> Settings:
    """Validate a decoded TOML document (split out so tests need no files).

    ``at(section, key)`` names the place of a key in messages ("FILE:LINE");
    without it every message names ``source``.
    """
    if at is None:
        fixed = str(source) if source is not None else "config"

        def at(*_key: str) -> str:
            return fixed
    warnings: list[str] = []
    interval = DEFAULT_INTERVAL
    health_interval = DEFAULT_HEALTH_INTERVAL
    history = DEFAULT_WINDOW
    theme: str | None = None
    keys: dict[str, str] = {}
    key_places: dict[str, str] = {}
    check: dict[str, Any] = {}
    remember_view = True

    for section, value in doc.items():
        if section == "hosts":
            # [hosts.NAME] tables: core/fleet.py reads and validates them
            # (load_hosts_config), with its own warnings.
            continue
        if section not in ("console", "keys", "check", "limits", "posture", "backup",
                           "columns"):
            warnings.append(f"{at(section)}: unknown section [{section}] ignored")
            continue
        if not isinstance(value, dict):
            raise SettingsError(f"{at(section)}: {section} must be a table ([{section}])")

    console = doc.get("console", {})
    if isinstance(console, dict):
        for key, value in console.items():
            if key == "interval":
                interval = _interval(at("console", key), value)
            elif key == "health_interval":
                health_interval = _health_interval(at("console", key), value)
            elif key == "history":
                history = _history(at("console", key), value)
            elif key == "theme":
                if not isinstance(value, str) or not value:
                    raise SettingsError(f"{at('console', key)}: [console] theme must be a theme name")
                theme = value
            elif key == "remember_view":
                if not isinstance(value, bool):
                    raise SettingsError(
                        f"{at('console', key)}: [console] remember_view must be true or false")
                remember_view = value
            else:
                warnings.append(f"{at('console', key)}: unknown key [console] {key} ignored")

    for binding_id, value in doc.get("keys", {}).items():
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(
                f"{at('keys', binding_id)}: [keys] {binding_id} must be a key string such as \"ctrl+r\"")
        keys[str(binding_id)] = value.strip()
        key_places[str(binding_id)] = at("keys", str(binding_id))

    for key, value in doc.get("check", {}).items():
        where = at("check", key)
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
        elif key in ("dying_after", "snapshot_max_age"):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SettingsError(f"{where}: [check] {key} must be seconds (>= 0)")
        else:
            warnings.append(f"{where}: unknown key [check] {key} ignored")
            continue
        check[key] = value

    output_mib = DEFAULT_OUTPUT_MIB
    for key, value in doc.get("limits", {}).items():
        where = at("limits", key)
        if key != "output_mib":
            warnings.append(f"{where}: unknown key [limits] {key} ignored")
        elif isinstance(value, bool) or not isinstance(value, int) \
                or not MIN_OUTPUT_MIB <= value <= MAX_OUTPUT_MIB:
            raise SettingsError(f"{where}: [limits] output_mib must be a whole number of MiB "
                                f"({MIN_OUTPUT_MIB}..{MAX_OUTPUT_MIB})")
        else:
            output_mib = value

    raw_posture = doc.get("posture", {})
    posture, posture_warnings = parse_baseline(
        raw_posture if isinstance(raw_posture, dict) else {}, at, SettingsError)
    warnings += posture_warnings
    backup_keep = 0
    backup_target = "/var/backups"
    for key, value in doc.get("backup", {}).items():
        where = at("backup", key)
        if key == "target":
            if not isinstance(value, str) or not value.startswith("/") or "\n" in value:
                raise SettingsError(f"{where}: [backup] target must be an absolute path "
                                    "(a directory on the host)")
            backup_target = value.rstrip("/") or "/"
        elif key != "keep":
            warnings.append(f"{where}: unknown key [backup] {key} ignored")
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
            raise SettingsError(f"{where}: [backup] keep must be a whole number of snapshots "
                                "(0: keep all)")
        else:
            backup_keep = value

    columns: dict[str, tuple[str, ...]] = {}
    column_places: dict[str, str] = {}
    for pane, value in doc.get("columns", {}).items():
        where = at("columns", pane)
        if pane not in PANES:
            warnings.append(f"{where}: unknown key [columns] {pane} ignored "
                            f"(panes: {', '.join(PANES)})")
            continue
        if not isinstance(value, list):
            raise SettingsError(f'{where}: [columns] {pane} must be a list of column names '
                                f'such as ["name", "state", "cpu"]')
        problem = choice_problem(pane, value)
        if problem is not None:
            raise SettingsError(f"{where}: [columns] {pane}: {problem}")
        columns[pane] = tuple(value)
        column_places[pane] = where

    return Settings(interval=interval, health_interval=health_interval, history=history,
                    theme=theme, remember_view=remember_view,
                    columns=MappingProxyType(columns),
                    column_places=MappingProxyType(column_places),
                    keys=MappingProxyType(keys), key_places=MappingProxyType(key_places),
                    output_mib=output_mib, posture=posture, backup_keep=backup_keep,
                    backup_target=backup_target,
                    check=MappingProxyType(check), source=source, warnings=tuple(warnings))


def _interval(where: str, value: object) -> float:
    """``[console] interval``; ``where`` is the key's "FILE:LINE"."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{where}: [console] interval must be a number of seconds")
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise SettingsError(
            f"{where}: [console] interval must be between {MIN_INTERVAL:g} and "
            f"{MAX_INTERVAL:g} seconds")
    return float(value)


def _history(where: str, value: object) -> float:
    """``[console] history``: the window of core/history.py, in seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not MIN_WINDOW <= value <= MAX_WINDOW:
        raise SettingsError(f"{where}: [console] history must be a number of seconds "
                            f"({MIN_WINDOW:g} .. {MAX_WINDOW:g})")
    return float(value)


def _health_interval(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{where}: [console] health_interval must be a number of seconds")
    if value != 0 and not MIN_HEALTH_INTERVAL <= value <= MAX_HEALTH_INTERVAL:
        raise SettingsError(
            f"{where}: [console] health_interval must be 0 (only on demand) or between "
            f"{MIN_HEALTH_INTERVAL:g} and {MAX_HEALTH_INTERVAL:g} seconds")
    return float(value)
