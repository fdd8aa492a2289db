"""A one- or two-character filter searches only the journal's newest window, and the panel says so."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from alarmtui.domain import Event, EventKind
from alarmtui.domain.updates import EventsUpdate
from alarmtui.engine.inprocess import InProcessEngine
from alarmtui.journal import store
from alarmtui.journal.store import Journal
from alarmtui.settings import Settings
from alarmtui.ui.format import Palette
from alarmtui.ui.widgets import events as events_widget
from alarmtui.ui.widgets.events import EventsPanel


async def until(pilot, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        await pilot.pause(0.02)


@pytest.mark.parametrize(("text", "searched_all"), [("qx", False), ("qx o", True)])
async def test_the_subtitle_says_how_much_a_short_filter_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, searched_all: bool
) -> None:
    monkeypatch.setattr(store, "SHORT_GREP_WINDOW", 5)  # the journal's window and the number the panel quotes
    monkeypatch.setattr(events_widget, "SHORT_GREP_WINDOW", 5)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.start()
    assert await journal.started()
    old = [
        Event(f"e{n}", t0 + timedelta(minutes=n), EventKind.ZONE, "qx old" if n == 0 else "plain", provider="home")
        for n in range(12)
    ]
    journal.record(EventsUpdate("home", tuple(reversed(old))))
    await journal.flush()
    engine = InProcessEngine(Settings(), providers=[], journal=journal)

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield EventsPanel(["home"], history=engine.history)

    try:
        async with PanelApp().run_test(size=(120, 30)) as pilot:
            panel = pilot.app.query_one(EventsPanel)
            panel.show([], [], [], Palette({}))
            panel.start_text_filter()
            for key in text:
                await pilot.press(key if key != " " else "space")
            await until(pilot, lambda: panel.journal_state == "end" and panel.text_filter == text)
            await asyncio.sleep(0)
            subtitle = str(panel.border_subtitle)
            if searched_all:  # three characters: the index covers the whole journal
                assert panel.table.row_count == 1 and "start of the journal" in subtitle
            else:  # the match is older than the window: not found, and not claimed absent from the journal
                assert panel.table.row_count == 0
                assert "start of the journal" not in subtitle and "newest 5 entries searched" in subtitle
    finally:
        await journal.close()
