"""What the Securitas OWA API says: reply shapes, vendor texts, activity codes and timestamps.

Values from `shared/protocols/securitas-owa.md` §6, §8 and §14 (the real client's fixtures); values no
source settles (§13) are chosen here and marked [I].
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from alarmtui.simulators.panel import SimEvent, SimZone

if TYPE_CHECKING:
    from alarmtui.simulators.securitas.cloud import Installation

TIME_FILTER_DAYS: dict[str, int | None] = {"LASTWEEK": 7, "LASTMONTH": 30, "ALL": None}
"""`xSActV2` timeFilter values clients send (§6); the server's full enum is unknown (§13.6)."""
CAMERA_DEVICE_TYPE = {"QR": 106, "YR": 106, "YP": 103, "QP": 107}
# activity type codes (§6) the simulator writes for the panel engine's events
ACTIVITY = {
    "disarm": (700, "Disarmed"),
    "alarm": (13, "Alarm"),
    "arm_failed": (531, "Arming failed"),
    "photo": (16, "Image request"),
    "status_check": (27, "Alarm Status Request"),
    "power_cut": (25, "Power cut"),
    "power_restore": (26, "Power restored"),
    "offline": (501, "Communication failed"),
    "online": (3121, "Communication restored"),
    "trouble": (241, "Sabotage"),
    "sos": (13, "Panic"),
}


BUSY_TEXT = (
    "Your alarm is already processing a request, please wait 90 seconds before making another one "
    "(if you have requested a photo, please wait 5 minutes)"
)
FIREWALL_PAGE = (
    '<html><head><META NAME="robots" CONTENT="noindex,nofollow"></head><body>'
    '<iframe src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=0-0-0&incident_id=0-0">'
    "Request unsuccessful. Incapsula incident ID: 0-0</iframe></body></html>"
)


# Progress texts are the vendor's own words (§14.3), in Spanish for Spanish installations; clients
# must never build logic on them.
PROGRESS = {
    "es": {"sent": "Su solicitud ha sido enviada", "processing": "Petición en proceso"},
    "en": {"sent": "Your request has been sent", "processing": "Request in progress"},  # [I]
}
APP_SOURCES = frozenset({"Android", "Web", "iPhone", "iOS"})
"""Event sources that are the vendor's apps; anything else (keypad, keyfob, schedule) is the panel's own."""
KEYPAD_INTERFACE = "03"
"""`interface` of a keypad row in the real fixtures (§14.1)."""


class GraphQLFault(Exception):
    """An error reply: `errors[0]` plus the `data` that goes with it, and the HTTP status (200 by default [I])."""

    def __init__(self, error: dict[str, Any], data: Any = None, status: int = 200) -> None:
        super().__init__(error.get("message", ""))
        self.error = error
        self.data = data
        self.status = status


def api_error(
    message: str, root: str, *, err: str | None = None, status: int | None = None, name: str = "ApiError"
) -> GraphQLFault:
    details: dict[str, Any] = {"res": "ERROR"}
    if err is not None:
        details["err"] = err
    if status is not None:
        details["status"] = status
    error = {"message": message, "name": name, "time_thrown": iso_now(), "data": details, "path": [root]}
    return GraphQLFault(error, {root: None})


def iso_now() -> str:
    return iso_z(time.time())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def iso_z(epoch: float) -> str:
    """ISO 8601 in UTC, seconds, as the exception replies stamp their errors (§14.4): 2026-02-28T16:03:13Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_stamp(epoch: float, zone: tzinfo) -> str:
    """The panel's local time as the OK replies and the timeline write it: 2024-01-01 12:00:00 (§14.4)."""
    return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M:%S")


def _mode_words(mode: str) -> tuple[str, bool]:
    interior = mode.replace("perimeter", "").strip("+")
    return interior, "perimeter" in mode


def arm_row_code(event: SimEvent, forced: bool) -> tuple[int, str]:
    """The code and text of an arm row: the keypad's 701, the app's 823 or a Spanish 31/37/40/46 (§14.1) [I: which]."""
    if event.mode == "annex":
        return 721, "Annex armed"
    if forced:
        return 850, "Alarm with exceptions"  # the real 850 row's text (§14.5)
    if event.source not in APP_SOURCES:
        return 701, "Armed"
    interior, perimeter = _mode_words(event.mode)
    if interior == "away" and perimeter:
        return 823, "Connection Exterior + Main total"
    if interior == "" and perimeter:
        return 37, "Conexión modo exterior"
    if interior == "home":
        return 40, "Conexión parcial" + (" + exterior" if perimeter else "")
    if interior == "night":
        return 46, "Conexión modo noche" + (" + exterior" if perimeter else "")
    return 31, "Conexión"


