"""The journal: one SQLite file (WAL, FTS5) that remembers everything alarmtui saw and did.

Layout: `entries` holds one row per event. Its integer primary key is the event's time in
microseconds since the epoch (bumped by one on a collision), so "newest first", time ranges and
the scroll-back cursor are all walks of the primary key, and the full-text index (trigram FTS5,
external content, kept in step by the writer: FTS5 inserts from a trigger run four times slower) can answer "newest 50 matches" without sorting.
`(provider, key)` is unique: the vendor's event id, a content key when the vendor has none, or
alarmtui's own key for what it observed; inserting twice is a no-op, so a restart or a
back-fill never duplicates anything. `last_state` keeps what the change tracker remembers,
written in the same transaction as the entries it explains.

Writes never happen on the event loop: `Journal.record()` only queues the update; one writer
thread batches the queue into transactions. A failed write (disk full, database locked) is
logged and retried with backoff; the caller never sees it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alarmtui.domain import CommandPhase, Event, EventKind, Snapshot
from alarmtui.domain.changes import (
    COMMAND_KINDS,
    STATE_WORDS,
    AlarmAcknowledged,
    Category,
    Change,
    ChangeTracker,
    CommandFinished,
    CommandSent,
    LinkChanged,
    NotificationDropped,
    PartitionChanged,
    TroubleChanged,
    VendorEvent,
    WallClock,
    as_utc,
    command_outcome_text,
    content_key,
    state_kind,
    utc_now,
)
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import PollerUpdate, SnapshotUpdate
from alarmtui.journal.limits import SHORT_GREP_CHARS, SHORT_GREP_WINDOW

log = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=730)
SCHEMA_VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STOPPED_WORDS = "unknown (service stopped)"
"""A command row whose process died before its outcome: it may or may not have reached the panel."""


def default_journal_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui" / "journal.sqlite3"


def to_micros(when: datetime) -> int:
    delta = as_utc(when) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class JournalError(Exception):
    """The journal cannot be read (missing, unreadable, not a journal)."""


class JournalLocked(JournalError):
    """Another process writes this journal: one service per journal."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def claim_journal(path: Path) -> int:
    """Take the journal's exclusive write lock (a `.lock` file beside it); the open descriptor holds it.

    Raises `JournalLocked` naming the path (and the holder's pid, where it wrote it) when another process
    holds it. The lock file is opened with O_NOFOLLOW and never truncated before the lock is ours.
    """
    _private_file(path)
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise JournalError(f"{lock}: cannot open the journal's lock file: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            holder = ""
        os.close(fd)
        who = f"process {holder}" if holder.isdigit() else "another process"
        raise JournalLocked(
            f"{path}: the journal is in use by {who} (another alarmtui service or dashboard writes it); "
            "one journal per service: stop the other one, or give this one its own `journal = ...` path"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise JournalError(f"{lock}: cannot lock the journal: {exc.strerror or exc}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class Row:
    """One entry to write."""

    provider: str
    key: str
    category: Category
    kind: str
    time: datetime
    text: str
    who: str = ""
    zone: str = ""
    partition: str = ""
    detail: dict[str, Any] | None = None
    replace: bool = False
    """Overwrite text/detail of an existing row with this key (a command's outcome replacing "sent")."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One entry read back from the journal."""

    cursor: int
    """Pass as `before=` to get the entries older than this one."""
    time: datetime
    provider: str
    category: str
    kind: str
    id: str
    text: str
    who: str
    zone: str
    partition: str

    @property
    def source(self) -> str:
        return "vendor" if self.category == Category.EVENT else "alarmtui"

    def as_event(self) -> Event:
        """The domain event the dashboard's events panel shows."""
        try:
            kind = EventKind(self.kind)
        except ValueError:
            kind = EventKind.SYSTEM
        return Event(
            id=self.id,
            time=self.time,
            kind=kind,
            text=self.text,
            who=self.who,
            zone=self.zone,
            partition=self.partition,
            provider=self.provider,
        )

    def as_json(self) -> dict[str, Any]:
        """`events --json`: today's keys plus `source`."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "kind": self.kind,
            "text": self.text,
            "who": self.who,
            "zone": self.zone,
            "partition": self.partition,
            "provider": self.provider,
            "source": self.source,
        }


def rows_for(change: Change) -> list[Row]:
    """The journal entries one change makes (never a PIN: `Command.code` is not read here)."""
    match change:
        case VendorEvent(provider, event):
            key = f"v:{event.id}" if event.id else f"c:{content_key(event)}"
            return [
                Row(
                    provider,
                    key,
                    Category.EVENT,
                    event.kind.value,
                    event.time,
                    clean_text(event.text),
                    clean_text(event.who, 120),
                    clean_text(event.zone, 120),
                    clean_text(event.partition, 120),
                )
            ]
        case PartitionChanged():
            was = f" (was {STATE_WORDS[change.old]})" if change.old is not None else ""
            zone = f", zone {change.zone}" if change.zone else ""
            stamp = to_micros(change.time)
            key = f"s:{change.partition}:{change.new.value}:{stamp}"
            return [
                Row(
                    change.provider,
                    key,
                    Category.STATE,
                    state_kind(change.new).value,
                    change.time,
                    f"{change.name}: {STATE_WORDS[change.new]}{zone}{was}",
                    zone=change.zone,
                    partition=change.name,
                    detail={"from": change.old.value if change.old else None, "to": change.new.value},
                )
            ]
        case TroubleChanged():
            key = f"t:{change.trouble_id}:{'on' if change.appeared else 'off'}:{to_micros(change.time)}"
            what = change.text or change.kind.value.replace("_", " ")
            text = f"trouble: {what}" if change.appeared else f"trouble cleared: {what}"
            return [Row(change.provider, key, Category.STATE, EventKind.TROUBLE.value, change.time, text, zone=change.zone)]
        case LinkChanged():
            key = f"l:{change.new.value}:{to_micros(change.time)}"
            if change.new.value == "online":
                text = "online" if change.old is None else "back online"
            else:
                text = f"offline: {change.reason}" if change.reason else "offline"
            return [Row(change.provider, key, Category.CONNECTIVITY, EventKind.SYSTEM.value, change.time, text)]
        case CommandSent():
            return [_command_row(change, f"{change.command.describe()}: sent", None)]
        case CommandFinished():
            result = change.result
            text = f"{change.command.describe()}: {command_outcome_text(result)} ({result.elapsed:.1f} s)"
            return [_command_row(change, text, result.phase.value)]
        case NotificationDropped():
            key = f"n:{to_micros(change.time)}:{change.target}:{change.kind}"
            text = f"notification not sent to {change.target}: {change.title} ({change.reason})"
            return [Row(change.provider, key, Category.NOTIFICATION, EventKind.SYSTEM.value, change.time, clean_text(text))]
        case AlarmAcknowledged():
            key = f"a:{change.partition}:{to_micros(change.time)}" + (f":{change.zone}" if change.zone else "")
            return [
                Row(
                    change.provider,
                    key,
                    Category.ACKNOWLEDGEMENT,
                    EventKind.ALARM.value,
                    change.time,
                    f"{change.name}: alarm acknowledged",
                    who=change.who,
                    zone=change.zone,
                    partition=change.name,
                )
            ]
    return []


def _command_row(change: Any, text: str, outcome: str | None) -> Row:
    """One journal row per command (sent, then replaced by its outcome under the same key)."""
    command = change.command
    return Row(
        change.provider,
        f"cmd:{change.token}",
        Category.COMMAND,
        COMMAND_KINDS[command.action].value,
        change.time,
        text,
        who=change.origin,
        zone=clean_text(command.label if command.zone else "", 120),
        partition=clean_text(command.label if command.partition else "", 120),
        detail=_command_detail(command, outcome),
        replace=outcome is not None,
    )


def _command_detail(command: Any, outcome: str | None) -> dict[str, Any]:
    return {
        "action": command.action.value,
        "mode": command.mode.value if command.mode else None,
        "partition": command.partition,
        "zone": command.zone,
        "on": command.on,
        "force": command.force,
        "outcome": outcome,
    }


# --------------------------------------------------------------------------- the database

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,          -- microseconds since the epoch (UTC), bumped on collision
    provider TEXT NOT NULL,
    key TEXT NOT NULL,               -- dedupe key within the provider
    category TEXT NOT NULL,          -- event | command | state | connectivity | acknowledgement | notification
    kind TEXT NOT NULL,              -- alarm | arm | disarm | trouble | photo | zone | system
    text TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '',
    zone TEXT NOT NULL DEFAULT '',
    partition TEXT NOT NULL DEFAULT '',
    detail TEXT                      -- JSON: a command's mode and outcome, a transition's states
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries(provider, key);
CREATE INDEX IF NOT EXISTS entries_provider ON entries(provider, id);
CREATE INDEX IF NOT EXISTS entries_kind ON entries(kind, id);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
    text, who, zone, partition, content='entries', content_rowid='id', tokenize='trigram', columnsize=0
);
CREATE TABLE IF NOT EXISTS last_state (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS last_snapshot (
    provider TEXT PRIMARY KEY,       -- the newest good snapshot of each provider: a view's first frame
    at INTEGER NOT NULL,             -- microseconds since the epoch (UTC) it was last confirmed
    data TEXT NOT NULL               -- JSON (domain.serialize wire form)
) WITHOUT ROWID;
"""

SNAPSHOT_REFRESH = 60.0
"""An unchanged snapshot is written again (its time advanced) at most this often."""

COLUMNS = "e.id, e.provider, e.category, e.kind, e.key, e.text, e.who, e.zone, e.partition"


def _private_file(path: Path) -> None:
    """The journal says who disarmed when: only its owner may read it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


def connect(path: Path, *, create: bool, busy_timeout: float = 5.0) -> sqlite3.Connection:
    if create:
        _private_file(path)
    elif not path.is_file():
        raise JournalError(f"{path}: no journal here")
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    if create:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(
            "PRAGMA cache_size = -16000"
        )  # 16 MB: index updates stay in memory at a million rows  # a committed event survives a crash of the machine too
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise JournalError(f"{path}: written by a newer alarmtui (schema {version})")
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return conn


def shown_id(key: str) -> str:
    """The `id` users see: the vendor's own id for vendor events, else the journal's key."""
    return key[2:] if key.startswith("v:") else key


class JournalReader:
    """Queries on one connection (used from one thread at a time)."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self.mode = "rw"
        """How the file was opened: "rw", "ro" (`mode=ro`: cannot write here) or "immutable" (read-only
        media: not even the WAL's shared memory can be created)."""
        try:
            self._conn = connect(path, create=create)
            self._conn.execute("PRAGMA query_only = 1")
            self._conn.execute("SELECT 1 FROM entries LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            if create or not path.is_file():
                raise JournalError(f"{path}: cannot read the journal: {exc}") from None
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = self._read_only(path, exc)

    def _read_only(self, path: Path, first: sqlite3.Error) -> sqlite3.Connection:
        """The journal on a read-only file or filesystem: `mode=ro`, then `immutable=1` (nothing to lock or map)."""
        errors = [first]
        for mode, query in (("ro", "mode=ro"), ("immutable", "immutable=1")):
            conn: sqlite3.Connection | None = None
            try:
                conn = sqlite3.connect(f"{path.absolute().as_uri()}?{query}", uri=True, check_same_thread=False)
                conn.execute("PRAGMA query_only = 1")
                conn.execute("SELECT 1 FROM entries LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                errors.append(exc)
                if conn is not None:
                    conn.close()
                continue
            self.mode = mode
            log.info("journal: %s opened read-only (%s)", path, query)
            return conn
        raise JournalError(f"{path}: cannot read the journal: {errors[-1]}") from None

    def close(self) -> None:
        self._conn.close()

    def search(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        grep: str | None = None,
        providers: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> list[JournalEntry]:
        """Newest first. `grep` is a case-insensitive substring of the text, who, zone or partition;
        `kinds` matches an entry's kind (alarm, arm, ...) or category (command, state, ...);
        `before` is the cursor of the last entry already shown (scroll back)."""
        needle = (grep or "").strip()
        use_fts = len(needle) > SHORT_GREP_CHARS
        id_column = "f.rowid" if use_fts else "e.id"
        where: list[str] = []
        params: list[Any] = []
        if use_fts:
            where.append("entries_fts MATCH ?")
            params.append('"' + needle.replace('"', '""') + '"')
        if before is not None:
            where.append(f"{id_column} < ?")
            params.append(before)
        if since is not None:
            where.append(f"{id_column} >= ?")
            params.append(to_micros(since))
        if until is not None:
            where.append(f"{id_column} <= ?")
            params.append(to_micros(until))
        short = bool(needle) and not use_fts
        if short:
            # One or two characters: the trigram index cannot help, so scan, but only the newest
            # SHORT_GREP_WINDOW entries of the journal (before the cursor), so a keystroke never scans a
            # million rows. The window's oldest id is found first (a walk over row ids, no row decoded); the
            # scan then reads that id range in order, newest first, and stops at `limit` matches. The other
            # filters are checked on the rows read ("+" keeps SQLite from hopping through their indexes,
            # one random read per row), so a filter never widens the window.
            floor = self._window_floor(where, params, SHORT_GREP_WINDOW)
            if floor is not None:
                where.append("e.id >= ?")
                params.append(floor)
        unindexed = "+" if short else ""
        provider_list = sorted(set(providers or ()))
        if provider_list:
            where.append(f"{unindexed}e.provider IN ({','.join('?' * len(provider_list))})")
            params.extend(provider_list)
        kind_list = sorted({k.strip().lower() for k in kinds or () if k.strip()})
        if kind_list:
            marks = ",".join("?" * len(kind_list))
            where.append(f"({unindexed}e.kind IN ({marks}) OR e.category IN ({marks}))")
            params.extend(kind_list * 2)
        source = "entries_fts f JOIN entries e ON e.id = f.rowid" if use_fts else "entries e"
        if short:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(" + " OR ".join(f"e.{column} LIKE ? ESCAPE '\\'" for column in ("text", "who", "zone", "partition")) + ")"
            )
            params.extend([pattern] * 4)
        sql = f"SELECT {COLUMNS} FROM {source}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {id_column} DESC LIMIT ?"
        params.append(max(0, int(limit)))
        try:
            rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: query failed: {exc}") from None
        return [
            JournalEntry(row[0], from_micros(row[0]), row[1], row[2], row[3], shown_id(row[4]), row[5], row[6], row[7], row[8])
            for row in rows
        ]

    def _window_floor(self, where: list[str], params: list[Any], window: int) -> int | None:
        """The id of the `window`-th newest entry that passes `where`, or None when fewer pass."""
        sql = "SELECT e.id FROM entries e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.id DESC LIMIT 1 OFFSET ?"
        try:
            row = self._conn.execute(sql, [*params, max(0, window - 1)]).fetchone()
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: query failed: {exc}") from None
        return int(row[0]) if row else None

    def last_event_time(self, provider: str) -> datetime | None:
        """The time of the newest vendor event journaled for `provider` (where a back-fill starts)."""
        row = self._conn.execute("SELECT max(id) FROM entries WHERE provider = ? AND category = 'event'", (provider,)).fetchone()
        return from_micros(row[0]) if row and row[0] is not None else None

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM entries").fetchone()[0])

    def last_snapshots(self) -> dict[str, tuple[datetime, Snapshot]]:
        """provider -> (when last confirmed, its newest good snapshot); unreadable entries are skipped."""
        from alarmtui.domain.serialize import from_wire

        try:
            rows = self._conn.execute("SELECT provider, at, data FROM last_snapshot").fetchall()
        except sqlite3.Error:  # a journal from before this table, opened read-only
            return {}
        found: dict[str, tuple[datetime, Snapshot]] = {}
        for provider, at, data in rows:
            try:
                found[provider] = (from_micros(at), from_wire(json.loads(data), Snapshot))
            except (ValueError, TypeError):
                log.info("journal: the cached snapshot of %s cannot be read (older format?)", provider)
        return found


class JournalWriter:
    """The writing side: one connection, used only by the writer thread."""

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.conn = connect(path, create=True, busy_timeout=busy_timeout)

    def recover_unfinished_commands(self) -> int:
        """Command rows still "sent" (their process died before the outcome): "unknown (service stopped)".

        Run at start, under the journal's exclusive lock, so no live process has a command in flight here.
        """
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(
                "SELECT id, text, detail FROM entries WHERE category = ? AND detail IS NOT NULL"
                " AND json_extract(detail, '$.outcome') IS NULL",
                (Category.COMMAND.value,),
            ).fetchall()
            for rowid, text, detail in rows:
                data = json.loads(detail)
                data["outcome"] = CommandPhase.UNKNOWN.value
                data["stopped"] = True
                head = text[: -len(": sent")] if text.endswith(": sent") else text
                self._unindex(rowid)
                conn.execute(
                    "UPDATE entries SET text = ?, detail = ? WHERE id = ?",
                    (f"{head}: {STOPPED_WORDS}", json.dumps(data, separators=(",", ":")), rowid),
                )
                self._index(rowid)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    def save_snapshots(self, snapshots: dict[str, tuple[datetime, str]]) -> None:
        """provider -> (time, JSON): the newest good snapshot of each, for the next start's first frame."""
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO last_snapshot (provider, at, data) VALUES (?, ?, ?)",
                [(provider, to_micros(at), data) for provider, (at, data) in snapshots.items()],
            )

    def load_memory(self) -> dict[tuple[str, str], str]:
        return {(p, s): v for p, s, v in self.conn.execute("SELECT provider, subject, value FROM last_state")}

    def write(self, rows: Sequence[Row], memory: dict[tuple[str, str], str | None]) -> int:
        """Write `rows` and the tracker's memory in one transaction; return how many rows were new."""
        conn = self.conn
        added = 0
        conn.execute("BEGIN IMMEDIATE")  # take the write lock first: check-then-insert is atomic across processes
        try:
            for row in rows:
                found = conn.execute("SELECT id FROM entries WHERE provider = ? AND key = ?", (row.provider, row.key)).fetchone()
                detail = json.dumps(row.detail, separators=(",", ":")) if row.detail else None
                if found is not None:
                    if row.replace:
                        self._unindex(found[0])
                        conn.execute(
                            "UPDATE entries SET text = ?, who = ?, detail = ? WHERE id = ?",
                            (row.text, row.who, detail, found[0]),
                        )
                        self._index(found[0])
                    continue
                rowid = to_micros(row.time)
                while conn.execute("SELECT 1 FROM entries WHERE id = ?", (rowid,)).fetchone() is not None:
                    rowid += 1
                conn.execute(
                    "INSERT INTO entries (id, provider, key, category, kind, text, who, zone, partition, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rowid,
                        row.provider,
                        row.key,
                        row.category.value,
                        row.kind,
                        row.text,
                        row.who,
                        row.zone,
                        row.partition,
                        detail,
                    ),
                )
                conn.execute(
                    "INSERT INTO entries_fts (rowid, text, who, zone, partition) VALUES (?, ?, ?, ?, ?)",
                    (rowid, row.text, row.who, row.zone, row.partition),
                )
                added += 1
            for (provider, subject), value in memory.items():
                if value is None:
                    conn.execute("DELETE FROM last_state WHERE provider = ? AND subject = ?", (provider, subject))
                else:
                    conn.execute(
                        "INSERT INTO last_state (provider, subject, value) VALUES (?, ?, ?)"
                        " ON CONFLICT (provider, subject) DO UPDATE SET value = excluded.value",
                        (provider, subject, value),
                    )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return added

    def _index(self, rowid: int) -> None:
        self.conn.execute(
            "INSERT INTO entries_fts (rowid, text, who, zone, partition) SELECT id, text, who, zone, partition FROM entries WHERE id = ?",
            (rowid,),
        )

    def _unindex(self, rowid: int) -> None:
        self.conn.execute(
            "INSERT INTO entries_fts (entries_fts, rowid, text, who, zone, partition)"
            " SELECT 'delete', id, text, who, zone, partition FROM entries WHERE id = ?",
            (rowid,),
        )

    def prune(self, cutoff: datetime, chunk: int = 5000) -> int:
        """Delete entries older than `cutoff`, a chunk per transaction so readers never wait long."""
        limit = to_micros(cutoff)
        removed = 0
        conn = self.conn
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                upper = conn.execute(
                    "SELECT max(id) FROM (SELECT id FROM entries WHERE id < ? ORDER BY id LIMIT ?)", (limit, chunk)
                ).fetchone()[0]
                if upper is None:
                    conn.execute("COMMIT")
                    return removed
                conn.execute(
                    "INSERT INTO entries_fts (entries_fts, rowid, text, who, zone, partition)"
                    " SELECT 'delete', id, text, who, zone, partition FROM entries WHERE id <= ?",
                    (upper,),
                )
                removed += conn.execute("DELETE FROM entries WHERE id <= ?", (upper,)).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- the journal


_STOP = object()


@dataclass(slots=True)
class _Flush:
    future: concurrent.futures.Future[bool]


@dataclass(slots=True)
class _Call:
    function: Callable[[JournalWriter], Any]
    future: concurrent.futures.Future[Any]


class Journal:
    """Feed it poller updates; ask it for history. Never blocks the event loop, never raises at the caller."""

    BATCH_DELAY = 0.05
    """Seconds the writer waits for more updates before committing a batch."""
    MAX_BATCH = 2000
    MAX_PENDING_ROWS = 50_000
    """Rows kept in memory while the disk refuses writes; beyond this the oldest are dropped (and logged)."""
    RETRY_INITIAL = 1.0
    RETRY_MAX = 60.0
    PRUNE_EVERY = 6 * 3600.0

    def __init__(
        self,
        path: Path | None = None,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        now: WallClock = utc_now,
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = path or default_journal_path()
        self.busy_timeout = busy_timeout
        """Seconds a write waits for another process's lock before it is retried later."""
        self.retention = retention
        self._now = now
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._reader: JournalReader | None = None
        self._read_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-read")
        self._started = threading.Event()
        self.error: str | None = None
        """Why the journal is not working right now (shown by the service), or None."""
        self.written = 0
        self.dropped = 0
        self._lock_fd: int | None = None
        self.recovered_commands = 0
        self._saved_snapshots: dict[str, tuple[float, str]] = {}
        """provider -> (monotonic time, JSON) of the snapshot last kept (writer thread only)."""
        self._pending_snapshots: dict[str, tuple[datetime, str]] = {}
        """Command rows a crash had left "sent", marked "unknown (service stopped)" at this start."""

    @classmethod
    def from_settings(cls, settings: Any) -> Journal:
        """The journal the config asks for (`journal`, `journal_retention`), not yet started."""
        return cls(settings.journal or default_journal_path(), retention=settings.journal_retention)

    # -- life cycle

    def claim(self) -> None:
        """Take the journal's exclusive write lock now; `JournalLocked` (naming the path) if another process has it.

        The service calls this before it starts, to refuse a second service on one journal; `start()` claims
        it too, but only logs the refusal (a dashboard then runs without journaling).
        """
        if self._lock_fd is None:
            self._lock_fd = claim_journal(self.path)

    def start(self) -> None:
        """Open the file and start the writer thread (returns at once; failures are logged, not raised)."""
        if self._thread is not None:
            return
        try:
            self.claim()
        except (JournalError, OSError) as exc:
            self.error = str(exc) if isinstance(exc, JournalLocked) else f"cannot open the journal {self.path}: {exc}"
            log.error("journal: %s; events are not being journaled by this process", self.error)
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    async def started(self) -> bool:
        """Wait until the writer has opened the file; whether it could."""
        await asyncio.get_running_loop().run_in_executor(None, self._started.wait, 10.0)
        return self.error is None

    async def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop."""
        if self._thread is not None:
            self._queue.put(_STOP)
            thread = self._thread
            await asyncio.get_running_loop().run_in_executor(None, thread.join, timeout)
            self._thread = None
        reader, self._reader = self._reader, None
        if reader is not None:
            self._read_pool.submit(reader.close)
        self._read_pool.shutdown(wait=False)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    # -- feeding (any thread, never blocks)

    def record(self, update: PollerUpdate, *, origin: str = "") -> None:
        """Queue a poller update; `origin` says who asked for a command ("dashboard pts/3", "cli")."""
        self._queue.put((update, origin))

    def record_acknowledgement(self, provider: str, partition: str, name: str, who: str = "", zone: str = "") -> None:
        """Someone acknowledged the alarm of `partition` (in `zone`, where known) in a view."""
        self._queue.put(
            AlarmAcknowledged(provider, partition, clean_text(name, 80), clean_text(who, 120), self._now(), clean_text(zone, 120))
        )

    def record_notification_dropped(self, provider: str, target: str, kind: str, title: str, reason: str) -> None:
        """A notification that never went out (full queue, deadline, shutdown): kept so nobody thinks it was sent."""
        self._queue.put(
            NotificationDropped(
                provider, clean_text(target, 80), kind, clean_text(title, 200), clean_text(reason, 200), self._now()
            )
        )

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed; False if it could not be (logged)."""
        if self._thread is None:
            return False
        future: concurrent.futures.Future[bool] = concurrent.futures.Future()
        self._queue.put(_Flush(future))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            return False

    async def prune(self) -> int:
        """Apply the retention now (also done at start and every few hours)."""
        return int(await self._call(lambda writer: writer.prune(self._now() - self.retention)))

    async def _call(self, function: Callable[[JournalWriter], Any]) -> Any:
        """Run `function` on the writer thread, between batches."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._queue.put(_Call(function, future))
        return await asyncio.wrap_future(future)

    # -- reading (off the loop, on one reader thread)

    async def search(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        grep: str | None = None,
        providers: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> list[JournalEntry]:
        """See `JournalReader.search`. Raises `JournalError` if the journal cannot be read."""
        providers = list(providers or ())
        kinds = list(kinds or ())

        def run() -> list[JournalEntry]:
            return self._read().search(
                since=since, until=until, grep=grep, providers=providers, kinds=kinds, limit=limit, before=before
            )

        return await asyncio.get_running_loop().run_in_executor(self._read_pool, run)

    async def last_snapshots(self) -> dict[str, tuple[datetime, Snapshot]]:
        """provider -> (when, snapshot): the last known state of each provider, for a first frame before any poll."""
        return await asyncio.get_running_loop().run_in_executor(self._read_pool, lambda: self._read().last_snapshots())

    async def last_event_time(self, provider: str) -> datetime | None:
        return await asyncio.get_running_loop().run_in_executor(self._read_pool, lambda: self._read().last_event_time(provider))

    def _read(self) -> JournalReader:
        if self._reader is None:
            self._started.wait(10.0)
            self._reader = JournalReader(self.path)
        return self._reader

    # -- the writer thread

    def _run(self) -> None:
        if self._lock_fd is None:  # refused (logged in start): another process writes this journal
            self._started.set()
            self._drain_without_journal()
            return
        try:
            writer = JournalWriter(self.path, busy_timeout=self.busy_timeout)
            tracker = ChangeTracker(writer.load_memory(), now=self._now)
            self.recovered_commands = writer.recover_unfinished_commands()
            if self.recovered_commands:
                log.warning(
                    "journal: %d command(s) left 'sent' by a process that stopped are now 'unknown (service stopped)'",
                    self.recovered_commands,
                )
        except (sqlite3.Error, OSError, JournalError) as exc:
            self.error = f"cannot open the journal {self.path}: {exc}"
            log.error("%s; events are not being journaled", self.error)
            self._started.set()
            self._drain_without_journal()
            return
        self._started.set()
        log.info("journal: %s", self.path)
        pending_rows: list[Row] = []
        pending_memory: dict[tuple[str, str], str | None] = {}

        waiting: list[_Flush] = []
        retry_delay = 0.0
        next_prune = 0.0
        stopping = False
        try:
            while True:
                if time.monotonic() >= next_prune and not pending_rows:
                    next_prune = time.monotonic() + self.PRUNE_EVERY
                    self._guarded(lambda: writer.prune(self._now() - self.retention), "apply the retention")
                batch = self._next_batch(timeout=retry_delay if pending_rows or pending_memory else None)
                for item in batch:
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, _Flush):
                        waiting.append(item)
                    elif isinstance(item, _Call):
                        try:
                            item.future.set_result(item.function(writer))
                        except Exception as exc:  # noqa: BLE001  (handed to the caller who asked)
                            item.future.set_exception(exc)
                    else:
                        self._derive(item, tracker, pending_rows)
                        self._keep_snapshot(item)
                pending_memory.update(tracker.take_dirty())
                if self._pending_snapshots:
                    try:
                        writer.save_snapshots(self._pending_snapshots)
                    except sqlite3.Error as exc:
                        log.info("journal: could not keep the last snapshots: %s", exc)
                    self._pending_snapshots.clear()
                if pending_rows or pending_memory:
                    try:
                        self.written += writer.write(pending_rows, pending_memory)
                        if self.error is not None:
                            log.warning("journal: writing again (%d rows were waiting)", len(pending_rows))
                        pending_rows.clear()
                        pending_memory.clear()
                        self.error = None
                        retry_delay = 0.0
                    except sqlite3.Error as exc:
                        retry_delay = min(max(retry_delay * 2, self.RETRY_INITIAL), self.RETRY_MAX)
                        if self.error is None:
                            log.error("journal: cannot write (%s); keeping %d rows, retrying", exc, len(pending_rows))
                        self.error = f"cannot write the journal: {exc}"
                        if len(pending_rows) > self.MAX_PENDING_ROWS:
                            excess = len(pending_rows) - self.MAX_PENDING_ROWS
                            del pending_rows[:excess]
                            self.dropped += excess
                            log.error("journal: dropped %d rows that could not be written", excess)
                committed = not pending_rows and not pending_memory
                for flush in waiting:
                    flush.future.set_result(committed)
                waiting.clear()
                if stopping:
                    if pending_rows:
                        log.error("journal: %d rows could not be written before closing", len(pending_rows))
                    return
        finally:
            writer.close()

    def _next_batch(self, timeout: float | None) -> list[Any]:
        """Block for the first item (or until `timeout`), then gather what arrives within BATCH_DELAY."""
        try:
            first = self._queue.get(timeout=timeout) if timeout else self._queue.get()
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.BATCH_DELAY
        while len(batch) < self.MAX_BATCH and first is not _STOP:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            batch.append(item)
            if item is _STOP or isinstance(item, _Flush):
                break
        return batch

    def _keep_snapshot(self, item: Any) -> None:
        """Remember the newest good snapshot of a provider (when it changed, or once a minute) for the next start."""
        update = item[0] if isinstance(item, tuple) else None
        if not isinstance(update, SnapshotUpdate) or not update.snapshot.online:
            return
        try:
            from alarmtui.domain.serialize import to_wire

            data = json.dumps(to_wire(dataclasses.replace(update.snapshot, fetched_at=None), Snapshot), separators=(",", ":"))
        except Exception:  # noqa: BLE001  (a cache: never worth disturbing the journal)
            log.debug("journal: cannot keep the snapshot of %s", update.provider, exc_info=True)
            return
        now = time.monotonic()
        saved = self._saved_snapshots.get(update.provider)
        if saved is not None and saved[1] == data and now - saved[0] < SNAPSHOT_REFRESH:
            return
        self._saved_snapshots[update.provider] = (now, data)
        at = as_utc(update.snapshot.fetched_at) if update.snapshot.fetched_at else self._now()
        stored = json.loads(data)
        stored["fetched_at"] = at.isoformat()
        self._pending_snapshots[update.provider] = (at, json.dumps(stored, separators=(",", ":")))

    def _derive(self, item: Any, tracker: ChangeTracker, rows: list[Row]) -> None:
        try:
            if isinstance(item, AlarmAcknowledged | NotificationDropped):
                changes: list[Change] = [item]
            else:
                update, origin = item
                changes = tracker.changes(update, origin)
            # Older than the retention: it would be pruned and, re-read from the vendor's log, journaled again.
            oldest = self._now() - self.retention
            for change in changes:
                rows.extend(row for row in rows_for(change) if as_utc(row.time) >= oldest)
        except Exception:  # one strange update must not stop the journal
            log.exception("journal: could not derive entries from an update")

    def _guarded(self, work: Callable[[], int], what: str) -> None:
        try:
            removed = work()
            if removed:
                log.info("journal: retention removed %d old entries", removed)
        except sqlite3.Error as exc:
            log.warning("journal: could not %s: %s", what, exc)

    def _drain_without_journal(self) -> None:
        """Without a file, keep answering flushes and calls so no caller waits forever."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, _Flush):
                item.future.set_result(False)
            elif isinstance(item, _Call):
                item.future.set_exception(JournalError(self.error or "journal unavailable"))
            else:
                self.dropped += 1
