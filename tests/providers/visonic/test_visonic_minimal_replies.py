"""Visonic parsers against minimal replies: exactly the fields shared/protocols/visonic.md §3/§6 shows.

Written from the protocol notes, not from our simulator, so the two cannot share a blind spot.
"""

from __future__ import annotations

import pytest

from alarmtui.domain import PartitionState, ZoneKind
from alarmtui.providers.errors import ProtocolError
from alarmtui.providers.visonic import mapping
from alarmtui.providers.visonic.parse import (
    parse_alarms,
    parse_cameras,
    parse_devices,
    parse_events,
    parse_panel_facts,
    parse_process,
    parse_status,
    parse_token,
    parse_troubles,
    parse_users,
    parse_versions,
)


def device(number: int, device_type: str, subtype: str, name: str, **extra: object) -> dict[str, object]:
    """Exactly the required keys of §3 "Device subclasses"."""
    return {
        "traits": {}, "device_number": number, "device_type": device_type, "enrollment_id": f"1{number:02d}-0000",
        "id": 100 + number, "name": name, "partitions": [1], "preenroll": False, "removable": True,
        "renamable": True, "subtype": subtype, "warnings": None, "zone_type": "PERIMETER", **extra,
    }  # fmt: skip


# Device numbers repeat across device types on real panels (issue 8 defect 3).
DEVICES = [
    device(1, "ZONE", "CONTACT", "Front door", warnings=[{"type": "OPENED", "severity": "INFO", "in_memory": False}]),
    device(1, "KEYFOB", "BASIC_KEYFOB", "Ana's fob"),
    device(1, "GSM", "GSM", "GSM"),
    device(1, "PGM", "PGM", "Garden light"),
    device(2, "ZONE", "MOTION", "Hall PIR"),
]


def test_repeated_device_numbers_give_unique_stable_ids() -> None:
    zones = parse_devices(DEVICES)
    assert [z.id for z in zones] == ["ZONE-1", "KEYFOB-1", "GSM-1", "PGM-1", "ZONE-2"]
    assert len({z.id for z in zones}) == len(zones)
    assert parse_devices(DEVICES) == zones  # stable: the same reply gives the same ids
    front = zones[0]
    assert front.name == "Front door" and front.kind is ZoneKind.CONTACT and front.open is True
    assert zones[4].kind is ZoneKind.MOTION and zones[4].open is None  # the cloud never reports live motion


def test_bypass_targets_resolve_without_guessing() -> None:
    zones = parse_devices(DEVICES)
    assert mapping.resolve_zone("1", zones).id == "ZONE-1"  # type: ignore[union-attr]  # the one ZONE numbered 1
    assert mapping.resolve_zone("KEYFOB-1", zones).name == "Ana's fob"  # type: ignore[union-attr]
    assert mapping.resolve_zone("hall pir", zones).id == "ZONE-2"  # type: ignore[union-attr]
    assert mapping.resolve_zone("3", zones) is None
    twins = parse_devices([device(1, "ZONE", "CONTACT", "Door"), device(1, "ZONE", "CONTACT", "Door")])
    assert mapping.resolve_zone("door", twins) is None  # ambiguous names are refused, not guessed
    assert mapping.zone_number("ZONE-12") == 12


def test_minimal_status_from_the_notes() -> None:
    status = parse_status(
        {
            "connected": False,
            "connected_status": {"bba": {"is_connected": False, "state": "online"}},
            "discovery": {"completed": True, "stages": 11, "in_queue": 0, "triggered": None},
            "partitions": [{"id": -1, "state": "DISARM", "status": "", "ready": True, "options": []}],
            "rssi": {"level": "", "network": ""},
        }  # fmt: skip
    )
    assert status.connected is False
    assert [(p.id, p.state, p.ready) for p in status.partitions] == [("-1", "DISARM", True)]


