"""The events panel reaches into the journal: scroll back, `/` searches it, alarms acknowledged are journaled.

Real pieces throughout: a real journal file written by the journal's own writer
thread, the real dashboard (Textual pilot), the real engine and provider client
polling a real simulator over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.domain import Event, EventKind
from alarmtui.domain.updates import EventsUpdate
from alarmtui.engine.base import HistoryPage
from alarmtui.engine.inprocess import InProcessEngine
from alarmtui.journal.store import Journal, JournalReader
from alarmtui.settings import write_config
from alarmtui.ui.app import AlarmApp, create_app
from alarmtui.ui.screens.alarm import AlarmScreen
from tests.helpers import until_pilot as until
from tests.test_ui_functional import SIZE, TIMING, all_online

PATIENT = itertools.count(0.0, 1.0).__next__
"""The dialogs' input-guard clock: a second passes between any two readings (a user who looks before typing)."""


REPO = Path(__file__).resolve().parents[1]
SEEDED = 5000
NEEDLE_TEXT = "Gnome tripped the garden gate"


@pytest.fixture
def demo() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    try:
        yield env
    finally:
        env.stop()


_SEEDS: dict[tuple[str, int], Path] = {}
"""Journals already seeded in this process, by (provider, count): a test gets a copy of its file."""
_SEED_FOLDER: Path | None = None


@pytest.fixture(scope="module", autouse=True)
def seed_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _SEED_FOLDER
    _SEED_FOLDER = tmp_path_factory.mktemp("seeded-journals")
    yield
    _SEEDS.clear()
    _SEED_FOLDER = None


async def seeded_journal(path: Path, provider: str, count: int = SEEDED) -> Journal:
    """A started journal holding `count` vendor events of `provider`, two to ~37 days old, and one needle.

    Each (provider, count) is written once per process by the journal's own writer; a test gets a copy of that
    file (seeding 5,000 events takes a second)."""
    global _SEED_FOLDER
    seed = _SEEDS.get((provider, count))
    if seed is None:
        if _SEED_FOLDER is None:  # used from another module (the service's history tests): a folder of its own
            _SEED_FOLDER = Path(tempfile.mkdtemp(prefix="alarmtui-seeds-"))
            atexit.register(shutil.rmtree, _SEED_FOLDER, True)
        seed = _SEED_FOLDER / f"{provider}-{count}.sqlite3"
        await _write_seed(seed, provider, count)
        _SEEDS[(provider, count)] = seed
    shutil.copyfile(seed, path)
    journal = Journal(path)
    journal.start()
    assert await journal.started()
    return journal


async def _write_seed(path: Path, provider: str, count: int) -> None:
    journal = Journal(path)
    journal.start()
    assert await journal.started()
    now = datetime.now(UTC)
    events = [
        Event(f"old-{i}", now - timedelta(days=2, minutes=10 * i), EventKind.ZONE, f"Hall door opened ({i})", zone="Hall door")
        for i in range(count)
    ]
    deep = count * 9 // 10
    events[deep] = Event("needle", events[deep].time, EventKind.ALARM, NEEDLE_TEXT, zone="Garden gate")
    for first in range(0, count, 500):
        journal.record(EventsUpdate(provider, tuple(events[first : first + 500])))
    assert await journal.flush()
    await journal.close()  # checkpointed: the copy is the whole journal
    assert not path.with_name(path.name + "-wal").exists() or path.with_name(path.name + "-wal").stat().st_size == 0


def app_with_journal(env: DemoEnvironment, journal: Journal | None) -> AlarmApp:
    engine = InProcessEngine(env.settings, timing=TIMING, journal=journal, enforce_budget=False)
    return create_app(env.settings, engine=engine, guard_clock=PATIENT)


def row_texts(app: AlarmApp) -> list[str]:
    table = app.events.table
    return [table.event_at(i).text for i in range(table.row_count)]


async def journaled_events(journal: Journal, provider: str) -> int:
    assert await journal.flush()
    return len(await journal.search(providers=[provider], kinds=["event"], limit=1_000_000))


