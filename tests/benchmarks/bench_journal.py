"""Journal benchmark: a million events, then the queries the CLI and the dashboard run.

    .venv/bin/python tests/benchmarks/bench_journal.py [--events 1000000] [--keep DIR]

Prints medians (not a test). Targets (issue 10): `events --grep` <= 200 ms, a dashboard
filter keystroke <= 100 ms, plus insert throughput and file size per million events.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alarmtui.domain import Event, EventKind
from alarmtui.domain.changes import Category
from alarmtui.domain.updates import EventsUpdate
from alarmtui.journal.store import Journal, JournalReader, JournalWriter, Row

PROVIDERS = ["house", "cottage", "office"]
ZONES = [f"{room} {device}" for room in (
    "Hall", "Kitchen", "Garage", "Living room", "Bedroom", "Office", "Basement", "Attic", "Porch", "Garden",
    "Laundry", "Cellar", "Study", "Nursery", "Pantry", "Stairs", "Landing", "Workshop", "Shed", "Gate",
) for device in ("PIR", "door", "window", "smoke", "camera")]
USERS = ["Alice", "Bob", "Carol", "Dave", "keypad", "keyfob 2", "app", ""]
TEXTS = [
    (EventKind.ZONE, "{zone} opened"),
    (EventKind.ZONE, "{zone} closed"),
    (EventKind.ARM, "Armed away by {who}"),
    (EventKind.ARM, "Armed home by {who}"),
    (EventKind.DISARM, "Disarmed by {who}"),
    (EventKind.TROUBLE, "Low battery: {zone}"),
    (EventKind.TROUBLE, "Tamper: {zone}"),
    (EventKind.ALARM, "Burglary alarm: {zone}"),
    (EventKind.PHOTO, "Photo taken by {zone}"),
    (EventKind.SYSTEM, "Communication restored: {zone}"),
]
WEIGHTS = [30, 30, 6, 6, 10, 3, 1, 1, 3, 2]


def synthetic_rows(count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    end = datetime.now(UTC)
    span = timedelta(days=700).total_seconds()
    rows = []
    for i in range(count):
        kind, template = rng.choices(TEXTS, WEIGHTS)[0]
        zone = rng.choice(ZONES)
        who = rng.choice(USERS) if kind in (EventKind.ARM, EventKind.DISARM) else ""
        when = end - timedelta(seconds=span * (count - i) / count + rng.random())
        rows.append(
            Row(
                rng.choice(PROVIDERS),
                f"v:{i}",
                Category.EVENT,
                kind.value,
                when,
                template.format(zone=zone, who=who or "user"),
                who,
                zone,
                rng.choice(("1", "2", "House")),
            )
        )
    return rows


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms (min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f})"


def timed(fn, repeat: int = 7) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


async def through_journal(path: Path, count: int) -> float:
    """Insert `count` events the way the engine does: EventsUpdate -> record() -> writer thread."""
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    journal = Journal(path)
    journal.start()
    await journal.started()
    now = datetime.now(UTC)
    batch = 100
    start = time.perf_counter()
    for first in range(0, count, batch):
        events = tuple(
            Event(f"live-{i}", now - timedelta(seconds=count - i), EventKind.ZONE, f"Hall door opened {i}", zone="Hall door")
            for i in range(first, min(first + batch, count))
        )
        journal.record(EventsUpdate("house", events))
    await journal.flush(timeout=600)
    elapsed = time.perf_counter() - start
    await journal.close()
    return count / elapsed


def insert(path: Path, count: int) -> None:
    args = argparse.Namespace(events=count)
    print(f"generating {args.events:,} synthetic events …", flush=True)
    rows = synthetic_rows(args.events)
    writer = JournalWriter(path)
    start = time.perf_counter()
    chunk = 10_000
    for first in range(0, len(rows), chunk):
        writer.write(rows[first : first + chunk], {})
    bulk = time.perf_counter() - start
    writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.close()
    size = path.stat().st_size
    print(f"bulk insert (writer, 10k-row transactions): {args.events / bulk:,.0f} events/s ({bulk:.1f} s)")
    print(f"file size: {size / 1e6:,.1f} MB = {size / args.events:.0f} bytes/event = {size / 1e6 * 1_000_000 / args.events:,.0f} MB per million")

    # A second insert of the same events (a restart re-reading the vendor log) adds nothing.
    writer = JournalWriter(path)
    start = time.perf_counter()
    writer.write(rows[-10_000:], {})
    dup = time.perf_counter() - start
    writer.close()
    print(f"re-insert of {min(10_000, count):,} already journaled events: {dup * 1000:.0f} ms, adds 0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="directory to keep the journal in")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-journal-"))
    path = directory / "journal.sqlite3"
    reuse = args.keep is not None and path.is_file() and JournalReader(path).count() == args.events
    if not reuse:
        path.unlink(missing_ok=True)
        insert(path, args.events)
    else:
        print(f"reusing {path} ({args.events:,} events; insert numbers come from the run that made it)")

    reader = JournalReader(path)
    assert reader.count() == args.events, reader.count()
    print("queries (median of 7):")
    for label, kwargs in [
        ("events (newest 50, no filter)", {"limit": 50}),
        ("events --grep 'garage door' --limit 50", {"grep": "garage door", "limit": 50}),
        ("events --grep tamper --limit 50", {"grep": "tamper", "limit": 50}),
        ("events --grep alice --limit 50", {"grep": "alice", "limit": 50}),
        ("events --grep 'no such text' (no match)", {"grep": "no such text", "limit": 50}),
        ("events --grep 'zz' (2 chars, no match: scans newest 20k)", {"grep": "zz", "limit": 50}),
        ("events --since 2d --kind alarm", {"since": datetime.now(UTC) - timedelta(days=2), "kinds": ["alarm"], "limit": 50}),
        ("events --provider office --kind arm,alarm", {"providers": ["office"], "kinds": ["arm", "alarm"], "limit": 50}),
        ("events --grep tamper --provider cottage --since 30d", {"grep": "tamper", "providers": ["cottage"], "since": datetime.now(UTC) - timedelta(days=30), "limit": 50}),
        ("events --until 400d --limit 50", {"until": datetime.now(UTC) - timedelta(days=400), "limit": 50}),
    ]:
        print(f"  {label:<55} {median_ms(timed(lambda kw=kwargs: reader.search(**kw)))}")

    # The dashboard's `/` filter: one query per keystroke (page of 200), provider filter on.
    word = "burglary"
    keystrokes = []
    for n in range(1, len(word) + 1):
        keystrokes += timed(lambda n=n: reader.search(grep=word[:n], limit=200), repeat=3)
    print(f"  dashboard filter, one query per keystroke of {word!r} (page 200)       {median_ms(keystrokes)}")
    keystrokes = []
    for n in range(1, len(word) + 1):
        keystrokes += timed(lambda n=n: reader.search(grep=word[:n], providers=["office"], limit=200), repeat=3)
    print(f"  same with the provider filter on                                        {median_ms(keystrokes)}")
    page = reader.search(limit=200)
    scroll = timed(lambda: reader.search(limit=200, before=page[-1].cursor))
    print(f"  scroll back one page of 200 (before=cursor)                             {median_ms(scroll)}")
    reader.close()

    def open_and_query() -> None:
        cli_reader = JournalReader(path)
        cli_reader.search(grep="garage door", limit=50)
        cli_reader.close()

    print(f"  open the file + --grep 'garage door' + close (the CLI's own work)      {median_ms(timed(open_and_query))}")

    # The CLI end to end, process start included.
    config = directory / "config.toml"
    config.write_text(
        f'journal = "{path}"\n[[providers]]\nname = "house"\nkind = "visonic"\nurl = "http://127.0.0.1:9"\n'
        'username = "nobody"\npassword = "unused"\n'
    )
    config.chmod(0o600)
    cli = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "alarmtui", "events", "--grep", "garage door", "--limit", "50", "--config", str(config)],
            check=True,
            capture_output=True,
        )
        cli.append(time.perf_counter() - start)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import alarmtui.cli"], check=True)
    bare = time.perf_counter() - start
    print(f"`alarmtui events --grep 'garage door'` wall time, process start included  {median_ms(cli)}")
    print(f"  (of which starting Python and importing alarmtui.cli: {bare * 1000:.0f} ms)")

    live = asyncio.run(through_journal(directory / "live.sqlite3", 100_000))
    print(f"live path (EventsUpdate -> record() -> writer thread), 100k events: {live:,.0f} events/s")
    if not args.keep:
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()


if __name__ == "__main__":
    main()
