"""MiOS parsers: state mapping tables, tolerance of real-world shapes, and only typed errors on junk."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.domain import EventKind, PartitionState, TroubleKind, ZoneKind
from alarmtui.providers.base import CommandRejected, ProtocolError
from alarmtui.providers.mios import (
    EventRecord,
    build_snapshot,
    decode_identity,
    events_from_records,
    parse_action_reply,
    parse_auth_reply,
    parse_device_info,
    parse_devices,
    parse_event_records,
    parse_jobstatus,
    parse_sdata,
    partition_state,
)

D, A, H, N = PartitionState.DISARMED, PartitionState.ARMED_AWAY, PartitionState.ARMED_HOME, PartitionState.ARMED_NIGHT


@pytest.mark.parametrize(
    ("arm_mode", "detailed", "alarm", "state", "ready"),
    [
        ("Disarmed", "Ready", "None", D, True),
        ("Disarmed", "NotReady", "None", D, False),
        ("Disarmed", "Disarmed", "None", D, None),
        ("Disarmed", "FailedToArm", "None", D, None),
        ("Armed", "Armed", "None", A, None),
        ("Armed", "Force", "None", A, None),
        ("Armed", "Vacation", "None", A, None),
        ("Armed", "Stay", "None", H, None),
        ("Armed", "StayInstant", "None", H, None),
        ("Armed", "Night", "None", N, None),
        ("Armed", "NightInstant", "None", N, None),
        ("Armed", "ExitDelay", "None", PartitionState.ARMING, None),
        ("Disarmed", "ExitDelay", "None", PartitionState.ARMING, None),  # "no association should be assumed"
        ("Armed", "EntryDelay", "None", PartitionState.PENDING, None),
        ("ExitDelay", "Ready", "None", PartitionState.ARMING, None),  # Texecom writes these into ArmMode
        ("EntryDelay", "Armed", "None", PartitionState.PENDING, None),
        ("Armed", "Armed", "Active", PartitionState.TRIGGERED, None),
        ("Disarmed", "Ready", "Active", PartitionState.TRIGGERED, None),
        ("Armed", "SomethingNew", "None", A, None),
        ("Disarmed", "", "", D, None),
        ("", "", "", PartitionState.UNKNOWN, None),
        ("armed", "stay", "none", H, None),
    ],
)
def test_partition_state_table(arm_mode: str, detailed: str, alarm: str, state: PartitionState, ready: bool | None) -> None:
    assert partition_state(arm_mode, detailed, alarm) == (state, ready)


def _identity(**fields: Any) -> str:
    data = {
        "Expires": 2000,
        "Generated": 1000,
        "PK_Account": 7,
        "PK_User": "9",
        "Server_Auth": "a.example",
        "Username": "x",
    }
    data.update(fields)
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_identity_and_auth_reply_accept_strings_or_numbers() -> None:
    identity = decode_identity(_identity(PK_Account="260061", Expires="1424350138", Generated=1424263738), "c2ln")
    assert identity.pk_account == "260061" and identity.expires == 1424350138 and identity.lifetime == 86400
    assert "c2ln" not in repr(identity)
    reply = parse_auth_reply(
        {
            "Identity": _identity(),
            "IdentitySignature": "c2ln",
            "Server_Account": "vera-us-oem-account12.mios.com",
            "Server_Event": "https://vera-us-oem-event12.mios.com/",
        }
    )
    assert reply.servers == {"account": "vera-us-oem-account12.mios.com", "event": "vera-us-oem-event12.mios.com"}
    for bad in (
        {"Identity": "!!!", "IdentitySignature": "x", "Server_Account": "a"},
        {"Identity": _identity(), "Server_Account": "a"},
        {"Identity": base64.b64encode(b"[]").decode(), "IdentitySignature": "x", "Server_Account": "a"},
        {"Identity": _identity(), "IdentitySignature": "x", "Server_Account": "bad host/../x y"},
    ):
        with pytest.raises(ProtocolError):
            parse_auth_reply(bad)


def test_device_list_and_info() -> None:
    devices = parse_devices(
        {"Devices": [{"PK_Device": 35101627, "PK_DeviceType": "1", "Server_Device": "d1.mios.com", "Name": "\x1b[31mHome"}]}
    )
    # the whole escape sequence goes (domain.text.clean_text), not just its ESC
    assert devices[0].pk_device == "35101627" and devices[0].name == "Home" and devices[0].server_device_alt is None
    assert parse_device_info({"PK_Device": "35101627", "Server_Relay": "r.mios.com:443"}, "35101627") == {
        "relay": "r.mios.com:443"
    }
    with pytest.raises(ProtocolError):
        parse_device_info({"PK_Device": "1", "Server_Relay": "r"}, "2")
    with pytest.raises(ProtocolError):
        parse_device_info({"PK_Device": "1"}, "1")


def test_sdata_tolerates_string_ids_and_rejects_reload_replies() -> None:
    data = parse_sdata({"full": "0", "loadtime": "10", "dataversion": 11, "devices": [{"id": "41", "category": "23"}]})
    assert not data.full and data.devices["41"]["id"] == "41"
    for bad in ({"status": 0}, {"loadtime": 1}, {"loadtime": 1, "dataversion": 2, "devices": {}}, [], "x"):
        with pytest.raises(ProtocolError):
            parse_sdata(bad)


def test_action_replies() -> None:
    assert parse_action_reply('{"u:RequestArmModeResponse": {"JobID": "419"}}') == "419"
    assert parse_action_reply('{"u:SetArmedResponse": {"JobID": 12}}') == "12"
    assert parse_action_reply('{"u:SetArmedResponse": {"OK": "OK"}}') is None
    assert parse_action_reply("OK") is None
    with pytest.raises(CommandRejected, match="No implementation"):
        parse_action_reply("ERROR: No implementation")
    for bad in ("", "{}", "[1]", '{"u:XResponse": {"JobID": {}}}'):
        with pytest.raises(ProtocolError):
            parse_action_reply(bad)
    assert parse_jobstatus({"status": "4"}) == 4


def test_snapshot_from_real_world_device_shapes() -> None:
    devices = {
        "41": {
            "id": "41",
            "name": "House",
            "category": "23",
            "armmode": "Armed",
            "detailedarmmode": "Stay",
            "vendorstatus": "Armed Stay",
            "alarm": "None",
        },
        "42": {"id": "42", "name": "Shed", "category": 23},
        "51": {
            "id": "51",
            "name": "Door",
            "category": 4,
            "subcategory": "1",
            "tripped": "1",
            "armed": "0",
            "batterylevel": "5",
        },
        "52": {
            "id": "52",
            "name": "PIR",
            "category": 4,
            "subcategory": 3,
            "tripped": "true",
            "armed": 1,
            "commFailure": "1",
            "batterylevel": "x",
        },
        "53": {"id": "53", "name": None, "category": 4, "subcategory": "weird"},
        "60": {"id": "60", "name": "Cam", "category": 6},
        "70": {"id": "70", "name": "Lamp", "category": 2},
        "x": {"category": {"nested": 1}},
    }
    snap = build_snapshot(devices, panel_name="Vera")
    house, shed = snap.partitions
    assert house.state is H and house.detail == "Stay · Armed Stay"
    assert shed.state is PartitionState.UNKNOWN
    door, pir, unnamed, cam = snap.zones
    assert door.open and door.bypassed and door.battery_low and door.kind is ZoneKind.CONTACT
    assert pir.open and not pir.bypassed and not pir.battery_low and pir.kind is ZoneKind.MOTION
    assert unnamed.name == "Device 53" and unnamed.open is None and unnamed.kind is ZoneKind.OTHER
    assert cam.camera
    assert {(t.kind, t.zone) for t in snap.troubles} == {
        (TroubleKind.LOW_BATTERY, "51"),
        (TroubleKind.COMMUNICATION, "52"),
    }


def _record(pk: int, device: str, code: str, new: str, old: str = "", stamp: int = 100, event_type: int = 4) -> EventRecord:
    return EventRecord(str(pk), event_type, device, "", stamp, code, new, old, "")


def test_events_map_arm_disarm_alarm_and_who() -> None:
    records = [
        _record(1, "41", "DetailedArmMode", "ExitDelay", "Ready"),
        _record(2, "41", "LastUser", "Ana", ""),
        _record(3, "41", "VendorStatus", "Exit Delay", "Ready"),
        _record(4, "41", "DetailedArmMode", "Armed", "ExitDelay", stamp=130),
        _record(5, "51", "Tripped", "1", "0", stamp=140),
        _record(6, "41", "Alarm", "Active", "None", stamp=141),
        _record(7, "41", "DetailedArmMode", "Ready", "Armed", stamp=150),
        _record(8, "41", "LastUser", "Luis", "Ana", stamp=150),
        _record(9, "41", "DetailedArmMode", "NotReady", "Ready", stamp=160),
        _record(10, "51", "BatteryLevel", "5", "100", stamp=170),
        _record(11, "51", "Armed", "0", "1", stamp=171),
    ]
    events = events_from_records(reversed(records), {"41": "House", "51": "Door"})
    got = [(e.id, e.kind, e.text, e.who) for e in events]
    assert got == [
        ("11", EventKind.ZONE, "Door bypassed", ""),
        ("10", EventKind.TROUBLE, "Low battery: Door", ""),
        ("7", EventKind.DISARM, "House: disarmed", "Luis"),
        ("6", EventKind.ALARM, "House: ALARM", ""),
        ("5", EventKind.ZONE, "Door opened", ""),
        ("4", EventKind.ARM, "House: armed away (Armed)", "Ana"),
        ("1", EventKind.ARM, "House: arming (exit delay)", "Ana"),
    ]


# ---------------------------------------------------------------------------------------- property tests

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
keys = [
    "Identity",
    "IdentitySignature",
    "Server_Account",
    "Devices",
    "PK_Device",
    "Server_Device",
    "Server_Relay",
    "loadtime",
    "dataversion",
    "devices",
    "full",
    "id",
    "category",
    "status",
    "Records",
    "EventType",
    "PK_Event",
    "Timestamp",
    "PK_Store",
    "Key",
    "Server_Storage",
    "DeviceID",
    "JobID",
    "name",
    "armmode",
    "tripped",
]
shaped = st.recursive(
    json_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(keys), children, max_size=8),
    max_leaves=30,
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_typed(fn: Any, value: Any) -> None:
    try:
        fn(value)
    except ProtocolError:
        pass


@PROPERTY
@given(shaped)
def test_parsers_raise_only_protocol_error(value: Any) -> None:
    _only_typed(parse_auth_reply, value)
    _only_typed(parse_devices, value)
    _only_typed(lambda v: parse_device_info(v, "1"), value)
    _only_typed(parse_sdata, value)
    _only_typed(parse_jobstatus, value)
    _only_typed(parse_event_records, value)


@PROPERTY
@given(shaped, st.text(max_size=30))
def test_identity_decoding_raises_only_protocol_error(value: Any, signature: str) -> None:
    raw = base64.b64encode(json.dumps(value).encode()).decode()
    _only_typed(lambda v: decode_identity(v, signature), raw)
    _only_typed(lambda v: decode_identity(v, signature), value)


@PROPERTY
@given(st.one_of(st.text(max_size=60), shaped.map(json.dumps)))
def test_action_reply_raises_only_typed_errors(text: str) -> None:
    try:
        parse_action_reply(text)
    except (ProtocolError, CommandRejected):
        pass


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=4), shaped, max_size=4))
def test_snapshot_and_events_never_crash_on_junk_devices(devices: dict[str, Any]) -> None:
    cleaned = {k: v for k, v in devices.items() if isinstance(v, dict)}
    snapshot = build_snapshot(cleaned, panel_name="x")
    assert all(p.state in PartitionState for p in snapshot.partitions)


@PROPERTY
@given(shaped)
def test_event_records_to_events_never_crash(value: Any) -> None:
    try:
        records = parse_event_records({"Records": value if isinstance(value, list) else [value]})
    except ProtocolError:
        return
    for event in events_from_records(records, {}):
        assert event.id and event.text
