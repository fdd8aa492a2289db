"""Issue 17 on luup (MiOS relay and Vera LAN): entry delay, partial arms, the arm's result from a fresh read."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from alarmtui.domain import ArmMode, CommandPhase, EventKind, PartitionState
from alarmtui.domain.alarms import open_alarms
from alarmtui.providers import create_provider
from alarmtui.providers.luup.mapping import build_snapshot, change_events
from alarmtui.providers.luup.provider import LuupProvider
from alarmtui.providers.mios.mapping import events_from_records
from alarmtui.providers.mios.parse import parse_event_records
from alarmtui.settings import MiosConfig, Settings
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud
from alarmtui.simulators.panel import Phase

HOUSE, GARAGE = "41", "42"


def _fast(provider: LuupProvider) -> LuupProvider:
    provider.job_poll_interval = 0.03
    provider.retry_delay = 0.03
    provider.job_timeout = 3.0
    return provider


@pytest.fixture(params=["mios", "vera"])
async def luup(request: pytest.FixtureRequest) -> AsyncIterator[tuple[MiosCloud, LuupProvider]]:
    cloud = MiosCloud(panel=vera_house(exit_delay=30.0, entry_delay=0.3, photo_delay=0), lan_provider=True)
    async with SimHost([cloud], tls=True) as host:
        if request.param == "mios":
            config = MiosConfig(
                kind="mios", name="vera", url=host.urls["mios"], username="demo", password="demo-pass", code="1234", ca_file=host.ca_file
            )  # fmt: skip
        else:
            config = Settings(providers=[next(t for t in host.provider_tables() if t["kind"] == "vera")]).providers[0]  # type: ignore[assignment]
        provider = create_provider(config)
        assert isinstance(provider, LuupProvider)
        _fast(provider)
        await provider.connect()
        try:
            yield cloud, provider
        finally:
            await provider.close()


# --------------------------------------------------------------------------- minimal replies


def _partition(detail: str, arm: str = "Armed", alarm: str = "None") -> dict[str, object]:
    return {"id": 41, "name": "House", "category": 23, "armmode": arm, "detailedarmmode": detail, "alarm": alarm}


def test_entry_delay_is_pending_with_the_flag_never_an_alarm() -> None:
    snap = build_snapshot({"41": _partition("EntryDelay")}, panel_name="Vera")
    house = snap.partitions[0]
    assert house.state is PartitionState.PENDING and house.entry_delay is True
    assert open_alarms("vera", snap) == ()
    texecom = build_snapshot({"41": _partition("Armed", arm="EntryDelay")}, panel_name="Vera").partitions[0]
    assert texecom.entry_delay is True


def test_entry_delay_change_is_an_entry_delay_event_named_by_the_partition() -> None:
    before = {"41": _partition("Armed")}
    after = {"41": _partition("EntryDelay")}
    events = change_events(before, after, stamp="1-2", when=build_snapshot({}, panel_name="").fetched_at)  # type: ignore[arg-type]
    assert [(e.kind, e.text, e.partition) for e in events] == [(EventKind.ENTRY_DELAY, "Entry delay: House", "41")]
    nameless = change_events(
        {"41": {**before["41"], "name": ""}}, {"41": {**after["41"], "name": ""}}, stamp="1-3", when=events[0].time
    )
    assert nameless[0].text == "Entry delay started"  # never "device 41"


def test_mms_entry_delay_record_is_an_entry_delay_event() -> None:
    # The event-module record (mios.md §4: inferred fields; `Records` and `DeviceID` as our client reads them).
    records = parse_event_records(
        {
            "Records": [
                {
                    "PK_Event": 7,
                    "EventType": 4,
                    "Timestamp": 1700000000,
                    "DeviceID": 41,
                    "Code": "DetailedArmMode",
                    "OldValue": "Armed",
                    "NewValue": "EntryDelay",
                }
            ]
        }  # fmt: skip
    )
    (event,) = events_from_records(records, {"41": "House"})
    assert event.kind is EventKind.ENTRY_DELAY and event.text == "Entry delay: House" and event.partition == "41"
    (nameless,) = events_from_records(records, {})
    assert nameless.kind is EventKind.ENTRY_DELAY and "41" not in nameless.text


# --------------------------------------------------------------------------- against the simulator


async def test_entry_delay_then_alarm(luup: tuple[MiosCloud, LuupProvider]) -> None:
    cloud, provider = luup
    panel = cloud.panels[0]
    panel.exit_delay = 0.0
    assert (await provider.arm(ArmMode.AWAY, partition=HOUSE)).ok
    panel.open_zone("1")  # the front door: an entry zone
    snap = await provider.snapshot(refresh=True)
    house = snap.partition(HOUSE)
    assert house is not None and house.state is PartitionState.PENDING and house.entry_delay is True
    assert open_alarms(provider.name, snap) == ()
    deadline = time.monotonic() + 3
    while snap.partition(HOUSE).state is not PartitionState.TRIGGERED:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, snap.partitions
        await asyncio.sleep(0.05)
        snap = await provider.snapshot(refresh=True)
    assert snap.partition(HOUSE).entry_delay is False  # type: ignore[union-attr]
    assert [e.partition for e in open_alarms(provider.name, snap)] == [HOUSE]
    events = await provider.events(50)
    assert any(e.kind is EventKind.ENTRY_DELAY and e.text == "Entry delay: House" for e in events)
    assert not any(e.kind is EventKind.ALARM and "entry delay" in e.text.lower() for e in events)


async def test_arm_in_its_exit_delay_is_accepted_not_settled(luup: tuple[MiosCloud, LuupProvider]) -> None:
    # Before: a Vera printed "done — disarmed" (the device list cached before the command).
    cloud, provider = luup
    await provider.snapshot()  # a cached, disarmed device list
    result = await provider.arm(ArmMode.AWAY, partition=HOUSE)
    assert result.ok and result.settled is False
    assert result.message.startswith("accepted — arming, exit delay"), result.message
    assert "disarmed" not in result.state and "arming" in result.state
    snap = await provider.snapshot()  # the cache now holds the fresh read
    assert snap.partition(HOUSE).state is PartitionState.ARMING  # type: ignore[union-attr]
    disarm = await provider.disarm(partition=HOUSE)
    assert disarm.ok and disarm.settled is True and disarm.state == "disarmed"


async def test_partial_arm_reports_each_partition(luup: tuple[MiosCloud, LuupProvider]) -> None:
    cloud, provider = luup
    panel = cloud.panels[0]
    panel.open_zone("5")  # the garage door: the garage cannot arm
    await provider.snapshot(refresh=True)
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is not CommandPhase.FAILED and result.partial is True
    assert result.message == "House armed; Garage refused: zone open (Garage Door)", result.message
    assert {(p.partition, p.phase) for p in result.partitions} == {(HOUSE, CommandPhase.CONFIRMED), (GARAGE, CommandPhase.FAILED)}
    assert panel.partitions["1"].phase is Phase.EXIT_DELAY and panel.partitions["2"].phase is Phase.DISARMED


async def test_an_arm_with_a_current_cache_sends_the_command_first(luup: tuple[MiosCloud, LuupProvider]) -> None:
    # Issue 16: the arm re-read `sdata` before every command (MiOS key → simulator 145 ms).
    cloud, provider = luup
    sent: list[str] = []
    original = provider.transport.send

    async def recording(params, what, timeout):  # type: ignore[no-untyped-def]
        sent.append(str(params.get("action") or params.get("id")))
        return await original(params, what, timeout)

    provider.transport.send = recording  # type: ignore[method-assign]
    await provider.snapshot(refresh=True)  # just read: current
    sent.clear()
    assert (await provider.arm(ArmMode.AWAY, partition=HOUSE)).ok
    assert sent[0] == "RequestArmMode", sent
    assert (await provider.disarm(partition=HOUSE)).ok
    provider._cache_time = time.monotonic() - 60  # stale, and no long poll holds it current
    sent.clear()
    assert (await provider.arm(ArmMode.AWAY, partition=HOUSE)).ok
    assert sent[:2] == ["sdata", "RequestArmMode"], sent  # readiness read first, as before


async def test_without_a_fresh_read_the_result_says_no_state(luup: tuple[MiosCloud, LuupProvider]) -> None:
    cloud, provider = luup
    await provider.snapshot(refresh=True)  # a cached, disarmed device list
    cloud.faults.add("sdata", status=500, times=10**6)  # the read after the command fails
    result = await provider.arm(ArmMode.AWAY, partition=HOUSE)
    assert result.ok and result.state == "" and "disarmed" not in result.message  # never the cache of before
    cloud.faults.clear()
