"""The journal on real SQLite files: what it records, dedupe across restarts, search, retention, faults."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alarmtui.domain import (
    ArmMode,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Snapshot,
    Trouble,
    TroubleKind,
)
from alarmtui.domain.updates import CommandUpdate, EventsUpdate, LinkState, ProviderStatus, SnapshotUpdate, StatusUpdate
from alarmtui.journal.store import _STOP, Journal, JournalReader, default_journal_path

T0 = datetime(2026, 11, 27, 3, 0, 0, tzinfo=UTC)


def event(n: int, *, minutes: int | None = None, kind: EventKind = EventKind.ZONE, text: str | None = None, **kw: str) -> Event:
    return Event(
        id=f"e{n}",
        time=T0 + timedelta(minutes=n if minutes is None else minutes),
        kind=kind,
        text=text or f"Hall door opened ({n})",
        **kw,
    )


def snapshot(*states: PartitionState, zone: str | None = None, troubles: tuple[Trouble, ...] = (), at: int = 0) -> Snapshot:
    partitions = tuple(
        Partition(str(i + 1), ["House", "Garage"][i], state, alarm_zone=zone if state is PartitionState.TRIGGERED else None)
        for i, state in enumerate(states)
    )
    return Snapshot(partitions=partitions, troubles=troubles, panel_name="Home", fetched_at=T0 + timedelta(minutes=at))


def status(state: LinkState, reason: str = "") -> StatusUpdate:
    return StatusUpdate("house", ProviderStatus("house", "visonic", state, reason=reason))


async def open_journal(path: Path, **kw: object) -> Journal:
    journal = Journal(path, **kw)  # type: ignore[arg-type]
    journal.start()
    assert await journal.started()
    return journal


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "alarmtui" / "journal.sqlite3"


async def test_vendor_events_are_kept_once_across_restarts(path: Path) -> None:
    journal = await open_journal(path)
    batch = tuple(event(n) for n in range(5, 0, -1))  # newest first, as the poller sends them
    journal.record(EventsUpdate("house", batch))
    journal.record(EventsUpdate("house", batch))
    journal.record(EventsUpdate("cottage", batch[:2]))  # the same ids at another provider are other events
    assert await journal.flush()
    await journal.close()

    again = await open_journal(path)
    again.record(EventsUpdate("house", (event(6), *batch)))  # a restart re-reads the vendor log
    assert await again.flush()
    found = await again.search(providers=["house"])
    assert [e.id for e in found] == ["e6", "e5", "e4", "e3", "e2", "e1"]
    assert len(await again.search()) == 8
    first = found[0].as_json()
    assert first == {
        "id": "e6",
        "time": (T0 + timedelta(minutes=6)).isoformat(),
        "kind": "zone",
        "text": "Hall door opened (6)",
        "who": "",
        "zone": "",
        "partition": "",
        "provider": "house",
        "source": "vendor",
    }
    assert await again.last_event_time("house") == T0 + timedelta(minutes=6)
    assert await again.last_event_time("nowhere") is None
    await again.close()


async def test_events_without_an_id_are_deduplicated_by_content(path: Path) -> None:
    journal = await open_journal(path)
    anonymous = Event("", T0, EventKind.ARM, "Armed away", who="Alice")
    journal.record(EventsUpdate("vera", (anonymous,)))
    journal.record(EventsUpdate("vera", (anonymous,)))
    journal.record(EventsUpdate("vera", (Event("", T0, EventKind.ARM, "Armed away", who="Bob"),)))
    await journal.flush()
    found = await journal.search()
    assert sorted(e.who for e in found) == ["Alice", "Bob"]
    assert all(e.id.startswith("c:") for e in found)
    await journal.close()


async def test_partition_transitions_alarms_and_acknowledgement(path: Path) -> None:
    journal = await open_journal(path)
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, PartitionState.DISARMED, at=0)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, PartitionState.DISARMED, at=1)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.UNKNOWN, PartitionState.DISARMED, at=2)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.ARMED_AWAY, PartitionState.DISARMED, at=3)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.TRIGGERED, PartitionState.DISARMED, zone="Hall PIR", at=4)))
    journal.record_acknowledgement("house", "1", "House", who="dashboard (pts/3)")
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, PartitionState.DISARMED, at=5)))
    assert await journal.flush()
    texts = [(e.kind, e.category, e.text) for e in reversed(await journal.search())]
    assert texts == [
        ("disarm", "state", "House: disarmed"),
        ("disarm", "state", "Garage: disarmed"),
        ("arm", "state", "House: armed away (was disarmed)"),
        ("alarm", "state", "House: ALARM, zone Hall PIR (was armed away)"),
        ("disarm", "state", "House: disarmed (was ALARM)"),
        ("alarm", "acknowledgement", "House: alarm acknowledged"),  # stamped with the wall clock: newest
    ]
    assert (await journal.search(kinds=["acknowledgement"]))[0].who == "dashboard (pts/3)"
    await journal.close()

    # After a restart the same state is no transition; a new one remembers the last state.
    again = await open_journal(path)
    again.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, PartitionState.DISARMED, at=10)))
    again.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, PartitionState.ARMED_HOME, at=11)))
    await again.flush()
    newest = await again.search(limit=10)
    assert len(newest) == 7
    state = await again.search(kinds=["state"], limit=1)
    assert state[0].text == "Garage: armed home (was disarmed)"
    assert state[0].source == "alarmtui"
    await again.close()


async def test_troubles_and_connectivity(path: Path) -> None:
    journal = await open_journal(path)
    tamper = Trouble("t1", TroubleKind.TAMPER, "Tamper: Hall PIR", zone="Hall PIR")
    journal.record(status(LinkState.CONNECTING))
    journal.record(status(LinkState.ONLINE))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, at=0)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, troubles=(tamper,), at=1)))
    journal.record(status(LinkState.RECONNECTING, "timeout"))
    journal.record(status(LinkState.ONLINE))
    journal.record(status(LinkState.RECONNECTING, "timeout"))
    journal.record(status(LinkState.OFFLINE, "the server does not answer"))
    journal.record(status(LinkState.OFFLINE, "the server does not answer"))
    journal.record(status(LinkState.ONLINE))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.DISARMED, at=2)))
    await journal.flush()
    link = [e.text for e in reversed(await journal.search(kinds=["connectivity"]))]
    assert link == ["online", "offline: the server does not answer", "back online"]
    troubles = [e.text for e in reversed(await journal.search(kinds=["trouble"]))]
    assert troubles == ["trouble: Tamper: Hall PIR", "trouble cleared: tamper"]
    await journal.close()


async def test_commands_are_recorded_with_origin_and_outcome_never_the_pin(path: Path) -> None:
    journal = await open_journal(path)
    command = Command(CommandAction.ARM, mode=ArmMode.AWAY, partition="1", code="918273", label="House")
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.SENT, "sending")), origin="dashboard (pts/3)")
    assert await journal.flush()
    sent = await journal.search(kinds=["command"])
    assert [(e.kind, e.text, e.who, e.partition) for e in sent] == [("arm", "arm away House: sent", "dashboard (pts/3)", "House")]
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.WAITING, "waiting")), origin="dashboard (pts/3)")
    result = CommandResult(CommandPhase.DONE, "armed", 2.5)
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.DONE, "armed", 2.5), result))
    refused = Command(CommandAction.DISARM, code="918273")
    journal.record(CommandUpdate("house", refused, CommandProgress(CommandPhase.SENT)), origin="cli")
    journal.record(
        CommandUpdate(
            "house", refused, CommandProgress(CommandPhase.FAILED), CommandResult(CommandPhase.FAILED, "wrong code", 0.4)
        )
    )
    await journal.flush()
    commands = [(e.text, e.who) for e in await journal.search(kinds=["command"])]
    assert commands == [
        ("disarm: failed: wrong code (0.4 s)", "cli"),
        ("arm away House: done — armed (2.5 s)", "dashboard (pts/3)"),
    ]
    assert [e.cursor for e in await journal.search(grep="arm away")] == [sent[0].cursor]  # updated in place, re-indexed
    assert await journal.search(grep="sent") == []
    await journal.close()
    for file in path.parent.iterdir():
        assert b"918273" not in file.read_bytes(), file


async def test_search_filters_grep_and_scroll_back(path: Path) -> None:
    journal = await open_journal(path)
    events = [
        event(1, kind=EventKind.ARM, text="Armed away", who="Alice"),
        event(2, kind=EventKind.ALARM, text="Burglary alarm", zone="Garage door"),
        event(3, text='Window "kitchen" 50% open_now', zone="Kitchen"),
        event(4, kind=EventKind.DISARM, text="Disarmed", who="Bob", partition="House"),
    ]
    journal.record(EventsUpdate("house", tuple(events)))
    journal.record(EventsUpdate("office", (event(5, kind=EventKind.ALARM, text="Fire alarm", zone="Kitchen"),)))
    journal.record(EventsUpdate("office", tuple(event(n) for n in range(100, 160))))
    await journal.flush()

    async def ids(**kw: object) -> list[str]:
        return [e.id for e in await journal.search(**kw)]  # type: ignore[arg-type]

    assert await ids(grep="GARAGE") == ["e2"]  # zone, case-insensitive
    assert await ids(grep="alice") == ["e1"]  # who
    assert await ids(grep="hou") == ["e4"]  # partition
    assert await ids(grep='"kitchen" 50%') == ["e3"]  # quotes and % are text, not syntax
    assert await ids(grep="_no") == ["e3"]  # short needle: a scan, same meaning
    assert await ids(grep="%") == ["e3"]
    assert await ids(grep="kitchen") == ["e5", "e3"]
    assert await ids(grep="kitchen", providers=["house"]) == ["e3"]
    assert await ids(kinds=["alarm"]) == ["e5", "e2"]
    assert await ids(kinds=["arm", "disarm"]) == ["e4", "e1"]
    assert await ids(kinds=["ARM "]) == ["e1"]
    assert await ids(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4), providers=["house"]) == ["e4", "e3", "e2"]
    assert await ids(grep="alarm", since=T0 + timedelta(minutes=3)) == ["e5"]
    assert await ids(grep="nothing like this") == []
    # Scrolling back page by page visits every entry once, newest first.
    seen: list[str] = []
    cursor = None
    while page := await journal.search(limit=7, before=cursor):
        seen += [e.id for e in page]
        cursor = page[-1].cursor
    assert len(seen) == len(set(seen)) == 65
    everything = await journal.search(limit=1000)
    assert [e.time for e in everything] == sorted((e.time for e in everything), reverse=True)
    await journal.close()


async def test_equal_times_keep_the_vendor_order(path: Path) -> None:
    journal = await open_journal(path)
    same = tuple(Event(f"s{i}", T0, EventKind.ZONE, f"step {i}") for i in (3, 2, 1))  # newest first
    journal.record(EventsUpdate("house", same))
    await journal.flush()
    assert [e.id for e in await journal.search()] == ["s3", "s2", "s1"]
    await journal.close()


async def test_retention_removes_old_entries_and_their_index(path: Path) -> None:
    now = T0 + timedelta(days=800)
    journal = await open_journal(path, retention=timedelta(days=730), now=lambda: now)
    journal.record(
        EventsUpdate("house", (event(1, text="ancient tamper"), event(2, minutes=60 * 24 * 100, text="recent tamper")))
    )
    await journal.flush()
    assert await journal.prune() == 0  # the ancient one was never written: a restart would only bring it back
    assert [e.text for e in await journal.search(grep="tamper")] == ["recent tamper"]
    journal.retention = timedelta(days=600)
    assert await journal.prune() == 1
    assert await journal.search(grep="tamper") == []
    await journal.close()
    with sqlite3.connect(path) as conn:  # the external-content index holds nothing that is gone
        conn.execute("INSERT INTO entries_fts(entries_fts, rank) VALUES ('integrity-check', 1)")


async def test_the_file_is_private_and_in_wal_mode(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_journal_path() == path
    journal = await open_journal(default_journal_path())
    journal.record(EventsUpdate("house", (event(1),)))
    await journal.flush()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await journal.close()


async def test_a_journal_that_cannot_be_opened_does_not_bother_the_caller(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    journal = Journal(blocked / "journal.sqlite3")
    journal.start()
    assert not await journal.started()
    assert journal.error and "cannot open" in journal.error
    journal.record(EventsUpdate("house", (event(1),)))
    assert not await journal.flush()
    await journal.close()


async def test_a_full_disk_keeps_rows_until_space_returns(path: Path) -> None:
    journal = await open_journal(path)
    journal.RETRY_INITIAL = 0.05
    journal.record(EventsUpdate("house", (event(1),)))
    await journal.flush()
    pages = await journal._call(lambda w: w.conn.execute("PRAGMA page_count").fetchone()[0])
    await journal._call(lambda w: w.conn.execute(f"PRAGMA max_page_count = {pages}"))  # SQLITE_FULL from now on
    journal.record(EventsUpdate("house", tuple(event(n, text="x" * 400) for n in range(2, 200))))
    assert not await journal.flush()
    assert journal.error and "full" in journal.error
    journal.record(EventsUpdate("house", (event(500),)))  # still accepted, never raises
    await journal._call(lambda w: w.conn.execute("PRAGMA max_page_count = 1073741823"))
    assert await journal.flush()
    assert journal.error is None
    assert len(await journal.search(limit=1000)) == 200
    await journal.close()


async def test_a_locked_database_delays_writes_without_losing_them(path: Path) -> None:
    journal = await open_journal(path, busy_timeout=0.05)
    journal.RETRY_INITIAL = 0.05
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    journal.record(EventsUpdate("house", (event(1),)))
    assert not await journal.flush()
    assert journal.error and "locked" in journal.error
    other.execute("COMMIT")
    other.close()
    journal.record(EventsUpdate("house", (event(2),)))
    assert await journal.flush()
    assert [e.id for e in await journal.search()] == ["e2", "e1"]
    await journal.close()


def test_the_reader_refuses_a_missing_or_foreign_file(tmp_path: Path) -> None:
    from alarmtui.journal.store import JournalError

    with pytest.raises(JournalError):
        JournalReader(tmp_path / "missing.sqlite3")
    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(JournalError):
        JournalReader(foreign)


def test_built_from_the_settings(tmp_path: Path) -> None:
    from alarmtui.notify.notifier import Notifier
    from alarmtui.settings import Settings

    settings = Settings(
        journal=tmp_path / "j.sqlite3",
        journal_retention="90d",
        notify=[{"url": "ntfys://ntfy.example.org/t0pic", "events": ["alarm", "tamper"]}, {"url": "json://localhost/x"}],
    )
    journal = Journal.from_settings(settings)
    assert journal.path == tmp_path / "j.sqlite3" and journal.retention == timedelta(days=90)
    assert Journal.from_settings(Settings()).path == default_journal_path()
    notifier = Notifier.from_settings(settings)
    assert [(t.label, sorted(t.events)) for t in notifier.targets] == [
        ("target 1 (ntfys)", ["alarm", "tamper"]),
        (
            "target 2 (json)",
            ["alarm", "armed", "command_failed", "disarmed", "entry_delay", "login_refused", "offline", "power", "tamper"],
        ),
    ]
    assert "t0pic" not in repr(notifier.targets) + repr(settings)


async def test_a_grep_of_one_or_two_characters_scans_only_the_newest_entries(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alarmtui.journal import store

    monkeypatch.setattr(store, "SHORT_GREP_WINDOW", 3)
    journal = await open_journal(path)
    journal.record(EventsUpdate("house", (event(9, text="xq marks the spot"), *(event(n, text="plain") for n in range(10, 14)))))
    await journal.flush()
    assert await journal.search(grep="xq") == []  # beyond the newest three
    assert [e.id for e in await journal.search(grep="xq", before=(await journal.search(limit=3))[-1].cursor)] == ["e9"]
    assert [e.id for e in await journal.search(grep="xq m")] == ["e9"]  # three or more characters: the whole journal
    await journal.close()


async def test_a_notification_that_was_not_sent_is_journaled(tmp_path: Path) -> None:
    journal = await open_journal(tmp_path / "j.sqlite3")
    journal.record_notification_dropped(
        "house", "target 2 (ntfys)", "armed", "Armed away — house", "dropped: the target's queue was full"
    )
    assert await journal.flush()
    (entry,) = await journal.search(kinds=["notification"])
    assert entry.text == "notification not sent to target 2 (ntfys): Armed away — house (dropped: the target's queue was full)"
    assert entry.source == "alarmtui"
    await journal.close()


async def test_an_entry_delay_is_journaled_as_its_own_kind_not_an_alarm(tmp_path: Path) -> None:
    journal = await open_journal(tmp_path / "j.sqlite3")
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.ARMED_AWAY, PartitionState.DISARMED, at=0)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.PENDING, PartitionState.DISARMED, at=1)))
    assert await journal.flush()
    assert [e.text for e in await journal.search(kinds=["entry_delay"])] == ["House: entry delay (was armed away)"]
    assert await journal.search(kinds=["alarm"]) == []
    await journal.close()


# --------------------------------------------------------------------------- files and processes (issue 18)


async def test_a_second_writer_of_one_journal_is_refused_naming_the_path(path: Path) -> None:
    from alarmtui.journal.store import JournalLocked

    first = await open_journal(path)
    second = Journal(path)
    with pytest.raises(JournalLocked, match=str(path)) as refused:
        second.claim()  # what the service calls before it starts
    assert f"process {os.getpid()}" in str(refused.value)
    second.start()  # a dashboard: runs on, without journaling
    assert not await second.started()
    assert second.error is not None and str(path) in second.error
    second.record(EventsUpdate("house", (event(1),)))
    assert not await second.flush()
    assert await second.search() == []  # it can still read
    await second.close()
    first.record(EventsUpdate("house", (event(2),)))
    assert await first.flush()
    await first.close()
    third = await open_journal(path)  # the lock goes with its holder
    assert [e.id for e in await third.search()] == ["e2"]
    await third.close()


def test_the_lock_file_is_never_followed_through_a_symlink(tmp_path: Path) -> None:
    from alarmtui.journal.store import JournalError, claim_journal, lock_path

    victim = tmp_path / "victim"
    victim.write_text("precious")
    journal = tmp_path / "state" / "journal.sqlite3"
    journal.parent.mkdir()
    lock_path(journal).symlink_to(victim)
    with pytest.raises(JournalError, match="lock file"):
        claim_journal(journal)
    assert victim.read_text() == "precious"


async def test_commands_left_sent_by_a_crash_become_unknown_service_stopped(path: Path) -> None:
    journal = await open_journal(path)
    command = Command(CommandAction.ARM, mode=ArmMode.AWAY, label="House", partition="1")
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.SENT)), origin="dashboard")
    assert await journal.flush()
    journal._queue.put(_STOP)  # the process dies here: no outcome is ever written
    journal._thread.join(5)  # type: ignore[union-attr]
    journal._thread = None
    os.close(journal._lock_fd)  # type: ignore[arg-type]
    journal._lock_fd = None
    assert [e.text for e in await journal.search(kinds=["command"])] == ["arm away House: sent"]
    await journal.close()

    restarted = await open_journal(path)
    assert restarted.recovered_commands == 1
    (entry,) = await restarted.search(kinds=["command"])
    assert entry.text == "arm away House: unknown (service stopped)"
    assert [e.text for e in await restarted.search(grep="service stopped")] == [entry.text]  # the index follows
    await restarted.close()
    again = await open_journal(path)
    assert again.recovered_commands == 0
    await again.close()


def test_events_reads_a_journal_it_cannot_write(tmp_path: Path) -> None:
    """`alarmtui events` on a read-only copy: `mode=ro` where the folder is writable, `immutable=1` where nothing is."""
    import shutil
    import subprocess

    from alarmtui.journal.store import JournalReader

    source = tmp_path / "rw" / "journal.sqlite3"

    async def fill() -> None:
        journal = await open_journal(source)
        journal.record(EventsUpdate("house", (event(1), event(2))))
        assert await journal.flush()
        await journal.close()

    import asyncio

    asyncio.run(fill())
    folder = tmp_path / "ro"
    folder.mkdir()
    for name in ("journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"):
        if (source.parent / name).exists():
            shutil.copy(source.parent / name, folder / name)
    copy = folder / "journal.sqlite3"
    copy.chmod(0o400)
    folder.chmod(0o500)
    try:
        if os.geteuid() == 0:  # root writes through file modes: make the folder really read-only
            mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True)
            if mounted.returncode != 0:
                pytest.skip(
                    f"as root a read-only file needs a read-only bind mount, refused here: {mounted.stderr.decode().strip()}"
                )
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True)
        try:
            probe = sqlite3.connect(copy)
            with pytest.raises(sqlite3.Error):
                probe.execute("CREATE TABLE x (y)")  # really read-only
            probe.close()
            reader = JournalReader(copy)
            assert reader.mode in ("ro", "immutable")
            assert len(reader.search(limit=10)) == 2
            reader.close()
        finally:
            if os.geteuid() == 0:
                if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
                    subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    finally:
        folder.chmod(0o700)


# --------------------------------------------------------------------------- the first frame from the journal (issue 16)


async def test_the_engine_shows_the_last_known_state_from_the_journal_before_any_poll_answers(path: Path) -> None:
    """A start with the vendor unreachable: the view still gets the partitions it last saw, marked stale, at once."""
    from alarmtui.engine.inprocess import InProcessEngine
    from alarmtui.settings import Settings

    journal = await open_journal(path)
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.ARMED_AWAY, PartitionState.DISARMED, at=3)))
    journal.record(SnapshotUpdate("house", snapshot(PartitionState.ARMED_HOME, PartitionState.DISARMED, at=4)))
    assert await journal.flush()
    await journal.close()

    table = {"name": "house", "kind": "visonic", "url": "http://127.0.0.1:9", "username": "u", "password": "never-used"}
    settings = Settings(providers=[table])
    engine = InProcessEngine(settings, journal=Journal(path), notifier=None, enforce_budget=False)
    seen: list[object] = []
    engine.subscribe(seen.append)
    await engine.start()
    try:
        async with asyncio.timeout(5):
            while not any(isinstance(u, SnapshotUpdate) for u in seen):
                await asyncio.sleep(0.01)
        cached = next(u for u in seen if isinstance(u, SnapshotUpdate))
        assert [(p.name, p.state) for p in cached.snapshot.partitions] == [
            ("House", PartitionState.ARMED_HOME),
            ("Garage", PartitionState.DISARMED),
        ]
        assert cached.snapshot.fetched_at == T0 + timedelta(minutes=4)
        status = engine.states["house"].status
        assert status.stale and status.last_update == T0 + timedelta(minutes=4)
        assert status.state is not LinkState.ONLINE  # the vendor never answered: last known, not live
    finally:
        await engine.close(timeout=0.5)
