"""The jail detail screen: every section loads on its own, errors stay in their section."""

from __future__ import annotations

import asyncio
from typing import Any

from posture_fakes import collector
from tui_fakes import FakeController, FakeHost, make_app, make_snapshot, sample_jails, settle

from jailtui.core.errors import ToolError
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.widgets.detail_section import DetailSection

SIZE = (120, 40)


async def open_detail(pilot: Any, name: str) -> DetailScreen:
    main = pilot.app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(name)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    return screen


def section_text(screen: DetailScreen, key: str) -> str:
    return str(screen.section(key).render())


async def test_detail_of_a_running_jail_shows_every_section() -> None:
    app = make_app(FakeHost(posture=collector))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        title = str(d.query_one("#detail-title").render())
        assert "Jail web" in title and "running" in title and "jid 3" in title
        overview = section_text(d, "overview")
        for text in ("web.example.org", "/usr/local/jails/web", "10.0.0.3", "10.0.0.13",
                     "2001:db8::3", "starts at boot", "/etc/jail.conf", "358M RSS"):
            assert text in overview, text
        restr = section_text(d, "restrictions")
        assert "securelevel" in restr and "highly secure" in restr
        assert "enforce_statfs" in restr and "only the jail's own root mount point" in restr
        assert "children.max" in restr and "no child jails" in restr
        lines = restr.splitlines()
        raw = next(ln for ln in lines if ln.startswith("allow.raw_sockets"))
        assert "✓ permitted" in raw and "ping" in raw
        mount = next(ln for ln in lines if ln.startswith("allow.mount "))
        assert "✗ denied" in mount
        hostname = next(ln for ln in lines if ln.startswith("allow.set_hostname"))
        assert "✗ denied" in hostname and "host name" in hostname
        params = section_text(d, "params")
        assert "osrelease=14.3-RELEASE" in params and "ip4.addr=10.0.0.3,10.0.0.13" in params
        assert "memoryuse" in section_text(d, "rctl") and "50.3M" in section_text(d, "rctl")
        assert "admin" in section_text(d, "who") and "192.0.2.7" in section_text(d, "who")
        assert "nginx" in section_text(d, "services")
        disk = section_text(d, "disk")
        assert "5G used of 20G, 15G free" in disk and "25%" in disk
        config = section_text(d, "config")
        assert "/etc/jail.conf line 12" in config and "web {" in config
        assert 'host.hostname = "web.example.org";' in config
        posture = section_text(d, "posture").splitlines()
        # web is the loosened jail of tests/posture_fakes.py: the mark, then the S
        # screen's deviating rows, one line each.
        assert posture[0].startswith("DEVIATES") and "deviate" in posture[0]
        raw = next(ln for ln in posture if "allow.raw_sockets" in ln)
        assert raw.startswith("DEVIATES") and "on: the baseline" in raw
        assert any("enforce_statfs" in ln and "below the baseline" in ln for ln in posture)
        assert "S lists every item" in posture[-1]
        states = {s.id: s.load_state for s in d.query(DetailSection)}
        assert set(states.values()) == {"ok"}, states


async def test_racct_disabled_is_a_clear_note_not_an_error() -> None:
    host = FakeHost(racct=False)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        sec = d.section("rctl")
        assert sec.load_state == "note"
        text = section_text(d, "rctl")
        assert "racct" in text and "kern.racct.enable=1" in text and "/boot/loader.conf" in text


async def test_a_failing_fact_fails_only_its_section() -> None:
    host = FakeHost()
    host.detail_error["who"] = ToolError(["jexec", "web", "who"],
                                         "jexec: jail_attach(3): Operation not permitted")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        assert d.section("who").load_state == "error"
        assert d.section("who").has_class("-error")
        assert "jexec: jail_attach(3): Operation not permitted" in section_text(d, "who")
        assert d.section("services").load_state == "ok"
        assert d.section("restrictions").load_state == "ok"


