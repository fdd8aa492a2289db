"""Panel → PowerManage JSON: one function per read, shaped by the REST version asked for.

`Ctx` is one request (its version, body, account, session and panel).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from alarmtui.simulators.panel import Mode, Phase, SimPanel, SimPartition, SimZone
from alarmtui.simulators.visonic.cloud import (
    EVENT_TYPES,
    SUBTYPES,
    TROUBLE_TYPES,
    ApiError,
    PanelMeta,
    Session,
    bad_params,
    user_auth_required,
    version_number,
)

if TYPE_CHECKING:
    from alarmtui.simulators.visonic.cloud import VisonicCloud


class Ctx:
    """One request: its version, body and (after `require_*`) its account, session and panel."""

    def __init__(self, cloud: VisonicCloud, request: web.Request, version: str) -> None:
        self.cloud = cloud
        self.request = request
        self.version = version
        self.number = version_number(version)
        self.body: dict[str, Any] = {}
        self.email: str = ""
        self.session: Session | None = None

    async def read_body(self) -> None:
        raw = await self.request.read()
        if not raw.strip():
            self.body = {}
            return
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat") from None
        if not isinstance(body, dict):
            raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat")
        self.body = body

    def require_user(self, *, unknown_means_auth_required: bool = False) -> str:
        token = self.request.headers.get("User-Token")
        email = self.cloud.user_tokens.get(token or "")
        if email is None:
            if token and not unknown_means_auth_required:
                raise ApiError(401, 10003, "Wrong user token", "WrongUserToken")
            raise user_auth_required()
        self.email = email
        return email

    def require_session(self) -> Session:
        token = self.request.headers.get("Session-Token") or ""
        session = self.cloud.sessions.valid(token)  # expires `session_ttl` s after the login
        if session is None:
            # 14.0 (§9.4): a token it never issued is 400 "Unable to recognize session token"; an
            # expired one is 440. Older versions answer 440 for both.
            if self.number >= 14.0 and token not in self.cloud.issued_sessions:
                raise ApiError(400, 400, "Unable to recognize session token", "InvalidRequestFormat")
            raise ApiError(440, 440, "Session token not found", "SessionTokenNotFound")
        self.require_user()
        self.session = session
        self.email = session.email
        return session

    @property
    def panel(self) -> SimPanel:
        assert self.session is not None
        return self.cloud._panels[self.session.serial]

    @property
    def meta(self) -> PanelMeta:
        assert self.session is not None
        return self.cloud.meta[self.session.serial]

    def field(self, key: str, *, required: bool = True) -> Any:
        value = self.body.get(key)
        if required and (value is None or value == ""):
            raise bad_params(key, "required")
        return value


# ---------------------------------------------------------------------- payload builders


def partition_ids(meta: PanelMeta, panel: SimPanel, zone_or_part: Iterable[str]) -> list[int]:
    if not meta.partitions_enabled:
        return [-1]
    return [int(p) for p in zone_or_part if p.isdigit()]


def all_partition_ids(meta: PanelMeta, panel: SimPanel) -> list[int]:
    return partition_ids(meta, panel, panel.partitions)


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def device_type(zone: SimZone) -> str:
    return SUBTYPES.get(zone.kind, ("ZONE", "GENERIC"))[0]


def device_number(zone: SimZone, panel: SimPanel | None = None) -> int:
    """The zone's device number. Numbers repeat across device types (ZONE 1, KEYFOB 1, PGM 1, §9.3):
    ZONE devices keep their zone number, the others count from 1 within their type."""
    kind = device_type(zone)
    if kind == "ZONE" or panel is None:
        return int(zone.id) if zone.id.isdigit() else abs(hash(zone.id)) % 1000
    same = [z.id for z in panel.zones.values() if device_type(z) == kind]
    return same.index(zone.id) + 1 if zone.id in same else 1


def find_device(panel: SimPanel, number: Any, kind: str = "ZONE") -> SimZone | None:
    """The device of type `kind` numbered `number` (numbers alone are ambiguous across types)."""
    return next((z for z in panel.zones.values() if device_type(z) == kind and device_number(z, panel) == number), None)


def zone_type(zone: SimZone) -> str | None:
    if zone.kind in ("keyfob", "gsm", "pgm"):
        return None
    if zone.kind == "smoke":
        return "FIRE"
    if zone.kind == "generic":
        return "24H_SILENT"
    if zone.kind in ("motion", "camera"):
        return "INTERIOR_FOLLOW"
    return "DELAY_1" if zone.entry else "PERIMETER"


def partition_state(panel: SimPanel, part: SimPartition) -> dict[str, Any]:
    mode = "HOME" if part.mode in (Mode.HOME, Mode.NIGHT) else "AWAY"
    if part.phase is Phase.DISARMED:
        state, status = "DISARM", ""
    elif part.phase is Phase.EXIT_DELAY:
        state, status = mode, "EXIT"
    elif part.phase is Phase.ENTRY_DELAY:
        state, status = "ENTRY_DELAY", ""
    else:  # armed, or in alarm: the alarm itself is reported by /alarms
        state, status = mode, ""
    return {"state": state, "status": status, "ready": panel.ready(part.id), "options": []}


def status(ctx: Ctx) -> dict[str, Any]:
    """`connected` is false during the cloud's first reach after login and at every routine check-in
    gap while the broadband link's state stays "online" (§9.2); a real outage has every transport offline."""
    panel, meta = ctx.panel, ctx.meta
    panel.advance()
    session = ctx.session
    assert session is not None
    online = not panel.faults.offline
    gap = ctx.cloud.in_checkin_gap(panel)
    reached = ctx.cloud._reached.get(session.serial, session.started)
    connected: Any = online and not gap and ctx.cloud.clock() - reached >= ctx.cloud.connect_delay
    if ctx.cloud.connected_as_text:
        connected = "true" if connected else "false"
    if meta.partitions_enabled:
        partitions = [{"id": int(p.id), **partition_state(panel, p)} for p in panel.partitions.values()]
    else:
        part = next(iter(panel.partitions.values()))
        partitions = [{"id": -1, **partition_state(panel, part)}]
    gprs_state: str | None = "online" if online else "offline"
    if ctx.number >= 10.0:
        gprs_state = None
    return {
        "connected": connected,
        "connected_status": {
            "bba": {"is_connected": online and not gap, "state": "online" if online else "offline"},
            "gprs": {"is_connected": False, "state": gprs_state},
        },
        "discovery": {"completed": True, "stages": 17, "in_queue": 0, "triggered": None},
        "partitions": partitions,
        "rssi": {"level": "ok" if online else "", "network": "4G" if online else ""},
    }


