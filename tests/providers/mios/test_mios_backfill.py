"""MiOS back-fill: `/event/event/events` with `After=`, `Count=`, `Start=` (spec mios-mms-api.md, GET events).

The simulator must honour them as the spec says (a row window `Start`/`Count`, a unix-time
range `Before`/`After`); the provider must page with them, bounded, and must work when the
records carry only the fields the protocol notes propose (mios.md §4).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud
from tests.contract.vendors import mios as mios_vendor
from tests.providers.mios.test_mios_sim import Mms, _event_session
from tests.providers.mios.test_mios_sim import mms as mms  # noqa: F401  (the fixture)

PK_DEVICE = "35101627"


async def test_the_simulator_pages_by_start_and_count_and_filters_by_after_and_before(mms: Mms) -> None:  # noqa: F811
    panel = mms.cloud.panels[0]
    for index in range(30):
        panel.open_zone("5", opened=index % 2 == 0)
    records = mms.cloud.events
    # Spread the records over time so the range is visible (the simulator stamps whole seconds).
    base = int(time.time()) - 1000
    for index, record in enumerate(records):
        record["Timestamp"] = str(base + index)
    server, token = await _event_session(mms)
    records = [r for r in records if r["PK_Device"] == PK_DEVICE]  # not the login's own event

    async def events(**params: str) -> list[dict[str, Any]]:
        response = await mms.http.get(
            mms.url(server, "/event/event/events"),
            params={"Gateway": PK_DEVICE, "User": "0", **params},
            headers={"MMSSession": token},
        )
        assert response.status_code == 200, response.text
        return response.json()["Records"]

    everything = await events(Count="1000")
    assert len(everything) == len(records) and everything[0]["PK_Event"] == records[-1]["PK_Event"]  # newest first
    pages = [await events(Count="7", Start=str(start)) for start in range(0, len(everything), 7)]
    assert [r["PK_Event"] for page in pages for r in page] == [r["PK_Event"] for r in everything]
    assert all(len(page) == 7 for page in pages[:-1])
    middle = int(records[len(records) // 2]["Timestamp"])
    after = await events(Count="1000", After=str(middle))
    assert [r["PK_Event"] for r in after] == [r["PK_Event"] for r in reversed(records) if int(r["Timestamp"]) > middle]
    before = await events(Count="1000", Before=str(middle))
    assert [r["PK_Event"] for r in before] == [r["PK_Event"] for r in reversed(records) if int(r["Timestamp"]) < middle]
    window = await events(Count="3", Start="2", After=str(middle))
    assert [r["PK_Event"] for r in window] == [r["PK_Event"] for r in after[2:5]]
    assert await events(Count="5", Start=str(len(records))) == []


class ProposedRecordsCloud(MiosCloud):
    """The MMS cloud, except that its event module answers with only the fields mios.md §4 proposes.

    It honours `After`, `Count`, `Start` and `Sort` as the spec describes, over its own list, and
    remembers every query.
    """

    def __init__(self, records: list[dict[str, Any]], **options: Any) -> None:
        super().__init__(**options)
        self.proposed = records  # oldest first
        self.queries: list[dict[str, str]] = []

    def _events(self, request: web.Request, identity: dict[str, Any]) -> web.Response:
        q = dict(request.query)
        self.queries.append(q)
        after = int(q["After"]) if "After" in q else None
        picked = [r for r in self.proposed if after is None or int(r["Timestamp"]) > after]
        if q.get("Sort", "Desc").lower() != "asc":
            picked.reverse()
        start, count = int(q.get("Start", "0")), int(q.get("Count", "50"))
        return web.json_response({"Records": picked[start : start + count]})


def proposed(pk_event: int, stamp: int, opened: bool) -> dict[str, Any]:
    return {
        "PK_Event": pk_event, "PK_Device": int(PK_DEVICE), "PK_Account": 260061, "EventType": 4,
        "Timestamp": stamp, "LocalTimestamp": stamp, "LocalDate": datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "DeviceNum": 55, "DeviceName": "Front door", "Room": "Hall",
        "Service": "urn:micasaverde-com:serviceId:SecuritySensor1", "Code": "Tripped",
        "OldValue": "0" if opened else "1", "NewValue": "1" if opened else "0", "Severity": 0, "Description": "",
    }  # fmt: skip


@pytest.fixture
async def proposed_cloud() -> AsyncIterator[tuple[ProposedRecordsCloud, Any]]:
    base = int(time.time()) - 10_000
    records = [proposed(500_000 + i, base + 10 * i, i % 2 == 0) for i in range(120)]
    cloud = ProposedRecordsCloud(records, panel=vera_house(exit_delay=0.2, entry_delay=0.2, photo_delay=0.05))
    async with SimHost([cloud], tls=False) as host:
        vendor = mios_vendor.Vendor()
        vendor.cloud, vendor.host = cloud, host
        provider = vendor.provider(backfill_page_rows=25, backfill_max_pages=4)
        await provider.connect()
        try:
            yield cloud, provider
        finally:
            await provider.close()


async def test_back_fill_pages_with_after_count_and_start(proposed_cloud) -> None:
    cloud, provider = proposed_cloud
    records = cloud.proposed
    since = datetime.fromtimestamp(int(records[75]["Timestamp"]), UTC)
    events = await provider.events_since(since)
    assert [e.id for e in events] == [str(r["PK_Event"]) for r in reversed(records[75:])]  # since itself included
    queries = cloud.queries
    assert [(q["Count"], q["Start"], q["After"]) for q in queries] == [
        ("25", "0", str(int(since.timestamp()) - 1)),
        ("25", "25", str(int(since.timestamp()) - 1)),
    ]  # 45 records: the second page is short
    assert all(q["Gateway"] == PK_DEVICE and q["User"] == "0" and q["Sort"] == "Desc" for q in queries)


async def test_back_fill_is_bounded_by_its_pages(proposed_cloud) -> None:
    cloud, provider = proposed_cloud
    events = await provider.events_since(None)
    assert len(cloud.queries) == 4 and all("After" not in q for q in cloud.queries)
    assert len(events) == 100  # 4 pages of 25: the rest of the log is not read
    assert [e.id for e in events] == [str(r["PK_Event"]) for r in reversed(cloud.proposed)][:100]
    limited = await provider.events_since(None, limit=10)
    assert len(limited) == 10
