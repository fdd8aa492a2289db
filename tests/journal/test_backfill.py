"""Back-fill on start: a journal that stopped at T gets every event the vendor logged since, once.

Real chain for every vendor with history: simulator over loopback -> real provider -> poller ->
`InProcessEngine.start()` (asks the journal where it stopped) -> journal (a real SQLite file).
The number of vendor requests the back-fill costs is printed and bounded.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alarmtui.domain import Event, EventKind
from alarmtui.domain.updates import EventsUpdate, LinkState, PollerUpdate
from alarmtui.engine.inprocess import InProcessEngine
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.journal.store import Journal
from alarmtui.providers.base import ProtocolError
from alarmtui.providers.base import events_since as select_since
from alarmtui.providers.securitas import PAGE_ROWS
from alarmtui.settings import Settings
from tests.contract.vendors import VendorFixture
from tests.contract.vendors import mios as mios_vendor
from tests.contract.vendors import securitas as securitas_vendor
from tests.contract.vendors import verisure as verisure_vendor
from tests.contract.vendors import visonic as visonic_vendor
from tests.helpers import until
from tests.test_poller import FAST, T0, ScriptedProvider

TIMING = PollTiming(poll_interval=0.3, refresh_interval=600.0, fast_interval=0.2, backoff_initial=0.2, min_gap=0.05)
MIOS_PAGE = 200


def disarms(vendor: VendorFixture, count: int) -> set[str]:
    """`count` disarm events logged by the panel; their vendor ids (the panel's event ids)."""
    panel = vendor.panel
    partition = next(iter(panel.partitions))
    return {str(panel.log("disarm", "Disarmed", partition=partition, user="Ana").id) for _ in range(count)}


def door_toggles(vendor: VendorFixture, count: int) -> set[str]:
    """MiOS: a door opened and closed `count` times in all; the event module's ids of its Tripped changes."""
    cloud: Any = vendor.cloud
    panel = vendor.panel
    door = next(z.id for z in panel.zones.values() if z.kind == "contact")
    first = len(cloud.events)
    for index in range(count):
        panel.open_zone(door, opened=index % 2 == 0)
    return {str(r["PK_Event"]) for r in cloud.events[first:] if r.get("Code") == "Tripped"}


# vendor fixture, how many new events, how they are made, the route the events read goes to,
# and the most requests the back-fill may cost.
CASES: dict[str, tuple[type[VendorFixture], int, Callable[[VendorFixture, int], set[str]], str, Callable[[int], int]]] = {
    "securitas": (securitas_vendor.Vendor, 150, disarms, "ActV2Timeline", lambda n: math.ceil((n + 10) / PAGE_ROWS) + 1),
    "mios": (mios_vendor.Vendor, 150, door_toggles, "event", lambda n: 8 + 2),  # pages + the event server's login
    "verisure": (verisure_vendor.Vendor, 60, disarms, "ACT_V2", lambda n: 1),
    "visonic": (visonic_vendor.Vendor, 60, disarms, "events", lambda n: 1),
}


def make_vendor(kind: str) -> VendorFixture:
    vendor = CASES[kind][0]()
    return vendor


def provider_options(kind: str) -> dict[str, Any]:
    return {"backfill_page_rows": MIOS_PAGE} if kind == "mios" else {}


def prepare(kind: str, vendor: VendorFixture) -> None:
    if kind == "verisure":
        vendor.cloud.activity_page = 1000  # type: ignore[attr-defined]  (the whole window in one reply)


async def journal_ids(path: Path, provider: str) -> list[str]:
    journal = Journal(path)
    journal.start()
    try:
        entries = await journal.search(kinds=["event"], providers=[provider], limit=100_000)
    finally:
        await journal.close()
    return [e.id for e in entries]


async def run_engine(vendor: VendorFixture, kind: str, path: Path, *, settle: float = 0.0) -> Poller:
    """Start an engine with the journal at `path` and one fresh provider; stop it after its first events."""
    provider = vendor.provider(**provider_options(kind))
    journal = Journal(path)
    engine = InProcessEngine(Settings(), providers=[provider], timing=TIMING, journal=journal, enforce_budget=False)
    await engine.start()
    poller = engine.group[provider.name]
    try:
        await until(lambda: poller.polls >= 2 and (poller.backfill_from is None or poller.backfill_requests is not None))
        await asyncio.sleep(settle)
    finally:
        await engine.close(timeout=2.0)
    return poller


@pytest.mark.parametrize("kind", list(CASES))
async def test_a_restart_back_fills_every_missed_event_exactly_once(kind: str, tmp_path: Path) -> None:
    _, count, produce, route, most_requests = CASES[kind]
    path = tmp_path / "journal.sqlite3"
    async with make_vendor(kind) as vendor:
        prepare(kind, vendor)
        vendor.panel.seed_history()
        produce(vendor, 4)
        first = await run_engine(vendor, kind, path)
        assert first.backfill_from is None, "an empty journal has nothing to back-fill from"
        before = await journal_ids(path, first.name)
        assert before, "the first run journaled the vendor's log"

        # The service is down; the house lives on.
        missed = produce(vendor, count)
        assert len(missed) >= count // 2

        reads_before = vendor.cloud.faults.count(route)
        second = await run_engine(vendor, kind, path)
        reads = vendor.cloud.faults.count(route) - reads_before

    after = await journal_ids(path, second.name)
    assert second.backfill_from is not None
    assert len(after) == len(set(after)), "an event journaled twice"
    assert set(before) <= set(after)
    assert missed <= set(after), f"lost: {sorted(missed - set(after))[:10]}"
    print(
        f"\n{kind}: back-fill of {second.backfill_events} events ({len(missed)} missed) cost "
        f"{second.backfill_requests} request(s); {reads} read(s) of {route!r} in the whole run"
    )
    assert second.backfill_requests is not None
    assert 1 <= second.backfill_requests <= most_requests(len(missed))
    if kind in ("securitas", "mios"):
        assert len(missed) > 100
        assert second.backfill_requests >= 2, "more than one page was read"


@pytest.mark.parametrize("kind", ["securitas", "mios"])
async def test_a_failed_back_fill_leaves_the_poller_running(kind: str, tmp_path: Path) -> None:
    _, count, produce, route, _ = CASES[kind]
    path = tmp_path / "journal.sqlite3"
    async with make_vendor(kind) as vendor:
        vendor.panel.seed_history()
        produce(vendor, 4)
        await run_engine(vendor, kind, path)
        produce(vendor, 20)
        vendor.cloud.faults.add(route, status=500, times=100)  # the back-fill fails, retries included
        provider = vendor.provider(**provider_options(kind))
        journal = Journal(path)
        engine = InProcessEngine(Settings(), providers=[provider], timing=TIMING, journal=journal, enforce_budget=False)
        await engine.start()
        poller = engine.group[provider.name]
        try:
            await until(lambda: poller.backfill_requests is not None)
            assert poller.backfill_events == 0
            vendor.cloud.faults.clear()
            polls = poller.polls
            await until(lambda: poller.polls >= polls + 2)  # still polling, events read as before
            task = engine.group._tasks[0]
            assert not task.done()
            assert poller.status.state.value == "online", poller.status
        finally:
            await engine.close(timeout=2.0)
    assert count  # the case table is shared with the test above


# ------------------------------------------------------------------ the poller's part, against a scripted provider


class BackfillingProvider(ScriptedProvider):
    """Records which read the poller used; `backfill_error` makes the back-fill fail."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.backfill_error: Exception | None = None

    async def events(self, limit: int = 100) -> list[Event]:
        self.reads.append(f"events({limit})")
        return await super().events(limit)

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        self.reads.append(f"events_since({since:%H:%M}, {limit})")
        if self.backfill_error is not None:
            raise self.backfill_error
        self.requests.add()
        self.requests.add()
        return select_since(self.events_list, since, limit)


def many_events(count: int) -> list[Event]:
    """`count` events one second apart, newest first, ending at T0."""
    return [Event(str(10_000 + i), T0 - timedelta(seconds=i), EventKind.DISARM, f"event {i}") for i in range(count)]


async def test_the_first_read_back_fills_once_and_later_reads_repeat_nothing() -> None:
    provider = BackfillingProvider()
    provider.events_list = many_events(1000)
    updates: list[PollerUpdate] = []
    poller = Poller(provider, updates.append, timing=FAST)
    poller.backfill_from = T0 - timedelta(seconds=799)
    task = asyncio.create_task(poller.run())
    try:
        await until(lambda: poller.polls >= 4)
    finally:
        task.cancel()
        await poller.close()
    assert provider.reads[0] == f"events_since({poller.backfill_from:%H:%M}, 1000)"
    assert set(provider.reads[1:]) == {"events(100)"}
    reported = [e.id for u in updates if isinstance(u, EventsUpdate) for e in u.events]
    assert len(reported) == 800 and len(set(reported)) == 800  # since included; nothing reported twice
    assert poller.backfill_events == 800 and poller.backfill_requests == 2


async def test_a_back_fill_that_fails_is_logged_and_polling_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    provider = BackfillingProvider()
    provider.events_list = many_events(5)
    provider.backfill_error = ProtocolError("the activity log was garbled")
    updates: list[PollerUpdate] = []
    poller = Poller(provider, updates.append, timing=FAST)
    poller.backfill_from = T0
    task = asyncio.create_task(poller.run())
    try:
        await until(lambda: poller.polls >= 3)
        assert not task.done()
    finally:
        task.cancel()
        await poller.close()
    assert poller.backfill_events == 0 and poller.status.state is LinkState.ONLINE
    assert "back-fill" in caplog.text and "garbled" in caplog.text
    reported = [e.id for u in updates if isinstance(u, EventsUpdate) for e in u.events]
    assert sorted(reported) == sorted(e.id for e in provider.events_list)  # the next plain read, as before
