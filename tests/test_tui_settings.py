"""The config file (core/settings.py): locations, validation, [keys] reaching the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import make_app, settle

from jailtui.core.checks.health import Thresholds
from jailtui.core.config.settings import (
    DEFAULT_INTERVAL,
    Settings,
    SettingsError,
    config_path,
    load_settings,
    parse_settings,
)


def test_defaults_when_there_is_no_file(tmp_path: Path) -> None:
    s = load_settings(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert s == Settings()
    assert s.interval == DEFAULT_INTERVAL and s.source is None


def test_config_path_precedence(tmp_path: Path) -> None:
    assert config_path({"JAILTUI_CONFIG": "/x/y.toml", "XDG_CONFIG_HOME": "/c"}) == \
        Path("/x/y.toml")
    assert config_path({"XDG_CONFIG_HOME": "/c"}) == Path("/c/jailtui/config.toml")
    assert config_path({}).parts[-3:] == (".config", "jailtui", "config.toml")


def test_a_full_file(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[console]\ninterval = 5\ntheme = "ansi-dark"\n\n'
                 '[keys]\nstop = "ctrl+d"\nsignal = "k,f9,K"\n\n'
                 '[check]\ndisk_warn = 70\nmin_securelevel = 2\nflag_params = ["allow.mount"]\n'
                 "check_daemons = false\n")
    s = load_settings(f)
    assert s.interval == 5.0 and s.theme == "ansi-dark"
    assert dict(s.keys) == {"stop": "ctrl+d", "signal": "k,f9,K"}
    assert s.source == f and s.warnings == ()
    th = s.thresholds(Thresholds())
    assert th.disk_warn == 70.0 and th.min_securelevel == 2
    assert th.flag_params == ("allow.mount",) and th.check_daemons is False
    assert th.disk_crit == Thresholds().disk_crit


def test_unknown_keys_are_warnings_not_silence() -> None:
    s = parse_settings({"console": {"intervall": 3}, "colours": {}, "check": {"x": 1}})
    assert len(s.warnings) == 3
    assert any("intervall" in w for w in s.warnings)
    assert any("[colours]" in w for w in s.warnings)


@pytest.mark.parametrize("doc, words", [
    ({"console": {"interval": "2"}}, "interval must be a number"),
    ({"console": {"interval": 0.01}}, "between 0.2 and 3600"),
    ({"console": {"interval": True}}, "interval must be a number"),
    ({"console": {"theme": 3}}, "theme must be"),
    ({"keys": {"stop": 4}}, "[keys] stop must be a key string"),
    ({"keys": {"stop": " "}}, "[keys] stop must be a key string"),
    ({"keys": "x"}, "keys must be a table"),
    ({"check": {"disk_warn": 120}}, "percentage"),
    ({"check": {"min_securelevel": 7}}, "-1..3"),
    ({"check": {"flag_params": "allow.mount"}}, "list of names"),
    ({"check": {"check_daemons": "yes"}}, "true or false"),
])
def test_wrong_types_are_errors_naming_the_key(doc: dict[str, object], words: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(doc, source=Path("/home/u/.config/jailtui/config.toml"))
    assert words in str(info.value)
    assert "/home/u/.config/jailtui/config.toml" in str(info.value)


def test_broken_or_missing_explicit_file(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[console\ninterval = 2\n")
    with pytest.raises(SettingsError, match=str(f)):
        load_settings(f)
    with pytest.raises(SettingsError, match="no such config file"):
        load_settings(tmp_path / "missing.toml")
    f.write_bytes(b"\xff\xfe")
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings(f)


def test_default_file_is_found_through_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("JAILTUI_CONFIG", raising=False)
    (tmp_path / "jailtui").mkdir()
    (tmp_path / "jailtui" / "config.toml").write_text("[console]\ninterval = 0.5\n")
    assert load_settings().interval == 0.5


async def test_console_applies_interval_theme_and_reports_bad_entries() -> None:
    s = parse_settings({"console": {"interval": 7, "theme": "no-such-theme"},
                        "keys": {"pause": "v"}, "extra": {}})
    app = make_app(settings=s, interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.poll_state.interval == 7.0
        journal = [e.message for e in app.journal]
        assert any("no-such-theme" in m for m in journal)
        assert any("[extra]" in m for m in journal)
        await pilot.press("v")
        assert app.poll_state.paused
    s = parse_settings({"console": {"theme": "ansi-dark"}})
    app = make_app(settings=s)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # Textual 6.x has no ansi-dark: its textual-ansi stands in (docs/packaging.md 1).
        expected = "ansi-dark" if "ansi-dark" in app.available_themes else "textual-ansi"
        assert app.theme == expected
