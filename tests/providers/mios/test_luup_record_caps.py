"""luup replies (MiOS relay and Vera LAN) with more devices or events than alarmtui accepts (issue 18):
a typed `TooManyRecords`, and a poller that reports it and carries on. Minimal replies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from alarmtui.domain.updates import LinkState, StatusUpdate
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.providers import create_provider
from alarmtui.providers.base import Provider
from alarmtui.providers.errors import ProtocolError, TooManyRecords
from alarmtui.providers.luup.parse import decode_reply, parse_sdata
from alarmtui.providers.mios.parse import parse_event_records
from alarmtui.providers.wire import RECORD_CAPS
from alarmtui.settings import Settings
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud


def sdata(devices: int) -> dict[str, Any]:
    """The fields of mios.md's `sdata` a parser needs, and `devices` minimal devices."""
    return {"full": 1, "loadtime": 1, "dataversion": 1, "devices": [{"id": i, "name": "D"} for i in range(devices)]}


def test_one_device_over_the_cap_is_too_many_records() -> None:
    limit = RECORD_CAPS["zones"]
    assert len(parse_sdata(sdata(limit)).devices) == limit
    with pytest.raises(TooManyRecords) as caught:
        parse_sdata(sdata(limit + 1))
    assert isinstance(caught.value, ProtocolError) and caught.value.cap == "zones"


def test_one_event_over_the_cap_is_too_many_records() -> None:
    record = {"PK_Event": 1, "EventType": 3, "DeviceID": 5, "Timestamp": 1}
    limit = RECORD_CAPS["events"]
    assert len(parse_event_records({"Records": [record] * limit})) == limit
    with pytest.raises(TooManyRecords):
        parse_event_records({"Records": [record] * (limit + 1)})


async def test_a_large_reply_is_decoded_off_the_loop_and_a_flood_refused_there() -> None:
    body = json.dumps(sdata(12_000)).encode()  # > 256 KB and a list over wire.MAX_LIST: refused in the worker
    assert len(body) > 256 * 1024
    with pytest.raises(TooManyRecords):
        await decode_reply(body, "sdata")


@pytest.fixture(params=["mios", "vera"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Provider, MiosCloud]]:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3, entry_delay=0.3, photo_delay=0), lan_provider=True)
    async with SimHost([cloud], tls=True) as host:
        table = next(t for t in host.provider_tables() if t["kind"] == request.param)
        provider = create_provider(Settings(providers=[table]).providers[0])
        provider.retry_delay = 0.02  # type: ignore[attr-defined]
        await provider.connect()
        try:
            yield provider, cloud
        finally:
            await provider.close()


async def test_too_many_devices_never_stop_the_poller(rig: tuple[Provider, MiosCloud]) -> None:
    provider, cloud = rig
    flood = json.dumps(sdata(RECORD_CAPS["zones"] + 1)).encode()
    cloud.inject_reply(200, flood, count=3)
    updates: list[object] = []
    timing = PollTiming(poll_interval=0.05, refresh_interval=0.2, min_gap=0.01, backoff_initial=0.05, backoff_max=0.05)
    poller = Poller(provider, updates.append, timing=timing)
    task = asyncio.get_running_loop().create_task(poller.run())

    def statuses() -> list[Any]:
        return [u.status for u in updates if isinstance(u, StatusUpdate)]

    try:
        async with asyncio.timeout(10):
            while not any("TooManyRecords" in s.error_kinds for s in statuses()):
                await asyncio.sleep(0.01)
            while statuses()[-1].state is not LinkState.ONLINE:  # the flood passed: back online by itself
                await asyncio.sleep(0.01)
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
