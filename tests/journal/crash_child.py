"""Child process for the kill -9 test: journals events as fast as it can, saying which are committed.

    python crash_child.py JOURNAL COUNT

Prints `committed N` after each flush that committed events e0..eN-1 (and the panel's snapshot).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alarmtui.domain import Event, EventKind, Partition, PartitionState, Snapshot
from alarmtui.domain.updates import EventsUpdate, SnapshotUpdate
from alarmtui.journal.store import Journal

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def main(path: Path, count: int) -> None:
    journal = Journal(path)
    journal.start()
    await journal.started()
    house = Snapshot(partitions=(Partition("1", "House", PartitionState.ARMED_AWAY),), fetched_at=T0)
    journal.record(SnapshotUpdate("house", house))
    step = 25
    for first in range(0, count, step):
        events = tuple(
            Event(f"e{n}", T0 + timedelta(seconds=n), EventKind.ZONE, f"door {n} opened", zone="Hall door")
            for n in reversed(range(first, min(first + step, count)))
        )
        journal.record(EventsUpdate("house", events))
        if await journal.flush():
            print(f"committed {min(first + step, count)}", flush=True)
    await journal.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