async def test_scrolling_to_the_end_brings_older_events_until_the_journal_ends(demo: DemoEnvironment, tmp_path: Path) -> None:
    journal = await seeded_journal(tmp_path / "journal.sqlite3", "powermaster")
    app = app_with_journal(demo, journal)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all_online(app) and app.events.table.row_count > 0, what="live events")
        await until(pilot, lambda: app.events.journal_state == "idle", what="the journal found")
        in_memory = len(app.event_log.events)
        before = app.events.table.row_count  # memory, and the journal's newest page if it came before the first poll
        assert in_memory <= before <= in_memory + app.events.page_size
        assert "older: scroll down" in str(app.events.border_subtitle)
        app.events.table.focus()
        await pilot.press("end")
        await until(pilot, lambda: app.events.table.row_count > before and app.events.journal_state != "loading", what="a page")
        assert app.events.table.row_count <= before + app.events.page_size
        for _ in range(SEEDED // app.events.page_size + 5):
            if app.events.journal_state == "end":
                break
            await pilot.press("end")  # the cursor sits on the last row: pushing on loads the next page
            await until(pilot, lambda: app.events.journal_state != "loading", what="a page")
        assert app.events.journal_state == "end"
        rows = [app.events.table.event_at(i) for i in range(app.events.table.row_count)]
        # The journal's id is the vendor's id: live events and their journal rows are one row each.
        assert len({(e.provider, e.id) for e in rows}) == len(rows)
        assert len(rows) == await journaled_events(journal, "powermaster")
        assert len(rows) >= SEEDED + in_memory
        assert [e.time for e in rows] == sorted((e.time for e in rows), reverse=True)
        assert rows[-1].id == f"old-{SEEDED - 1}"
        assert str(app.events.border_subtitle) == f"all {len(rows):,} · start of the journal"
        assert app.events.table.cursor_row > in_memory  # the cursor stayed where the user was, not at the top


async def test_filter_finds_an_event_only_the_journal_holds(demo: DemoEnvironment, tmp_path: Path) -> None:
    journal = await seeded_journal(tmp_path / "journal.sqlite3", "powermaster")
    app = app_with_journal(demo, journal)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.events.table.row_count > 0, what="live events")
        assert not any(e.text == NEEDLE_TEXT for e in app.event_log.events)
        await pilot.press("slash")
        for key in "gnome":
            await pilot.press(key)
        await until(pilot, lambda: row_texts(app) == [NEEDLE_TEXT], what="the journal's match")
        assert app.events.journal_state == "end"
        assert "all 1 matching" in str(app.events.border_subtitle)
        await pilot.press("escape")  # back to everything: the search's rows go, memory stays
        await until(pilot, lambda: app.events.table.row_count == len(app.event_log.events), what="cleared")
        assert NEEDLE_TEXT not in row_texts(app)


async def test_a_filter_matching_more_than_a_page_pages_on_scrolling(demo: DemoEnvironment, tmp_path: Path) -> None:
    journal = await seeded_journal(tmp_path / "journal.sqlite3", "powermaster", count=700)
    app = app_with_journal(demo, journal)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.events.table.row_count > 0, what="live events")
        await pilot.press("slash", *"hall", "enter")
        await until(pilot, lambda: app.events.table.row_count == 200 and app.events.journal_state == "idle", what="page 1")
        for _ in range(6):
            if app.events.journal_state == "end":
                break
            await pilot.press("end")
            await until(pilot, lambda: app.events.journal_state != "loading", what="a page")
        assert app.events.journal_state == "end"
        assert app.events.table.row_count == 699  # the needle replaced one


async def test_a_late_answer_to_an_old_filter_never_replaces_the_new_one(demo: DemoEnvironment, tmp_path: Path) -> None:
    journal = await seeded_journal(tmp_path / "journal.sqlite3", "powermaster")
    app = app_with_journal(demo, journal)
    asked: list[str | None] = []
    over: list[str | None] = []
    real_history = app.engine.history

    async def slow_for_the_old_question(**question: object) -> HistoryPage | None:
        asked.append(question.get("grep"))  # type: ignore[arg-type]
        try:
            if question.get("grep") == "hall":
                await asyncio.sleep(0.6)  # a journal busy with the old question answers last
            return await real_history(**question)  # type: ignore[arg-type]
        finally:
            over.append(question.get("grep"))  # type: ignore[arg-type]  (answered, or dropped by the panel)

    app.engine.history = slow_for_the_old_question  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.events.table.row_count > 0, what="live events")
        await pilot.press("slash", *"hall")
        await until(pilot, lambda: "hall" in asked, what="the first question")
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"gnome")
        await until(pilot, lambda: row_texts(app) == [NEEDLE_TEXT], what="the new answer")
        await until(pilot, lambda: "hall" in over, what="the old answer")
        await pilot.pause()  # the old answer has arrived, and was dropped
        assert row_texts(app) == [NEEDLE_TEXT]
        assert app.events.text_filter == "gnome"


