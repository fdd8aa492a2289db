"""VisonicProvider (async httpx) against the Visonic simulator over loopback HTTPS."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from alarmtui.domain import ArmMode, Capability, CommandPhase, EventKind, PartitionState, TroubleKind, ZoneKind
from alarmtui.providers import create_provider
from alarmtui.providers.base import (
    AuthenticationFailed,
    ConnectionFailed,
    LoginPaused,
    NotSupported,
    OpenZones,
    PanelOffline,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
)
from alarmtui.providers.visonic import VisonicProvider, parse_devices
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.host import SimHost, create_cloud
from alarmtui.simulators.panel import SimPanel
from alarmtui.simulators.visonic import DEMO_CODE, MAIN_SERIAL, SECOND_SERIAL, VisonicCloud

Factory = Callable[..., Awaitable[tuple[VisonicProvider, VisonicCloud, SimPanel]]]


@pytest.fixture
async def visonic() -> AsyncIterator[Factory]:
    """Start a simulator with `cloud_options`, connect a provider with `config_options`."""
    hosts: list[SimHost] = []
    providers: list[VisonicProvider] = []

    async def make(
        *, connect: bool = True, serial: str = MAIN_SERIAL, provider_options: dict[str, Any] | None = None, **options: Any
    ) -> tuple[VisonicProvider, VisonicCloud, SimPanel]:
        config_options = options.pop("config", {})
        options.setdefault("exit_delay", 0.4)
        options.setdefault("entry_delay", 0.4)
        options.setdefault("photo_delay", 0.05)
        options.setdefault("process_delay", 0.05)
        cloud = VisonicCloud(**options)
        host = SimHost([cloud], tls=True)
        await host.start()
        hosts.append(host)
        table = cloud.provider_tables(host.urls["visonic"])[0]
        table.update(panel_serial=serial, ca_file=host.ca_file)
        table.update(config_options)
        config = VisonicConfig(**{k: v for k, v in table.items() if v is not None})
        provider = VisonicProvider(
            config, **{"command_poll": 0.03, "command_timeout": 3.0, "offline_grace": 0.0, **(provider_options or {})}
        )
        providers.append(provider)
        if connect:
            await provider.connect()
        return provider, cloud, cloud.panel_by_serial(serial)

    yield make
    for provider in providers:
        await provider.close()
    for host in hosts:
        await host.stop()


async def settle(provider: VisonicProvider, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        snap = await provider.snapshot()
        if predicate(snap):
            return snap
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"state not reached: {snap.partitions}")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- connect and read


async def test_registry_and_provider_tables() -> None:
    cloud = VisonicCloud()
    tables = cloud.provider_tables("https://127.0.0.1:1")
    assert tables == [
        {
            "name": "powermaster",
            "kind": "visonic",
            "url": "https://127.0.0.1:1",
            "username": "demo@example.com",
            "password": "demo-pass",
            "code": "1234",
            "panel_serial": MAIN_SERIAL,
        }
    ]
    provider = create_provider(VisonicConfig(**tables[0]))
    assert isinstance(provider, VisonicProvider)
    assert provider.needs_code is False


async def test_demo_config_from_the_host_works_end_to_end() -> None:
    cloud = create_cloud("visonic", exit_delay=0.2, some_option_for_other_clouds=True)
    assert isinstance(cloud, VisonicCloud) and [p.serial for p in cloud.panels] == [MAIN_SERIAL, SECOND_SERIAL]
    async with SimHost([cloud], tls=True) as host:
        (table,) = host.provider_tables()
        assert table["ca_file"] == str(host.ca_file)
        provider = create_provider(VisonicConfig(**table))
        try:
            await provider.connect()
            snap = await provider.snapshot()
            assert len(snap.partitions) == 3 and provider.requests_per_hour() > 0
        finally:
            await provider.close()
        assert any("D0A1B2" in line for line in host.describe())


async def test_snapshot_of_a_partitioned_panel(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    assert provider.version == "14.0"  # what the cloud serves today (§9)
    snap = await provider.snapshot()
    assert [(p.id, p.name, p.state) for p in snap.partitions] == [
        ("1", "House", PartitionState.DISARMED),
        ("2", "Garage", PartitionState.DISARMED),
        ("3", "Office", PartitionState.DISARMED),
    ]
    assert all(p.ready is True and p.open_zones == () for p in snap.partitions)
    assert snap.capabilities == {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.DISARM,
        Capability.PARTITION_COMMANDS,
        Capability.SIREN,
        Capability.BYPASS,
        Capability.PHOTO,
        Capability.USERS,
        Capability.EVENTS,
    }
    kinds = {z.id: z.kind for z in snap.zones}
    assert kinds == {
        "ZONE-1": ZoneKind.CONTACT,
        "ZONE-2": ZoneKind.CAMERA,
        "ZONE-3": ZoneKind.MOTION,
        "ZONE-4": ZoneKind.CONTACT,
        "ZONE-5": ZoneKind.SMOKE,
        "ZONE-6": ZoneKind.CONTACT,
        "ZONE-7": ZoneKind.CAMERA,
        "ZONE-8": ZoneKind.CONTACT,
        # REST 14.0: numbers repeat across device types (§9.3), keypads are WIRELESS_COMMANDERs
        "KEYFOB-1": ZoneKind.KEYFOB,
        "GSM-1": ZoneKind.GSM,
        "PGM-1": ZoneKind.OUTPUT,
        "ZONE-12": ZoneKind.WATER,
        "WIRELESS_COMMANDER-1": ZoneKind.KEYPAD,
        "WL_SIREN-1": ZoneKind.SIREN,
    }
    front = snap.zone("ZONE-1")
    # 14.0 sends an empty name and the room in traits.location
    assert front is not None and front.name == "Front door" and front.open is False and front.partitions == ("1",)
    assert snap.zone("ZONE-2").camera is True  # type: ignore[union-attr]
    assert [u.name for u in snap.users] == ["Ana", "Luis", "Cleaner"]
    assert snap.online is True and snap.panel_name == "PowerMaster 30"
    assert snap.troubles == ()


async def test_panel_without_partitions(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(serial=SECOND_SERIAL)
    snap = await provider.snapshot()
    assert [(p.id, p.state) for p in snap.partitions] == [("-1", PartitionState.DISARMED)]
    assert Capability.PARTITION_COMMANDS not in snap.capabilities
    with pytest.raises(NotSupported):
        await provider.arm(ArmMode.AWAY, partition="1")
    result = await provider.arm(ArmMode.AWAY)
    assert result.ok
    snap = await provider.snapshot()
    assert snap.partitions[0].state is PartitionState.ARMING
    assert panel.commands_received == 1


async def test_snapshot_costs_four_requests_and_connect_is_counted(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    # version, auth, panel/login, panel_info, feature_set, users, cameras
    assert provider.requests.total == 7
    before = provider.requests.total
    await provider.snapshot()
    assert provider.requests.total - before == 4  # status, devices, alarms, troubles
    before = provider.requests.total
    await provider.snapshot(refresh=True)  # what `alarmtui status` does right after connect()
    assert provider.requests.total - before == 4  # users and cameras were read at connect: never twice per status
    provider.slow_read_interval = 0.0  # the slow cycle has come round
    before = provider.requests.total
    await provider.snapshot(refresh=True)
    assert provider.requests.total - before == 6  # + users, cameras
    before = provider.requests.total
    await provider.snapshot()
    assert provider.requests.total - before == 4  # a plain poll never reads them


async def test_not_connected_yet_after_login_is_no_outage(visonic: Factory) -> None:
    # `connected: false` while the broadband link's state is "online" is the cloud reaching the
    # panel (or a routine check-in gap, §9.2): the panel is reachable, not offline.
    provider, cloud, panel = await visonic(connect_delay=0.3)
    snap = await provider.snapshot()
    assert snap.online is True and "connected: false" in snap.detail and "bba online" in snap.detail
    await asyncio.sleep(0.35)
    assert (await provider.snapshot()).detail == "bba online, gprs not connected"


# --------------------------------------------------------------------------- versions


async def test_version_negotiation(visonic: Factory) -> None:
    provider, _, _ = await visonic(versions=["10.0", "12.0", "14.0"])
    assert provider.version == "14.0"
    provider, _, _ = await visonic(versions=["9.0", "10.0"])
    assert provider.version == "10.0"  # the newest offered, as real clients pick
    provider, _, _ = await visonic(versions=["9.0", "10.0"], config={"rest_version": "9.0"})
    assert provider.version == "9.0"
    provider, _, _ = await visonic(versions=["10.0", "14.0"], config={"rest_version": "10.0"})
    assert provider.version == "10.0"
    provider, _, _ = await visonic(connect=False, config={"rest_version": "12.0"})
    with pytest.raises(ProtocolError, match="does not offer REST version 12.0"):
        await provider.connect()
    provider, _, _ = await visonic(connect=False, versions=["7.0", "8.0"])
    with pytest.raises(ProtocolError, match="9.0 to 14.0"):
        await provider.connect()


@pytest.mark.parametrize("version", ["10.0", "14.0"])
async def test_newer_versions_payloads(visonic: Factory, version: str) -> None:
    provider, cloud, panel = await visonic(versions=[version])
    assert provider.version == version
    events = await provider.events()
    arm = next(e for e in events if e.kind is EventKind.ARM)
    assert arm.who in ("Luis", "Ana")
    panel.open_zone("4")
    panel.trip_zone("3")  # an alarm, reported with zone_name only
    panel.set_offline(True)
    with pytest.raises(PanelOffline):
        await provider.snapshot()
    # empty traits while offline: closed doors become unknown; the OPENED warning still shows
    zones = parse_devices(await provider.client.read("devices", "a test"))
    assert all(z.open is None for z in zones if z.id != "ZONE-4")
    assert next(z for z in zones if z.id == "ZONE-4").open is True
    events = await provider.events()
    assert any(e.zone == "Back door" for e in events)
    with pytest.raises(PanelOffline):
        await provider.arm(ArmMode.AWAY)


# --------------------------------------------------------------------------- commands and states


async def test_arm_away_whole_panel_shows_exit_delay_then_armed(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(exit_delay=0.6)
    seen: list[CommandPhase] = []
    result = await provider.arm(ArmMode.AWAY, progress=lambda p: seen.append(p.phase))
    assert result.ok and result.phase is CommandPhase.DONE
    assert seen[0] is CommandPhase.SENT and seen[-1] is CommandPhase.DONE
    snap = await provider.snapshot()
    assert {p.state for p in snap.partitions} == {PartitionState.ARMING}
    house = snap.partition("1")
    assert house is not None and house.exit_delay_until is not None and "exit" in house.detail
    left = (house.exit_delay_until - datetime.now(UTC)).total_seconds()
    assert 0 < left <= 1.0  # panel_info says 1 s (whole seconds on the wire), counted from the command
    snap = await settle(provider, lambda s: all(p.state is PartitionState.ARMED_AWAY for p in s.partitions))
    assert snap.partition("1").exit_delay_until is None  # type: ignore[union-attr]
    assert panel.commands_received == 1
    result = await provider.disarm()
    assert result.ok
    snap = await provider.snapshot()
    assert {p.state for p in snap.partitions} == {PartitionState.DISARMED}
    events = await provider.events()
    assert [e.kind for e in events[:6]] == [EventKind.DISARM] * 3 + [EventKind.ARM] * 3  # one per partition
    assert {e.partition for e in events[:3]} == {"1", "2", "3"}
    assert all(e.who == "Ana" for e in events[:6]) and events[3].text == "Arm Away"


async def test_arm_home_and_disarm_per_partition(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(exit_delay=0.0)
    assert (await provider.arm(ArmMode.HOME, partition="2")).ok
    snap = await provider.snapshot()
    assert [p.state for p in snap.partitions] == [
        PartitionState.DISARMED,
        PartitionState.ARMED_HOME,
        PartitionState.DISARMED,
    ]
    assert (await provider.arm(ArmMode.AWAY, partition="3")).ok
    assert (await provider.disarm(partition="2")).ok
    snap = await provider.snapshot()
    assert [p.state for p in snap.partitions] == [
        PartitionState.DISARMED,
        PartitionState.DISARMED,
        PartitionState.ARMED_AWAY,
    ]
    assert panel.commands_received == 3


async def test_unsupported_arm_modes_send_nothing(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    for mode in (ArmMode.NIGHT, ArmMode.PERIMETER):
        with pytest.raises(NotSupported, match="only away or home"):
            await provider.arm(mode)
    assert panel.commands_received == 0
    assert not any(path.endswith("set_state") for _, path in cloud.requests)


async def test_not_ready_lists_open_zones_and_arming_fails_with_the_reason(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    panel.open_zone("1")
    snap = await provider.snapshot()
    house = snap.partition("1")
    assert house is not None and house.ready is False and house.open_zones == ("Front door",)
    assert snap.partition("2").ready is True  # type: ignore[union-attr]
    assert snap.zone("ZONE-1").open is True  # type: ignore[union-attr]
    assert snap.troubles == ()  # an open door is a zone state, not a trouble
    result = await provider.arm(ArmMode.AWAY, partition="1")
    assert result.phase is CommandPhase.FAILED and "Not ready" in result.message and "Front door" in result.message
    assert isinstance(result.error, OpenZones) and result.error.zones == ("Front door",) and result.error.can_force
    assert panel.commands_received == 1
    # Arm anyway: the open zone is bypassed (sent once), then the partition arms.
    forced = await provider.arm(ArmMode.AWAY, partition="1", force=True)
    assert forced.ok, forced.message
    assert panel.zones["1"].bypassed and panel.commands_received == 3


async def test_entry_delay_then_alarm_then_disarm(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(exit_delay=0.0, entry_delay=0.5)
    assert (await provider.arm(ArmMode.AWAY, partition="1")).ok
    panel.open_zone("1")  # an entry door
    snap = await provider.snapshot()
    assert snap.partition("1").state is PartitionState.PENDING  # type: ignore[union-attr]
    snap = await settle(provider, lambda s: s.partition("1").state is PartitionState.TRIGGERED)
    house = snap.partition("1")
    assert house is not None and house.alarm_zone == "Front door"
    assert snap.partition("2").state is PartitionState.DISARMED  # type: ignore[union-attr]
    assert (await provider.disarm(partition="1")).ok
    snap = await provider.snapshot()
    assert snap.partition("1").state is PartitionState.DISARMED  # alarm memory is history, not an alarm  # type: ignore[union-attr]
    assert any(e.kind is EventKind.ALARM for e in await provider.events())


async def test_intrusion_triggers_at_once(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(exit_delay=0.0)
    assert (await provider.arm(ArmMode.AWAY, partition="2")).ok
    panel.trip_zone("7")
    snap = await provider.snapshot()
    garage = snap.partition("2")
    assert garage is not None and garage.state is PartitionState.TRIGGERED and garage.alarm_zone == "Garage PIR"


async def test_bypass_on_and_off(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    panel.open_zone("4")
    assert (await provider.snapshot()).partition("1").ready is False  # type: ignore[union-attr]
    result = await provider.bypass("4", True)
    assert result.ok
    snap = await provider.snapshot()
    back = snap.zone("ZONE-4")
    assert back is not None and back.bypassed is True and back.open is True
    house = snap.partition("1")
    assert house is not None and house.ready is True and house.open_zones == ()
    assert (await provider.bypass("4", False)).ok
    assert (await provider.snapshot()).zone("ZONE-4").bypassed is False  # type: ignore[union-attr]
    with pytest.raises(NotSupported):
        await provider.bypass("no such door")
    assert (await provider.bypass("ZONE-4", True)).ok  # by id
    assert (await provider.bypass("back door", False)).ok  # by name


async def test_siren_on_and_off(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    assert (await provider.siren(True)).ok
    assert panel.siren_on is True
    assert (await provider.siren(False)).ok
    assert panel.siren_on is False


async def test_siren_hidden_when_the_feature_set_forbids_it(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(siren=False)
    snap = await provider.snapshot()
    assert Capability.SIREN not in snap.capabilities
    with pytest.raises(NotSupported):
        await provider.siren(True)
    assert panel.commands_received == 0


async def test_request_photo_and_event_photos(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    result = await provider.request_photo("2")
    assert result.ok and len(result.photos) == 3
    for index, photo in enumerate(result.photos):
        assert photo.index == index and photo.zone == "Hall PIR"
        assert Image.open(io.BytesIO(photo.jpeg)).size == (640, 480)
    assert len({p.jpeg for p in result.photos}) == 3
    event = next(e for e in await provider.events() if e.kind is EventKind.PHOTO)
    photos = await provider.photos(event)
    assert [p.jpeg for p in photos] == [p.jpeg for p in result.photos]
    with pytest.raises(NotSupported):
        await provider.request_photo("1")  # a door contact has no camera
    with pytest.raises(NotSupported):
        await provider.photos(next(e for e in await provider.events() if e.kind is EventKind.ARM))


async def test_photo_failure_is_reported(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.fail_next_photo("7")
    result = await provider.request_photo("7")
    assert result.phase is CommandPhase.FAILED and "Camera did not answer" in result.message
    assert result.photos == ()


async def test_panel_refusal_carries_its_message(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    panel.faults.fail_next_command = "Panel in programming mode"
    result = await provider.arm(ArmMode.HOME)
    assert result.phase is CommandPhase.FAILED and result.message == "Panel in programming mode"


async def test_command_outcome_unknown_within_the_timeout(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(provider_options={"command_timeout": 0.3})
    panel.faults.slow_commands = 5.0
    started = asyncio.get_running_loop().time()
    result = await provider.arm(ArmMode.AWAY)
    elapsed = asyncio.get_running_loop().time() - started
    assert result.phase is CommandPhase.UNKNOWN and "unknown" in result.message
    assert elapsed < panel.faults.slow_commands  # gave up at its own deadline, before the panel would have answered
    assert sum(1 for _, path in cloud.requests if path.endswith("set_state")) == 1


async def test_reply_lost_after_sending_means_outcome_unknown(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.inject_error("set_state", 0)  # carried out, then the connection drops
    result = await provider.arm(ArmMode.HOME)
    assert result.phase is CommandPhase.UNKNOWN and "may have been carried out" in result.message
    assert sum(1 for _, path in cloud.requests if path.endswith("set_state")) == 1  # never re-sent
    snap = await settle(provider, lambda s: s.partition("1").state is not PartitionState.DISARMED)
    assert snap.partition("1").state in (PartitionState.ARMING, PartitionState.ARMED_HOME)  # type: ignore[union-attr]


async def test_panel_offline(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    panel.set_offline(True)
    with pytest.raises(PanelOffline, match="bba offline"):  # the reply's own words, never an invented "down"
        await provider.snapshot()
    with pytest.raises(PanelOffline) as excinfo:
        await provider.arm(ArmMode.AWAY)
    assert "not connected" in str(excinfo.value)
    with pytest.raises(PanelOffline):
        await provider.bypass("4")
    assert panel.commands_received == 0
    panel.set_offline(False)
    assert (await provider.snapshot()).online is True


async def test_troubles(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    panel.raise_trouble("low_battery", "4")
    panel.raise_trouble("power_cut")
    panel.raise_trouble("tamper", "8")
    snap = await provider.snapshot()
    kinds = sorted((t.kind, t.zone) for t in snap.troubles)
    assert kinds == sorted([(TroubleKind.LOW_BATTERY, "ZONE-4"), (TroubleKind.POWER, None), (TroubleKind.TAMPER, "ZONE-8")])
    assert snap.zone("ZONE-4").battery_low is True and snap.zone("ZONE-8").tamper is True  # type: ignore[union-attr]
    assert any("Back door" in t.text for t in snap.troubles)
    panel.clear_trouble("power_cut")
    assert len((await provider.snapshot()).troubles) == 2


# --------------------------------------------------------------------------- session handling


async def test_expired_session_is_renewed_transparently_for_reads(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.expire_sessions()
    before = len(cloud.requests)
    snap = await provider.snapshot()
    assert len(snap.partitions) == 3
    paths = [p.rsplit("/", 1)[-1] for _, p in cloud.requests[before:]]
    assert paths[:3] == ["status", "auth", "login"] and paths[3] == "status"


async def test_expired_session_never_resends_a_command(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.expire_sessions()
    with pytest.raises(SessionExpired, match="not carried out"):
        await provider.arm(ArmMode.AWAY)
    assert panel.commands_received == 0
    assert sum(1 for _, path in cloud.requests if path.endswith("set_state")) == 1
    assert (await provider.arm(ArmMode.AWAY)).ok  # logged in again already
    assert panel.commands_received == 1


async def test_errors_are_mapped_without_the_reason_phrase(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.inject_error("status", 440, {"error": 440, "extras": []}, reason="Something else entirely")
    assert len((await provider.snapshot()).partitions) == 3  # still a session expiry: re-logged in
    cloud.inject_error(
        "set_state", 400, {"error": 400, "error_message": "Panel is not connected", "error_reason_code": "PanelNotConnected", "extras": []},
        reason="OK",
    )  # fmt: skip
    with pytest.raises(PanelOffline):
        await provider.arm(ArmMode.AWAY)


async def test_wrong_user_token_401_is_renewed(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.expire_user_tokens()
    assert len((await provider.snapshot()).zones) == 14


async def test_session_ttl_on_rest_14_is_renewed(visonic: Factory) -> None:
    """14.0 answers an expired session token with 440 (an unknown one with 400, see test_visonic_rest14)."""
    provider, cloud, panel = await visonic(versions=["14.0"], session_ttl=0.2)
    await asyncio.sleep(0.25)
    assert len((await provider.snapshot()).partitions) == 3
    assert any(p.endswith("/auth") for _, p in cloud.requests[-8:])


async def test_user_auth_required_403_maps_to_session_expired(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.inject_error(
        "devices",
        403,
        {"error": 10002, "error_message": "User authentication required", "error_reason_code": "UserAuthRequired", "extras": []},
    )
    assert len((await provider.snapshot()).zones) == 14  # re-logged in and retried


# --------------------------------------------------------------------------- errors


async def test_wrong_password(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False, config={"password": "nope"})
    with pytest.raises(AuthenticationFailed, match="wrong email or password"):
        await provider.connect()


async def test_wrong_user_code(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False, config={"code": "9999"})
    with pytest.raises(AuthenticationFailed) as excinfo:
        await provider.connect()
    assert isinstance(excinfo.value, WrongCode)
    assert "9999" not in str(excinfo.value)


async def test_missing_user_code(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False, config={"code": None})
    with pytest.raises(AuthenticationFailed, match="a user code is needed to log in to the panel; set code in the config"):
        await provider.connect()
    assert not any(p.endswith("/auth") for _, p in cloud.requests)


async def test_wrong_code_with_a_command(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    with pytest.raises(WrongCode):
        await provider.arm(ArmMode.AWAY, code="0000")
    assert panel.commands_received == 0
    assert (await provider.arm(ArmMode.AWAY, code="5678")).ok  # Luis's code works too
    assert panel.events[-1].user == "Luis"


async def test_unknown_serial(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False)
    provider.serial = "FFFFFF"
    with pytest.raises(AuthenticationFailed, match="panel serial"):
        await provider.connect()


async def test_first_panel_is_used_without_a_serial(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False, config={"panel_serial": None})
    await provider.connect()
    assert provider.serial == MAIN_SERIAL


async def test_login_blocked(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False)
    cloud.block_login(42)
    with pytest.raises(RateLimited) as excinfo:
        await provider.connect()
    assert excinfo.value.retry_after == 42


async def test_login_attempts_limit(visonic: Factory) -> None:
    provider, cloud, panel = await visonic(connect=False, config={"code": "0000"}, max_code_attempts=1)
    with pytest.raises(WrongCode):
        await provider.connect()
    with pytest.raises(LoginPaused):  # the login budget: no automatic retry of a refused code
        await provider.connect()
    provider.allow_login()  # the user asked again
    with pytest.raises(RateLimited, match="limit"):
        await provider.connect()


async def test_server_errors_and_garbage(visonic: Factory) -> None:
    provider, cloud, panel = await visonic()
    cloud.inject_error("status", 503, {"error": 503, "error_message": "Service Unavailable", "extras": []})
    with pytest.raises(ConnectionFailed, match="HTTP 503"):
        await provider.snapshot()
    cloud.inject_error("status", 500, raw=b"<html>oops</html>")
    with pytest.raises(ConnectionFailed):
        await provider.snapshot()
    cloud.inject_error("devices", 200, raw=b"{not json")
    with pytest.raises(ProtocolError, match="not usable JSON"):
        await provider.snapshot()
    cloud.inject_error("devices", 200, {"devices": "should be a list"})
    with pytest.raises(ProtocolError):
        await provider.snapshot()
    cloud.inject_error("status", 200, {"partitions": [{"id": None}]})
    with pytest.raises(ProtocolError):
        await provider.snapshot()
    assert len((await provider.snapshot()).zones) == 14  # and then it works again


async def test_unreachable_server() -> None:
    config = VisonicConfig(kind="visonic", name="gone", url="https://127.0.0.1:9", username="a@b.c", password="x", code="1234")
    provider = VisonicProvider(config)
    with pytest.raises(ConnectionFailed):
        await provider.connect()
    await provider.close()


async def test_secrets_stay_out_of_logs_errors_and_reprs(visonic: Factory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider, cloud, panel = await visonic()
    await provider.snapshot()
    await provider.arm(ArmMode.HOME)
    cloud.expire_sessions()
    await provider.snapshot()
    tokens = [provider._user_token, provider._session_token]
    errors: list[ProviderError] = []
    for bad in ({"password": "wrong-pass"}, {"code": "9876"}):
        other, _, _ = await visonic(connect=False, config=bad)
        with pytest.raises(ProviderError) as excinfo:
            await other.connect()
        errors.append(excinfo.value)
    text = caplog.text + repr(provider) + "".join(f"{e!s} {e!r} {e.hint}" for e in errors)
    for secret in ["demo-pass", DEMO_CODE, "wrong-pass", "9876", *tokens]:
        assert secret and secret not in text