def warnings(zone: SimZone) -> list[dict[str, Any]] | None:
    warnings = []
    if zone.open and zone.kind in ("contact", "generic"):
        warnings.append({"type": "OPENED", "severity": "INFO", "in_memory": False})
    if zone.battery_low:
        warnings.append({"type": "LOW_BATTERY", "severity": "WARNING", "in_memory": False})
    if zone.tamper:
        warnings.append({"type": "TAMPER", "severity": "WARNING", "in_memory": False})
    return warnings or None


def devices(ctx: Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    panel.advance()
    offline = panel.faults.offline
    result: list[dict[str, Any]] = []
    for zone in panel.zones.values():
        kind, subtype = SUBTYPES.get(zone.kind, ("ZONE", "GENERIC"))
        number = device_number(zone, panel)
        traits: dict[str, Any] = {}
        if not (offline and ctx.number >= 10.0):
            traits["location"] = {"id": number, "name": zone.name}
            traits["rssi"] = {"average": 3, "current": 3, "channel": None, "repeater": None, "last_updated": None}
            if kind == "ZONE":
                traits["bypass"] = {"enabled": zone.bypassed}
                traits["soak"] = {"enabled": False}
            if zone.kind == "camera":
                traits["vod"] = {}
            if zone.kind == "keyfob":
                owner = panel.users[0] if panel.users else None
                traits["owner"] = {"id": int(owner.id) if owner else 0, "name": owner.name if owner else ""}
                del traits["location"]
            if zone.kind == "gsm":
                traits["signal_level"] = {"level": "GOOD"}
            if zone.kind == "pgm":
                traits["parent"] = {"id": 0, "port": 1}
        # 14.0: names are mostly "" and the room is in traits.location; a name set through the cloud wins.
        name = zone.name if ctx.number < 14.0 or zone.id in meta.renamed else ""
        result.append(
            {
                "id": 100000 + len(result),
                "device_number": number,
                "device_type": kind,
                "subtype": subtype,
                "name": name,
                "enrollment_id": f"{100 + number:03d}-{(number * 7919) % 10000:04d}",
                "partitions": partition_ids(meta, panel, zone.partitions),
                "preenroll": False,
                "removable": True,
                "renamable": True,
                "warnings": warnings(zone),
                "zone_type": zone_type(zone),
                "traits": traits,
            }
        )
    if ctx.number >= 14.0:
        result.extend(panel_devices(ctx, offline, len(result)))
    return result


def panel_devices(ctx: Ctx, offline: bool, first_id: int) -> list[dict[str, Any]]:
    """The devices a 14.0 panel lists beside its zones, each numbered 1 in its own type (§9.3)."""
    devices = [
        ("CONTROL_PANEL", "POWER_MASTER_30", "Control panel"),
        ("POWER_LINK", "POWER_LINK", ""),
        ("WIRELESS_COMMANDER", "PROXIMITY_KEYPAD", "Hall"),
        ("WL_SIREN", "INDOOR_SIREN", "Living room"),
    ]
    result = []
    for index, (kind, subtype, location) in enumerate(devices):
        traits: dict[str, Any] = {}
        if location and not offline:
            traits["location"] = {"id": 100 + index, "name": location}
        result.append(
            {
                "id": 100000 + first_id + index,
                "device_number": 1,
                "device_type": kind,
                "subtype": subtype,
                "name": "",
                "enrollment_id": f"9{index:02d}-0001",
                "partitions": [1],
                "preenroll": False,
                "removable": kind not in ("CONTROL_PANEL", "POWER_LINK"),
                "renamable": kind not in ("CONTROL_PANEL", "POWER_LINK"),
                "warnings": None,
                "zone_type": None,
                "traits": traits,
            }
        )
    return result


def event(ctx: Ctx, event: Any) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    if event.kind == "arm":
        away = event.mode.startswith("away")
        type_id, label, description = (86, "ARM", "Arm Away") if away else (85, "ARM", "Arm Home")
    else:
        type_id, label, description = EVENT_TYPES.get(event.kind, (0, event.kind.upper(), event.text))
    zone = panel.zones.get(event.zone) if event.zone else None
    user = next((u for u in panel.users if u.name == event.user), None) if event.user else None
    if user is not None:
        kind, zone_number, appointment = "USER", int(user.id) if user.id.isdigit() else 0, user.name
    elif zone is not None:
        kind, zone_number, appointment = device_type(zone), device_number(zone, panel), zone.name
    else:
        kind, zone_number, appointment = "CONTROL_PANEL", 0, "Control panel"
    parts = partition_ids(meta, panel, [event.partition] if event.partition else panel.partitions)
    zone_name = zone.name if zone is not None else (user.name if user is not None else None)
    item: dict[str, Any] = {
        "event": event.id,
        "type_id": type_id,
        "label": label,
        "description": description if event.kind in ("arm", "disarm") else event.text,
        "appointment": appointment,
        "datetime": when(event.time),
        "video": bool(event.photo_id),
        "device_type": kind,
        "zone": zone_number,
        "partitions": parts,
        "zone_name": zone_name,
    }
    if ctx.number < 10.0:
        item["name"] = zone_name
    if event.photo_id and event.photo_id in panel.photos:
        item["preview_path"] = f"/rest_api/{ctx.version}/camera_preview/{event.photo_id}/0"
        item["preview_frames"] = len(panel.photos[event.photo_id].jpegs)
    return item


def events(ctx: Ctx) -> list[dict[str, Any]]:
    recent = ctx.panel.recent_events(100)  # newest first
    return [event(ctx, e) for e in reversed(recent)]


def troubles(ctx: Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    result = []
    for zone in panel.zones.values():
        if zone.open and zone.kind in ("contact", "generic"):
            result.append(
                {
                    "device_type": "ZONE",
                    "location": zone.name,
                    "partitions": partition_ids(meta, panel, zone.partitions),
                    "trouble_type": "OPENED",
                    "zone": device_number(zone, panel),
                    "zone_name": zone.name,
                    "zone_type": zone_type(zone),
                }
            )
    for trouble in panel.troubles:
        troubled = panel.zones.get(trouble.zone) if trouble.zone else None
        if troubled is None:
            result.append(
                {
                    "device_type": "CONTROL_PANEL",
                    "location": None,
                    "partitions": all_partition_ids(meta, panel),
                    "trouble_type": TROUBLE_TYPES.get(trouble.kind, trouble.kind.upper()),
                    "zone": None,
                    "zone_name": None,
                    "zone_type": None,
                }
            )
        else:
            result.append(
                {
                    "device_type": SUBTYPES.get(troubled.kind, ("ZONE",))[0],
                    "location": troubled.name,
                    "partitions": partition_ids(meta, panel, troubled.partitions),
                    "trouble_type": TROUBLE_TYPES.get(trouble.kind, trouble.kind.upper()),
                    "zone": device_number(troubled, panel),
                    "zone_name": troubled.name,
                    "zone_type": zone_type(troubled),
                }
            )
    return result


def alarms(ctx: Ctx) -> list[dict[str, Any]]:
    """REST 14.0 reports an intrusion as ALARM_IN_MEMORY: a live alarm while the partition is armed,
    memory of a past one once it is disarmed; arming clears it (§9.1). Fire and panic keep their types."""
    panel = ctx.panel
    panel.advance()
    result = []
    for part in panel.partitions.values():
        live = part.phase is Phase.ALARM
        if not (live or (part.alarm_memory and part.phase is Phase.DISARMED)):
            continue  # armed again: the memory is cleared
        zone_ids: list[str | None] = list(part.alarm_zones) if live and part.alarm_zones else [part.alarm_zone]
        for zone_id in zone_ids:  # one entry per zone in alarm (several zones can trip in one partition)
            result.append(_alarm_entry(ctx, part, panel.zones.get(zone_id) if zone_id else None, live))
    return result


def _alarm_entry(ctx: Ctx, part: SimPartition, zone: SimZone | None, live: bool) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    if zone is None:
        alarm_type = "PANIC" if live else "ALARM_IN_MEMORY"
    elif zone.kind == "smoke" and live:
        alarm_type = "FIRE"
    else:
        alarm_type = "ALARM_IN_MEMORY"
    return {
        "device_type": device_type(zone) if zone else "CONTROL_PANEL",
        "alarm_type": alarm_type,
        "datetime": when(part.last_alarm),
        "has_video": bool(zone is not None and zone.camera),
        "evt_id": int(part.last_alarm),
        "location": zone.name if zone else None,
        "partitions": partition_ids(meta, panel, [part.id]),
        "zone": device_number(zone, panel) if zone else None,
        "zone_name": zone.name if zone else None,
        "zone_type": zone_type(zone) if zone else None,
    }


def cameras(ctx: Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    result = []
    for zone in panel.zones.values():
        if not zone.camera:
            continue
        set_id = meta.last_photo.get(zone.id)
        photo_set = panel.photos.get(set_id) if set_id else None
        item = {
            "location": zone.name,
            "partitions": partition_ids(meta, panel, zone.partitions),
            "preenroll": False,
            "preview_path": f"/rest_api/{ctx.version}/camera_preview/{set_id}/0" if photo_set else None,
            "status": "SUCCEEDED" if photo_set else "NONE",
            "timestamp": when(photo_set.time) if photo_set else None,
            "zone": device_number(zone, panel),
            "zone_name": zone.name,
        }
        if photo_set:
            item["preview_frames"] = len(photo_set.jpegs)
        result.append(item)
    return result


def users(ctx: Ctx) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    users = []
    for user in panel.users:
        item: dict[str, Any] = {
            "id": int(user.id) if user.id.isdigit() else user.id,
            "name": user.name,
            "email": meta.emails.get(user.id, ""),
            "partitions": all_partition_ids(meta, panel),
        }
        if ctx.number >= 14.0:
            item.update(
                {
                    "role": "MASTER_USER" if user.role == "master" else "USER",
                    "last_name": "",
                    "expiration_date": None,
                    "editable_features": [],
                }
            )
        users.append(item)
    result: dict[str, Any] = {"users": users, "max_users_count": 48}
    if ctx.number >= 14.0:
        result["reserved_ids"] = []
    return result


def feature_set(ctx: Ctx) -> dict[str, Any]:
    meta, panel = ctx.meta, ctx.panel
    siren = ctx.cloud.siren_allowed
    return {
        "events": {"is_enabled": True},
        "datetime": {"is_enabled": False},
        "partitions": {"is_enabled": meta.partitions_enabled, "is_labels_enabled": meta.partitions_enabled, "max_partitions": 3},
        "devices": {"is_enabled": True},
        "sirens": {"can_enable": siren, "can_disable": siren},
        "home_automation_devices": {"is_enabled": any(z.kind == "pgm" for z in panel.zones.values())},
        "state": {"is_enabled": True, "can_set": True, "can_get": True},
        "faults": {"is_enabled": True},
        "diagnostic": {"is_enabled": False},
        "wifi": {"is_enabled": False},
        "cameras": {"is_enabled": any(z.camera for z in panel.zones.values())},
    }


def panel_info(ctx: Ctx) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    exit_delay = math.ceil(panel.exit_delay) if panel.exit_delay > 0 else 0  # whole seconds on the wire
    session = ctx.session
    assert session is not None
    user = next((u for u in panel.users if u.id == session.user_id), None)
    state_sets = [
        {"name": "AWAY", "settable": True, "options": [], "statuses": ["EXIT"], "transitions": ["DISARM"]},
        {"name": "HOME", "settable": True, "options": [], "statuses": ["EXIT"], "transitions": ["DISARM"]},
        {"name": "DISARM", "settable": True, "options": [], "statuses": [], "transitions": ["AWAY", "HOME"]},
        {"name": "ENTRY_DELAY", "settable": False, "options": [], "statuses": [], "transitions": ["DISARM"]},
        {"name": "PROGRAMMING", "settable": False, "options": [], "statuses": [], "transitions": []},
    ]
    if meta.partitions_enabled:
        partitions = [
            {"id": int(p.id), "active": True, "exit_delay_time": exit_delay, "state_set": "all", "name": p.name}
            for p in panel.partitions.values()
        ]
    else:
        partitions = [{"id": -1, "active": True, "exit_delay_time": exit_delay, "state_set": "all", "name": None}]
    siren = ctx.cloud.siren_allowed
    return {
        "current_user": "master_user" if user is not None and user.role == "master" else "user",
        "manufacturer": "Visonic",
        "model": panel.name,
        "serial": panel.serial,
        "state_sets": {"all": state_sets},
        "partitions": partitions,
        "bypass_mode": "manual_bypass",
        "local_wakeup_needed": False,
        "remote_switch_to_programming_mode_requires_user_acceptance": True,
        "features": {
            "video_on_demand": any(z.camera for z in panel.zones.values()),
            "alerts": True,
            "enabling_siren": siren,
            "disabling_siren": siren,
            "wi_fi_connection": False,
            "set_date_time": False,
            "outputs_setup": False,
        },
    }
