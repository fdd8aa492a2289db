"""Visonic replies with more records than alarmtui accepts (issue 18): a typed `TooManyRecords`, decoded off
the loop when large, and a poller that reports it and carries on. Minimal replies, written from the notes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from alarmtui.domain.updates import LinkState, StatusUpdate
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.providers.errors import ProtocolError, TooManyRecords
from alarmtui.providers.visonic import VisonicProvider
from alarmtui.providers.visonic.parse import (
    decode_reply,
    parse_devices,
    parse_events,
    parse_status,
    parse_troubles,
    parse_users,
)
from alarmtui.providers.wire import RECORD_CAPS
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.visonic import MAIN_SERIAL, VisonicCloud


def partition(number: int) -> dict[str, Any]:
    return {"id": number, "state": "DISARM", "status": "", "ready": True, "options": []}


def status(partitions: int, **extra: Any) -> dict[str, Any]:
    return {"connected": True, "partitions": [partition(n) for n in range(1, partitions + 1)], **extra}


def device(number: int) -> dict[str, Any]:
    return {"device_number": number, "device_type": "ZONE", "subtype": "CONTACT", "name": f"Zone {number}"}


def event(number: int) -> dict[str, Any]:
    return {"event": number, "datetime": "2024-01-01 12:00:00", "label": "DISARM", "description": "Disarm"}


@pytest.mark.parametrize(
    ("cap", "parse", "reply"),
    [
        ("partitions", parse_status, lambda n: status(n)),
        ("zones", parse_devices, lambda n: [device(i) for i in range(n)]),
        ("events", parse_events, lambda n: [event(i) for i in range(n)]),
        ("troubles", parse_troubles, lambda n: [{"trouble_type": "TAMPER", "zone": i} for i in range(n)]),
        ("users", parse_users, lambda n: {"users": [{"id": i, "name": "U"} for i in range(n)]}),
    ],
)
def test_one_record_over_the_cap_is_too_many_records(cap: str, parse: Callable[[Any], Any], reply: Callable[[int], Any]) -> None:
    limit = RECORD_CAPS[cap]
    parse(reply(limit))  # the cap itself is fine
    with pytest.raises(TooManyRecords) as caught:
        parse(reply(limit + 1))
    assert isinstance(caught.value, ProtocolError) and caught.value.cap == cap and caught.value.limit == limit


async def test_a_large_reply_is_decoded_off_the_loop_and_a_flood_refused_there() -> None:
    body = json.dumps(status(1, padding=["x" * 64] * 6000)).encode()  # > 256 KB, a list over wire.MAX_LIST
    assert len(body) > 256 * 1024
    with pytest.raises(TooManyRecords):
        await decode_reply(body, "status")
    fine = json.dumps(status(2, padding="x" * 300_000)).encode()
    assert [p.id for p in parse_status(await decode_reply(fine, "status")).partitions] == ["1", "2"]


@pytest.fixture
async def rig() -> AsyncIterator[tuple[VisonicProvider, VisonicCloud]]:
    cloud = VisonicCloud(exit_delay=0.2, entry_delay=0.2, photo_delay=0.05, process_delay=0.05)
    async with SimHost([cloud], tls=True) as host:
        table = cloud.provider_tables(host.urls["visonic"])[0]
        table.update(panel_serial=MAIN_SERIAL, ca_file=host.ca_file)
        provider = VisonicProvider(
            VisonicConfig(**{k: v for k, v in table.items() if v is not None}), command_poll=0.03, offline_grace=0.0
        )
        await provider.connect()
        try:
            yield provider, cloud
        finally:
            await provider.close()


async def test_too_many_partitions_never_stop_the_poller(rig: tuple[VisonicProvider, VisonicCloud]) -> None:
    provider, cloud = rig
    flood = json.dumps(status(RECORD_CAPS["partitions"] + 1)).encode()
    cloud.faults.add("status", status=200, body=flood, content_type="application/json", times=3)
    updates: list[object] = []
    timing = PollTiming(poll_interval=0.05, refresh_interval=0.2, min_gap=0.01, backoff_initial=0.05, backoff_max=0.05)
    poller = Poller(provider, updates.append, timing=timing)
    task = asyncio.get_running_loop().create_task(poller.run())

    def statuses() -> list[Any]:
        return [u.status for u in updates if isinstance(u, StatusUpdate)]

    try:
        async with asyncio.timeout(10):
            while not any("partitions" in s.reason and "TooManyRecords" in s.error_kinds for s in statuses()):
                await asyncio.sleep(0.01)
            while statuses()[-1].state is not LinkState.ONLINE:  # the flood passed: back online by itself
                await asyncio.sleep(0.01)
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
