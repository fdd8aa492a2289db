"""Discovery and state payloads for what the demo houses lack (smart locks, climate, windows, water, keypads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alarmtui.bridges.homeassistant import discovery, state_messages, topic_id
from alarmtui.domain import Capability, Partition, PartitionState, Snapshot, Zone, ZoneKind
from alarmtui.domain.updates import LinkState, ProviderStatus
from alarmtui.engine.base import ProviderInfo, ProviderState
from tests.bridges.ha_schema import check_device_discovery

SNAPSHOT = Snapshot(
    partitions=(Partition("1", "House\x1b[2J", PartitionState.UNKNOWN),),
    zones=(
        Zone("LOCK-1", "Front door lock", ZoneKind.LOCK, locked=True),
        Zone("W/1", "Kitchen window", ZoneKind.CONTACT, open=False),
        Zone("W+1", "Bathroom water", ZoneKind.WATER, alarm=True),
        Zone("KP", "Keypad", ZoneKind.KEYPAD, tamper=True),
        Zone("T1", "Hall climate", ZoneKind.CLIMATE, temperature=21.5, humidity=40.0),
    ),
    capabilities=frozenset({Capability.ARM_AWAY, Capability.ARM_PERIMETER, Capability.DISARM, Capability.LOCK}),
    panel_name="Villa",
    fetched_at=datetime(2026, 12, 6, tzinfo=UTC),
)


def state(online: bool = True, stale: bool = False) -> ProviderState:
    status = ProviderStatus("villa", "mypages", LinkState.ONLINE if online else LinkState.OFFLINE, stale=stale)
    return ProviderState(status, snapshot=SNAPSHOT)


def test_locks_climate_and_zone_classes_pass_home_assistants_schema() -> None:
    info = ProviderInfo("villa", "mypages", needs_code=True, code_configured=False)
    found = discovery(info, SNAPSHOT, base="alarmtui", prefix="homeassistant", bridge_status="alarmtui/status")
    assert check_device_discovery(found.topic, found.payload, "homeassistant") == []
    components = found.payload["components"]
    assert components[f"lock_{topic_id('LOCK-1')}"]["platform"] == "lock"
    assert components[f"lock_{topic_id('LOCK-1')}"]["code_format"]
    assert components[f"zone_{topic_id('W/1')}"]["device_class"] == "window"
    assert components[f"zone_{topic_id('W+1')}"]["device_class"] == "moisture"
    assert components["zone_KP"]["device_class"] == "tamper"
    assert {components["temperature_T1"]["device_class"], components["humidity_T1"]["device_class"]} == {
        "temperature",
        "humidity",
    }
    panel = components["partition_1"]
    assert panel["supported_features"] == ["arm_away", "arm_custom_bypass"]
    assert panel["code"] == "REMOTE_CODE" and panel["name"] == "House[2J"  # the control character is gone
    assert topic_id("W/1") != topic_id("W+1") and "/" not in topic_id("W/1") and "+" not in topic_id("W+1")
    assert set(found.commands.values()) == {("partition", "1"), ("lock", "LOCK-1")}


def test_state_payloads_and_availability() -> None:
    info = ProviderInfo("villa", "mypages")
    messages = state_messages(info, state(), base="alarmtui")
    assert messages["alarmtui/villa/availability"] == "online"
    assert messages["alarmtui/villa/partition/1/state"] == "None"  # unknown, as Home Assistant spells it
    assert messages[f"alarmtui/villa/lock/{topic_id('LOCK-1')}/state"] == "LOCKED"
    assert messages[f"alarmtui/villa/zone/{topic_id('W/1')}/state"] == "OFF"
    assert messages[f"alarmtui/villa/zone/{topic_id('W+1')}/state"] == "ON"
    assert messages["alarmtui/villa/zone/KP/state"] == "ON"
    assert messages["alarmtui/villa/climate/T1/temperature"] == "21.5"
    assert json.loads(messages["alarmtui/villa/troubles/attributes"]) == {"troubles": []}
    assert state_messages(info, state(stale=True), base="alarmtui")["alarmtui/villa/availability"] == "offline"
    assert state_messages(info, state(online=False), base="alarmtui")["alarmtui/villa/availability"] == "offline"
    info_without_code = ProviderInfo("villa", "mypages", needs_code=False, code_configured=False)
    found = discovery(info_without_code, SNAPSHOT, base="b", prefix="p", bridge_status="b/status")
    assert (
        "code" not in found.payload["components"]["partition_1"]
        and "code_format" not in found.payload["components"][f"lock_{topic_id('LOCK-1')}"]
    )
