"""Visonic as the cloud serves it today (REST 14.0, shared/protocols/visonic.md §9).

Two halves: the parsers and mapping against MINIMAL replies (exactly the fields §9 shows, written
from the notes, not from our simulator), and the provider against the simulator's 14.0 face.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from alarmtui.domain import ArmMode, EventKind, PartitionState, ZoneKind
from alarmtui.domain.alarms import open_alarms
from alarmtui.providers.base import PanelOffline
from alarmtui.providers.visonic import VisonicProvider, mapping
from alarmtui.providers.visonic.identity import state_dir
from alarmtui.providers.visonic.parse import parse_alarms, parse_devices, parse_events, parse_panel_facts, parse_status
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.panel import SimPanel
from alarmtui.simulators.visonic import MAIN_SERIAL, VisonicCloud

# --------------------------------------------------------------------------- minimal replies (§9)

FACTS = parse_panel_facts({"model": "PowerMaster 360R"}, {"state": {"can_set": True}})
# §9.1 reply shapes, exactly
ALARMS = [{"device_type": "ZONE", "alarm_type": "ALARM_IN_MEMORY", "location": "Front door", "zone": 2, "partitions": [1], "datetime": "2026-12-01 10:00:00"}]  # fmt: skip


def status(state: str, status_: str = "", **top: Any) -> dict[str, Any]:
    return {"partitions": [{"id": -1, "state": state, "status": status_, "ready": True, "options": []}], **top}


def snapshot_of(state: str, status_: str = "") -> tuple[Any, ...]:
    raw = parse_status(status(state, status_, connected=True))
    alarms = parse_alarms(ALARMS)
    part = mapping.partition(raw.partitions[0], (), alarms, FACTS, None)
    return part, mapping.memory_notices(raw.partitions, alarms)


def test_alarm_in_memory_on_an_armed_partition_is_a_live_alarm_with_its_zone() -> None:
    # Before: every ALARM_IN_MEMORY was dropped as history, so a tripped door on an armed house read armed_away.
    part, notices = snapshot_of("AWAY")
    assert part.state is PartitionState.TRIGGERED
    assert part.alarm_zone == "Front door" and part.alarm_zones == ("Front door",)
    assert notices == ()
    home, _ = snapshot_of("HOME")
    assert home.state is PartitionState.TRIGGERED


def test_alarm_in_memory_on_a_disarmed_partition_is_a_notice_not_an_alarm() -> None:
    part, notices = snapshot_of("DISARM")
    assert part.state is PartitionState.DISARMED and part.alarm_zone is None
    assert [n.text for n in notices] == ["Alarm in memory: Front door"]
    assert notices[0].zone == "ZONE-2"


def test_alarm_in_memory_during_the_exit_delay_is_not_live() -> None:
    part, notices = snapshot_of("AWAY", "EXIT")  # arming clears the memory; until then it is the past
    assert part.state is PartitionState.ARMING
    assert len(notices) == 1


def test_entry_delay_is_pending_not_an_alarm() -> None:
    raw = parse_status(status("ENTRY_DELAY", connected=True))
    part = mapping.partition(raw.partitions[0], (), (), FACTS, None)
    assert part.state is PartitionState.PENDING and part.entry_delay is True


def test_entry_delay_event_is_its_own_kind() -> None:
    (event,) = parse_events(
        [
            {
                "event": 9,
                "type_id": 30,
                "label": "ENTRY_DELAY",
                "description": "Entry delay",
                "appointment": "Front door",
                "datetime": "2026-12-01 10:00:00",
                "video": False,
                "device_type": "ZONE",
                "zone": 1,
                "partitions": [1],
                "zone_name": "Front door",
            }
        ]  # fmt: skip
    )
    assert event.kind is EventKind.ENTRY_DELAY and event.zone == "Front door"


def test_a_checkin_gap_is_reachable_and_the_reason_is_the_replys_own() -> None:
    # §9.2, exactly the reply the notes show.
    raw = parse_status(
        status("DISARM", connected=False, connected_status={"bba": {"is_connected": False, "state": "online"}, "gprs": {"is_connected": False, "state": None}})
    )  # fmt: skip
    assert raw.connected is False and raw.reachable is True
    assert "bba online" in raw.detail and "down" not in raw.detail


def test_a_real_outage_has_every_transport_offline() -> None:
    raw = parse_status(
        status("DISARM", connected=False, connected_status={"bba": {"is_connected": False, "state": "offline"}, "gprs": {"is_connected": False, "state": "offline"}})
    )  # fmt: skip
    assert raw.reachable is False and raw.detail == "connected: false; bba offline, gprs offline"


@pytest.mark.parametrize("value", ["true", "True", 1])
def test_connected_as_a_string_reads_as_connected(value: Any) -> None:
    # Issue 18: `"connected": "true"` read as offline.
    raw = parse_status(status("DISARM", connected=value, connected_status={}))
    assert raw.connected is True and raw.reachable is True


def test_repeating_numbers_empty_names_and_keypads() -> None:
    # §9.3: POWER_LINK 1, CONTROL_PANEL 1, ZONE 1, WIRELESS_COMMANDER 1, WL_SIREN 1; names "" with traits.location.
    def dev(kind: str, subtype: str, location: str = "", name: str = "") -> dict[str, Any]:
        traits = {"location": {"id": 1, "name": location}} if location else {}
        return {"device_number": 1, "device_type": kind, "subtype": subtype, "name": name, "partitions": [1], "traits": traits}

    zones = parse_devices(
        [
            dev("POWER_LINK", "POWER_LINK"),
            dev("CONTROL_PANEL", "POWER_MASTER_360_R"),
            dev("ZONE", "CONTACT", "Front door"),
            dev("WIRELESS_COMMANDER", "PROXIMITY_KEYPAD", "Hall"),
            dev("WIRELESS_COMMANDER", "LCD_KEYPAD", "Kitchen", name="Kitchen keypad"),
            dev("WL_SIREN", "INDOOR_SIREN", "Living room"),
        ]
    )
    assert [(z.id, z.name, z.kind) for z in zones] == [
        ("ZONE-1", "Front door", ZoneKind.CONTACT),
        ("WIRELESS_COMMANDER-1", "Hall", ZoneKind.KEYPAD),
        ("WIRELESS_COMMANDER-1", "Kitchen keypad", ZoneKind.KEYPAD),  # a set name wins
        ("WL_SIREN-1", "Living room", ZoneKind.SIREN),
    ]


def test_live_alarm_zone_is_flagged_and_makes_one_episode() -> None:
    raw = parse_status({"partitions": [{"id": 1, "state": "AWAY", "status": "", "ready": True}], "connected": True})
    zones = parse_devices([{"device_number": 2, "device_type": "ZONE", "subtype": "CONTACT", "name": "", "partitions": [1], "traits": {"location": {"name": "Front door"}}}])  # fmt: skip
    alarms = parse_alarms(ALARMS)
    part = mapping.partition(raw.partitions[0], zones, alarms, FACTS, None)
    zones = mapping.mark_alarm_zones(zones, (part,), alarms)
    assert zones[0].alarm is True
    from alarmtui.domain import Snapshot

    episodes = open_alarms("visonic", Snapshot(partitions=(part,), zones=zones))
    assert [(e.partition, e.zone) for e in episodes] == [("1", "Front door")]


# --------------------------------------------------------------------------- against the simulator (14.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Factory = Callable[..., Awaitable[tuple[VisonicProvider, VisonicCloud, SimPanel]]]


@pytest.fixture
async def visonic14() -> AsyncIterator[Factory]:
    hosts: list[SimHost] = []
    providers: list[VisonicProvider] = []

    async def make(
        *, provider_options: dict[str, Any] | None = None, config: dict[str, Any] | None = None, **options: Any
    ) -> tuple[VisonicProvider, VisonicCloud, SimPanel]:
        for key, value in (("exit_delay", 0.0), ("entry_delay", 0.0), ("photo_delay", 0.05), ("process_delay", 0.02)):
            options.setdefault(key, value)
        cloud = VisonicCloud(**options)
        host = SimHost([cloud])
        await host.start()
        hosts.append(host)
        table = {**cloud.provider_tables(host.urls["visonic"])[0], "panel_serial": MAIN_SERIAL, **(config or {})}
        provider = VisonicProvider(
            VisonicConfig(**table), **{"command_poll": 0.02, "command_timeout": 3.0, **(provider_options or {})}
        )
        providers.append(provider)
        await provider.connect()
        return provider, cloud, cloud.panel_by_serial(MAIN_SERIAL)

    yield make
    for provider in providers:
        await provider.close()
    for host in hosts:
        await host.stop()


async def test_simulator_speaks_14_by_default(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14()
    assert cloud.versions == ["14.0"] and provider.version == "14.0"
    devices = await provider.client.read("devices", "a test")
    front = next(d for d in devices if d["device_type"] == "ZONE" and d["device_number"] == 1)
    assert front["name"] == "" and front["traits"]["location"]["name"] == "Front door"
    numbers = [(d["device_type"], d["device_number"]) for d in devices]
    assert ("ZONE", 1) in numbers and ("KEYFOB", 1) in numbers and ("WIRELESS_COMMANDER", 1) in numbers
    users = await provider.client.read("users", "a test")
    assert {u["role"] for u in users["users"]} <= {"MASTER_USER", "USER"} and "MASTER_USER" in {u["role"] for u in users["users"]}


async def test_intrusion_on_an_armed_panel_is_alarm_in_memory_and_shows_as_triggered(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14()
    assert (await provider.arm(ArmMode.AWAY, partition="1")).ok
    panel.trip_zone("3")  # Living room PIR, away-armed
    raw = await provider.client.read("alarms", "a test")
    assert [a["alarm_type"] for a in raw] == ["ALARM_IN_MEMORY"]  # never an invented BURGLARY
    snap = await provider.snapshot()
    house = snap.partition("1")
    assert house is not None and house.state is PartitionState.TRIGGERED and house.alarm_zone == "Living room"
    assert snap.zone("ZONE-3").alarm is True  # type: ignore[union-attr]
    assert [(e.partition, e.zone) for e in open_alarms("visonic", snap)] == [("1", "Living room")]
    assert (await provider.disarm(partition="1")).ok
    snap = await provider.snapshot()
    assert snap.partition("1").state is PartitionState.DISARMED  # type: ignore[union-attr]
    assert [t.text for t in snap.troubles if "memory" in t.text] == ["Alarm in memory: Living room"]
    assert open_alarms("visonic", snap) == ()
    assert (await provider.arm(ArmMode.AWAY, partition="1")).ok  # arming clears the memory
    snap = await provider.snapshot()
    assert snap.partition("1").state is PartitionState.ARMED_AWAY  # type: ignore[union-attr]
    assert not [t for t in snap.troubles if "memory" in t.text]


async def test_a_checkin_gap_is_no_outage_and_an_outage_is_offline_only_after_the_grace(visonic14: Factory) -> None:
    clock = Clock()
    provider, cloud, panel = await visonic14(provider_options={"clock": clock, "offline_grace": 120.0})
    cloud.checkin_gap(90)
    snap = await provider.snapshot()
    assert snap.online is True and len(snap.partitions) == 3
    assert "connected: false" in snap.detail and "bba online" in snap.detail and "down" not in snap.detail
    assert (await provider.arm(ArmMode.HOME, partition="2")).ok  # the panel still answers
    cloud.end_checkin_gap()

    good = await provider.snapshot()
    panel.set_offline(True)  # a real outage: every transport offline
    clock.now += 30
    held = await provider.snapshot()
    assert held.online is True and held.partitions == good.partitions and held.fetched_at == good.fetched_at
    assert "bba offline" in held.detail
    clock.now += 60
    panel.set_offline(False)  # healed within the grace period: never offline
    assert (await provider.snapshot()).fetched_at != good.fetched_at

    panel.set_offline(True)
    await provider.snapshot()
    clock.now += 121
    with pytest.raises(PanelOffline, match="bba offline") as excinfo:
        await provider.snapshot()
    assert "down" not in str(excinfo.value)


async def test_connected_sent_as_a_string(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14(provider_options={"offline_grace": 0.0})
    cloud.connected_as_text = True
    raw = await provider.client.read("status", "a test")
    assert raw["connected"] == "true"
    snap = await provider.snapshot()
    assert snap.online is True and "connected: false" not in snap.detail


async def test_unknown_session_token_is_400_and_an_expired_one_440(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14()
    url = f"{provider.config.url}/rest_api/14.0/status"
    headers = {"User-Token": provider.client.user_token or "", "Session-Token": "never-issued"}
    async with httpx.AsyncClient() as http:
        unknown = await http.get(url, headers=headers)
        assert unknown.status_code == 400 and unknown.json()["error_message"] == "Unable to recognize session token"
        cloud.sessions.clear()  # every session expires
        headers["Session-Token"] = provider.client.session_token or ""
        expired = await http.get(url, headers=headers)
        assert expired.status_code == 440
    assert len((await provider.snapshot()).partitions) == 3  # re-logged in either way


async def test_app_id_is_stable_per_installation(visonic14: Factory) -> None:
    first, cloud, _ = await visonic14()
    second, _, _ = await visonic14()
    assert first.client.app_id == second.client.app_id  # not a new registration per run
    path = state_dir() / f"visonic-{first.name}.app_id"
    assert path.read_text().strip() == first.client.app_id
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    chosen, _, _ = await visonic14(config={"app_id": "2d513ccb-f3ec-4656-b506-f158b6689b1e"})
    assert chosen.client.app_id == "2d513ccb-f3ec-4656-b506-f158b6689b1e"  # the config's own wins


async def test_entry_delay_then_alarm(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14(entry_delay=0.3)
    assert (await provider.arm(ArmMode.AWAY, partition="1")).ok
    panel.open_zone("1")  # the front door: an entry zone
    snap = await provider.snapshot()
    house = snap.partition("1")
    assert house is not None and house.state is PartitionState.PENDING and house.entry_delay is True
    assert open_alarms("visonic", snap) == ()  # an entry delay is not an alarm
    for _ in range(100):
        snap = await provider.snapshot()
        if snap.partition("1").state is PartitionState.TRIGGERED:  # type: ignore[union-attr]
            break
        await asyncio.sleep(0.05)
    house = snap.partition("1")
    assert house is not None and house.state is PartitionState.TRIGGERED and house.alarm_zone == "Front door"
    assert house.entry_delay is False
    events = await provider.events()
    assert any(e.kind is EventKind.ENTRY_DELAY for e in events)


async def test_a_checkin_gap_under_the_poller_never_shows_offline(visonic14: Factory) -> None:
    # Issue 17: routine check-in gaps made the provider offline (status exit 4, "Offline"/"Back online" pushes).
    from alarmtui.domain.updates import LinkState, StatusUpdate
    from alarmtui.engine.poller import Poller, PollTiming

    provider, cloud, panel = await visonic14()
    updates: list[object] = []
    poller = Poller(provider, updates.append, timing=PollTiming(poll_interval=0.05, refresh_interval=0.2, min_gap=0.01))
    task = asyncio.get_running_loop().create_task(poller.run())
    try:

        async def polls(n: int) -> None:
            before = cloud.faults.count("status")
            async with asyncio.timeout(5):
                while cloud.faults.count("status") < before + n:
                    await asyncio.sleep(0.01)

        await polls(2)
        cloud.checkin_gap(90)
        await polls(5)
        cloud.end_checkin_gap()
        await polls(2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
    states = [u.status.state for u in updates if isinstance(u, StatusUpdate)]
    assert LinkState.ONLINE in states and LinkState.OFFLINE not in states


async def test_arm_in_its_exit_delay_is_accepted_not_settled(visonic14: Factory) -> None:
    provider, cloud, panel = await visonic14(exit_delay=30.0)
    result = await provider.arm(ArmMode.AWAY, partition="2")
    assert result.ok and result.settled is False
    assert result.message == "accepted — arming, exit delay 30 s" and "armed" not in result.state.replace("arming", "")
    disarm = await provider.disarm(partition="2")
    assert disarm.ok and disarm.settled is True
    panel.exit_delay = 0.0
    instant = await provider.arm(ArmMode.HOME, partition="2")
    assert instant.ok and instant.settled is True  # no exit delay: armed, and said so
