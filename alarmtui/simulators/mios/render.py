"""MiOS MMS JSON the routes hand out (the luup JSON of a Vera is `simulators/luup.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from alarmtui.simulators.luup import VeraUnit
    from alarmtui.simulators.mios.cloud import MiosCloud


def device_summary(cloud: MiosCloud, request: web.Request, unit: VeraUnit) -> dict[str, Any]:
    return {
        "PK_Device": str(unit.pk_device),
        "PK_DeviceType": "1",
        "PK_DeviceSubType": "2",
        "MacAddress": f"00:0e:8f:7f:{unit.pk_device % 256:02x}:ab",
        "Server_Device": cloud._server_value(request, "device"),
        "Server_Device_Alt": cloud._server_value(request, "device_alt"),
        "PK_Installation": "256712",
        "Name": unit.panel.name,
        "Using_2G": "0",
        "DeviceAssigned": "2015-02-16 12:10:46",
        "Blocked": 0,
    }


__all__ = ["device_summary"]
