"""Shared fixtures: a fresh simulated FreeBSD host per test that needs one,
and :func:`require_tool` for tests that need a program of this machine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

#: The Debian package of each external program some tests need. CI installs
#: them (.ci/run); a developer's machine may not have them.
PACKAGES = {
    "sshd": "openssh-server",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "sudo": "sudo",
    "visudo": "sudo",
    "tmux": "tmux",
    "mandoc": "mandoc",
}


def require_tool(tool: str, path: str | None = None) -> str:
    """The path of ``tool`` (``path`` if given, else found on PATH).

    Missing: the test is skipped with one line naming the Debian package to
    install, so the README's test command passes on a machine with only
    python3; but when the environment variable ``CI`` is set (CI installs
    every package), a missing tool FAILS the test: it is never skipped
    silently there.
    """
    found = path if path is not None and os.access(path, os.X_OK) else (
        None if path is not None else shutil.which(tool))
    if found:
        return found
    msg = f"{path or tool} not found: apt-get install {PACKAGES.get(tool, tool)}"
    if os.environ.get("CI"):
        pytest.fail(f"{msg} (CI is set: required)", pytrace=False)
    pytest.skip(msg)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every SVG snapshot test ``svg`` (any test using ``snap_compare``),
    so .ci/run's oldest-dependencies pass leaves them all out with ``-m "not
    svg"``: the SVGs are drawn by the newest Textual."""
    for item in items:
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.svg)


@pytest.fixture(autouse=True)
def _isolate_user_config(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never read the developer's own ~/.config/jailtui or cache, nor this
    machine's /usr/local/etc/jailtui/config.toml (core/config/layers.py)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("JAILTUI_SYSTEM_CONFIG", str(home / "etc" / "config.toml"))
    monkeypatch.delenv("JAILTUI_CONFIG", raising=False)
    yield


@pytest.fixture
def sim_dir(tmp_path: Path) -> Path:
    """A realistic simulated host (the default one: about 8 jails)."""
    from jailtui.sim.builder import init_host

    d = tmp_path / "sim"
    init_host(d)
    return d


@pytest.fixture
def shim_path(sim_dir: Path, tmp_path: Path) -> str:
    """A bin dir with the simulator's shims, first on a PATH for subprocesses."""
    from jailtui.sim.shims import write_shims

    bindir = tmp_path / "bin"
    write_shims(sim_dir, bindir)
    return f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