def test_minimal_events_troubles_users_cameras_alarms_process() -> None:
    events = parse_events(
        [
            {
                "event": 7,
                "type_id": 86,
                "label": "ARM",
                "description": "Arm away",
                "appointment": "Ana",
                "datetime": "2026-11-27 10:00:00",
                "video": False,
                "device_type": "USER",
                "zone": 1,
                "partitions": [1],
                "zone_name": None,
            }
        ]  # fmt: skip  (REST 10.0+: no `name`)
    )
    assert events[0].id == "7" and events[0].who == "Ana" and events[0].time.hour == 10
    troubles = parse_troubles(
        [
            {
                "device_type": "ZONE",
                "location": None,
                "partitions": [1],
                "trouble_type": "LOW_BATTERY",
                "zone": 1,
                "zone_name": "Front door",
                "zone_type": "PERIMETER",
            }
        ]  # fmt: skip
    )
    assert troubles[0].zone == "ZONE-1" and "Front door" in troubles[0].text
    users = parse_users({"users": [{"id": 1, "name": "Ana", "email": "", "partitions": [1]}]})
    assert users[0].name == "Ana"
    cameras = parse_cameras(
        [
            {
                "location": "hall",
                "partitions": [1],
                "preenroll": False,
                "preview_path": "/camera_preview/2/0",
                "status": "SUCCEEDED",
                "timestamp": "2026-11-27 10:00:00",
                "zone": 2,
                "zone_name": "hall cam",
            }
        ]  # fmt: skip
    )
    assert cameras[0].zone == "ZONE-2" and cameras[0].preview_path == "/camera_preview/2/0"
    alarms = parse_alarms(
        [
            {
                "device_type": "ZONE",
                "alarm_type": "ALARM_IN_MEMORY",
                "datetime": "2026-11-27 10:00:00",
                "has_video": False,
                "evt_id": 1,
                "location": "hall",
                "partitions": [1],
                "zone": 2,
                "zone_name": "Hall PIR",
                "zone_type": "INTERIOR",
            }
        ]  # fmt: skip
    )
    assert isinstance(alarms, tuple)
    process = parse_process([{"token": "t", "status": "failed", "message": "", "error": None}], "t")
    assert process.status == "failed" and process.error == ""


def test_minimal_login_version_panel_info_feature_set() -> None:
    assert parse_versions({"rest_versions": ["9.0"]}) == ["9.0"]
    assert parse_token({"user_token": "abc"}, "user_token") == "abc"
    with pytest.raises(ProtocolError):
        parse_token({}, "session_token")
    facts = parse_panel_facts(
        {"current_user": "master_user", "manufacturer": "Visonic", "model": "PowerMaster 30", "serial": "ABC123"},
        {
            "events": {"is_enabled": True},
            "datetime": {"is_enabled": True},
            "partitions": {"is_enabled": False, "is_labels_enabled": False, "max_partitions": 3},
            "devices": {"is_enabled": True},
            "sirens": {"can_enable": False, "can_disable": False},
            "home_automation_devices": {"is_enabled": False},
            "state": {"is_enabled": True, "can_set": True, "can_get": True},
            "faults": {"is_enabled": True},
            "diagnostic": {"is_enabled": False},
            "wifi": {"is_enabled": False},
        },  # fmt: skip
    )
    assert facts.model == "PowerMaster 30" and facts.can_set_state and not facts.partitions_enabled


def test_partition_mapping_from_minimal_status() -> None:
    status = parse_status(
        {
            "connected": True,
            "connected_status": {},
            "discovery": {"completed": True, "stages": 1, "in_queue": 0, "triggered": None},
            "partitions": [{"id": 1, "state": "AWAY", "status": "EXIT", "ready": False, "options": []}],
            "rssi": {"level": "good", "network": ""},
        }  # fmt: skip
    )
    facts = parse_panel_facts({"model": "PM"}, {"partitions": {"is_enabled": True}, "state": {"can_set": True}})
    zones = parse_devices(DEVICES)
    part = mapping.partition(status.partitions[0], zones, (), facts, None)
    assert part.state is PartitionState.ARMING and part.open_zones == ("Front door",)


async def test_visonic_reply_size_is_limited_after_decompression() -> None:
    # Issue 8 defect 5: a 50 MB body was parsed whole; a gzip body inflating to 1 GiB cost gigabytes.
    import gzip

    from alarmtui.providers.visonic import VisonicProvider
    from alarmtui.settings import VisonicConfig
    from alarmtui.simulators.host import SimHost
    from alarmtui.simulators.visonic import MAIN_SERIAL, VisonicCloud

    cloud = VisonicCloud(process_delay=0.05)
    async with SimHost([cloud]) as host:
        table = {**cloud.provider_tables(host.urls["visonic"])[0], "panel_serial": MAIN_SERIAL}
        provider = VisonicProvider(VisonicConfig(**table), max_reply_bytes=256 * 1024)
        try:
            await provider.connect()
            bomb = gzip.compress(b"[" + b"0," * (2 * 1024 * 1024) + b"0]")
            cloud.faults.add("events", body=bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json")
            with pytest.raises(ProtocolError, match="larger than"):
                await provider.events()
            assert isinstance(await provider.events(), list)
        finally:
            await provider.close()
