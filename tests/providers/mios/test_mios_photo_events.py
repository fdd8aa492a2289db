"""A photo request's own events are read once it is done, even when a poll read the log while the camera worked."""

from __future__ import annotations

import asyncio

from alarmtui.domain import EventKind
from alarmtui.providers.mios import MiosProvider
from alarmtui.settings import MiosConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud
from tests.helpers import until

CAMERA = "67"


async def test_the_photo_events_are_not_hidden_by_a_log_read_during_the_request() -> None:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3, entry_delay=0.3, photo_delay=0))
    async with SimHost([cloud]) as host:
        provider = MiosProvider(
            MiosConfig(kind="mios", name="vera", url=host.urls["mios"], username="demo", password="demo-pass", code="1234")
        )
        await provider.connect()
        try:
            await provider.snapshot()
            before = [e for e in await provider.events(20) if e.kind is EventKind.PHOTO]
            cloud.faults.add("request_image", delay=0.3, forward=True)  # the camera takes its time
            request = asyncio.ensure_future(provider.request_photo(CAMERA))
            await until(lambda: cloud.faults.count("request_image") == 1, what="the request at the Vera")
            await provider.events(20)  # a poll reads the log meanwhile (nothing new yet)
            result = await request
            assert result.ok
            photos = [e for e in await provider.events(20) if e.kind is EventKind.PHOTO]
            assert len(photos) == len(before) + 3 and all(e.zone == CAMERA for e in photos[:3])
        finally:
            await provider.close()
