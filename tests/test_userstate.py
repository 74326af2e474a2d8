"""The state file (core/userstate.py): what the console remembers between runs.

Through the store as the console uses it, on real files in a temporary
$XDG_STATE_HOME: a round trip, and every bad input a user's disk can hold
(not JSON, wrong types, a newer format, too large, a FIFO, a symlink, a
directory that cannot be written), each a warning and never an exception,
and never the loss of what the file held.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from jailtui.core.userstate import (
    MAX_BYTES,
    NOTE_MAX,
    PaneView,
    StateStore,
    View,
    state_path,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jailtui" / "console.json"


def aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bad-*"))


def test_the_path_is_under_xdg_state_home(tmp_path: Path) -> None:
    assert state_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "jailtui" / "console.json"


def test_a_missing_file_is_an_empty_state_without_warnings(path: Path) -> None:
    store = StateStore(path)
    assert store.view is None and store.columns("jails") is None
    assert store.note("local", "web") == ""
    assert store.take_warnings() == []
    assert not path.exists()  # reading writes nothing


def test_round_trip(path: Path) -> None:
    store = StateStore(path)
    view = View(focus="processes", jails=PaneView("cpu", True, "web|db"),
                processes=PaneView("rss", False, ""), host="all", tree=True,
                host_wide=True, hide_kernel=True, theme="ansi-dark")
    assert store.save_view(view)
    assert store.set_columns("jails", ("name", "state", "cpu"))
    assert store.set_note("local", "web", "  owned by ops  ")
    assert store.take_warnings() == []
    again = StateStore(path)
    assert again.view == view
    assert again.columns("jails") == ("name", "state", "cpu")
    assert again.note("local", "web") == "owned by ops"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # An empty note removes it; None columns go back to the defaults.
    assert again.set_note("local", "web", "")
    assert again.set_columns("jails", None)
    third = StateStore(path)
    assert third.note("local", "web") == "" and third.columns("jails") is None


def test_notes_are_per_host(path: Path) -> None:
    store = StateStore(path)
    store.set_note("web1", "www", "the shop")
    store.set_note("web2", "www", "the staging copy")
    again = StateStore(path)
    assert again.note("web1", "www") == "the shop"
    assert again.note("web2", "www") == "the staging copy"
    assert again.note("local", "www") == ""


def test_a_note_is_cut_to_its_limit(path: Path) -> None:
    store = StateStore(path)
    store.set_note("local", "web", "x" * (NOTE_MAX + 50))
    assert len(StateStore(path).note("local", "web")) == NOTE_MAX


def test_two_consoles_writing_notes_keep_both(path: Path) -> None:
    """Each change re-reads the file under the lock: neither overwrites the other."""
    a, b = StateStore(path), StateStore(path)
    a.set_note("local", "web", "from a")
    b.set_note("local", "db", "from b")
    a.save_view(View(tree=True))
    final = StateStore(path)
    assert final.note("local", "web") == "from a"
    assert final.note("local", "db") == "from b"
    assert final.view == View(tree=True)


def test_many_writers_at_once_lose_nothing(path: Path) -> None:
    stores = [StateStore(path) for _ in range(6)]
    threads = [threading.Thread(target=s.set_note, args=("local", f"jail{i}", f"note {i}"))
               for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    final = StateStore(path)
    assert {final.note("local", f"jail{i}") for i in range(6)} == {f"note {i}" for i in range(6)}


def test_not_json_is_a_warning_and_the_file_is_kept_aside(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"notes": {"local": {"web": "precious"')
    store = StateStore(path)
    warnings = store.take_warnings()
    assert len(warnings) == 1 and "not JSON" in warnings[0] and "kept as" in warnings[0]
    kept = aside(path)
    assert len(kept) == 1 and kept[0].read_bytes().endswith(b'"precious"')
    assert str(kept[0]) in warnings[0]
    # The console goes on and writes a fresh file; the old one stays aside.
    assert store.set_note("local", "db", "new")
    assert StateStore(path).note("local", "db") == "new"
    assert aside(path) == kept


@pytest.mark.parametrize("doc, problem", [
    ({"notes": {"local": {"db": "kept", "web": 42}}}, "not a string"),
    ({"notes": ["web"]}, "notes: not an object"),
    ({"columns": {"jails": ["name", "bogus"]}}, "no column 'bogus'"),
    ({"columns": {"jails": ["state"]}}, "NAME is always shown"),
    ({"columns": {"pods": ["name"]}}, "no pane 'pods'"),
    ({"view": {"focus": "sideways"}}, "view.focus"),
    ({"view": {"tree": "yes"}}, "view.tree"),
    ({"view": {"jails": {"filter": 7}}}, "view.jails.filter"),
    ({"view": {"jails": {"sort": ["cpu"]}}}, "view.jails.sort"),
    ({"view": "jails"}, "view: not an object"),
])
def test_wrong_types_are_warnings_and_the_rest_is_used(path: Path, doc: dict[str, object],
                                                       problem: str) -> None:
    good = {"notes": {"local": {"db": "kept"}}, "format": 1}
    path.parent.mkdir(parents=True)
    raw = json.dumps({**good, **doc}).encode()
    path.write_bytes(raw)
    store = StateStore(path)
    warnings = store.take_warnings()
    assert any(problem in w for w in warnings), warnings
    if not isinstance(doc.get("notes"), list):
        assert store.note("local", "db") == "kept"
    # The original is kept aside before anything is written over it.
    assert [p.read_bytes() for p in aside(path)] == [raw]


def test_a_newer_format_is_read_and_never_written(path: Path) -> None:
    path.parent.mkdir(parents=True)
    raw = json.dumps({"format": 99, "notes": {"local": {"web": "hi"}},
                      "something": "new"}).encode()
    path.write_bytes(raw)
    store = StateStore(path)
    assert store.note("local", "web") == "hi"
    assert any("newer jailtui" in w for w in store.take_warnings())
    assert not store.set_note("local", "web", "changed")
    assert any("not written" in w for w in store.take_warnings())
    assert store.note("local", "web") == "changed"  # for this session
    assert path.read_bytes() == raw


def test_a_huge_file_is_not_read_nor_written_over(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b" " * (MAX_BYTES + 1))
    store = StateStore(path)
    assert any("larger than" in w for w in store.take_warnings())
    assert aside(path)  # set aside, whole
    assert aside(path)[0].stat().st_size == MAX_BYTES + 1


def test_a_fifo_does_not_hang(path: Path) -> None:
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    store = StateStore(path)
    warnings = store.take_warnings()
    assert any("not a regular file" in w for w in warnings), warnings


def test_a_symlink_is_not_followed(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"notes": {"local": {"web": "theirs"}}}))
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    store = StateStore(path)
    assert store.note("local", "web") == ""
    assert any("cannot be read" in w for w in store.take_warnings())
    assert not store.set_note("local", "web", "mine")
    assert json.loads(target.read_text())["notes"]["local"]["web"] == "theirs"


def test_an_unwritable_place_is_a_warning_and_the_change_lasts_the_session(
        tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    store = StateStore(blocker / "jailtui" / "console.json")
    assert store.take_warnings() == []  # nothing to read: not an error
    assert not store.set_note("local", "web", "kept in memory")
    warnings = store.take_warnings()
    assert len(warnings) == 1 and "not written" in warnings[0] and "this session" in warnings[0]
    assert store.note("local", "web") == "kept in memory"
    assert blocker.read_text() == "a file where the directory should be"


def test_memory_only_store_writes_nothing(tmp_path: Path) -> None:
    store = StateStore(None)
    assert store.set_note("local", "web", "x") and store.note("local", "web") == "x"
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_names_the_host_notes_are_kept_under(tmp_path: Path) -> None:
    """One host: the simulated host's directory, the ssh destination or local,
    so a jail named web on each keeps its own note (cli/main.py)."""
    from jailtui.cli.main import _state_host, build_parser

    parser = build_parser()
    assert _state_host(parser.parse_args(["--sim", str(tmp_path)])) == f"sim:{tmp_path.resolve()}"
    assert _state_host(parser.parse_args(["--host", "admin@web1"])) == "admin@web1"
    assert _state_host(parser.parse_args([])) == "local"
    assert parser.parse_args(["--no-state"]).no_state is True


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another uid")
def test_root_never_writes_into_another_users_directory(tmp_path: Path) -> None:
    """su without -: HOME (so XDG_STATE_HOME) still names the user's home."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 12345, 12345)
    store = StateStore(home / ".local" / "state" / "jailtui" / "console.json")
    assert not store.set_note("local", "web", "x")
    assert any("belongs to uid 12345" in w for w in store.take_warnings())
    assert list(home.iterdir()) == []