async def test_slow_facts_show_loading_and_do_not_block() -> None:
    host = FakeHost()
    release = asyncio.Event()
    real = host.jail_params

    async def slow_params(name: str) -> Any:
        await release.wait()
        return await real(name)

    host.jail_params = slow_params  # type: ignore[method-assign]
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.press("enter")
        await pilot.pause()
        d = app.screen
        assert isinstance(d, DetailScreen)
        assert section_text(d, "restrictions") == "loading…"
        assert "web.example.org" in section_text(d, "overview")  # instant
        await pilot.pause(0.1)
        assert d.section("services").load_state == "ok"  # others did not wait
        await pilot.press("escape")  # the screen stays responsive
        assert app.screen is main
        release.set()
        await settle(pilot)


async def test_stopped_jail_says_what_cannot_be_known() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "build")
        for key in ("restrictions", "rctl", "who", "services", "params"):
            assert d.section(key).load_state == "note", key
            assert "not running" in section_text(d, key)
        assert d.section("config").load_state == "ok"
        assert d.section("disk").load_state == "ok"
        assert not [c for c in host.detail_calls if c[0] in ("params", "rctl", "who",
                                                              "services")]


async def test_jail_created_by_hand_has_no_config_block() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "handmade")
        assert d.section("config").load_state == "note"
        assert "created by hand" in section_text(d, "config")


async def test_detail_follows_the_jail_across_a_restart() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        loads = sum(1 for what, _ in host.detail_calls if what == "params")
        from dataclasses import replace

        jails = [replace(j, jid=33) if j.name == "web" else j for j in sample_jails()]
        host.snapshot = make_snapshot(jails)
        await pilot.press("r")
        await settle(pilot)
        assert "jid 33" in str(d.query_one("#detail-title").render())
        assert sum(1 for what, _ in host.detail_calls if what == "params") == loads + 1
        # Gone entirely: said so, no crash.
        host.snapshot = make_snapshot([j for j in sample_jails() if j.name != "web"])
        await pilot.press("r")
        await settle(pilot)
        assert "no longer exists" in str(d.query_one("#detail-title").render())


async def test_actions_from_the_detail_screen() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, "web")
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert ctl.calls == [("restart", "web")]
        assert isinstance(app.screen, DetailScreen)


async def test_detail_uses_two_columns_when_wide() -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        assert d.has_class("-wide")
        a, b = d.section("overview").region, d.section("posture").region
        assert a.y == b.y and a.x != b.x
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        assert d.has_class("-narrow")
        assert d.section("posture").region.x == d.section("overview").region.x


async def test_posture_section_is_compact_at_80x24_and_says_why_when_unavailable() -> None:
    """The posture section lists at most SUMMARY_ITEMS rows, each cut to the
    width; a host of fixed data says that it has no posture (a note, not an error)."""
    from jailtui.screens.posture import NO_POSTURE, SUMMARY_ITEMS

    app = make_app(FakeHost(posture=collector))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        sec = d.section("posture")
        lines = section_text(d, "posture").splitlines()
        assert len(lines) <= SUMMARY_ITEMS + 2, lines
        assert all(len(ln) <= sec.content_size.width for ln in lines), lines
        assert "flags /bin" in section_text(d, "posture")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        assert d.section("posture").load_state == "note"
        assert NO_POSTURE in section_text(d, "posture")


async def test_a_failing_posture_fails_only_its_section() -> None:
    async def broken(host: str | None, jails: Any) -> Any:
        raise ToolError(["pkg", "audit"], "pkg audit: cannot open the database")

    app = make_app(FakeHost(posture=broken))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        assert d.section("posture").load_state == "error"
        assert "cannot open the database" in section_text(d, "posture")
        assert d.section("overview").load_state == "ok"


async def test_the_events_section_shows_every_kind_whole() -> None:
    """The KIND column is as wide as the longest kind (core/events.py KIND_WIDTH):
    ``config_changed`` was cut into the text after it at 10 cells."""
    from jailtui.core.events import KIND_WIDTH, Event, Kind

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fleet = app.fleet
        host = fleet.names()[0]
        # No poll makes a config_changed for a fake host; the timeline's own
        # keeper stamps and stores it as a poll would.
        fleet.timeline._keep([Event(0.0, Kind.CONFIG_CHANGED, host, "web", 3,
                                    "/etc/jail.conf changed")])
        d = await open_detail(pilot, "web")
        line = next(ln for ln in section_text(d, "events").splitlines()
                    if "config_changed" in ln)
        assert KIND_WIDTH == len("config_changed")
        assert "config_changed /etc/jail.conf changed" in line