async def test_without_a_journal_the_panel_shows_memory_as_before(demo: DemoEnvironment) -> None:
    app = app_with_journal(demo, None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.events.table.row_count > 0, what="live events")
        await until(pilot, lambda: app.events.journal_state == "none", what="no journal")
        app.events.table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert app.events.journal_state == "none"  # nothing asked, nothing loading
        assert app.events.table.row_count == len(app.event_log.events)
        assert str(app.events.border_subtitle) == str(len(app.event_log.events))


async def test_acknowledging_an_alarm_journals_it_once(demo: DemoEnvironment, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = await seeded_journal(path, "powermaster", count=10)
    app = app_with_journal(demo, journal)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all_online(app))
        next(s for s in demo.scenarios if s.title.startswith("Demo: Intrusion")).callback()
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="alarm banner")
        await pilot.press("enter")
        polls = app.pollers["powermaster"].polls  # more polls while the panel is still triggered: no second banner, row
        await until(pilot, lambda: app.pollers["powermaster"].polls >= polls + 2, what="more polls")
        await pilot.pause()
        assert not isinstance(app.screen, AlarmScreen)
        assert await journal.flush()
        acks = await journal.search(kinds=["acknowledgement"], limit=10)
        assert len(acks) == 1
        ack = acks[0]
        assert (ack.provider, ack.kind, ack.text) == ("powermaster", "alarm", "House: alarm acknowledged")
        assert ack.who == app.controller.origin and ack.zone  # who, from which view, and which zone
    # `alarmtui events --kind alarm --json` shows it, as source alarmtui.
    config = tmp_path / "config.toml"
    write_config(config, demo.host.provider_tables(), extra={"journal": str(path)})
    listed = subprocess.run(
        [sys.executable, "-m", "alarmtui", "events", "--kind", "alarm", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    entries = json.loads(listed.stdout)["events"]
    ours = [e for e in entries if e["text"] == "House: alarm acknowledged"]
    assert len(ours) == 1 and ours[0]["source"] == "alarmtui" and ours[0]["who"] == ack.who


async def test_the_demo_journals_in_its_own_folder_and_scrolls_back() -> None:
    from alarmtui.journal.store import default_journal_path

    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True, journal=True)
    try:
        assert env.folder is not None and env.settings.journal == env.folder / "journal.sqlite3"
        engine = env.engine()
        assert engine.notifier is None
        app = create_app(env.settings, engine=engine, guard_clock=PATIENT)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.events.table.row_count > 0, what="live events")
            app.events.table.focus()
            await pilot.press("end")
            await until(pilot, lambda: app.events.journal_state == "end", what="the demo's journal read to its start")
            shown = {(e.provider, e.id) for e in app.event_log.events}
            assert app.events.table.row_count == len(shown)
        reader = JournalReader(env.settings.journal)
        try:
            assert {(e.provider, e.id) for e in reader.search(kinds=["event"], limit=10_000)} >= shown  # journaled live
        finally:
            reader.close()
    finally:
        env.stop()
    assert not env.folder.exists()
    assert not default_journal_path().exists()  # the user's own journal is never touched


