"""Securitas back-fill (`events_since`: xSActV2 paging) and the fold-out of our own status requests.

Minimal replies: rows with exactly the fields of the notes' row example (§6), served by a scratch
server that pages them by `numRows`/`offset` as the notes describe; then the real simulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from alarmtui.providers.securitas import PAGE_ROWS, Pacing, SecuritasProvider, mapping
from alarmtui.settings import SecuritasConfig
from alarmtui.simulators.panel import SimEvent
from tests.providers.securitas.test_securitas_minimal import ACTIVITY_ROW, Scripted, base_replies

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 4, 25, 12, 0, tzinfo=UTC)


def row(signal: int, when: datetime, type_code: int = 701) -> dict[str, Any]:
    item = json.loads(ACTIVITY_ROW)
    item.update(
        idSignal=str(signal), type=type_code, signalType=type_code, time=when.astimezone(MADRID).strftime("%Y-%m-%d %H:%M:%S")
    )
    return item


class PagedTimeline(Scripted):
    """The notes' paging: `numRows` rows from `offset`, newest first; `reg: null` past the end."""

    def __init__(self, replies: dict[str, list[str]], rows: list[dict[str, Any]]) -> None:
        super().__init__(replies)
        self.rows = rows

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["operationName"] != "ActV2Timeline":
            return await super().handle(request)
        variables = body["variables"]
        self.seen.append(("ActV2Timeline", variables))
        page = self.rows[variables["offset"] : variables["offset"] + variables["numRows"]]
        return web.json_response({"data": {"xSActV2": {"reg": page or None}}})


@pytest.fixture
async def paged(tmp_path: Path) -> AsyncIterator[Any]:
    """`await paged(rows)`: a provider logged in to a scratch server with the notes' replies and these rows."""
    runners: list[web.AppRunner] = []

    async def start(rows: list[dict[str, Any]]) -> tuple[PagedTimeline, SecuritasProvider]:
        server = PagedTimeline(base_replies(), rows)
        app = web.Application()
        app.router.add_post("/owa-api/graphql", server.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        config = SecuritasConfig(kind="securitas", name="casa", url=f"http://127.0.0.1:{port}", username="user@example.com", password="pw")
        provider = SecuritasProvider(config, pacing=Pacing(min_gap=0.0, poll_interval=0.0, poll_timeout=1.0), state_directory=tmp_path)
        await provider.connect()
        return server, provider

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_back_fill_pages_until_a_row_is_older_than_since(paged) -> None:
    rows = [row(5000 - i, NOW - timedelta(minutes=i)) for i in range(100)]  # one a minute, newest first
    timeline, provider = await paged(rows)
    since = NOW - timedelta(minutes=44)
    events = await provider.events_since(since)
    assert [e.id for e in events] == [str(5000 - i) for i in range(45)]  # since itself included
    assert all(e.time >= since for e in events)
    calls = [v for op, v in timeline.seen if op == "ActV2Timeline"]
    assert [(v["numRows"], v["offset"], v["timeFilter"]) for v in calls] == [
        (PAGE_ROWS, 0, "LASTMONTH"),
        (PAGE_ROWS, PAGE_ROWS, "LASTMONTH"),
    ]
    await provider.close()


async def test_back_fill_stops_at_a_short_page_and_at_the_limit(paged) -> None:
    rows = [row(7000 - i, NOW - timedelta(seconds=i)) for i in range(40)]
    timeline, provider = await paged(rows)
    everything = await provider.events_since(None)
    assert len(everything) == 40
    assert [v["offset"] for op, v in timeline.seen if op == "ActV2Timeline"] == [0, 30]  # 10 rows: the end
    timeline.seen.clear()
    newest = await provider.events_since(None, limit=5)
    assert [e.id for e in newest] == [str(7000 - i) for i in range(5)]
    assert len([1 for op, _ in timeline.seen if op == "ActV2Timeline"]) <= 2  # bounded by the limit
    await provider.close()


async def test_back_fill_of_an_empty_timeline(paged) -> None:
    timeline, provider = await paged([])
    assert await provider.events_since(NOW) == []
    assert len([1 for op, _ in timeline.seen if op == "ActV2Timeline"]) == 1
    await provider.close()


def test_each_own_check_claims_only_its_nearest_status_request() -> None:
    check = NOW
    rows = [
        ("ours", mapping.STATUS_CHECK_TYPE, NOW + timedelta(seconds=1)),
        ("a person's, a minute earlier", mapping.STATUS_CHECK_TYPE, NOW - timedelta(seconds=60)),
        ("an arm at the same second", 701, NOW),
        ("long ago", mapping.STATUS_CHECK_TYPE, NOW - timedelta(hours=2)),
    ]
    assert mapping.own_status_checks(rows, [check]) == {"ours"}
    assert mapping.own_status_checks(rows, []) == set()
    assert mapping.own_status_checks(rows, [NOW - timedelta(hours=1)]) == set()  # nothing near it


async def test_our_own_check_is_folded_out_and_a_persons_is_shown(sim) -> None:
    provider = sim.provider(activity_cache=0.0)
    await provider.connect()
    panel = sim.panel
    # A person asked for the status from the app a minute before alarmtui's refresh.
    person = SimEvent(id=990_001, time=panel.wall() - 60, kind="status_check", text="Alarm Status Request", source="Android")
    panel.events.append(person)
    await provider.snapshot(refresh=True)  # our CheckAlarm: the simulator logs its row
    rows = [e for e in panel.events if e.kind == "status_check"]
    assert len(rows) == 2
    shown = [e for e in await provider.events() if "Status Request" in e.text]
    assert [e.id for e in shown] == [str(person.id)]
    assert "Android" in shown[0].who
    backfilled = [e for e in await provider.events_since(None) if "Status Request" in e.text]
    assert [e.id for e in backfilled] == [str(person.id)]
    await provider.close()


async def test_a_restart_still_knows_the_previous_runs_own_checks(sim) -> None:
    first = sim.provider(activity_cache=0.0)
    await first.connect()
    await first.snapshot(refresh=True)
    await first.close()
    assert [e.kind for e in sim.panel.events].count("status_check") == 1
    state = json.loads(next(sim.state.glob("securitas-*.json")).read_text())
    assert len(state["ownChecks"]) == 1 and "refreshToken" in state

    second = sim.provider(activity_cache=0.0)  # a new process: same state directory
    await second.connect()
    assert not [e for e in await second.events_since(None) if "Status Request" in e.text]
    await second.close()
