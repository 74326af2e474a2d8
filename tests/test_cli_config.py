"""``jailtui config`` and ``jailtui config --init`` through the real entry point (issue 19)."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from jailtui.core.config.explain import defaults

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90,
                          env={**os.environ, **(env or {})})


def user_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "jailtui" / "config.toml"


def test_init_then_config_round_trips() -> None:
    out = jailtui("config", "--init")
    assert out.returncode == 0, out.stderr
    assert user_file().exists() and str(user_file()) in out.stderr
    shown = jailtui("config", "--json")
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)["settings"]
    for (section, key), default in defaults().items():
        entry = settings[f"{section}.{key}"]
        assert entry["value"] == default, (section, key)
        if default is None:
            # no TOML value means "unset": commented in the file
            assert entry["source"] == "default"
        else:
            assert entry["source"] == "user" and entry["file"] == str(user_file()), key
            line = user_file().read_text().splitlines()[entry["line"] - 1]
            assert line.startswith(f"{key} = "), (key, line)
    assert shown.stderr == ""


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "c.toml"
    assert jailtui("config", "--init", str(target)).returncode == 0
    target.write_text("[console]\ninterval = 9\n")
    again = jailtui("config", "--init", str(target))
    assert again.returncode == 1
    assert again.stderr == f"jailtui: config: {target}: exists; --force replaces it\n"
    assert target.read_text() == "[console]\ninterval = 9\n"   # nothing lost
    assert jailtui("config", "--init", str(target), "--force").returncode == 0
    assert tomllib.loads(target.read_text())["console"]["interval"] == 2.0
    assert [p.name for p in target.parent.iterdir()] == ["c.toml"]  # no temp file left


def test_human_output_is_toml_with_the_source_of_each_value(tmp_path: Path) -> None:
    system = tmp_path / "system.toml"
    system.write_text('[check]\ndisk_warn = 70\n[keys]\nstop = "ctrl+d"\n')
    user_file().parent.mkdir(parents=True)
    user_file().write_text("[console]\n\ntheme = \"ansi-dark\"\n")
    out = jailtui("--interval", "5", "config", env={"JAILTUI_SYSTEM_CONFIG": str(system)})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert f"# system           {system}" in lines
    assert f"# user             {user_file()}" in lines

    def row(key: str) -> str:
        return next(line for line in lines if line.startswith(f"{key} = "))

    assert row("interval").split("# ")[-1] == "--interval"
    assert row("theme").split("# ")[-1] == f"{user_file()}:3"
    assert row("disk_warn").split("# ")[-1] == f"{system}:2"
    assert row("stop").split("# ")[-1] == f"{system}:4"
    assert row("disk_crit").split("# ")[-1] == "default"
    # the output, comments cut, is a config file saying the same
    doc = tomllib.loads("\n".join(line.split(" #")[0] for line in lines))
    assert doc["console"]["interval"] == 5.0 and doc["keys"]["stop"] == "ctrl+d"


def test_errors_and_warnings_name_file_and_line(tmp_path: Path) -> None:
    user_file().parent.mkdir(parents=True)
    user_file().write_text("[console]\ninterval = 2\ncolour = 1\n")
    out = jailtui("config")
    assert out.returncode == 0
    assert out.stderr == (f"jailtui: warning: {user_file()}:3: unknown key [console] colour "
                          "ignored\n")
    user_file().write_text("[console]\ninterval = 2\n[check]\n\ndisk_crit = 'high'\n")
    for cmd in (["config"], ["--sim", str(tmp_path / "nosuch"), "list"]):
        out = jailtui(*cmd)
        assert out.returncode == 1
        assert out.stderr.startswith(f"jailtui: config: {user_file()}:5: [check] disk_crit"), \
            out.stderr


def test_list_still_refuses_a_bad_keys_entry(tmp_path: Path) -> None:
    # list loads the key table only when [keys] has entries (issue 18); an
    # entry is still checked before anything else is done.
    from jailtui.console.keys import _unknown_id

    user_file().parent.mkdir(parents=True)
    user_file().write_text('[keys]\nnosuch = "x"\n')
    out = jailtui("--sim", str(tmp_path / "nosuch"), "list")
    assert out.returncode == 1
    assert out.stderr == f"jailtui: config: {_unknown_id(f'{user_file()}:2', 'nosuch')}\n", \
        out.stderr


def test_untrusted_values_are_shown_escaped() -> None:
    user_file().parent.mkdir(parents=True)
    user_file().write_text('[keys]\n"\\u001b[31mx" = "a\\u001b]0;pwned\\u0007"\n')
    out = jailtui("config")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith('"'))
    assert line.startswith('"\\u001B[31mx" = "a\\u001B]0;pwned\\u0007"'), line
    # escaped for the screen, and still the same TOML
    assert tomllib.loads(line.split(" #")[0]) == {"\x1b[31mx": "a\x1b]0;pwned\x07"}


@pytest.mark.skipif(os.geteuid() != 0, reason="a delegated session is root through sudo")
def test_a_delegated_session_ignores_the_users_config_and_cannot_init(tmp_path: Path) -> None:
    """Root on behalf of a user (SUDO_UID, as sudo leaves it): the user's
    file (here one that would be an error) is never read, --config and
    --init are refused."""
    user = pwd.getpwnam("nobody")
    home = tmp_path / "home"
    (home / "jailtui").mkdir(parents=True)
    (home / "jailtui" / "config.toml").write_text("[console]\ninterval = 'bad'\n")
    env = {"PATH": os.environ["PATH"], "SUDO_UID": str(user.pw_uid),
           "SUDO_USER": user.pw_name, "XDG_CONFIG_HOME": str(home),
           "JAILTUI_CONFIG": str(home / "jailtui" / "config.toml")}
    run = [sys.executable, "-m", "jailtui"]
    out = subprocess.run([*run, "config", "--json"], env=env, capture_output=True, text=True,
                         timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["delegated"] is True
    assert [f["path"] for f in doc["files"]] == ["/usr/local/etc/jailtui/config.toml"]
    for args in (["config", "--init"], ["--config", str(home / "x.toml"), "config"]):
        out = subprocess.run([*run, *args], env=env, capture_output=True, text=True,
                             timeout=60, cwd="/")
        assert out.returncode == 1
        assert "not available to delegated users" in out.stderr, out.stderr
    assert not (tmp_path / "x.toml").exists()
