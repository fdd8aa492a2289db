"""Issue 16: a command never queues behind the long poll. The long poll holds its HTTP connection for up to a
minute; sharing one client made every arm open a fresh connection first (MiOS key → simulator 94 ms median in
the dashboard, 14 ms with the long poll on its own client). Relay and LAN alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from alarmtui.domain import ArmMode, CommandPhase
from alarmtui.providers import create_provider
from alarmtui.providers.luup.provider import LuupProvider
from alarmtui.settings import Settings
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud


@pytest.fixture(params=["mios", "vera"])
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[LuupProvider]:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.2, entry_delay=0.2, photo_delay=0), lan_provider=True)
    async with SimHost([cloud], tls=True) as host:
        table = next(t for t in host.provider_tables() if t["kind"] == request.param)
        provider = create_provider(Settings(providers=[table]).providers[0])
        assert isinstance(provider, LuupProvider)
        provider.job_poll_interval = 0.02
        await provider.connect()
        try:
            yield provider
        finally:
            await provider.close()


async def test_a_command_goes_out_on_a_client_the_long_poll_does_not_hold(provider: LuupProvider) -> None:
    snap = await provider.snapshot()
    commands_client: httpx.AsyncClient = provider.transport.client()  # type: ignore[attr-defined]
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url.params.get("id")) + ("+wait" if "timeout" in request.url.params else ""))

    commands_client.event_hooks["request"].append(record)
    long_poll = asyncio.create_task(provider.wait_for_change(30))
    try:
        async with asyncio.timeout(5):
            while not provider._long_polling:  # the long poll is waiting on the Vera now
                await asyncio.sleep(0.005)
        garage = next(p for p in snap.partitions if p.name == "Garage")
        result = await provider.arm(ArmMode.AWAY, partition=garage.id, code="1234")
        assert result.phase in (CommandPhase.DONE, CommandPhase.CONFIRMED)
    finally:
        long_poll.cancel()
        await asyncio.gather(long_poll, return_exceptions=True)
    assert "action" in seen  # the arm went out on the commands' client, with its idle keep-alive connection…
    assert "lu_sdata+wait" not in seen  # …which the long poll never occupies
