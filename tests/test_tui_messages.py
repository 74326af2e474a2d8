"""What the console says: once, in words a user can act on (issue 13 items 37, 47)."""

from __future__ import annotations

from typing import Any

from tui_fakes import make_app, settle

from jailtui.core.config.settings import Settings
from jailtui.widgets.action_log import entry_lines


async def test_config_warning_is_not_prefixed_twice_in_the_log() -> None:
    app: Any = make_app(settings=Settings(theme="no-such-theme"))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        entry = next(e for e in app.journal if "no-such-theme" in e.message)
        head = entry_lines(entry)[0].plain
        assert "config: unknown theme" in head
        assert "config: config:" not in head
