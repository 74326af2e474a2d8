"""The collector held off for the console's start and given back at its first data
(console/collector.py; issue 18: start)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from tui_fakes import FakeHost, make_app, settle, wait_until

from jailtui.console import collector
from jailtui.core.errors import ToolError


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    """Whatever a test does, the suite goes on with the collector enabled."""
    yield
    collector.release()
    gc.enable()


def test_hold_disables_and_release_gives_it_back() -> None:
    collector.hold()
    assert not gc.isenabled() and collector.held()
    collector.release()
    assert gc.isenabled() and not collector.held()
    collector.release()  # twice: nothing more
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    collector.hold()
    assert not collector.held()
    collector.release()
    assert not gc.isenabled()  # not ours to turn on


def test_release_without_hold_changes_nothing() -> None:
    gc.disable()
    collector.release()
    assert not gc.isenabled()


async def test_the_console_gives_it_back_once_the_first_data_is_on_screen() -> None:
    host = FakeHost()
    host.gate = asyncio.Event()  # the first poll stays in flight until the test lets it
    collector.hold()
    app = make_app(host)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: host.in_flight == 1, "the first poll in flight",
                         settling=False)
        await pilot.pause()
        assert collector.held() and not gc.isenabled()  # mounted, no data yet: still held
        host.gate.set()
        await settle(pilot)
        assert app.poll_state.snapshot is not None
        assert gc.isenabled() and not collector.held()


async def test_a_first_poll_that_fails_gives_it_back_too() -> None:
    host = FakeHost()
    host.fail_with = ToolError(["jls"], "jls: boom", returncode=1)
    collector.hold()
    app = make_app(host)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.poll_state.error is not None
        assert gc.isenabled() and not collector.held()


async def test_the_console_leaves_an_unheld_collector_alone() -> None:
    gc.disable()  # as a test of ours or an embedding program may have it
    app = make_app(FakeHost())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.poll_state.snapshot is not None
        assert not gc.isenabled()
