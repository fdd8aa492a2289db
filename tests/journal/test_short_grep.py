"""A filter of one or two characters: a bounded scan that stops at its page (issue 16, filter keystroke ≤ 100 ms)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alarmtui.domain import Event, EventKind
from alarmtui.domain.updates import EventsUpdate
from alarmtui.journal import store
from alarmtui.journal.store import Journal, JournalReader

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(n: int, text: str, provider: str) -> Event:
    return Event(id=f"e{n}", time=T0 + timedelta(minutes=n), kind=EventKind.ZONE, text=text, provider=provider)


async def write(path: Path, provider_texts: list[tuple[str, str]]) -> None:
    journal = Journal(path)
    journal.start()
    assert await journal.started()
    for provider in sorted({p for p, _ in provider_texts}):
        batch = tuple(event(n, text, p) for n, (p, text) in enumerate(provider_texts) if p == provider)
        journal.record(EventsUpdate(provider, tuple(reversed(batch))))
    await journal.flush()
    await journal.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


async def test_the_window_counts_journal_entries_whatever_the_other_filters(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "SHORT_GREP_WINDOW", 4)
    # Oldest first: a "qx" of the cottage, then newer entries of both providers.
    await write(
        path,
        [
            ("cottage", "qx old"),
            ("cottage", "plain"),
            ("house", "plain"),
            ("house", "qx house"),
            ("cottage", "qx new"),
            ("house", "plain"),
        ],
    )
    reader = JournalReader(path)
    try:
        assert [e.text for e in reader.search(grep="qx")] == ["qx new", "qx house"]  # the newest four entries only
        assert [e.text for e in reader.search(grep="QX", providers=["cottage"])] == ["qx new"]  # same window, filtered
        oldest_shown = reader.search(limit=4)[-1].cursor
        assert [e.text for e in reader.search(grep="qx", before=oldest_shown)] == ["qx old"]  # the next window
        assert [e.text for e in reader.search(grep="qx o")] == ["qx old"]  # three characters: the whole journal
        assert [e.text for e in reader.search(grep="x", limit=2)] == ["qx new", "qx house"]  # newest first, paged
        assert reader.search(grep="%") == [] and reader.search(grep="_") == []  # LIKE's wildcards are plain text
    finally:
        reader.close()


async def test_a_short_grep_stops_reading_once_its_page_is_full(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A keystroke asks for one page: the scan must stop there, not decode the whole window first.
    monkeypatch.setattr(store, "SHORT_GREP_WINDOW", 3000)
    await write(path, [("house", f"bell {n}") for n in range(3000)])
    reader = JournalReader(path)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    def steps_for(needle: str, found: int) -> int:
        nonlocal steps
        steps = 0
        reader._conn.set_progress_handler(count, 100)
        try:
            assert len(reader.search(grep=needle, limit=10)) == found
        finally:
            reader._conn.set_progress_handler(None, 0)
        return steps

    try:
        # Ten matches among the newest rows cost a fraction of reading the whole window (no match: every row).
        assert steps_for("be", 10) * 3 < steps_for("zq", 0)
    finally:
        reader.close()
