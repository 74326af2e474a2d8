"""Shared fixtures: a fresh simulated FreeBSD host per test that needs one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolate_user_config(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never read the developer's own ~/.config/jailtui or cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
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
