"""One key table (issue 12) and ``[keys]`` that are checked (issue 13 item 16).

Every binding of every class in jailtui comes from console/keys.py with an
id the table knows; a remap with an unknown id, a key no terminal sends or a
key another binding already has is an error naming the file, the entry and
the other binding, and the console does not start; a good remap works.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from textual import keys as textual_keys
from textual.binding import Binding
from textual.dom import DOMNode
from tui_fakes import make_app, settle, widget_text

import jailtui
from jailtui.console.keys import (
    CHAR_NAMES,
    FLEET_IDS,
    GROUPS,
    GUARDED,
    KEYS,
    NAMED_KEYS,
    SCREENS,
    SPECS,
    char_key,
    checked_keymap,
    normal_key,
)
from jailtui.core.config.settings import Settings, SettingsError, parse_settings

ROOT = Path(__file__).resolve().parent.parent


def binding_classes() -> list[type[DOMNode]]:
    """Every Screen, App and Widget class of jailtui that declares BINDINGS."""
    found: list[type[DOMNode]] = []
    for info in pkgutil.walk_packages(jailtui.__path__, "jailtui."):
        if info.name.startswith("jailtui.sim") or info.name == "jailtui.__main__":
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == module.__name__ and issubclass(cls, DOMNode)
                    and "BINDINGS" in cls.__dict__):
                found.append(cls)
    return found


def test_every_binding_has_an_id_of_the_table() -> None:
    classes = binding_classes()
    names = {c.__name__ for c in classes}
    # The walk finds what it must (else this test could not fail).
    assert {"JailtuiApp", "MainScreen", "DetailScreen", "ConfirmScreen", "LogScreen",
            "KeyedTable", "FilterBar", "HelpScreen"} <= names
    bound: set[str] = set()
    for cls in classes:
        for b in cls.__dict__["BINDINGS"]:
            assert isinstance(b, Binding), f"{cls.__name__}: {b!r} is not a Binding"
            assert b.id, f"{cls.__name__}: binding {b.key!r} -> {b.action} has no id"
            assert b.id in SPECS, f"{cls.__name__}: binding id {b.id!r} is not in console/keys.py"
            assert b.key == SPECS[b.id].keys, f"{cls.__name__}: {b.id} keys differ from the table"
            bound.add(b.id)
    # ...and every key of the table is bound somewhere.
    assert bound == set(SPECS)


def test_the_table_is_consistent() -> None:
    assert len(SPECS) == len(KEYS)  # one entry per id
    for spec in KEYS:
        assert spec.group in GROUPS, spec.id
        assert spec.screens and set(spec.screens) <= set(SCREENS), spec.id
        assert set(spec.on) <= set(spec.screens), spec.id
        assert spec.help and spec.label, spec.id
        for key in spec.default_keys():
            assert normal_key(key) == key, f"{spec.id}: {key!r} is not a key Textual names so"
    # The guard looks gated actions up by action name: a gated key's action is its id.
    for binding_id in GUARDED:
        assert SPECS[binding_id].action == binding_id
    assert FLEET_IDS == {"hosts", "reconnect", "hosts_close"}


def test_key_names_agree_with_textual() -> None:
    for c in string.punctuation + string.ascii_letters + string.digits:
        assert char_key(c) == textual_keys._character_to_key(c), c
    assert NAMED_KEYS <= {k.value for k in textual_keys.Keys} | {"space"}
    assert CHAR_NAMES["question_mark"] == "?" and CHAR_NAMES["exclamation_mark"] == "!"


@pytest.mark.parametrize(("given", "expected"), [
    ("d", "d"), ("D", "D"), ("!", "exclamation_mark"), ("?", "question_mark"),
    ("ctrl+d", "ctrl+d"), ("f5", "f5"), ("f24", "f24"), ("escape", "escape"),
    ("shift+tab", "shift+tab"), ("shift+ctrl+up", "ctrl+shift+up"), ("alt+x", "alt+x"),
    ("question_mark", "question_mark"), ("ctrl+i", "tab"), ("space", "space"),
    ("notakey!!", None), ("shift+a", None), ("ctrl+D", None), ("f25", None),
    ("ctrl+", None), ("cmd+d", None), ("ctrl+ctrl+d", None), (" ", None), ("", None),
])
def test_which_keys_textual_delivers(given: str, expected: str | None) -> None:
    assert normal_key(given) == expected


def keymap(keys: dict[str, str], source: Path | None = None) -> dict[str, str]:
    return checked_keymap(parse_settings({"keys": keys}, source=source))


def test_remaps_are_normalised() -> None:
    assert keymap({"stop": "ctrl+d", "exec": "ctrl+e, f8"}) == {
        "stop": "ctrl+d", "exec": "ctrl+e,f8"}
    # Every remap applied first: exec leaves "!", so stop may take it.
    assert keymap({"exec": "ctrl+e", "stop": "!"}) == {"exec": "ctrl+e",
                                                        "stop": "exclamation_mark"}
    # A text field's screen takes control and named keys.
    assert keymap({"exec_clear": "ctrl+k", "back": "f11"})["back"] == "f11"
    # The same key on screens that are never active together is fine.
    assert keymap({"confirm_yes": "u"})["confirm_yes"] == "u"


@pytest.mark.parametrize(("keys", "words"), [
    ({"stopp": "z"}, "[keys] stopp: no such binding id"),
    ({"stop": "notakey!!"}, '[keys] stop = "notakey!!": "notakey!!" is not a key'),
    ({"stop": "d,,x"}, '[keys] stop = "d,,x": "" is not a key'),
    ({"stop": "shift+d"}, '"shift+d" is not a key'),
    ({"stop": "ctrl+q"}, "Textual's own quit key"),
    ({"stop": "q"}, '[keys] stop = "q": "q" is already the key of quit everywhere'),
    ({"quit": "d"}, '[keys] quit = "d": "d" is already the key of stop on the main screen'),
    ({"stop": "u"}, '"u" is already the key of start on the main screen'),
    ({"back": "ctrl+c"}, '[keys] back = "ctrl+c": "ctrl+c" is already the key of quit'),
    ({"cursor_up": "ctrl+k"}, '"ctrl+k" is already the key of signal on the main screen'),
    ({"search_next": "j"}, '"j" is already the key of cursor_down on the main screen'),
    ({"service_stop": "r"}, '"r" is already the key of refresh on the services screen'),
    ({"exec": "ctrl+e", "stop": "x"}, '"x" is already the key of shell'),
    ({"confirm_yes": "n"}, '"n" is already the key of confirm_no on the confirm screen'),
    ({"exec_clear": "c"}, '"c" would be typed into the exec screen\'s text field'),
    ({"back": "b"}, '"b" would be typed into the exec screen\'s text field'),
    ({"config_save": "ctrl+s,!"}, '"!" would be typed into the config_editor screen'),
])
def test_bad_remaps_are_errors_naming_file_entry_and_other(keys: dict[str, str],
                                                           words: str) -> None:
    with pytest.raises(SettingsError) as err:
        keymap(keys, Path("/home/u/.config/jailtui/config.toml"))
    assert str(err.value).startswith("/home/u/.config/jailtui/config.toml: [keys] ")
    assert words in str(err.value)


def test_the_app_refuses_a_bad_keymap() -> None:
    with pytest.raises(SettingsError, match="no such binding id"):
        make_app(settings=Settings(keys={"nonsense": "z"}))


def jailtui_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "JAILTUI_CONFIG": ""})


@pytest.mark.parametrize(("entry", "words"), [
    ('stop = "q"', '[keys] stop = "q": "q" is already the key of quit'),
    ('stop = "notakey!!"', '"notakey!!" is not a key'),
    ('nonsense = "z"', "[keys] nonsense: no such binding id"),
])
def test_the_console_does_not_start_with_a_bad_key(sim_dir: Path, tmp_path: Path,
                                                   entry: str, words: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[keys]\n{entry}\n")
    for command in ((), ("list",)):
        out = jailtui_cli("--sim", str(sim_dir), "--config", str(config), *command)
        assert out.returncode == 1
        # The file and the line of the entry (line 2: after "[keys]").
        assert out.stderr.startswith(f"jailtui: config: {config}:2: [keys] "), out.stderr
        assert words in out.stderr
        assert "terminal" not in out.stderr  # refused for the config, before anything else
    config.write_text('[keys]\nstop = "ctrl+d"\n')
    assert jailtui_cli("--sim", str(sim_dir), "--config", str(config), "list").returncode == 0


async def test_a_good_remap_works_and_the_help_shows_it() -> None:
    """exec leaves ``!`` and stop takes it; detail moves to ``O``."""
    app = make_app(settings=Settings(keys={"exec": "ctrl+e", "stop": "!", "detail": "O"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")  # no longer stop
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("!")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("O")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailScreen"
        await pilot.press("escape")
        await pilot.press("question_mark")
        await settle(pilot)
        lines = widget_text(app.screen.query_one("#help-text")).splitlines()
        stop = next(ln for ln in lines if ln.rstrip().endswith(" stop"))
        assert stop.split()[0] == "!"
        detail = next(ln for ln in lines if ln.rstrip().endswith(" detail"))
        assert detail.split()[0] == "O"
