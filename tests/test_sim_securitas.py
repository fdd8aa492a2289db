"""The Securitas simulator says what real panels say (`securitas-owa.md` §14), seen through the real client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from alarmtui.domain import ArmMode, CommandPhase
from alarmtui.simulators.control import run_scenario
from tests.contract.vendors.securitas import Vendor


@pytest.fixture
async def securitas() -> AsyncIterator[tuple[Vendor, Any]]:
    async with Vendor() as vendor:
        provider = vendor.provider()
        await provider.connect()
        yield vendor, provider


async def _rows(provider: Any) -> list[dict[str, Any]]:
    reply = await provider.client.call(
        "ActV2Timeline", {"numinst": provider.numinst, "numRows": 30, "offset": 0, "timeFilter": "LASTMONTH"}
    )
    return list(reply["reg"] or [])


async def test_keypad_and_app_operations_have_their_own_timeline_codes(securitas: tuple[Vendor, Any]) -> None:
    vendor, provider = securitas
    result = await provider.arm(ArmMode.AWAY)  # from the app
    assert result.phase is CommandPhase.CONFIRMED, result
    await run_scenario(vendor.control_url, "securitas", "disarm")  # at the keypad
    rows = await _rows(provider)
    app_arm = next(r for r in rows if r["type"] in (31, 823))
    assert app_arm["source"] == "Android" and app_arm["interface"] is None
    keypad = next(r for r in rows if r["type"] == 720)
    assert keypad["alias"] == "Disarmed" and keypad["source"] is None and keypad["interface"] == "03"
    assert keypad["deviceName"] == "Teclado"  # the "where" of a keypad row is the keypad
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", keypad["time"])


async def test_services_carry_the_modes_in_sch_attributes(securitas: tuple[Vendor, Any]) -> None:
    _, provider = securitas
    reply = await provider.client.call("Srv", {"numinst": provider.numinst})
    services = reply["installation"]["services"]
    sch = next(s for s in services if s["request"] == "SCH")
    assert isinstance(sch["idService"], int)
    assert {a["name"] for a in sch["attributes"]["attributes"]} == {"DARM", "ARMDAY", "ARMNIGHT", "ARM", "PERI"}
    assert sch["genericConfig"] == {"total": 0, "attributes": []} and "totalDevice" in sch and sch["description"]
    assert reply["installation"]["configRepoUser"]["alarmPartitions"] is None


async def test_progress_texts_and_timestamps_are_the_vendors(securitas: tuple[Vendor, Any]) -> None:
    _, provider = securitas
    submit = await provider.client.call("CheckAlarm", {"numinst": provider.numinst, "panel": provider.client.panel})
    assert submit["msg"] == "Su solicitud ha sido enviada"
    status = await provider.client.call("Status", {"numinst": provider.numinst})
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", status["timestampUpdate"])


async def test_arm_with_open_zones_keeps_the_reference_and_types_the_exceptions(securitas: tuple[Vendor, Any]) -> None:
    vendor, provider = securitas
    await run_scenario(vendor.control_url, "securitas", "open_door", zone="3")
    client = provider.client
    submit = await client.call(
        "xSArmPanel", {"numinst": provider.numinst, "request": "ARM1", "panel": client.panel, "currentStatus": "D"}
    )
    reference = submit["referenceId"]
    reply: dict[str, Any] = {"res": "WAIT"}
    for counter in range(1, 10):
        reply = await client.call(
            "ArmStatus",
            {
                "numinst": provider.numinst,
                "request": "ARM1",
                "panel": client.panel,
                "referenceId": reference,
                "counter": counter,
                "currentStatus": "D",
            },
        )
        if reply["res"] != "WAIT":
            break
    assert reply["res"] == "ERROR" and reply["error"]["referenceId"] == reference
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", reply["protomResponseDate"])
    listed: dict[str, Any] = {"res": "WAIT"}
    for counter in range(1, 5):
        listed = await client.call(
            "xSGetExceptions",
            {
                "numinst": provider.numinst,
                "referenceId": reference,
                "counter": counter,
                "suid": reply["error"]["suid"],
                "panel": client.panel,
            },
        )
        if listed["res"] == "OK":
            break
    assert [(e["alias"], e["__typename"]) for e in listed["exceptions"]] == [("Puerta de la cocina", "XSExceptions")]
