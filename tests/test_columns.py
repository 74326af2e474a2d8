"""The panes' columns by name (core/columns.py) and ``[columns]`` of config.toml.

The catalogue must name every column the widgets build (a column added to a
pane and not here could never be chosen); config.toml's choice is validated
with file and line like every other setting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jailtui.core.columns import (
    JAIL_COLUMNS,
    PROCESS_COLUMNS,
    choice_problem,
    default_order,
    ordered,
)
from jailtui.core.config.settings import SettingsError, load_settings


def test_the_catalogue_names_every_widget_column() -> None:
    from jailtui.widgets.jail_table import jail_columns
    from jailtui.widgets.process_table import ProcessTable

    jail_keys = [c.key for c in jail_columns()]
    jail_keys.insert(jail_keys.index("path"), "trend")
    assert jail_keys == [c.key for c in JAIL_COLUMNS]
    table = ProcessTable()
    table.host_wide = True
    assert [c.key for c in table._make_columns()] == [c.key for c in PROCESS_COLUMNS]
    assert "note" not in default_order("jails")  # shown when chosen; a mark otherwise


def test_ordered_keeps_the_pane_s_own_columns_in_place() -> None:
    keys = ["marked", "health", "state", "jid", "name", "owner", "mem", "path"]
    assert ordered(keys, ["name", "mem", "state"]) == ["marked", "health", "name", "mem",
                                                       "state"]
    assert ordered(keys, None) == keys
    # A chosen column the pane lacks now (JID outside the host-wide view) is skipped.
    assert ordered(["pid", "user"], ["jid", "user", "pid"]) == ["user", "pid"]


@pytest.mark.parametrize("names, problem", [
    (["name", "nope"], "no column 'nope' in the jails pane"),
    (["name", "name"], "column 'name' given twice"),
    (["state"], "NAME is always shown"),
    (["name", 3], "column names are strings"),
])
def test_choice_problems(names: list[object], problem: str) -> None:
    found = choice_problem("jails", names)
    assert found is not None and problem in found


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_columns_from_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[columns]\njails = ["name", "state", "cpu"]\n'
                           'processes = ["pid", "command"]\n')
    settings = load_settings(path)
    assert settings.columns == {"jails": ("name", "state", "cpu"),
                                "processes": ("pid", "command")}
    assert settings.column_places["processes"] == f"{path}:3"


@pytest.mark.parametrize("text, message", [
    ('[columns]\n\njails = ["name", "colour"]\n',
     ":3: [columns] jails: no column 'colour' in the jails pane (columns: state, jid"),
    ('[columns]\nprocesses = ["user"]\n', ":2: [columns] processes: PID is always shown"),
    ('[columns]\njails = "name,state"\n', ":2: [columns] jails must be a list of column names"),
    ('[console]\nremember_view = "no"\n', ":2: [console] remember_view must be true or false"),
])
def test_bad_columns_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert f"{path}{message}" in err.value.message


def test_an_unknown_pane_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, '[columns]\npods = ["name"]\n')
    settings = load_settings(path)
    assert settings.columns == {}
    assert any("unknown key [columns] pods ignored" in w for w in settings.warnings)


def test_remember_view(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[console]\nremember_view = false\n")).remember_view \
        is False
    assert load_settings(write(tmp_path, "")).remember_view is True
