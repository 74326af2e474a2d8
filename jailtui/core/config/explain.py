"""The effective configuration: every key, its value, and where the value came from.

What ``jailtui config`` prints. The values are the validated ones the
program uses (so reading them validates the files, with file and line on
error); the sources are core/config/layers.py's: the default, a file and
line, or the command line. ``[keys]`` entries are passed through as the
files give them (the key table checks the ids, console/keys.py) and
``[hosts.NAME]`` tables are validated by core/hosts/fleet.py.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jailtui.core.columns import PANES
from jailtui.core.config import settings as settings_mod
from jailtui.core.config.layers import ConfigDocument, Source
from jailtui.core.config.tomlines import KeyPath
from jailtui.core.text import visible

#: Textual's own default theme, which applies while ``[console] theme`` is unset.
DEFAULT_THEME = "textual-dark"


@dataclass(frozen=True, slots=True)
class Entry:
    """One key of the effective configuration."""

    key: KeyPath
    #: The value in use; None for a key that is unset and has no value by
    #: default (``[check] min_securelevel``: not checked).
    value: Any
    source: Source
    file: Path | None = None
    line: int | None = None
    #: The option that set it, for ``Source.COMMAND_LINE``.
    option: str | None = None

    @property
    def name(self) -> str:
        return ".".join(self.key)

    def where(self) -> str:
        """``default``, ``FILE:LINE`` or the option, as ``jailtui config`` shows it."""
        if self.source is Source.COMMAND_LINE:
            return self.option or str(self.source)
        if self.file is None:
            return str(self.source)
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "source": str(self.source),
                "file": None if self.file is None else str(self.file), "line": self.line,
                "option": self.option}


def defaults() -> dict[KeyPath, Any]:
    """Every known key outside ``[keys]`` and ``[hosts.*]`` with its default, in file order."""
    return _values(settings_mod.Settings())


def _values(settings: settings_mod.Settings) -> dict[KeyPath, Any]:
    """Every known key outside ``[keys]`` and ``[hosts.*]`` with its value in
    ``settings`` (the defaults: ``Settings()``), in file order. The one list
    of keys: a new key is added here once."""
    from jailtui.core.checks.health import Thresholds

    th = settings.thresholds(Thresholds())
    return {
        ("console", "interval"): settings.interval,
        ("console", "theme"): settings.theme or DEFAULT_THEME,
        ("console", "health_interval"): settings.health_interval,
        ("console", "history"): settings.history,
        ("console", "remember_view"): settings.remember_view,
        ("check", "disk_warn"): th.disk_warn,
        ("check", "disk_crit"): th.disk_crit,
        ("check", "rctl_warn"): th.rctl_warn,
        ("check", "rctl_crit"): th.rctl_crit,
        ("check", "min_securelevel"): th.min_securelevel,
        ("check", "flag_params"): list(th.flag_params),
        ("check", "check_daemons"): th.check_daemons,
        ("check", "dying_after"): th.dying_after,
        ("check", "snapshot_max_age"): th.snapshot_max_age,
        ("limits", "output_mib"): settings.output_mib,
        **{("posture", k): v for k, v in settings.posture.to_toml().items()},
        ("backup", "keep"): settings.backup_keep,
        ("backup", "target"): settings.backup_target,
        # Unset (None) unless pinned: the console's picker then decides
        # (remembered in the state file), else core/columns.py's defaults.
        **{("columns", pane): list(settings.columns[pane]) if pane in settings.columns
           else None for pane in PANES},
    }


def sample_text() -> str:
    """The commented default file (``jailtui config --init``; the port's config.toml.sample)."""
    return resources.files("jailtui").joinpath("config.toml.sample").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Effective:
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...]


def explain(document: ConfigDocument, *, interval: float | None = None) -> Effective:
    """The effective configuration of ``document``; ``interval`` is ``--interval``.

    Raises SettingsError / FleetError (file and line) for a value the
    program would refuse.
    """
    from jailtui.core.checks.health import Thresholds, threshold_problems
    from jailtui.core.hosts.fleet import parse_hosts

    settings = settings_mod.settings_of(document)
    hosts = parse_hosts(document.merged, source=document.source, at=document.at)
    used = _values(settings)
    entries: list[Entry] = []
    for key in defaults():
        if key == ("console", "interval") and interval is not None:
            entries.append(Entry(key, interval, Source.COMMAND_LINE, option="--interval"))
            continue
        entries.append(_entry(document, key, used[key]))
    for binding_id, keys in settings.keys.items():
        entries.append(_entry(document, ("keys", binding_id), keys))
    raw_hosts = document.merged.get("hosts", {})
    for name in hosts.hosts:
        for k, v in raw_hosts.get(name, {}).items():
            entries.append(_entry(document, ("hosts", name, str(k)), v))
    warnings = (*settings.warnings, *hosts.warnings,
                *(f"[check]: {p}" for p in threshold_problems(settings.thresholds(Thresholds()))))
    return Effective(tuple(entries), tuple(warnings))


def _entry(document: ConfigDocument, key: KeyPath, value: Any) -> Entry:
    layer = document.origin.get(key)
    if layer is None:
        return Entry(key, value, Source.DEFAULT)
    return Entry(key, value, layer.source, layer.path, layer.line(*key))


def toml_value(value: Any) -> str:
    """``value`` written as TOML that is safe to show as it is.

    Every character core.text.visible() would not show as itself (controls,
    bidi overrides, separators), and every combining mark, becomes a TOML
    ``\\uXXXX`` escape (https://toml.io/en/v1.0.0#string), so the text is
    both printable and still valid TOML; visible() itself would double the
    backslashes and break that.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        out = []
        for c in value:
            if c in '"\\':
                out.append("\\" + c)
            elif visible(c) != c or unicodedata.combining(c):
                out.append(f"\\u{ord(c):04X}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08X}")
            else:
                out.append(c)
        return '"' + "".join(out) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        # An inline table ([posture] flags): quoted keys, TOML's "=".
        return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    return json.dumps(value)
