"""`alarmtui events --kind` accepts, lists and finds every kind the journal writes (entry_delay, notification …)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alarmtui.cli import Exit, build_parser, main
from alarmtui.domain import Event, EventKind
from alarmtui.domain.changes import Category
from alarmtui.domain.updates import EventsUpdate
from alarmtui.headless import EVENT_KINDS
from alarmtui.journal.store import Journal
from tests.journal.test_cli_events import write_config

NOW = datetime.now(UTC).replace(microsecond=0)


def test_the_kinds_are_every_event_kind_and_every_alarmtui_category() -> None:
    expected = {k.value for k in EventKind} | {c.value for c in Category if c is not Category.EVENT}
    assert set(EVENT_KINDS) == expected
    help_text = build_parser().format_help() + next(
        action.choices["events"].format_help()  # type: ignore[union-attr]
        for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
    )
    for kind in EVENT_KINDS:
        assert kind in help_text, kind


async def test_entry_delay_and_notification_entries_are_found_by_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal_path = tmp_path / "journal.sqlite3"
    journal = Journal(journal_path)
    journal.start()
    await journal.started()
    journal.record(
        EventsUpdate(
            "house",
            (
                Event("e1", NOW - timedelta(minutes=5), EventKind.ENTRY_DELAY, "Entry delay", zone="Front door"),
                Event("a1", NOW - timedelta(minutes=4), EventKind.ALARM, "Burglary alarm", zone="Hall PIR"),
            ),
        )
    )
    journal.record_notification_dropped("house", "target 1 (json)", "alarm", "ALARM — house", "gave up after 5 attempts")
    assert await journal.flush()
    await journal.close()
    config = write_config(tmp_path / "config.toml", journal_path)

    for kind, text in (("entry_delay", "Entry delay"), ("notification", "notification not sent to target 1")):
        assert await asyncio.to_thread(main, ["events", "--kind", kind, "--json", "--config", str(config)]) == Exit.OK
        found = json.loads(capsys.readouterr().out)["events"]
        assert len(found) == 1 and text in found[0]["text"], (kind, found)
