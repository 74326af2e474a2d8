"""The config files in layers (core/config/layers.py) and the line of each key (tomlines.py).

System-wide file, then the user's (or --config FILE), key by key; every
error and warning names the file and the line of the key; a delegated
session reads the system file only, and only when root alone could have
written it (issue 19).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from jailtui.core.config import layers
from jailtui.core.config.explain import defaults, explain, sample_text
from jailtui.core.config.layers import Source, read_config
from jailtui.core.config.settings import SettingsError, load_settings
from jailtui.core.config.tomlines import key_lines, line_of
from jailtui.core.hosts.fleet import FleetError, load_hosts_config

TRICKY = '''# a comment with key = 1
top = 1
[console]
interval = 5   # seconds
"quoted key" = "x = 2"
text = """
fake = 3
[not.a.table]
"""
list = [
  "a = 1",
  [2, 3],
]
after = true
literal = \'\'\'
z = 9\'\'\'
dotted.sub = 4
inline = { a = 1, b = 2 }

[ "hosts" . web1 ]
destination = "root@web1"
[[arr]]
x = 1
'''


def test_key_lines_follow_the_toml_grammar() -> None:
    tomllib.loads(TRICKY)  # the scanner only ever sees valid TOML
    lines = key_lines(TRICKY)
    assert lines[("top",)] == 2
    assert lines[("console",)] == 3
    assert lines[("console", "interval")] == 4
    assert lines[("console", "quoted key")] == 5
    assert lines[("console", "text")] == 6
    assert ("fake",) not in lines and ("console", "fake") not in lines
    assert ("not", "a", "table") not in lines
    assert lines[("console", "list")] == 10
    assert lines[("console", "after")] == 14
    assert ("console", "z") not in lines
    assert lines[("console", "dotted", "sub")] == 17
    assert lines[("console", "dotted")] == 17
    assert lines[("hosts", "web1")] == 20
    assert lines[("hosts", "web1", "destination")] == 21
    assert lines[("arr", "x")] == 23
    # an inline table's keys: the line of the key holding it
    assert line_of(lines, ("console", "inline", "b")) == 18
    assert line_of(lines, ("console", "nosuch")) == 3
    assert line_of(lines, ("nosuch",)) is None


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    system = _write(tmp_path / "etc" / "config.toml",
                    '[console]\ninterval = 5\nhealth_interval = 60\n\n[check]\n'
                    'disk_warn = 70\n\n[hosts.web1]\ndestination = "root@web1"\n'
                    'interval = 9\n')
    user = _write(tmp_path / "home" / "jailtui" / "config.toml",
                  '# mine\n[console]\ninterval = 1\n\n[hosts.web1]\ninterval = 3\n')
    env = {"JAILTUI_SYSTEM_CONFIG": str(system), "XDG_CONFIG_HOME": str(tmp_path / "home")}
    return system, user, env


def test_user_file_overrides_the_system_file_key_by_key(
        two_files: tuple[Path, Path, dict[str, str]]) -> None:
    system, user, env = two_files
    doc = read_config(env=env, delegated=False)
    assert [(p.source, p.path, p.found) for p in doc.places] == [
        (Source.SYSTEM, system, True), (Source.USER, user, True)]
    s = load_settings(env=env)
    assert s.interval == 1.0 and s.health_interval == 60.0
    assert doc.layer_of("console", "interval").path == user          # type: ignore[union-attr]
    assert doc.layer_of("console", "health_interval").path == system  # type: ignore[union-attr]
    assert doc.at("console", "interval") == f"{user}:3"
    assert doc.at("check", "disk_warn") == f"{system}:6"
    # [hosts.web1]: the destination from the system file, the interval from the user's
    web1 = load_hosts_config(env=env).hosts["web1"]
    assert web1.destination == "root@web1" and web1.interval == 3.0


def test_config_option_replaces_the_user_file_and_must_exist(
        two_files: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    system, _user, env = two_files
    other = _write(tmp_path / "other.toml", "[console]\ninterval = 7\n")
    doc = read_config(other, env=env, delegated=False)
    assert [p.source for p in doc.places] == [Source.SYSTEM, Source.OPTION]
    assert load_settings(other, env=env).interval == 7.0
    with pytest.raises(SettingsError, match="no such config file"):
        load_settings(tmp_path / "missing.toml", env=env)


@pytest.mark.parametrize("text, line, words", [
    ('[console]\n\n\ninterval = "2"\n', 4, "[console] interval must be a number"),
    ('[check]\n# c\n  disk_crit = 120\n', 3, "[check] disk_crit must be a percentage"),
    ('[limits]\noutput_mib = 0\n', 2, "[limits] output_mib"),
    ('[keys]\nstop = 4\n', 2, "[keys] stop must be a key string"),
    ('console = 3\n', 1, "console must be a table"),
    ('[console]\ntheme = 1\n[check]\n', 2, "[console] theme"),
])
def test_wrong_types_name_file_and_line(tmp_path: Path, text: str, line: int,
                                        words: str) -> None:
    f = _write(tmp_path / "c.toml", text)
    with pytest.raises(SettingsError) as info:
        load_settings(f, env={})
    assert str(info.value).startswith(f"{f}:{line}: ")
    assert words in str(info.value)


def test_unknown_keys_are_warnings_with_file_and_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.toml", '[console]\ninterval = 2\nintervall = 3\n\n[colours]\n'
                                    'x = 1\n[hosts.a]\ncolour = "red"\n')
    s = load_settings(f, env={})
    assert f"{f}:3: unknown key [console] intervall ignored" in s.warnings
    assert f"{f}:5: unknown section [colours] ignored" in s.warnings
    assert load_hosts_config(f, env={}).warnings == (
        f"{f}:8: unknown key [hosts.a] colour ignored",)


def test_hosts_errors_name_file_and_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.toml", '[hosts.a]\ndestination = "x"\nroot = "rel"\n')
    with pytest.raises(FleetError, match=rf"^{f}:3: \[hosts.a\] root must be"):
        load_hosts_config(f, env={})


def test_a_delegated_session_reads_the_system_file_only(
        two_files: tuple[Path, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    system, _user, env = two_files
    os.chmod(system, 0o644)
    # The environment cannot move the system file for a delegate: only the
    # fixed path counts (here pointed at the test's file).
    monkeypatch.setattr(layers, "SYSTEM_CONFIG", str(system))
    doc = read_config("/etc/shadow", env={**env, "JAILTUI_SYSTEM_CONFIG": "/nonexistent"},
                      delegated=True)
    assert [(p.source, p.path) for p in doc.places] == [(Source.SYSTEM, system)]
    assert doc.merged["console"]["interval"] == 5
    assert doc.delegated


@pytest.mark.skipif(os.geteuid() != 0, reason="the file must be root's: needs root")
def test_a_delegate_refuses_a_system_file_others_could_write(
        two_files: tuple[Path, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    system, _user, env = two_files
    monkeypatch.setattr(layers, "SYSTEM_CONFIG", str(system))
    os.chmod(system, 0o666)
    with pytest.raises(SettingsError, match="writable by group or others"):
        read_config(env=env, delegated=True, error=SettingsError)
    # the same file is fine for a direct session (the user's own business)
    assert read_config(env=env, delegated=False).layers


def test_the_sample_has_every_key_at_its_default() -> None:
    """config --init writes the sample: it must set every key to the
    default, except those whose default is "unset" (commented there)."""
    doc = tomllib.loads(sample_text())
    for (section, key), default in defaults().items():
        if default is None:
            assert f"# {key} = " in sample_text(), key
            continue
        assert doc[section][key] == default, (section, key)
    assert set(doc) == {"console", "keys", "check", "limits", "posture", "backup"}
    assert doc["keys"] == {}


def test_explain_names_the_source_of_every_key(
        two_files: tuple[Path, Path, dict[str, str]]) -> None:
    system, user, env = two_files
    effective = explain(read_config(env=env, delegated=False), interval=0.5)
    by = {e.name: e for e in effective.entries}
    assert by["console.interval"].source is Source.COMMAND_LINE
    assert by["console.interval"].where() == "--interval" and by["console.interval"].value == 0.5
    assert by["console.health_interval"].where() == f"{system}:3"
    assert by["check.disk_warn"].value == 70.0 and by["check.disk_warn"].line == 6
    assert by["check.disk_crit"].source is Source.DEFAULT
    assert by["check.min_securelevel"].value is None
    assert by["hosts.web1.interval"].where() == f"{user}:6"
    assert by["hosts.web1.destination"].where() == f"{system}:9"
    assert {k for (k, *_) in (e.key for e in effective.entries)} == {
        "console", "check", "limits", "backup", "hosts", "posture", "columns"}


def test_a_system_file_this_user_cannot_read_is_skipped_with_a_warning(
        two_files: tuple[Path, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Root's 0600 system file (beside the policy): a read-only user gets the
    defaults and a warning, not an error; their own unreadable file is an error."""
    system, user, env = two_files
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self in (system, user) and getattr(read_bytes, "deny", set()) & {self}:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    read_bytes.deny = {system}  # type: ignore[attr-defined]
    s = load_settings(env=env)
    assert s.interval == 1.0 and s.health_interval == 30.0   # the user's, else defaults
    assert s.warnings[0] == (f"{system}: not readable (Permission denied); its settings are "
                             "not applied")
    read_bytes.deny = {user}  # type: ignore[attr-defined]
    with pytest.raises(SettingsError, match=f"^{user}: Permission denied"):
        load_settings(env=env)
