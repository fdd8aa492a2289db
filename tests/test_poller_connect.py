"""A command that comes while the poller logs in (a service that just started) waits for that login."""

from __future__ import annotations

import asyncio

from alarmtui.domain import ArmMode, Command, CommandAction, CommandPhase
from alarmtui.domain.updates import CommandUpdate, PollerUpdate
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.providers.visonic import VisonicProvider
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.host import SimHost
from tests.helpers import until

TIMING = PollTiming(poll_interval=300, refresh_interval=3600, fast_interval=0.05, min_gap=0, backoff_initial=5, backoff_max=5)


async def _poller(sim_host, **fault: object) -> tuple[Poller, asyncio.Task[None], list[PollerUpdate], SimHost]:  # type: ignore[no-untyped-def]
    host = await sim_host("visonic")
    cloud = host.cloud("visonic")
    cloud.faults.add("auth", **fault)  # the login is slow, or refused
    table = cloud.provider_tables(host.urls["visonic"])[0]
    provider = VisonicProvider(VisonicConfig(**{k: v for k, v in table.items() if v is not None}), command_poll=0.03)
    updates: list[PollerUpdate] = []
    poller = Poller(provider, updates.append, timing=TIMING)
    task = asyncio.get_running_loop().create_task(poller.run())
    await until(lambda: cloud.faults.count("auth") == 1, what="the login under way")
    return poller, task, updates, host


async def test_a_command_during_the_first_login_waits_for_it_and_is_sent_once(sim_host) -> None:  # type: ignore[no-untyped-def]
    poller, task, updates, host = await _poller(sim_host, delay=0.4, forward=True)
    cloud = host.cloud("visonic")
    try:
        result = await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY, label="panel"))  # not CommandBusy
        assert result.ok, result.message
        assert cloud.faults.count("set_state") == 1
        finals = [u for u in updates if isinstance(u, CommandUpdate) and u.result is not None]
        assert len(finals) == 1 and finals[0].result is result
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()


async def test_a_command_whose_login_fails_is_not_sent_and_says_why(sim_host) -> None:  # type: ignore[no-untyped-def]
    poller, task, updates, host = await _poller(sim_host, delay=0.3, status=503)
    cloud = host.cloud("visonic")
    try:
        result = await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY, label="panel"))
        assert result.phase is CommandPhase.NOT_SENT, result
        assert "503" in result.message or "unavailable" in result.message.lower(), result.message
        assert cloud.faults.count("set_state") == 0
        assert [u.result for u in updates if isinstance(u, CommandUpdate) and u.result is not None] == [result]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
