"""The dashboard attached to a real service (in a thread of this process; a child process where it must die
mid-command): same panels, commands through the service, a PIN that stays put."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from alarmtui.demo import DemoEnvironment
from alarmtui.domain import ArmMode, Command, CommandAction, PartitionState
from alarmtui.domain.updates import CommandUpdate, LinkState, PollerUpdate
from alarmtui.engine.attached.engine import AttachedEngine
from alarmtui.engine.attached.find import find_service
from alarmtui.settings import load_settings
from alarmtui.ui.app import create_app
from tests.helpers import ServiceThread
from tests.helpers import until_pilot as until
from tests.service.conftest import ServiceProcess

SIZE = (160, 48)


def attached_engine(config_file: Path) -> AttachedEngine:
    target = find_service(config_file)
    assert target is not None, "no service for this config"
    return AttachedEngine.from_hello(target.socket, target.hello)


async def test_attached_dashboard_shows_the_service_state_and_commands_go_through_it(
    service: ServiceThread, config_file: Path, demo: DemoEnvironment
) -> None:
    settings = load_settings(config_file).settings
    app = create_app(settings, engine=await asyncio.to_thread(attached_engine, config_file))
    other_view = await asyncio.to_thread(attached_engine, config_file)
    seen_by_other: list[PollerUpdate] = []
    other_view.subscribe(seen_by_other.append)
    await other_view.start()
    panel = demo.host.cloud("verisure").panels[0]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(
                pilot, lambda: all(v.status.state is LinkState.ONLINE and v.snapshot for v in app.views.values()), what="online"
            )
            assert app.engine.describe() == "attached to service"
            assert "attached to service" in str(app.header.render())
            assert app.pollers is None  # nothing polls in this process
            partition = app.views["casa"].snapshot.partitions[0]  # type: ignore[union-attr]
            app.partitions.select("casa", partition.id)
            await pilot.pause()
            before = demo.host.call(lambda: panel.commands_received)
            await pilot.press("a")

            def armed() -> bool:
                snapshot = app.views["casa"].snapshot
                found = snapshot.partition(partition.id) if snapshot else None
                return found is not None and found.state is PartitionState.ARMED_AWAY

            await until(pilot, armed, what="armed away")
            assert demo.host.call(lambda: panel.commands_received) == before + 1
            await until(
                pilot,
                lambda: any(isinstance(u, CommandUpdate) and u.finished and u.provider == "casa" for u in seen_by_other),
                what="the other view saw it",
            )
            await pilot.press("r")  # one refresh, asked of the service
            await pilot.pause(0.3)
    finally:
        await other_view.close()


async def test_a_pin_travels_only_inside_its_command(service: ServiceThread, config_file: Path, demo: DemoEnvironment) -> None:
    view = await asyncio.to_thread(attached_engine, config_file)
    other_view = await asyncio.to_thread(attached_engine, config_file)
    seen: list[PollerUpdate] = []
    other_view.subscribe(seen.append)
    await view.start()
    await other_view.start()
    try:
        assert await view.wait_attached(10) and await other_view.wait_attached(10)
        assert view.providers["vera"].asks_for_code  # no code in the config: the view asks
        deadline = time.monotonic() + 20
        while view.states["vera"].snapshot is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        garage = next(p.id for p in view.states["vera"].snapshot.partitions if p.name == "Garage")  # type: ignore[union-attr]
        result = await view.submit("vera", Command(CommandAction.ARM, mode=ArmMode.AWAY, partition=garage, code="1234"))
        assert result.ok, result.message
        wrong = await view.submit("vera", Command(CommandAction.DISARM, partition=garage, code="9999"))
        assert not wrong.ok  # the panel refused the wrong code: the code did travel, and only there
        commands = [u for u in seen if isinstance(u, CommandUpdate) and u.provider == "vera"]
        assert commands and all(u.command.code is None for u in commands)
        log = service.log.read_text()
        assert "1234" not in log and "9999" not in log
    finally:
        await view.close()
        await other_view.close()


async def test_two_views_racing_for_one_panel_send_one_command(
    service: ServiceThread, config_file: Path, demo: DemoEnvironment
) -> None:
    from alarmtui.domain.updates import CommandBusy

    first = await asyncio.to_thread(attached_engine, config_file)
    second = await asyncio.to_thread(attached_engine, config_file)
    await first.start()
    await second.start()
    panel = demo.host.cloud("verisure").panels[0]
    try:
        assert await first.wait_attached(10) and await second.wait_attached(10)
        deadline = time.monotonic() + 20
        while first.states["casa"].status.state is not LinkState.ONLINE and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        before = demo.host.call(lambda: panel.commands_received)
        arm = Command(CommandAction.ARM, mode=ArmMode.AWAY)
        # Neither view has heard of the other's command yet: the service decides.
        one = first.submit("casa", arm)
        other = second.submit("casa", arm)
        outcomes = await asyncio.gather(one, other, return_exceptions=True)
        busy = [o for o in outcomes if isinstance(o, CommandBusy)]
        done = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(busy) == 1 and len(done) == 1, outcomes
        assert done[0].ok, done[0].message
        assert demo.host.call(lambda: panel.commands_received) == before + 1
    finally:
        await first.close()
        await second.close()


async def test_a_command_in_flight_when_the_service_dies_is_unknown_and_never_resent(
    service_process: ServiceProcess, config_file: Path, demo: DemoEnvironment
) -> None:
    service = service_process  # SIGKILL mid-command: a process
    from alarmtui.domain import CommandPhase

    view = await asyncio.to_thread(attached_engine, config_file)
    view.retry_delay = 0.2
    seen: list[PollerUpdate] = []
    view.subscribe(seen.append)
    await view.start()
    cloud = demo.host.cloud("verisure")
    panel = cloud.panels[0]
    try:
        assert await view.wait_attached(10)
        deadline = time.monotonic() + 20
        while view.states["casa"].status.state is not LinkState.ONLINE and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        before = demo.host.call(lambda: panel.commands_received)
        demo.host.call(lambda: cloud.inject_delay(30.0, request="ARM"))  # carried out, answered late
        command = view.submit("casa", Command(CommandAction.ARM, mode=ArmMode.AWAY))
        while demo.host.call(lambda: panel.commands_received) == before and time.monotonic() < deadline + 10:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(service.kill)
        result = await asyncio.wait_for(command, 10)
        assert result.phase is CommandPhase.UNKNOWN
        finished = [u for u in seen if isinstance(u, CommandUpdate) and u.provider == "casa" and u.finished]
        assert finished and finished[-1].result.phase is CommandPhase.UNKNOWN  # type: ignore[union-attr]
        await asyncio.to_thread(service.start)
        while view.attaches < 2 and time.monotonic() < deadline + 40:
            await asyncio.sleep(0.05)
        assert view.attaches == 2
        await asyncio.sleep(1.0)
        assert demo.host.call(lambda: panel.commands_received) == before + 1  # sent once, never again
    finally:
        await view.close()


async def test_a_view_attached_before_a_login_learns_what_the_login_taught(
    config_file: Path, service_env: dict[str, str], short_dir: Path, demo: DemoEnvironment
) -> None:
    """My Pages' PIN length comes with its installation, after the login: a view attached before that is told
    it then (its PIN dialog asks for 4 digits), not only views attaching later."""
    from tests.helpers import until as until_async

    demo.host.cloud("mypages").faults.add("auth/login", delay=3.0, forward=True)  # held while the view attaches
    service = ServiceThread(config_file, short_dir / "service.log", service_env).start()
    view = await asyncio.to_thread(attached_engine, config_file)
    try:
        assert view.providers["villa"].code_length is None  # the service did not know it yet
        await view.start()
        await until_async(lambda: view.providers["villa"].code_length == 4, timeout=20, what="the PIN length")
    finally:
        await view.close()
        service.stop()
