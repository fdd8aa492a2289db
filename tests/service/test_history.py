"""Scroll-back, journal search and alarm acknowledgements through a real `alarmtui serve` on a Unix socket.

The service owns the journal; an attached view reads it over `/v1/events` and
journals acknowledgements over `/v1/acknowledge`. Parity: an attached view gets
exactly what the journal file holds, page by page, as an in-process view would.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.engine.attached.engine import AttachedEngine
from alarmtui.engine.attached.find import find_service
from alarmtui.engine.inprocess import InProcessEngine
from alarmtui.journal.store import Journal, JournalReader
from alarmtui.settings import load_settings, write_config
from alarmtui.ui.app import create_app
from alarmtui.ui.screens.alarm import AlarmScreen
from tests.helpers import ServiceThread, until_quiet
from tests.helpers import until as until_condition
from tests.service.test_attached_views import SIZE, until
from tests.test_ui_history import NEEDLE_TEXT, row_texts, seeded_journal

SEEDED = 1200

PATIENT = itertools.count(0.0, 1.0).__next__  # the dialogs' input guard: a second between readings


@pytest.fixture
def journal_path(short_dir: Path) -> Path:
    return short_dir / "journal.sqlite3"


@pytest.fixture
def config_file(demo: DemoEnvironment, short_dir: Path, journal_path: Path) -> Path:
    """The demo clouds (as in conftest) and a journal the test seeds before the service starts."""
    tables = demo.host.provider_tables()
    for table in tables:
        table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
        table["request_budget"] = 20000
    path = short_dir / "config.toml"
    write_config(path, tables, extra={"journal": str(journal_path)})
    asyncio.run(_seed(journal_path))
    assert journal_rows(journal_path) >= SEEDED  # a copy of the seeded file: this journal wrote none of them
    return path


async def _seed(path: Path) -> Journal:
    journal = await seeded_journal(path, "powermaster", count=SEEDED)
    await journal.close()
    return journal


async def attached(config_file: Path) -> AttachedEngine:
    target = await asyncio.to_thread(find_service, config_file)
    assert target is not None, "no service for this config"
    engine = AttachedEngine.from_hello(target.socket, target.hello)
    await engine.start()
    assert await engine.wait_attached(15)
    return engine


def journal_rows(path: Path) -> int:
    reader = JournalReader(path)
    try:
        return len(reader.search(limit=100_000))
    finally:
        reader.close()


async def test_attached_history_is_the_journal_page_by_page(
    service: ServiceThread, config_file: Path, journal_path: Path
) -> None:
    engine = await attached(config_file)
    # Every provider read once, and its events journaled (the rows stop coming), before comparing pages.
    await until_condition(lambda: all(state.snapshot is not None for state in engine.states.values()), 20, "every provider read")
    await asyncio.to_thread(until_quiet, lambda: journal_rows(journal_path), 0.3, 20, "the journal's first rows")
    reader = JournalReader(journal_path)
    try:
        for question in ({}, {"grep": "door opened (1"}, {"provider": "powermaster"}, {"grep": "gnome", "provider": "casa"}):
            before, pages, seen = None, 0, 0
            while True:
                page = await engine.history(before=before, limit=250, **question)
                assert page is not None and not page.error
                # The journal itself, read now (the service may have journaled a live event meanwhile: read after).
                expected = reader.search(
                    grep=question.get("grep"),
                    providers=[question["provider"]] if "provider" in question else None,
                    kinds=["event"],
                    before=before,
                    limit=250,
                )
                assert [(e.provider, e.id, e.text) for e in page.events] == [(e.provider, e.id, e.text) for e in expected]
                assert page.cursor == (expected[-1].cursor if expected else None)
                seen += len(page.events)
                pages += 1
                if not page.more:
                    break
                before = page.cursor
            if not question:
                assert seen >= SEEDED and pages >= SEEDED // 250
        # Only vendor events: the service's own rows (state changes, connectivity) are not in the panel's list.
        everything = reader.search(limit=100_000)
        assert any(e.category != "event" for e in everything)
        vendor_events = [(e.provider, e.id) for e in everything if e.category == "event"]
        page = await engine.history(limit=100_000)  # the service caps a page at 1,000
        assert page is not None and [(e.provider, e.id) for e in page.events] == vendor_events[:1000]
    finally:
        reader.close()
        await engine.close()


async def test_attached_dashboard_scrolls_back_searches_and_journals_the_acknowledgement(
    service: ServiceThread, config_file: Path, journal_path: Path, demo: DemoEnvironment
) -> None:
    settings = load_settings(config_file).settings
    app = create_app(settings, engine=await attached(config_file), guard_clock=PATIENT)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all(v.snapshot for v in app.views.values()) and app.events.table.row_count > 0, what="online")
        await until(pilot, lambda: app.events.journal_state == "idle", what="the service's journal found")
        app.events.table.focus()
        for _ in range(SEEDED // app.events.page_size + 10):
            if app.events.journal_state == "end":
                break
            await pilot.press("end")
            await until(pilot, lambda: app.events.journal_state != "loading", what="a page")
        assert app.events.journal_state == "end"
        rows = [app.events.table.event_at(i) for i in range(app.events.table.row_count)]
        assert len({(e.provider, e.id) for e in rows}) == len(rows) >= SEEDED + 1

        await pilot.press("slash", *"gnome", "enter")
        await until(pilot, lambda: row_texts(app) == [NEEDLE_TEXT], what="the journal's match through the service")
        await pilot.press("escape")

        next(s for s in demo.scenarios if s.title.startswith("Demo: Intrusion") and "visonic" in s.title).callback()
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="alarm banner")
        await pilot.press("enter")
        reader = JournalReader(journal_path)
        try:
            for _ in range(100):
                acks = reader.search(kinds=["acknowledgement"], limit=10)
                if acks:
                    break
                await pilot.pause(0.1)
            await pilot.pause(0.5)
            acks = reader.search(kinds=["acknowledgement"], limit=10)
        finally:
            reader.close()
        assert len(acks) == 1
        assert acks[0].provider == "powermaster" and acks[0].text == "House: alarm acknowledged"
        assert acks[0].who == f"{app.controller.origin} via the service"


async def test_the_service_refuses_malformed_history_requests(service: ServiceThread, config_file: Path) -> None:
    engine = await attached(config_file)
    try:
        http = engine.client._http
        assert (await http.get("/v1/events", params={"before": "yesterday"})).status_code == 400
        assert (await http.post("/v1/acknowledge", json={"partition": "1"})).status_code == 400
        assert (await http.post("/v1/acknowledge", json={"provider": "nobody", "partition": "1"})).status_code == 400
        page = await engine.history(provider="not-configured")  # gone from the config, maybe still journaled: empty
        assert page is not None and page.events == () and not page.more
    finally:
        await engine.close()


async def test_without_a_journal_an_in_process_engine_answers_none(demo: DemoEnvironment) -> None:
    engine = InProcessEngine(demo.settings, journal=None)
    assert await engine.history() is None
    engine.acknowledge("powermaster", "1", None, origin="test")  # nothing to journal: a no-op, never an error


def test_history_pages_cross_the_wire_and_malformed_ones_are_refused() -> None:
    from datetime import UTC, datetime

    from alarmtui.domain import Event, EventKind
    from alarmtui.engine.base import HistoryPage
    from alarmtui.engine.wire import history_from_wire, history_to_wire

    page = HistoryPage(
        (Event("7", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), EventKind.ARM, "Armed", who="Ana", provider="casa"),), 17, True
    )
    assert history_from_wire(history_to_wire(page)) == page
    assert history_from_wire(history_to_wire(None)) is None
    # The fewest fields a service may send: an empty, final page.
    assert history_from_wire({"journal": True, "events": []}) == HistoryPage(())
    for bad in ([], {"events": [{"id": "1"}]}, {"events": [], "cursor": "12"}, {"events": [], "cursor": True}, {"events": "x"}):
        with pytest.raises(ValueError):
            history_from_wire(bad)
