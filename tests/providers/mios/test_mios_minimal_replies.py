"""Every luup/MMS parser against replies with exactly the fields shared/protocols/mios.md shows.

Our simulator adds fields (notes, type, categories …); a real Vera or MMS server may not.
The last tests run the real Vera LAN client against a tiny independent server that
answers only with the documented shapes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from alarmtui.domain import ArmMode, CommandPhase, EventKind, PartitionState, ZoneKind
from alarmtui.providers.base import CommandRejected
from alarmtui.providers.luup.mapping import build_snapshot
from alarmtui.providers.luup.parse import parse_action_reply, parse_jobstatus, parse_sdata
from alarmtui.providers.mios.mapping import events_from_records
from alarmtui.providers.mios.parse import (
    decode_identity,
    parse_auth_reply,
    parse_device_info,
    parse_devices,
    parse_event_records,
)
from alarmtui.providers.vera import VeraProvider
from alarmtui.settings import VeraConfig

# ---------------------------------------------------------------- shapes copied from mios.md

IDENTITY_V1 = {
    "Expires": 1424350138,
    "Generated": 1424263738,
    "Permissions": [{"PK_Permission": 1, "Mode": 1}],
    "PK_Account": 260061,
    "PK_AccountType": 5,
    "PK_AccountChild": 0,
    "PK_Account_Parent": 2375,
    "PK_App": 0,
    "PK_Oem": 1,
    "PK_Oem_User": "",
    "PK_PermissionRole": 10,
    "PK_User": 1309941,
    "PK_Server_Auth": 1,
    "PK_Server_Account": 6,
    "PK_Server_Event": 14,
    "Server_Auth": "vera-us-oem-autha11.mios.com",
    "Username": "amg1",
}
IDENTITY_V2 = {
    "Expires": 1635128723,
    "Generated": 1635042323,
    "PermissionsEnabled": [1, 2, {"PK": 1653, "Arguments": "[9,10,11,12,13]"}],
    "PermissionsDisabled": [],
    "Version": 2,
    "PK_Account": 260061,
    "PK_AccountType": 5,
    "PK_AccountChild": 0,
    "PK_Account_Parent": 2375,
    "PK_Account_Parent2": 1,
    "PK_Account_Parent3": 0,
    "PK_Account_Parent4": 0,
    "PK_App": 0,
    "PK_Oem": 1,
    "PK_Oem_User": "",
    "PK_PermissionRole": 10,
    "PK_User": 2928592,
    "PK_Server_Auth": 1,
    "PK_Server_Account": 5,
    "PK_Server_Event": 53,
    "Server_Auth": "vera-us-oem-autha11.mios.com",
    "Seq": 6359588,
    "Username": "someone",
}
SIGNATURE = base64.b64encode(bytes(256)).decode()

DOC_DEVICES = [
    {"name": "DSC Panel", "altid": "panel", "id": 40, "category": 22, "subcategory": 0, "room": 1, "parent": 0, "state": -1, "comment": ""},
    {
        "name": "House", "altid": "Partition1", "id": 41, "category": 23, "subcategory": 0, "room": 1, "parent": 40,
        "armmode": "Disarmed", "detailedarmmode": "Ready", "alarm": "None", "alarmmemory": "0", "lastalarmactive": "0",
        "lastuser": "", "vendorstatus": "Ready to Arm", "vendorstatuscode": "650", "vendorstatusdata": "", "chimeenabled": "0",
        "state": -1, "comment": "",
    },
    {
        "name": "Front door", "altid": "Zone1", "id": 42, "category": 4, "subcategory": 1, "room": 2, "parent": 40,
        "armed": "1", "tripped": "0", "armedtripped": "0", "lasttrip": "1571790666", "state": -1, "comment": "",
    },
    {"name": "Porch cam", "altid": "", "id": 50, "category": 6, "subcategory": 0, "room": 2, "parent": 0, "ip": "192.168.1.60", "state": -1, "comment": ""},
]  # fmt: skip
DOC_SDATA = {
    "full": 1, "version": "*1.7.4453*", "model": "...", "zwave_heal": 0, "temperature": "C", "skin": "mios",
    "serial_number": "35101627", "fwd1": "...", "fwd2": "...", "mode": 1,
    "sections": [{"name": "My Home", "id": 1}], "rooms": [{"name": "Hall", "id": 1, "section": 1}],
    "scenes": [{"name": "Arm away", "id": 3, "room": 1, "active": 0, "state": -1, "comment": ""}],
    "devices": DOC_DEVICES, "categories": [{"name": "Sensor", "id": 4}],
    "ir": 0, "irtx": "", "loadtime": 1571790000, "dataversion": 123456789, "state": -1, "comment": "",
}  # fmt: skip


def test_auth_reply_with_the_documented_fields_and_both_identity_versions() -> None:
    for identity in (IDENTITY_V1, IDENTITY_V2):
        raw = base64.b64encode(json.dumps(identity).encode()).decode()
        reply = parse_auth_reply(
            {
                "Identity": raw,
                "IdentitySignature": SIGNATURE,
                "Server_Event": "vera-us-oem-event12.mios.com",
                "Server_Event_Alt": "vera-us-oem-event11.mios.com",
                "Server_Account": "vera-us-oem-account12.mios.com",
                "Server_Account_Alt": "vera-us-oem-account11.mios.com",
            }
        )
        assert reply.identity.pk_account == "260061"
        assert reply.identity.lifetime == 86400
        assert reply.servers["account"] == "vera-us-oem-account12.mios.com"
        assert reply.servers["event_alt"] == "vera-us-oem-event11.mios.com"


def test_identity_with_only_what_mios_itself_requires() -> None:
    # MiOS's own token check needs PK_Account + Expires; everything else may be absent.
    raw = base64.b64encode(json.dumps({"PK_Account": 1, "Expires": 2000}).encode()).decode()
    identity = decode_identity(raw, SIGNATURE)
    assert identity.pk_account == "1" and identity.expires == 2000 and identity.pk_user == ""


def test_account_devices_with_string_ids_and_locator_with_numbers() -> None:
    (vera,) = parse_devices(
        {
            "Devices": [
                {
                    "PK_Device": "35101627", "PK_DeviceType": "1", "PK_DeviceSubType": "2",
                    "MacAddress": "00:0e:8f:7f:71:ab", "Server_Device": "vera-us-oem-device12.mios.com",
                    "Server_Device_Alt": "vera-us-oem-device11.mios.com", "PK_Installation": "256712",
                    "Name": "...", "Using_2G": "0", "DeviceAssigned": "2015-02-16 12:10:46", "Blocked": 0,
                }
            ]
        }
    )  # fmt: skip
    assert (vera.pk_device, vera.device_type, vera.server_device_alt) == ("35101627", "1", "vera-us-oem-device11.mios.com")
    (located,) = parse_devices({"Devices": [{"PK_Device": 35101627, "Server_Device": "vera-us-oem-device12.mios.com"}]})
    assert located.pk_device == "35101627" and located.server_device_alt is None and located.name == "Vera"


def test_device_info_needs_only_the_relay() -> None:
    assert parse_device_info({"Server_Relay": "vera-us-oem-relay11.mios.com"}, "35101627") == {
        "relay": "vera-us-oem-relay11.mios.com"
    }
    info = parse_device_info(
        {"PK_Device": 35101627, "Server_Relay": "vera-eu-oem-relay12.mios.com", "Using_2G": 0, "HasAlarmPanel": "1"},
        "35101627",
    )
    assert info == {"relay": "vera-eu-oem-relay12.mios.com"}


def test_sdata_with_the_documented_shape_maps_to_the_domain() -> None:
    sdata = parse_sdata(DOC_SDATA)
    assert sdata.full and sdata.loadtime == 1571790000 and sdata.dataversion == 123456789
    snap = build_snapshot(sdata.devices, panel_name="Vera")
    (house,) = snap.partitions
    assert (house.id, house.name, house.state, house.ready) == ("41", "House", PartitionState.DISARMED, True)
    assert house.detail == "Ready · Ready to Arm"
    zones = {z.id: z for z in snap.zones}
    assert zones["42"].kind is ZoneKind.CONTACT and zones["42"].open is False and not zones["42"].bypassed
    assert zones["50"].camera


def test_sdata_no_change_reply_from_the_pyvera_log() -> None:
    # pyvera PR #38: {'loadtime':..., 'comment':'', 'dataversion':..., 'state':-1, 'full':0, 'Using_2G':0} — no devices key.
    sdata = parse_sdata({"loadtime": 1571790000, "comment": "", "dataversion": 123456790, "state": -1, "full": 0, "Using_2G": 0})
    assert not sdata.full and sdata.devices == {}


def test_a_partition_with_only_its_arm_variables() -> None:
    devices = {"41": {"id": "41", "category": "23", "name": "House", "armmode": "Armed", "detailedarmmode": "Stay"}}
    (house,) = build_snapshot(devices, panel_name="Vera").partitions
    assert house.state is PartitionState.ARMED_HOME and house.ready is None


@pytest.mark.parametrize(
    ("text", "job"),
    [
        ('{"u:RequestArmModeResponse":{"JobID":"419"}}', "419"),
        ('{ "u:SetTargetResponse": { "JobID": "419" } }', "419"),
        ('{"u:RequestArmModeResponse":{"OK":"OK"}}', None),
        ("OK", None),
    ],
)
def test_action_replies_as_documented(text: str, job: str | None) -> None:
    assert parse_action_reply(text) == job


def test_action_error_text() -> None:
    with pytest.raises(CommandRejected, match="Invalid"):
        parse_action_reply("ERROR: Invalid Device")


@pytest.mark.parametrize("status", [-1, 0, 1, 2, 3, 4, 5, 6, 7])
def test_jobstatus_is_exactly_status(status: int) -> None:
    assert parse_jobstatus({"status": status}) == status


def test_event_record_with_the_proposed_fields() -> None:
    record = {
        "PK_Event": 123456, "PK_Device": 35101627, "PK_Account": 260061, "EventType": 4,
        "Timestamp": 1571790666, "LocalTimestamp": 1571790666, "LocalDate": "2019-10-23 01:31:06",
        "DeviceNum": 41, "DeviceName": "House", "Room": "Hall",
        "Service": "urn:micasaverde-com:serviceId:AlarmPartition2", "Code": "DetailedArmMode",
        "OldValue": "ExitDelay", "NewValue": "Armed", "Severity": 1, "Description": "House armed",
    }  # fmt: skip
    (parsed,) = parse_event_records({"Records": [record]})
    (event,) = events_from_records([parsed], {})
    assert event.kind is EventKind.ARM and event.text == "House: armed away (Armed)" and event.id == "123456"


# ---------------------------------------------------------------- an independent LAN Vera


class DocumentedVera:
    """A Vera's port 3480 answering only with the shapes in mios.md (written apart from our simulator)."""

    def __init__(self) -> None:
        self.devices: list[dict[str, Any]] = json.loads(json.dumps(DOC_DEVICES))
        self.dataversion = 123456789
        self.actions: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        q = request.query
        request_id = q.get("id", "").removeprefix("lu_")
        if request_id == "alive":
            return web.Response(text="OK")
        if request_id == "sdata":
            return web.json_response({**DOC_SDATA, "devices": self.devices, "dataversion": self.dataversion})
        if request_id == "action":
            self.actions.append(dict(q))
            house = next(d for d in self.devices if d["id"] == int(q["DeviceNum"]))
            house["armmode"] = "Disarmed" if q["State"] == "Disarmed" else "Armed"
            house["detailedarmmode"] = "Ready" if q["State"] == "Disarmed" else q["State"]
            self.dataversion += 1
            return web.json_response({"u:RequestArmModeResponse": {"JobID": "419"}})
        if request_id == "jobstatus":
            return web.json_response({"status": 4})
        return web.Response(text="ERROR: No handler")


@pytest.fixture
async def documented_vera() -> AsyncIterator[tuple[DocumentedVera, str]]:
    vera = DocumentedVera()
    app = web.Application()
    app.router.add_get("/data_request", vera.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield vera, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_lan_client_against_a_vera_that_sends_only_documented_fields(
    documented_vera: tuple[DocumentedVera, str],
) -> None:
    vera, url = documented_vera
    provider = VeraProvider(VeraConfig(kind="vera", name="doc", url=url, code="1234"))
    provider.job_poll_interval = 0.05
    try:
        await provider.connect()
        snap = await provider.snapshot()
        assert [p.name for p in snap.partitions] == ["House"] and snap.partitions[0].state is PartitionState.DISARMED
        result = await provider.arm(ArmMode.HOME)
        assert result.phase is CommandPhase.CONFIRMED, result.message
        assert [(a["DeviceNum"], a["State"], a["PINCode"]) for a in vera.actions] == [("41", "Stay", "1234")]
        snap = await provider.snapshot(refresh=True)
        assert snap.partitions[0].state is PartitionState.ARMED_HOME
    finally:
        await provider.close()