def disarm_row_code(event: SimEvent) -> tuple[int, str]:
    """Keypad 720 "Disarmed"; the app's full disarm 822; a partial one (interior or perimeter only) 32 [I]."""
    if event.source not in APP_SOURCES:
        return 720, "Disarmed"
    if event.mode in ("perimeter", "annex") or event.text != "Disarmed":
        return 32, "Desconexión" + (" modo exterior" if event.mode == "perimeter" else "")
    return 822, "Disconnection Exterior + Main"


def activity_row(inst: Installation, event: SimEvent, zone_info: tzinfo) -> dict[str, Any] | None:
    """One `xSActV2.reg` row for a panel event, or None for events the timeline does not show."""
    panel = inst.panel
    if event.kind == "arm":
        code, alias = arm_row_code(event, event.id in inst.forced_events)
    elif event.kind == "disarm":
        code, alias = disarm_row_code(event)
    elif event.kind in ACTIVITY:
        code, alias = ACTIVITY[event.kind]
        if event.kind in ("alarm", "sos") and event.text:
            alias = event.text
    else:
        return None
    zone = panel.zones.get(event.zone) if event.zone else None
    keypad_row = event.kind in ("arm", "disarm") and event.source not in APP_SOURCES and event.mode != "annex"
    if keypad_row and zone is None:
        zone = next((z for z in panel.zones.values() if z.kind == "keypad"), None)  # "where" is the keypad (§14.1)
    exceptions = [
        {"status": "0", "deviceType": "MG", "alias": name, "__typename": "XSExceptions"}
        for name in inst.forced_events.get(event.id, [])
    ] or None
    return {
        "alias": alias,
        "type": code,
        "device": device_type(zone) if zone else ("QR" if code == 16 else "VV"),
        "source": None if keypad_row else (event.source or None),
        "idSignal": str(event.id),
        "schedulerType": None,
        "myVerisureUser": event.user or None,
        "time": local_stamp(event.time, zone_info),
        "img": 1 if event.kind == "photo" else 0,
        "incidenceId": None,
        "signalType": code,
        "interface": KEYPAD_INTERFACE if keypad_row else None,
        "deviceName": zone.name if zone else None,
        "keyname": None,
        "tagId": None,
        "userAuth": None,
        "exceptions": exceptions,
        "mediaPlatform": None,
        "__typename": "XSActV2Reg",
    }


def service_row(
    id_service: int, request: str, description: str, attributes: list[str] | None = None, total_device: int = 0
) -> dict[str, Any]:
    """A `xSSrv` service object with the real shapes (§14.2): int id, nested attribute lists, a generic config."""
    return {
        "idService": id_service,
        "active": True,
        "visible": True,
        "bde": False,
        "isPremium": False,
        "codOper": False,
        "request": request,
        "minWrapperVersion": None,
        "unprotectActive": False,
        "unprotectDeviceStatus": None,
        "instDate": None,
        "genericConfig": {"total": 0, "attributes": []},
        "attributes": {"attributes": [{"name": name, "value": "1", "active": True} for name in (attributes or [])]},
        "totalDevice": total_device,
        "description": description,
    }


def device_type(zone: SimZone | None) -> str:
    if zone is None:
        return "VV"
    if zone.model in ("QR", "YR", "YP", "QP", "MG", "XR", "VV"):
        return zone.model
    return {"camera": "QR", "contact": "MG", "motion": "XR", "keypad": "VV"}.get(zone.kind, "XR")


def status_msg(letter: str) -> str:
    return {
        "D": "alarm-manager.inactive_alarm",
        "E": "alarm-manager.status_panel.active_perimetral_alarm_msg",
        "P": "alarm-manager.status_panel.armed_partial",
        "Q": "alarm-manager.status_panel.armed_night",
        "B": "alarm-manager.status_panel.armed_partial_plus_perimeter",
        "T": "alarm-manager.status.active_alarm_msg",
        "A": "alarm-manager.active_perimeter_plus_alarm",
    }.get(letter, "alarm-manager.processed.request")