async def test_panel_alone_over_a_real_journal_asks_once_per_question_and_scrolls_by_wheel(tmp_path: Path) -> None:
    """The panel with nothing but a journal behind it: memory holds events older than the journal's (a vendor
    clock far behind); a filter's first page still answers at once, and wheel-scrolling to the bottom pages on."""
    from textual.app import App, ComposeResult

    from alarmtui.settings import Settings
    from alarmtui.ui.format import Palette
    from alarmtui.ui.widgets.events import EventsPanel

    journal = await seeded_journal(tmp_path / "journal.sqlite3", "home", count=1000)
    engine = InProcessEngine(Settings(), providers=[], journal=journal)
    questions: list[dict[str, object]] = []

    async def history(**question: object) -> HistoryPage | None:
        questions.append(question)
        return await engine.history(**question)  # type: ignore[arg-type]

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield EventsPanel(["home"], history=history)

    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    memory = [
        Event(f"m{n}", long_ago - timedelta(minutes=n), EventKind.ZONE, f"Hall door opened (memory {n})", provider="home")
        for n in range(50)
    ]
    try:
        async with PanelApp().run_test(size=(120, 30)) as pilot:
            panel = pilot.app.query_one(EventsPanel)
            panel.show(memory, memory, [], Palette({}))
            await until(pilot, lambda: panel.journal_state == "idle", what="the probe")
            assert panel.table.row_count == len(memory)  # memory was there: the probe brought no rows
            questions.clear()
            panel.start_text_filter()
            await pilot.press(*"hall", "enter")
            await until(
                pilot, lambda: panel.journal_state == "idle" and panel.table.row_count == len(memory) + 200, what="page 1"
            )
            asked = [q["grep"] for q in questions]
            # At most one question per text typed (a quick burst asks once), one page each, the last one for "hall".
            assert asked[-1] == "hall" and len(asked) == len(set(asked)) and set(asked) <= {"h", "ha", "hal", "hall"}
            assert all(q["before"] is None for q in questions)
            panel.table.scroll_to(y=panel.table.max_scroll_y, animate=False)  # the wheel, or the scrollbar, at the bottom
            # Pages read on until one shows below the last row; memory's rows are older than the whole journal
            # here, so that is its start (5 pages, under the 20-page bound).
            await until(pilot, lambda: panel.journal_state == "end", what="the journal's start")
            assert panel.table.row_count == len(memory) + 999
            assert len(questions) == len(asked) + 4 and all(q["before"] is not None for q in questions[len(asked) :])
            await pilot.press("escape")  # text filter off; then the provider filter alone asks the journal too
            panel.table.focus()
            questions.clear()
            await pilot.press("f")
            await until(pilot, lambda: panel.journal_state in ("idle", "end") and questions, what="the provider's page")
            assert questions[0]["provider"] == "home" and questions[0]["grep"] is None
            assert panel.table.row_count == len(memory) + 200
    finally:
        await journal.close()


async def test_an_unreadable_journal_is_said_in_the_subtitle_and_memory_still_shows(tmp_path: Path) -> None:
    from textual.app import App, ComposeResult

    from alarmtui.settings import Settings
    from alarmtui.ui.format import Palette
    from alarmtui.ui.widgets.events import EventsPanel

    journal = Journal(tmp_path)  # a folder, not a file: the journal cannot open it
    journal.start()
    engine = InProcessEngine(Settings(), providers=[], journal=journal)

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield EventsPanel(["home"], history=engine.history)

    memory = [Event("m1", datetime.now(UTC), EventKind.ZONE, "Hall door opened", provider="home")]
    try:
        async with PanelApp().run_test(size=(120, 30)) as pilot:
            panel = pilot.app.query_one(EventsPanel)
            panel.show(memory, memory, [], Palette({}))
            await until(pilot, lambda: panel.journal_state == "error", what="the journal's failure")
            assert panel.table.row_count == 1
            assert "journal:" in str(panel.border_subtitle)
            panel.table.focus()
            await pilot.press("end")  # asked again on the way to the end; still failing, still no crash
            await until(pilot, lambda: panel.journal_state == "error", what="the second failure")
            assert panel.table.row_count == 1
    finally:
        await journal.close()


async def test_older_rows_are_fetched_a_screenful_before_the_cursor_reaches_the_end(tmp_path: Path) -> None:
    from textual.app import App, ComposeResult

    from alarmtui.settings import Settings
    from alarmtui.ui.format import Palette
    from alarmtui.ui.widgets.events import EventsPanel

    journal = await seeded_journal(tmp_path / "journal.sqlite3", "home", count=400)  # 2 days old and older
    engine = InProcessEngine(Settings(), providers=[], journal=journal)

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield EventsPanel(["home"], history=engine.history)

    now = datetime.now(UTC)
    memory = [Event(f"m{n}", now - timedelta(minutes=n), EventKind.ZONE, f"live {n}", provider="home") for n in range(100)]
    try:
        async with PanelApp().run_test(size=(120, 30)) as pilot:
            panel = pilot.app.query_one(EventsPanel)
            panel.show(memory, memory, [], Palette({}))
            await until(pilot, lambda: panel.journal_state == "idle", what="the probe")
            panel.table.focus()
            while panel.table.row_count == len(memory):
                assert panel.table.cursor_row < len(memory) - 1, "reached the last row before anything was fetched"
                await pilot.press("pagedown")
                await pilot.pause(0.1)
            await until(pilot, lambda: panel.journal_state == "idle", what="the page")
            assert panel.table.row_count == len(memory) + 200
            assert panel.table.event_at(len(memory)).id == "old-0"  # the journal's newest follows memory's oldest
    finally:
        await journal.close()
